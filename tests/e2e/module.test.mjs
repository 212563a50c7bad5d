// The package's ES module entry (module/index.js) in a page, bundled by esbuild from the packed
// package: it loads the same WebAssembly tracker as the script tag, installs
// the same window.affitor, queues calls made before init(), maps init()'s options onto the
// tracker's settings, and shares the page with a script tag without starting a second tracker.
//
//   node --test tests/e2e/module.test.mjs
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setupPackaged } from './packaged.mjs';

// Each page's script: a bundle of 'affitor-tracker' (resolved from the packed package).
const API = 'document.documentElement.dataset.apiBase';
const BUNDLES = {
  // No wasmUrl: the default, new URL('../dist/affitor_tracker_bg.wasm', import.meta.url).
  'app/default.js': `
    import { init, signup, ready, getClickId, getData } from 'affitor-tracker';
    window.early = signup('early_1', 'early@example.com');
    window.started = init({ programId: 7, apiBase: ${API} });
    window.same = init({ programId: 9 }) === window.started;
    window.mod = { signup, ready, getClickId, getData };`,
  'app/options.js': `
    import { init, signup } from 'affitor-tracker';
    init({ programId: '8', apiBase: ${API}, debug: true, testMode: true, timeout: 300,
           wasmUrl: '/affitor/affitor_tracker_bg.wasm' });
    window.mod = { signup };`,
  'app/broken.js': `
    import { init, signup } from 'affitor-tracker';
    init({ programId: 7, apiBase: ${API}, wasmUrl: '/nowhere/affitor_tracker_bg.wasm',
           fallbackUrl: '/nowhere/affitor_tracker_fallback.js' });
    window.mod = { signup };`,
  // esbuild's file loader copies the wasm next to the bundle and gives its URL.
  'app/file-loader.js': {
    contents: `
      import { init, signup } from 'affitor-tracker';
      import wasmUrl from 'affitor-tracker/dist/affitor_tracker_bg.wasm';
      init({ programId: 7, apiBase: ${API}, wasmUrl });
      window.mod = { signup };`,
    options: { loader: { '.wasm': 'file' }, publicPath: '/app/' },
  },
  // diagnose() before init(): it waits for it.
  'app/diagnose.js': `
    import { init, diagnose } from 'affitor-tracker';
    window.diag = diagnose();
    init({ programId: 7, apiBase: ${API} });
    window.mod = { diagnose };`,
  // A list of other sites: the hand-off's module and wasm instead of the normal wasm
  // (docs/cross-domain.md), the wasm next to the bundle as new URL(…, import.meta.url) says.
  'app/handoff.js': `
    import { init, signup, getClickId } from 'affitor-tracker';
    init({ programId: 7, apiBase: ${API}, domains: ['app-b.test', '*.b-checkout.test'] });
    window.mod = { signup, getClickId };`,
  'app/late.js': `
    import { init, signup, ready } from 'affitor-tracker';
    window.mod = { init, signup, ready, api: ${API} };`,
};

const page = (script, head = '') =>
  `<!doctype html><html data-api-base="%AFFITOR_API_BASE%"><head><title>module</title>${head}` +
  `<script type="module" src="/app/${script}.js"></script></head><body></body></html>`;

let env;
before(async () => {
  env = await setupPackaged({
    bundles: Object.fromEntries(
      Object.entries(BUNDLES).map(([out, b]) => [out, typeof b === 'string' ? { contents: b } : b]),
    ),
  });
  // The default wasm URL, relative to the bundle at /app/: /dist/affitor_tracker_bg.wasm.
  await mkdir(join(env.www, 'dist'));
  for (const f of ['affitor_tracker_bg.wasm', 'affitor_tracker_handoff_bg.wasm', 'affitor_tracker_fallback.js']) {
    await copyFile(join(env.site.pkg, 'dist', f), join(env.www, 'dist', f));
  }
  await env.write('default.html', page('default'));
  await env.write('options.html', page('options'));
  await env.write('broken.html', page('broken'));
  await env.write('late.html', page('late'));
  await env.write('handoff.html', page('handoff'));
  await env.write('diagnose.html', page('diagnose'));
  await env.write('file-loader.html', page('file-loader'));
  await env.write(
    'tagged.html',
    page(
      'default',
      `<script src="/affitor/affitor-tracker.js" data-affitor-program-id="42" data-affitor-api-base="%AFFITOR_API_BASE%"></script>`,
    ),
  );
});
after(() => env?.close());
beforeEach(() => env.reset());

const leadsArrived = () => env.until(async () => {
  const l = await env.leads();
  return l.length > 0 && l;
}, 10_000, 'the lead');
/** Waits until no request to the API is in flight. */
const settled = () => env.until(async () => {
  const all = await (await fetch(`${env.api}/api/v1/dev/requests`)).json();
  return all.every((r) => r.status !== null || r.aborted);
}, 10_000, 'requests to finish');

async function open(path) {
  const p = await env.visitor();
  p.wasm = [];
  p.on('request', (r) => {
    const { pathname } = new URL(r.url());
    if (pathname.endsWith('.wasm')) p.wasm.push(pathname);
  });
  await p.goto(`${env.origin}/${path}`);
  await p.waitForFunction(() => window.mod);
  return p;
}

describe('the module entry, bundled', () => {
  it('with `domains`, or on a landing carrying affitor_click_id, runs the hand-off wasm; else the normal one', async () => {
    const listed = await open('handoff.html');
    await listed.evaluate(() => window.affitor.ready);
    assert.deepEqual(listed.wasm, ['/dist/affitor_tracker_handoff_bg.wasm']);
    const r = await listed.evaluate(() => window.mod.signup('handoff_module'));
    assert.equal(r.ok, true, JSON.stringify(r));
    // A landing with a click id another site handed over: adopted, the address cleaned.
    const landing = await open('default.html?affitor_click_id=cust_7_handed');
    await landing.evaluate(() => window.affitor.ready);
    assert.deepEqual(landing.wasm, ['/dist/affitor_tracker_handoff_bg.wasm']);
    assert.equal(await landing.evaluate(() => window.mod.getClickId()), 'cust_7_handed');
    await env.until(async () => !landing.url().includes('affitor_click_id'), 5_000, 'the address bar cleaned');
    const plain = await open('default.html');
    await plain.evaluate(() => window.affitor.ready);
    assert.deepEqual(plain.wasm, ['/dist/affitor_tracker_bg.wasm']);
  });

  it('diagnose(), called before init(), answers for the tracker init() started', async () => {
    const p = await open('diagnose.html');
    const result = await p.evaluate(() => window.diag);
    const failing = result.checks.filter((c) => !c.ok);
    assert.equal(result.ok, true, JSON.stringify(failing));
    assert.deepEqual(failing, []);
    const c = Object.fromEntries(result.checks.map((x) => [x.id, x]));
    assert.equal(c['program-id'].message, 'program id 7', 'init() options, read by the tracker\'s rules');
    assert.match(c.webassembly.message, /WebAssembly build runs/);
    assert.match(c['duplicate-tracker'].message, /no other tracker/);
    assert.equal((await p.evaluate(() => window.mod.diagnose())).ok, true);
  });

  it('queues a signup made before init(), loads the wasm next to the bundle, installs window.affitor', async () => {
    const p = await open('default.html');
    const early = await p.evaluate(() => window.early);
    assert.equal(early.ok, true, JSON.stringify(early));
    assert.equal(early.status, 200);
    assert.equal(await p.evaluate(() => window.same), true, 'a second init() returns the first one’s promise');
    assert.equal(await p.evaluate(() => window.started), undefined);
    assert.deepEqual(p.wasm, ['/dist/affitor_tracker_bg.wasm']);
    const [lead, ...more] = await env.leads();
    assert.equal(more.length, 0);
    assert.equal(lead.customer_key, 'early_1');
    assert.equal(lead.email, 'early@example.com');
    assert.equal(lead.program_id, 7, 'init() options, not the second call’s');

    // The globals work as with the script tag: window.affitor and the queue snippet.
    const { version } = JSON.parse(await readFile(join(env.site.pkg, 'package.json'), 'utf8'));
    assert.equal(await p.evaluate(() => window.affitor.version), version);
    await p.evaluate(() => {
      window.affitorQueue = window.affitorQueue || [];
      window.affitorQueue.push(['signup', 'queued_1']);
    });
    const direct = await p.evaluate(() => window.affitor.signup('global_1'));
    assert.equal(direct.ok, true);
    const viaModule = await p.evaluate(() => window.mod.signup(123, null));
    assert.equal(viaModule.ok, true);
    await env.until(async () => (await env.leads()).length === 4, 15_000, 'four leads');
    assert.deepEqual((await env.leads()).map((l) => l.customer_key).sort(), ['123', 'early_1', 'global_1', 'queued_1']);
    assert.equal(await p.evaluate(() => window.mod.getClickId()), null);
    assert.deepEqual(await p.evaluate(() => window.mod.getData()), {
      clickId: null, programId: '7', hasAttribution: false, affiliateUrl: null,
    });
    assert.deepEqual(p.errors, []);
    assert.deepEqual(p.consoleErrors(), []);
    await p.context().close();
  });

  it('maps init() options onto the tracker settings (programId, apiBase, debug, testMode, timeout, wasmUrl)', async () => {
    const res = await fetch(`${env.api}/api/v1/dev/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ lead: [{ stallMs: 2000 }] }),
    });
    assert.equal(res.status, 200);
    const p = await open('options.html');
    const t0 = Date.now();
    const result = await p.evaluate(() => window.mod.signup('opt_1'));
    assert.deepEqual(result, { ok: true, queued: true }, 'timeout: 300 ms, then queued');
    assert.ok(Date.now() - t0 < 1500, 'resolved before the stalled API answered');
    const [lead] = await env.until(async () => {
      const l = await env.leads();
      return l.length && l;
    }, 15_000, 'the lead');
    assert.equal(lead.program_id, 8);
    assert.equal(lead.additional_data.test_mode, true);
    assert.ok(p.logs.some((l) => l.text.startsWith('[Affitor]') && l.type !== 'error'), 'debug logs');
    assert.deepEqual(p.wasm, ['/affitor/affitor_tracker_bg.wasm']);
    assert.deepEqual(p.errors, []);
    await p.context().close();
  });

  it('takes wasmUrl from esbuild’s file loader (import wasmUrl from \'affitor-tracker/dist/…wasm\')', async () => {
    const p = await open('file-loader.html');
    const result = await p.evaluate(() => window.mod.signup('file_1'));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(p.wasm.length, 1);
    assert.match(p.wasm[0], /^\/app\/affitor_tracker_bg-\w+\.wasm$/);
    const [lead] = await leadsArrived();
    assert.equal(lead.customer_key, 'file_1');
    assert.deepEqual(p.errors, []);
    assert.deepEqual(p.consoleErrors(), []);
    await p.context().close();
  });

  it('calls before init() wait for it; ready() resolves after it', async () => {
    const p = await open('late.html');
    await p.evaluate(() => {
      window.pending = window.mod.signup('late_1');
      window.readyNow = false;
      window.mod.ready().then(() => { window.readyNow = true; });
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await p.evaluate(() => window.readyNow), false, 'not ready before init()');
    assert.equal(await p.evaluate(() => window.affitor), undefined, 'nothing installed before init()');
    assert.deepEqual(await env.leads(), []);
    await p.evaluate(() => window.mod.init({ programId: 5, apiBase: window.mod.api }));
    assert.equal(await p.evaluate(() => window.readyNow), true);
    assert.equal((await p.evaluate(() => window.pending)).ok, true);
    const [lead] = await leadsArrived();
    assert.equal(lead.customer_key, 'late_1');
    assert.equal(lead.program_id, 5);
    assert.deepEqual(p.errors, []);
    await p.context().close();
  });

  it('with the script tag on the page, uses its tracker: one tracker, the tag’s settings', async () => {
    const p = await open('tagged.html');
    const early = await p.evaluate(() => window.early);
    assert.equal(early.ok, true);
    await p.evaluate(() => window.started);
    await leadsArrived();
    await settled();
    const [lead, ...more] = await env.leads();
    assert.equal(more.length, 0);
    assert.equal(lead.program_id, 42, 'the tag’s program id');
    assert.deepEqual(p.wasm, ['/affitor/affitor_tracker_bg.wasm'], 'only the tag loaded the wasm');
    assert.deepEqual(p.errors, []);
    assert.deepEqual(p.consoleErrors(), []);
    await p.context().close();
  });

  it('on a page whose CSP forbids WebAssembly, the JavaScript fallback next to the wasm takes over', async () => {
    const p = await open(`late.html?csp=${encodeURIComponent("script-src 'self'")}`);
    const result = await p.evaluate(async () => {
      window.mod.init({ programId: 5, apiBase: window.mod.api });
      return window.mod.signup('csp_1');
    });
    assert.equal(result.ok, true, JSON.stringify(result));
    await env.until(async () => (await env.leads()).some((l) => l.customer_key === 'csp_1'), 15_000, 'the lead');
    const hints = p.logs.filter((l) => l.type === 'error' && l.text.startsWith('[Affitor]'));
    assert.equal(hints.length, 1);
    assert.match(hints[0].text, /'wasm-unsafe-eval'/);
    assert.deepEqual(p.errors, []);
    await p.context().close();
  });

  it('when neither the wasm nor the fallback can load, signup() resolves ok: false and the page goes on', async () => {
    const p = await open('broken.html');
    const result = await p.evaluate(() => window.mod.signup('lost_1'));
    assert.deepEqual(result, { ok: false, error: 'tracker not loaded' });
    assert.deepEqual(p.errors, []);
    assert.ok(p.logs.some((l) => l.type === 'error' && l.text.startsWith('[Affitor] the tracker could not load')));
    await p.context().close();
  });
});
