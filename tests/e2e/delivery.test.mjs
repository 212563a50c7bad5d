// Leads that arrive, each shown in
// headless Chromium against the dev collector's fault injection.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, open, outboxEmpty, ready, setup, tag, timings } from './harness.mjs';

let env;
before(async () => {
  env = await setup();
});
after(() => env?.close());
beforeEach(() => env.reset());
afterEach(() => env.closeContexts());

// Short lease and backoff (window.AFFITOR_TEST_TIMINGS), so that no test waits out a real 15 s
// lease. (A build that does not read them yet just takes longer: the deadlines allow for it.)
const TIMINGS = { leaseMs: 1500, retryBaseMs: 100 };
const fast = (attrs = {}) => `${timings(TIMINGS)}${tag(env, attrs)}`;
const CLICK = [{ name: 'affitor_click_id', value: 'cust_42_1714000000000' }];
const leads = async () => (await env.events('lead')).map((e) => e.body);
/** Nothing more can be sent: every page's outbox is empty and no request is in flight. */
const quiet = async (pages) => {
  await env.until(async () => (await Promise.all(pages.map(outboxEmpty))).every(Boolean), 20_000, 'the outbox to empty');
  await env.settled();
};
/**
 * An API base where nothing listens: a page tagged with it fails every attempt at once, and none
 * of its requests can reach the collector late (a request the collector drops may be retried by
 * Chromium itself, and a keepalive request outlives its page) to be counted as the next pages'.
 * (Offline emulation does not do: keepalive requests are not held by it.)
 */
async function deadApi() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
/** Signs up on `page` (tagged with a dead API base), then closes it: the outbox keeps the lead. */
async function signupAndLeave(page, key) {
  await page.evaluate((k) => window.affitor.ready.then(() => window.affitor.signup(k)), key);
  await page.close();
  assert.equal((await posts()).length, 0, 'nothing reached the API from the first page');
}
const posts = async () => (await env.requests('/api/v1/track/lead')).filter((r) => r.method === 'POST');

describe('delivery', () => {
  it('400 is final: exactly one request and ok:false', async () => {
    await env.faults({ lead: [{ status: 400 }] });
    const page = await open(env, tag(env, { 'data-affitor-timeout': '10000' }), { cookies: CLICK });
    await ready(page);
    const result = await page.evaluate(() => window.affitor.signup('refused_user'));
    assert.equal(result.ok, false);
    assert.equal(result.status, 400);
    assert.equal(typeof result.error, 'string');
    // Nothing is left to resend on the next page view: its own lead is the only other request.
    const next = await open(env, fast(), { context: page.context(), path: '/next' });
    await ready(next);
    await next.evaluate(() => window.affitor.signup('next_user'));
    await env.until(async () => (await leads()).length === 1, 10_000, 'the next lead');
    await quiet([next]);
    assert.deepEqual((await posts()).map((r) => r.body.customer_key), ['refused_user', 'next_user']);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('two tabs flushing one outbox send the lead once', async () => {
    const context = await env.browser.newContext();
    const down = { 'data-affitor-timeout': '100', 'data-affitor-api-base': await deadApi() };
    const page = await open(env, fast(down), { context, cookies: CLICK });
    await ready(page);
    await signupAndLeave(page, 'two_tabs_user');
    env.pages.set('/tab', fast());
    const tabs = await Promise.all([context.newPage(), context.newPage(), context.newPage()]);
    await Promise.all(tabs.map((t) => t.goto(`${env.site}/tab`)));
    await env.until(async () => (await leads()).length === 1, 20000, 'the lead');
    await quiet(tabs);
    assert.equal((await posts()).length, 1, 'one request');
    assert.equal((await leads()).length, 1, 'one lead');
    await context.close();
  });

  it('without Web Locks (an insecure origin), two tabs flushing one outbox still send the lead once', async () => {
    // http://shop.example.test is not a secure context: no navigator.locks, so the tracker claims
    // the entries and sends only those whose claim still holds a moment later.
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP *.example.test 127.0.0.1'],
    });
    try {
      const context = await browser.newContext();
      env.pages.set('/insecure-down', fast({ 'data-affitor-timeout': '100', 'data-affitor-api-base': await deadApi() }));
      env.pages.set('/insecure', fast());
      const origin = `http://shop.example.test:${env.pages.port}`;
      const page = await context.newPage();
      await page.goto(`${origin}/insecure-down`);
      assert.equal(await page.evaluate(() => typeof navigator.locks), 'undefined');
      await signupAndLeave(page, 'no_locks_user');
      const tabs = await Promise.all([context.newPage(), context.newPage(), context.newPage()]);
      await Promise.all(tabs.map((t) => t.goto(`${origin}/insecure`)));
      await env.until(async () => (await leads()).length === 1, 20000, 'the lead');
      await quiet(tabs);
      assert.equal((await posts()).length, 1, 'one request');
    } finally {
      await browser.close();
    }
  });

  it('a page that went mid-request leaves the lead leased; an open page sends it when the lease runs out', async () => {
    // The request is held, then refused with a 503 that nobody hears: the first page has gone
    // by then. (Not a dropped connection: Chromium retries those itself.) The entry stays leased
    // as in flight for leaseMs (15 s in production, TIMINGS.leaseMs here).
    await env.faults({ lead: [{ stallMs: 1500, status: 503 }] });
    const context = await env.browser.newContext();
    const page = await open(env, fast({ 'data-affitor-timeout': '100' }), { context, cookies: CLICK });
    await ready(page);
    const t0 = Date.now();
    await page.evaluate(() => window.affitor.signup('orphan_user'));
    await page.close();
    env.pages.set('/stay', fast());
    const stay = await context.newPage();
    await stay.goto(`${env.site}/stay`);
    await env.until(async () => (await leads()).length === 1, 25000, 'the orphaned lead');
    const sent = (await posts()).find((r) => r.status === 200);
    assert.ok(sent.at - t0 >= TIMINGS.leaseMs, `not before the lease ran out (${sent.at - t0} ms)`);
    assert.equal((await leads())[0].customer_key, 'orphan_user');
    await context.close();
  });

  it('a slow API does not hold signup(): it resolves in about 1 s with queued, and the lead arrives', async () => {
    await env.faults({ lead: [{ stallMs: 3000 }] });
    const page = await open(env, tag(env), { cookies: CLICK });
    await ready(page);
    const { result, ms } = await page.evaluate(async () => {
      const t = performance.now();
      const result = await window.affitor.signup('slow_api_user');
      return { result, ms: performance.now() - t };
    });
    assert.equal(result.ok, true);
    assert.equal(result.queued, true);
    assert.ok(ms >= 900 && ms < 2500, `resolved after ${ms} ms, not when the API answered (3 s)`);
    await env.until(async () => (await leads()).length === 1, 6000, 'the slow lead');
    await quiet([page]);
    assert.equal((await posts()).length, 1);
    await page.context().close();
  });

  it('the wait is configurable with data-affitor-timeout', async () => {
    await env.faults({ lead: [{ stallMs: 2000 }] });
    const page = await open(env, tag(env, { 'data-affitor-timeout': '200' }), { cookies: CLICK });
    await ready(page);
    const ms = await page.evaluate(async () => {
      const t = performance.now();
      await window.affitor.signup('short_wait_user');
      return performance.now() - t;
    });
    assert.ok(ms >= 150 && ms < 900, `resolved after ${ms} ms, before the default 1 s`);
    // The stalled lead still lands: wait for it, so that it does not land in the next test.
    await env.arrived('lead');
    await env.settled();
    await page.context().close();
  });

  it('calls made before the tracker loaded are not lost when the page leaves first', async () => {
    env.pages.set('/after', `<!doctype html>${fast()}`);
    // The page queues a signup and leaves in the same task: the wasm (almost) never runs there.
    // If it does, on a loaded machine, the lead is in flight as the page goes, leased for a
    // later page: the deadline allows for that lease.
    const page = await open(
      env,
      `<!doctype html>${fast()}<script>
        window.affitor.signup('early_user', 'early@example.com');
        window.affitorQueue = window.affitorQueue || [];
        window.affitorQueue.push(['signup', 'early_queued_user']);
        location.href = '/after';
      </script>`,
      { cookies: CLICK },
    );
    await page.waitForURL('**/after');
    await env.arrived('lead', 2, 25_000);
    const got = (await leads()).map((l) => [l.customer_key, l.page_url]).sort();
    assert.deepEqual(got, [
      ['early_queued_user', `${env.site}/test/page`],
      ['early_user', `${env.site}/test/page`],
    ]);
    await page.context().close();
  });
});
