// The lazy start (docs/contract.md §2 "When the tracker loads"): on a page view with nothing to
// track the tag installs window.affitor and fetches nothing more; the tracker loads at the
// page's first call, at a queued call pushed later, at a navigation that brings an `aff`, and
// at once where there is work. Each journey in every engine of AFFITOR_ENGINE.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { open, selectedEngines, setup, tag } from './harness.mjs';

const CLICK_ID = 'cust_42_1714000000000';
const CLICK = [{ name: 'affitor_click_id', value: CLICK_ID }];
const WASM = /affitor_tracker_bg\.wasm$/;

for (const engine of selectedEngines()) {
  describe(`the lazy start in ${engine}`, () => {
    let env;
    before(async () => {
      env = await setup({ engine });
    });
    after(() => env?.close());
    beforeEach(() => env.reset());
    afterEach(() => env.closeContexts());

    const wasmFetched = () => env.pages.hits.some((p) => WASM.test(p));
    // Loaded, and idle: the load event's handlers ran, then an idle moment (a timeout where an
    // engine has no requestIdleCallback), then one more round trip to the server's log.
    const settled = (page) =>
      page.evaluate(
        () =>
          new Promise((resolve) => {
            const idle = () => (window.requestIdleCallback ? requestIdleCallback(() => resolve(true)) : setTimeout(() => resolve(true), 50));
            if (document.readyState === 'complete') idle();
            else addEventListener('load', () => setTimeout(idle));
          }),
      );

    it('a page with nothing to track fetches no wasm; the click id is read from its cookie; the first signup loads the tracker and is delivered', async () => {
      const page = await open(env, `<!doctype html><title>Pricing</title>${tag(env)}`, { path: '/pricing', cookies: CLICK });
      await settled(page);
      assert.equal(wasmFetched(), false, `fetched: ${env.pages.hits.join(', ')}`);
      const before = await page.evaluate(async () => {
        const init = await Promise.race([window.affitor.init().then(() => 'resolved'), new Promise((r) => setTimeout(() => r('pending'), 2000))]);
        return { init, id: window.affitor.getClickId(), data: window.affitor.getData() };
      });
      assert.deepEqual(before, {
        init: 'resolved',
        id: CLICK_ID,
        data: { clickId: CLICK_ID, programId: '42', hasAttribution: true, affiliateUrl: null },
      });
      assert.equal(wasmFetched(), false, 'reading the click id loads nothing');
      const r = await page.evaluate(() => window.affitor.signup('lazy_user', 'lazy@example.com'));
      assert.equal(r.ok, true, JSON.stringify(r));
      const [lead] = await env.arrived('lead');
      assert.equal(lead.customer_key, 'lazy_user');
      assert.equal(lead.click_id, CLICK_ID);
      assert.equal(env.pages.hits.filter((p) => WASM.test(p)).length, 1, 'the wasm, once');
    });

    it('a page view with nothing to track leaves nothing in storage for the next one', async () => {
      const page = await open(env, `<!doctype html><title>Blog</title>${tag(env)}`, { path: '/blog' });
      await settled(page);
      env.pages.set('/next', '<!doctype html><title>Next</title>');
      await page.goto(`${env.site}/next`);
      const keys = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('affitor')).join(','));
      assert.equal(keys, '');
      assert.equal(wasmFetched(), false);
    });

    it('hostile entries pushed on the queue of a page with nothing to track throw nothing into the page, and load the tracker', async () => {
      const page = await open(env, `<!doctype html><title>Hostile</title><script>window.affitorQueue = [];</script>${tag(env)}`, { path: '/hostile-queue' });
      await settled(page);
      const thrown = await page.evaluate(() => {
        const boom = () => {
          throw new Error('hostile entry');
        };
        const h = {};
        for (const t of ['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf']) h[t] = boom;
        try {
          window.affitorQueue.push(new Proxy({}, h), { get 0() { return boom(); } });
          return 'nothing';
        } catch (e) {
          return String(e);
        }
      });
      assert.equal(thrown, 'nothing');
      await env.until(async () => wasmFetched(), 10_000, 'the tracker loaded');
      await page.evaluate(() => window.affitor.ready);
      if (page.sync) await page.sync();
      assert.deepEqual(page.errors, []);
    });

    it('a landing with ?aff= loads the tracker at once and sends its click without any call', async () => {
      await open(env, `<!doctype html><title>Home</title>${tag(env)}`, { path: '/?aff=LAZY1' });
      const [click] = await env.arrived('click');
      assert.match(click.affiliate_url, /aff=LAZY1/);
    });

    it('a signup pushed on window.affitorQueue after load, on a page with nothing to track, is delivered', async () => {
      const page = await open(
        env,
        `<!doctype html><title>App</title><script>window.affitorQueue = window.affitorQueue || [];</script>${tag(env)}`,
        { path: '/app', cookies: CLICK },
      );
      await settled(page);
      assert.equal(wasmFetched(), false);
      await page.evaluate(() => window.affitorQueue.push(['signup', 'queued_later', 'q@example.com']));
      const [lead] = await env.arrived('lead');
      assert.equal(lead.customer_key, 'queued_later');
      assert.equal(lead.click_id, CLICK_ID);
    });

    it('a client-side navigation to an address with aff, after load, sends its click', async () => {
      const page = await open(env, `<!doctype html><title>SPA</title>${tag(env)}`, { path: '/spa' });
      await settled(page);
      assert.equal(wasmFetched(), false);
      await page.evaluate(() => history.pushState(null, '', '/spa/pricing?aff=ROUTED1'));
      const [click] = await env.arrived('click');
      assert.match(click.affiliate_url, /aff=ROUTED1/);
    });

    it('reading affitor.ready starts the tracker, which then answers getData() itself', async () => {
      const page = await open(env, `<!doctype html><title>Ready</title>${tag(env)}`, { path: '/ready', cookies: CLICK });
      await settled(page);
      assert.equal(wasmFetched(), false);
      const data = await page.evaluate(async () => {
        await window.affitor.ready;
        return window.affitor.getData();
      });
      assert.equal(wasmFetched(), true);
      assert.deepEqual(data, { clickId: CLICK_ID, programId: '42', hasAttribution: true, affiliateUrl: null });
    });
  });
}
