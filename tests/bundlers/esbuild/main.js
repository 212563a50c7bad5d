import { init, signup } from 'affitor-tracker';

// The API this page reports to: the test passes its dev collector as ?api=… (a site leaves
// apiBase out, or names its first-party proxy).
const apiBase = new URLSearchParams(location.search).get('api') || undefined;
// esbuild leaves new URL(…, import.meta.url) as it is (esbuild issue 795): the build script
// copies the wasm next to the bundle, and wasmUrl says where it is.
init({ programId: 42, apiBase, wasmUrl: '/dist/affitor_tracker_bg.wasm' });

document.getElementById('signup').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  // A real site calls signup() once its server has created the account, with the server's id.
  const result = await signup(form.get('user'), form.get('email'));
  document.getElementById('result').textContent = JSON.stringify(result);
});
