// affitor-tracker/react: <Affitor programId={42} /> and useAffitor(), as a React app
// writes them, rendered on the server (react-dom/server) and hydrated in Chromium: no hydration
// error on the landing nor after a reload, `clickId` null on the server and then the browser's,
// and updated when the landing's click is recorded after `ready`.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { build } from 'esbuild';
import { createElement as h } from 'react';
import { renderToString } from 'react-dom/server';
import { Affitor, useAffitor } from '../../module/react.js';
import { root, setup } from './harness.mjs';

// The app, shared by the server render (here) and the browser bundle (below).
function Status() {
  const { ready, clickId } = useAffitor();
  return h('p', { id: 'status' }, !ready ? 'loading' : clickId ? `click ${clickId}` : 'no referral');
}
function App({ api }) {
  return h('main', null, h(Affitor, { programId: 42, apiBase: api, wasmUrl: '/affitor/affitor_tracker_bg.wasm' }), h(Status));
}

const CLIENT = `
import { createElement as h } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { Affitor, useAffitor } from 'affitor-tracker/react';
${Status.toString()}
${App.toString()}
window.recoverable = [];
// Every text the status shows, in order.
const status = document.getElementById('status');
window.seen = [status.textContent];
new MutationObserver(() => window.seen.push(document.getElementById('status').textContent)).observe(document.getElementById('root'), { subtree: true, childList: true, characterData: true });
hydrateRoot(document.getElementById('root'), h(App, { api: window.API }), {
  onRecoverableError: (e) => window.recoverable.push(String(e)),
});
`;

let env;
let bundle;
before(async () => {
  env = await setup();
  const out = await build({
    stdin: { contents: CLIENT, resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    write: false,
    alias: { 'affitor-tracker/react': join(root, 'module', 'react.js') },
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  });
  bundle = out.outputFiles[0].text;
  env.pages.set('/app.js', bundle, { 'Content-Type': 'text/javascript' });
});
after(() => env?.close());
beforeEach(() => env.reset());
afterEach(() => env.closeContexts());

function html() {
  const ssr = renderToString(h(App, { api: env.api }));
  return `<!doctype html><html><head><title>React</title></head><body>
    <div id="root">${ssr}</div>
    <script>window.API = ${JSON.stringify(env.api)};</script>
    <script type="module" src="/app.js"></script></body></html>`;
}

describe('affitor-tracker/react', () => {
  it('server render: nothing but the app, clickId null, ready false', () => {
    assert.equal(renderToString(h(App, { api: 'http://127.0.0.1:1' })), '<main><p id="status">loading</p></main>');
  });

  it('hydrates without a mismatch; clickId follows the landing click recorded after ready, and a reload', async () => {
    // The click's answer comes a second after the tracker runs, as on a slow network.
    await env.faults({ click: [{ stallMs: 1000 }] });
    const context = await env.browser.newContext();
    const page = await context.newPage();
    const errors = [];
    const logs = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    env.pages.set('/pricing', html());
    await page.goto(`${env.site}/pricing?aff=REACT`);
    const [click] = await env.until(async () => (await env.events('click')).length === 1 && env.events('click'), 15_000, 'the click');
    const id = click.response.click_id;
    await page.waitForFunction((t) => document.getElementById('status').textContent === t, `click ${id}`, { timeout: 10_000 });
    // Server HTML, then ready before the click was answered, then the click.
    assert.deepEqual(await page.evaluate(() => window.seen), ['loading', 'no referral', `click ${id}`]);

    await page.reload();
    await page.waitForFunction((t) => document.getElementById('status').textContent === t, `click ${id}`, { timeout: 10_000 });
    assert.deepEqual(errors, []);
    assert.deepEqual(await page.evaluate(() => window.recoverable), []);
    const hydration = logs.filter((l) => /hydrat|did not match|server rendered/i.test(l));
    assert.deepEqual(hydration, [], 'no hydration warning');
    assert.equal((await env.events('click')).length, 1, 'one click');
    await context.close();
  });
});
