'use client';

import { useState } from 'react';

export default function TagSignupForm() {
  const [result, setResult] = useState(null);

  async function onSubmit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const userId = form.get('user');
    const email = form.get('email');
    // A real site calls this once its server has created the account, with the server's id.
    if (window.affitor) {
      setResult(await window.affitor.signup(userId, email));
    } else {
      window.affitorQueue = window.affitorQueue || [];
      window.affitorQueue.push(['signup', userId, email]);
    }
  }

  return (
    <form id="signup" onSubmit={onSubmit}>
      <label>User id <input name="user" required /></label>
      <label>Email <input name="email" type="email" /></label>
      <button>Sign up</button>
      <output id="result">{result ? JSON.stringify(result) : ''}</output>
    </form>
  );
}
