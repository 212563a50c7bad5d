// One module for both sides, the way a server-rendering framework (Next, Nuxt, SvelteKit…) runs
// a page: the server imports it to render the HTML, the browser imports it to run the page.
// It imports the tracker at the top; on the server that import does nothing, and init() and
// signup() are harmless no-ops, so shared code needs no `typeof window` guard.
import { init, signup } from 'affitor-tracker';

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** Server and browser: the tracker's settings (the browser reads them from the page). */
function settings(apiBase) {
  return { programId: 42, apiBase, debug: true };
}

/** Server side: the welcome page for a customer the server has just created. */
export function render({ user, apiBase }) {
  init(settings(apiBase)); // on the server: does nothing
  // JSON inside <script>: `<` escaped so no value can close the element.
  const data = JSON.stringify({ user, apiBase }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Welcome: Affitor tracker SSR example</title>
  <script type="importmap">{ "imports": { "affitor-tracker": "/affitor-tracker/module/index.js" } }</script>
  <script type="module">import { hydrate } from '/page.mjs'; hydrate();</script>
</head>
<body>
  <h1>Welcome, ${escape(user.email)}</h1>
  <p>Your account is <code>${escape(user.id)}</code>.</p>
  <p id="status" role="status">Recording the signup…</p>
  <script id="page-data" type="application/json">${data}</script>
</body>
</html>`;
}

/** Browser side: start the tracker, and record the signup of the customer on the page. */
export async function hydrate() {
  const { user, apiBase } = JSON.parse(document.getElementById('page-data').textContent);
  init(settings(apiBase));
  const result = await signup(user.id, user.email);
  document.getElementById('status').textContent = result.ok
    ? 'Signup recorded.'
    : `Signup not recorded: ${result.error}`;
}
