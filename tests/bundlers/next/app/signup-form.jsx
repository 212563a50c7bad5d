'use client';

import { useEffect, useState } from 'react';
import { getClickId, init, signup } from 'affitor-tracker';

export default function SignupForm() {
  const [clickId, setClickId] = useState(null);
  const [result, setResult] = useState(null);

  useEffect(() => {
    // The API this page reports to: the test passes its dev collector as ?api=… (a site leaves
    // apiBase out, or names its first-party proxy).
    const apiBase = new URLSearchParams(location.search).get('api') || undefined;
    // In an effect: the click id exists only in the browser, once the tracker runs, so reading it
    // while rendering would differ from the server's HTML (a hydration mismatch).
    init({ programId: 42, apiBase }).then(() => setClickId(getClickId()));
  }, []);

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
