// A page's Promise is not the tracker's: the documented journeys (a queued call
// before the tag, a call on the loader's stub, a direct call once ready, a landing with ?aff=)
// on pages whose `window.Promise` is not the engine's, run in every engine of the run
// (AFFITOR_ENGINE, as engines.test.mjs). The real packages where there is one: Angular's zone.js
// and Bluebird, from node_modules.
//
// Asserted, as a site owner would see it: `ready` resolves; each signup() resolves with what the
// API answered (ok, status 200: not `queued`, which is what a lost answer looks like); each lead
// reaches the API once and is POSTed once; one click for the landing; nothing thrown or unhandled.
//
//   node --test --test-concurrency=1 tests/e2e/promises.test.mjs
//   AFFITOR_ENGINE=firefox,webkit,wpe node --test --test-concurrency=1 tests/e2e/promises.test.mjs
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { selectedEngines } from './engines.mjs';
import { open, root, setup, tag } from './harness.mjs';

const lib = (path) => readFileSync(join(root, 'node_modules', path), 'utf8');
const JS = { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' };

// What each page does to Promise before the tag. Every script is the page's own, loaded first,
// as Angular's polyfills are.
const PAGES = {
  "Angular's zone.js": { src: '/lib/zone.js', body: lib('zone.js/fesm2015/zone.min.js') },
  'Bluebird as window.Promise': { src: '/lib/bluebird.js', body: lib('bluebird/js/browser/bluebird.min.js') },
  'a subclass of Promise as window.Promise': {
    // A tracing subclass, as instrumentation libraries install: every promise the page makes
    // is one of its own.
    inline: `window.Promise = class TracedPromise extends Promise {
      then(a, b) { window.__traced = (window.__traced || 0) + 1; return super.then(a, b); }
    };`,
  },
  'a polluted Object.prototype.then': {
    // Made so that the page itself still works: platform objects (a Response, a wasm Module) are
    // no thenables, but every plain object is one that never settles, as a library that makes
    // "options objects" awaitable would leave it. A promise resolved with a plain object then
    // never settles: the tracker must resolve none of its own with one.
    inline: `Object.defineProperty(Object.prototype, 'then', {
      configurable: true,
      get: function () {
        return Object.getPrototypeOf(this) === Object.prototype ? function () {} : undefined;
      },
    });`,
  },
};

// JSON text, not objects, cross back to the test (a result object would be awaited as a
// thenable by the driver on the polluted page); unhandled rejections are counted in the page.
const KIT = `<script>
  window.__json = function (r) { return JSON.stringify(r === undefined ? 'undefined' : r); };
  window.__unhandled = [];
  addEventListener('unhandledrejection', function (e) { window.__unhandled.push(String(e.reason)); });
</script>`;

for (const engine of selectedEngines()) {
  describe(`a page's own Promise, in ${engine}`, () => {
    let env;
    before(async () => {
      env = await setup({ engine });
      for (const p of Object.values(PAGES)) if (p.src) env.pages.set(p.src, p.body, JS);
    });
    after(() => env?.close());
    beforeEach(() => env.reset());
    afterEach(() => env.closeContexts());

    const posts = async (path) => (await env.requests(path)).filter((r) => r.method === 'POST');

    for (const [label, p] of Object.entries(PAGES)) {
      it(`${label}: ready resolves, each signup() resolves what the API answered, each lead once on the wire`, { timeout: 60_000 }, async () => {
        const first = p.src ? `<script src="${p.src}"></script>` : `<script>${p.inline}</script>`;
        const html = `<!doctype html><title>t</title>${KIT}${first}
          <script>window.affitorQueue = [['signup', 'queued_user', 'q@example.com']];</script>
          ${tag(env, { 'data-affitor-timeout': '5000' })}
          <script>
            window.affitor.signup('stub_user', 's@example.com').then(function (r) { window.__stub = window.__json(r); });
            window.affitor.ready.then(function () { window.__ready = true; });
          </script>`;
        const page = await open(env, html, { path: '/promise/land?aff=PROMISE_PARTNER' });
        // The page really runs with its own Promise (the library loaded, the pollution holds).
        const own = await page.evaluate(() =>
          [Promise === (async () => {})().constructor, typeof {}.then].join(' '),
        );
        assert.notEqual(own, 'true undefined', 'the page replaced Promise or polluted then');
        await env.until(() => page.evaluate(() => window.__ready === true), 8000, 'window.affitor.ready');
        const direct = JSON.parse(
          // An async function: its result is a native promise, which every driver awaits (Firefox's
          // BiDi returns a zone.js promise as an object).
          await page.evaluate(async () => window.__json(await window.affitor.signup('direct_user'))),
        );
        assert.deepEqual([direct.ok, direct.status, direct.queued], [true, 200, undefined], JSON.stringify(direct));
        await env.until(() => page.evaluate(() => typeof window.__stub === 'string'), 8000, 'the stub call to resolve');
        const stub = JSON.parse(await page.evaluate(() => window.__stub));
        assert.deepEqual([stub.ok, stub.status, stub.queued], [true, 200, undefined], JSON.stringify(stub));

        const keys = ['queued_user', 'stub_user', 'direct_user'];
        await env.until(
          async () => (await env.events('lead')).length >= keys.length,
          10_000,
          async () => `3 leads; the API saw ${JSON.stringify((await env.requests()).map((r) => [r.method, r.path, r.status, r.body?.customer_key]))}`,
        );
        // Whatever would go twice is on its way once every request has ended and retries had time.
        await env.settled();
        await new Promise((r) => setTimeout(r, 1500));
        await env.settled();
        const leads = (await env.events('lead')).map((e) => e.body);
        const sent = await posts('/api/v1/track/lead');
        const [click, ...moreClicks] = await env.events('click');
        assert.equal(moreClicks.length, 0, 'one click for the landing');
        for (const k of keys) {
          assert.equal(leads.filter((l) => l.customer_key === k).length, 1, `${k}: one lead at the collector`);
          assert.deepEqual(sent.filter((r) => r.body?.customer_key === k).map((r) => r.status), [200], `${k}: POSTed once`);
          assert.equal(leads.find((l) => l.customer_key === k).click_id, click.response.click_id, `${k}: with the landing's click`);
        }
        assert.equal((await posts('/api/v1/track/click')).length, 1, 'the click POSTed once');
        await page.sync();
        assert.deepEqual(page.errors, [], 'no page error');
        assert.equal(await page.evaluate(() => window.__unhandled.join(' | ')), '', 'nothing unhandled');
        await page.context().close();
      });
    }
  });
}
