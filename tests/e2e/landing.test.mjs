// When a click is captured: the landing recorded when the tag runs,
// a landing that outlives a fast bounce, client-side navigations (history, Turbo Drive),
// init(options) as the hosted tracker has it (Google Tag Manager), and misconfiguration said.
//
// Chromium runs every journey with 150 ms of emulated latency on each response (as a visitor on
// a real network, bench/cold-page.mjs); the landing and bounce journeys also run in each engine
// of AFFITOR_ENGINE (there without emulation: the order is forced by the page and the collector).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { chromiumSelected, open, ready, root, selectedEngines, setup, tag } from './harness.mjs';

const LATENCY = 150;

/** A page whose every response is `LATENCY` ms late (Chromium only). */
async function slowPage(env) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: LATENCY, downloadThroughput: -1, uploadThroughput: -1 });
  page.logs = [];
  page.errors = [];
  page.on('console', (m) => page.logs.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.affitorLogs = (type) => page.logs.filter((l) => (!type || l.type === type) && l.text.startsWith('[Affitor]'));
  return page;
}

const async = (env, attrs) => tag(env, attrs, 'async');

for (const engine of selectedEngines()) {
  describe(`the landing in ${engine}`, () => {
    let env;
    before(async () => {
      env = await setup({ engine });
    });
    after(() => env?.close());
    beforeEach(() => env.reset());
    afterEach(() => env.closeContexts());

    const clickIds = async () => (await env.events('click')).map((e) => e.response.click_id);
    const cookie = async (ctx) => (await ctx.cookies()).find((c) => c.name === 'affitor_click_id')?.value;

    it('a router that rewrites the address right after load: the landing click is captured, the lead has its id', async () => {
      // Chromium: the router runs at DOMContentLoaded while the wasm is still on its way (150 ms
      // latency). Elsewhere: at once after the tag, which is before the wasm, whatever the engine.
      const router = engine === 'chromium'
        ? `<script>document.addEventListener('DOMContentLoaded', () => history.replaceState(null, '', '/app'));</script>${async(env)}`
        : `${tag(env)}<script>history.replaceState(null, '', '/app');</script>`;
      const html = `<!doctype html><title>App</title>${router}`;
      let page;
      if (engine === 'chromium') {
        page = await slowPage(env);
        env.pages.set('/', html);
        await page.goto(`${env.site}/?aff=ROUTER1`);
      } else {
        page = await open(env, html, { path: '/?aff=ROUTER1' });
      }
      await ready(page);
      assert.equal(await page.evaluate(() => location.pathname), '/app');
      const r = await page.evaluate(() => window.affitor.signup('router_user'));
      assert.equal(r.ok, true, JSON.stringify(r));
      const [click] = await env.arrived('click');
      assert.equal(click.affiliate_url, `${env.site}/?aff=ROUTER1`);
      const [lead] = await env.arrived('lead');
      assert.equal(lead.click_id, (await clickIds())[0]);
      await page.context().close();
    });

    it('a visitor who clicks through within 300 ms: the next page captures the landing before its signup', async () => {
      let page;
      const next = `<!doctype html><title>Pricing</title>${tag(env)}`;
      env.pages.set('/pricing', next);
      if (engine === 'chromium') {
        page = await slowPage(env);
        env.pages.set('/', `<!doctype html><title>Home</title>${async(env)}<script>setTimeout(() => (location.href = '/pricing'), 300);</script>`);
        await page.goto(`${env.site}/?aff=BOUNCE1`);
      } else {
        // The click's answer is held: the page goes before the tracker has dealt with its landing.
        await env.faults({ click: [{ stallMs: 1000 }] }); // (under the 2 s a signup waits for a click)
        page = await open(env, `<!doctype html><title>Home</title>${tag(env)}<script>location.href = '/pricing';</script>`, { path: '/?aff=BOUNCE1' });
      }
      await page.waitForURL('**/pricing');
      await ready(page);
      const r = await page.evaluate(() => window.affitor.signup('bounce_user'));
      assert.equal(r.ok, true, JSON.stringify(r));
      const [lead] = await env.arrived('lead');
      await env.arrived('click');
      const clicks = await env.events('click');
      assert.ok(clicks.every((c) => c.body.affiliate_url === `${env.site}/?aff=BOUNCE1`), JSON.stringify(clicks.map((c) => c.body.affiliate_url)));
      // The landing may have reached the API from the first page too: the lead has the click
      // id this browser kept.
      assert.ok(lead.click_id, 'the lead has a click id');
      assert.equal(decodeURIComponent(await cookie(page.context())), lead.click_id);
      assert.ok((await clickIds()).includes(lead.click_id));
      // Captured once: a third page view sends no click again.
      await env.settled();
      const before = (await env.events('click')).length;
      await page.goto(`${env.site}/pricing`);
      await ready(page);
      await env.settled();
      assert.equal((await env.events('click')).length, before);
      assert.equal((await page.evaluate(() => localStorage.getItem('affitor_landings'))) ?? null, null, 'nothing kept');
      await page.context().close();
    });
  });
}

describe('when a click is captured (Chromium, 150 ms latency)', { skip: !chromiumSelected() && 'Chromium not selected' }, () => {
  let env;
  before(async () => {
    env = await setup();
    const turbo = await readFile(join(root, 'node_modules/@hotwired/turbo/dist/turbo.es2017-umd.js'), 'utf8');
    env.pages.set('/turbo.js', turbo, { 'Content-Type': 'text/javascript' });
  });
  after(() => env?.close());
  beforeEach(() => env.reset());
  afterEach(() => env.closeContexts());

  const clickIds = async () => (await env.events('click')).map((e) => e.response.click_id);

  async function visit(path, html) {
    const page = await slowPage(env);
    env.pages.set(path.split('?')[0].split('#')[0], html);
    await page.goto(`${env.site}${path}`);
    return page;
  }

  it('history.pushState to an address with aff, before and after the tracker runs: each captured once', async () => {
    const page = await visit('/app', `<!doctype html>${async(env)}<script>
      document.addEventListener('DOMContentLoaded', () => {
        window.early = history.pushState({ n: 1 }, '', '/app/early?aff=SPA_EARLY');
      });
    </script>`);
    await ready(page);
    await env.until(async () => (await env.events('click')).length === 1, 15_000, 'the early click');
    assert.equal((await env.events('click'))[0].body.affiliate_url, `${env.site}/app/early?aff=SPA_EARLY`);
    // The page's history calls behave as before, even with another script's wrapper on top.
    const seen = await page.evaluate(() => {
      const inner = history.pushState;
      history.pushState = function (...a) {
        window.wrapped = (window.wrapped || 0) + 1;
        return inner.apply(this, a);
      };
      const r = history.pushState({ n: 2 }, '', '/app/pricing?aff=SPA2');
      history.replaceState({ n: 3 }, '', '/app/pricing?aff=SPA2'); // the same address: no new click
      return { r, state: history.state, wrapped: window.wrapped, early: window.early };
    });
    assert.deepEqual(seen, { r: undefined, state: { n: 3 }, wrapped: 1, early: undefined });
    await env.until(async () => (await env.events('click')).length === 2, 15_000, 'the pushState click');
    const [, click] = await env.events('click');
    assert.equal(click.body.affiliate_url, `${env.site}/app/pricing?aff=SPA2`);
    const r = await page.evaluate(() => window.affitor.signup('spa_user'));
    assert.equal(r.ok, true);
    const [lead] = await env.arrived('lead');
    assert.equal(lead.click_id, click.response.click_id);
    // Back to the first address (popstate): that address was captured already.
    await page.goBack();
    await page.goBack();
    await env.settled();
    assert.equal((await env.events('click')).length, 2);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('a Turbo Drive visit to an address with aff is captured, and the lead has its id', async () => {
    const head = `<script src="/turbo.js"></script>${async(env)}`;
    env.pages.set('/offer', `<!doctype html><html><head><title>Offer</title>${head}</head><body><p id="offer">offer</p></body></html>`);
    const page = await visit('/home', `<!doctype html><html><head><title>Home</title>${head}</head><body><a id="go" href="/offer?aff=TURBO1">offer</a></body></html>`);
    await ready(page);
    await page.evaluate(() => (window.samePage = true));
    await page.click('#go');
    await page.waitForSelector('#offer');
    assert.equal(await page.evaluate(() => window.samePage), true, 'a Turbo Drive visit, not a page load');
    await env.until(async () => (await env.events('click')).length === 1, 15_000, 'the Turbo click');
    const [click] = await env.events('click');
    assert.equal(click.body.affiliate_url, `${env.site}/offer?aff=TURBO1`);
    const r = await page.evaluate(() => window.affitor.signup('turbo_user'));
    assert.equal(r.ok, true);
    assert.equal((await env.arrived('lead'))[0].click_id, click.response.click_id);
    await env.settled();
    assert.equal((await env.events('click')).length, 1, 'once');
    await page.context().close();
  });

  it('Google Tag Manager: a tag without attributes configured by init() sends to its API base', async () => {
    const page = await visit('/gtm?aff=GTM1', `<!doctype html><title>GTM</title><script>
      (function () {
        var s = document.createElement('script');
        s.src = '/affitor/affitor-tracker.js';
        s.async = true;
        s.onload = function () {
          window.affitor.init({ programId: 42, apiBase: ${JSON.stringify(env.api)} });
        };
        document.head.appendChild(s);
      })();
      window.affitorQueue = [['signup', 'gtm_user']];
    </script>`);
    await ready(page);
    const [click] = await env.arrived('click');
    assert.equal(click.affiliate_url, `${env.site}/gtm?aff=GTM1`);
    assert.equal(click.program_id, 42);
    const [lead] = await env.arrived('lead');
    assert.equal(lead.customer_key, 'gtm_user');
    assert.equal(lead.program_id, 42);
    assert.equal(lead.click_id, (await clickIds())[0]);
    assert.deepEqual(page.affitorLogs('error'), []);
    // After the start, different options change nothing and are named in one warning.
    await page.evaluate(() => window.affitor.init({ programId: 42, debug: true, timeout: 5000 }));
    const warnings = page.affitorLogs('warning');
    assert.equal(warnings.length, 1, JSON.stringify(page.logs));
    assert.match(warnings[0].text, /debug/);
    assert.match(warnings[0].text, /timeout/);
    assert.doesNotMatch(warnings[0].text, /programId/);
    await page.context().close();
  });

  it('init() queued on affitorQueue configures a tag without attributes', async () => {
    const page = await visit('/gtmq?aff=GTM2', `<!doctype html><title>GTM</title><script>
      window.affitorQueue = [['init', { programId: 7, apiBase: ${JSON.stringify(env.api)}, testMode: true }]];
    </script>${async(env, { 'data-affitor-program-id': null, 'data-affitor-api-base': null })}`);
    await ready(page);
    const [click] = await env.arrived('click');
    assert.equal(click.program_id, 7);
    assert.deepEqual(click.additional_data, { test_mode: true, program_id: 7 });
    assert.deepEqual(page.affitorLogs('warning'), []);
    await page.context().close();
  });

  it('a second tag with another program id and API base: one warning naming both, the first keeps running', async () => {
    const page = await visit('/two?aff=TWO1', `<!doctype html><title>Two</title>${tag(env)}${tag(env, {
      'data-affitor-program-id': '43',
      'data-affitor-api-base': 'https://api.example.com',
    })}`);
    await ready(page);
    const [click] = await env.arrived('click');
    assert.equal(click.program_id, 42);
    const warnings = page.affitorLogs('warning');
    assert.equal(warnings.length, 1, JSON.stringify(page.logs));
    assert.match(warnings[0].text, /42/);
    assert.match(warnings[0].text, /43/);
    assert.match(warnings[0].text, /api\.example\.com/);
    await page.context().close();
  });

  it('a hash-routed landing /#/signup?aff=X is captured with the full URL, and debug mode says so', async () => {
    const page = await visit('/#/signup?aff=HASH1', `<!doctype html><title>Hash</title>${async(env, { 'data-affitor-debug': 'true' })}`);
    await ready(page);
    const [click] = await env.arrived('click');
    assert.equal(click.affiliate_url, `${env.site}/#/signup?aff=HASH1`);
    await env.until(async () => (await page.context().cookies()).some((c) => c.name === 'affitor_click_id'), 15_000, 'the cookie');
    assert.ok(page.affitorLogs().some((l) => /hash/i.test(l.text)), JSON.stringify(page.logs));
    await page.context().close();
  });
});
