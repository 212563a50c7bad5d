// The tracker in a React app, from the npm package. Bundle it with esbuild (docs/frameworks.md,
// "Examples"): the page loads app.js, the bundle.
import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { init, signup } from 'affitor-tracker';

// Once, when the app starts. `apiBase` points at the dev collector; leave it out on your site to
// use https://api.affitor.com. `wasmUrl`: where the site serves
// node_modules/affitor-tracker/dist/affitor_tracker_bg.wasm (here the dev collector does).
init({
  programId: 42,
  apiBase: document.documentElement.dataset.apiBase,
  debug: true,
  wasmUrl: '/affitor/affitor_tracker_bg.wasm',
});

// Your server creates the account and answers with its own id for this customer: the id it will
// later report payments with. (Here: the dev collector's demo backend.)
async function createAccount(email) {
  const response = await fetch('/demo/api/signup', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  const { userId } = await response.json();
  return userId;
}

function SignupForm() {
  const [status, setStatus] = useState('');

  async function onSubmit(event) {
    event.preventDefault();
    const email = new FormData(event.currentTarget).get('email');
    const userId = await createAccount(email);
    setStatus(`Account ${userId} created.`);
    // signup() never throws and never rejects: no try/catch needed.
    const result = await signup(userId, email);
    setStatus(result.ok ? `Account ${userId} created; signup recorded.` : `Signup not recorded: ${result.error}`);
  }

  return (
    <form onSubmit={onSubmit}>
      <h1>Create your account</h1>
      <label>
        Email <input name="email" type="email" required />
      </label>
      <button>Sign up</button>
      <p role="status">{status}</p>
    </form>
  );
}

createRoot(document.getElementById('root')).render(<SignupForm />);
