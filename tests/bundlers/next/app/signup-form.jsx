'use client';

import { useState } from 'react';
import { useAffitor } from 'affitor-tracker/react';

export default function SignupForm() {
  // clickId: null on the server and in the first render (no hydration mismatch), then the
  // browser's, updated when the landing's click is recorded.
  const { clickId, signup } = useAffitor();
  const [result, setResult] = useState(null);

  async function onSubmit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    // A real site calls signup() once its server has created the account, with the server's id.
    setResult(await signup(form.get('user'), form.get('email')));
  }

  return (
    <form id="signup" onSubmit={onSubmit}>
      <label>User id <input name="user" required /></label>
      <label>Email <input name="email" type="email" /></label>
      <button>Sign up</button>
      <p id="click-id">{clickId ? `Referred (click ${clickId})` : 'No referral'}</p>
      <output id="result">{result ? JSON.stringify(result) : ''}</output>
    </form>
  );
}
