import { init, signup } from 'affitor-tracker';

// The API this page reports to: the test passes its dev collector as ?api=… (a site leaves
// apiBase out, or names its first-party proxy).
const apiBase = new URLSearchParams(location.search).get('api') || undefined;
init({ programId: 42, apiBase });

document.getElementById('signup').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  // A real site calls signup() once its server has created the account, with the server's id.
  const result = await signup(form.get('user'), form.get('email'));
  document.getElementById('result').textContent = JSON.stringify(result);
});
