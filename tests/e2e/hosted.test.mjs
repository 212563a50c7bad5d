// A true drop-in for Affitor's hosted tracker. Its calls (the object form of signup,
// init(), trackClick's second argument), its wire fields (has_attribution, debug_mode,
// customer_key: null), its cookie (customer_code), an unload beacon without a preflight, boolean
// attributes, the back/forward cache and a CSP that forbids the API: each checked at the dev
// collector, with the page driven through page.evaluate / page.goto only (CONTRACT.md §2–§4).
//
//   node --test --test-concurrency=1 tests/e2e/hosted.test.mjs
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { bfcacheBrowser, open, ready, setup, tag } from './harness.mjs';

let env;
before(async () => {
  env = await setup();
});
after(() => env?.close());
beforeEach(() => env.reset());

const CLICK_ID = 'cust_42_1714000000000';
const CLICK = [{ name: 'affitor_click_id', value: CLICK_ID }];
// Short leases and backoffs (the shared convention, docs/maintainers.md "Developing"), so no test waits out a
// real 15 s lease.
const TIMINGS = '<script>window.AFFITOR_TEST_TIMINGS = { leaseMs: 1500, retryBaseMs: 100, clickWaitMs: 2000, loadTimeoutMs: 3000 };</script>';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const leads = async () => (await env.events('lead')).map((e) => e.body);
const clicks = async () => (await env.events('click')).map((e) => e.body);
const posts = async (path = '/api/v1/track/lead') => (await env.requests(path)).filter((r) => r.method === 'POST');
const jar = async (page) => Object.fromEntries((await page.context().cookies()).map((c) => [c.name, c]));

/** Every field of CONTRACT §4 with its type; the lead's problems, as a list of strings. */
function leadProblems(b) {
  const bad = [];
  const is = (f, ok) => {
    if (!ok(b[f])) bad.push(`${f}: ${JSON.stringify(b[f])}`);
  };
  const strOrNull = (v) => v === null || typeof v === 'string';
  is('click_id', strOrNull);
  is('customer_key', strOrNull);
  is('email', strOrNull);
  is('click_ids', (v) => Array.isArray(v) && v.length <= 20 && v.every((x) => typeof x === 'string'));
  is('program_id', (v) => v === null || Number.isFinite(v));
  is('page_url', (v) => typeof v === 'string');
  is('session_id', (v) => typeof v === 'string' && v.length > 0);
  is('has_attribution', (v) => typeof v === 'boolean');
  is('debug_mode', (v) => typeof v === 'boolean');
  is('additional_data', (v) => typeof v === 'object' && v !== null && !Array.isArray(v));
  if (typeof b.has_attribution === 'boolean' && b.has_attribution !== (b.click_id !== null)) {
    bad.push(`has_attribution ${b.has_attribution} with click_id ${JSON.stringify(b.click_id)}`);
  }
  if (b.customer_key === null && b.click_id === null) bad.push('neither click_id nor customer_key');
  return bad;
}

/** Records, in the page, unhandled rejections (and errors) the way any engine reports them. */
const WATCH = `<script>
  window.__unhandled = [];
  addEventListener('unhandledrejection', (e) => window.__unhandled.push(String(e.reason)));
  addEventListener('error', (e) => window.__unhandled.push(String(e.message)));
</script>`;

describe('the lead body as the hosted tracker sends it', () => {
  it('has has_attribution and debug_mode as booleans: a click, not in debug mode', async () => {
    const page = await open(env, tag(env), { cookies: CLICK });
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup('fields_user_1', 'f1@example.com'));
    assert.equal(r.ok, true, JSON.stringify(r));
    const [lead, ...more] = await leads();
    assert.equal(more.length, 0);
    assert.deepEqual(leadProblems(lead), []);
    assert.equal(lead.has_attribution, true);
    assert.equal(lead.debug_mode, false);
    await page.context().close();
  });

  it('has has_attribution and debug_mode as booleans: no click, in debug mode', async () => {
    const page = await open(env, tag(env, { 'data-affitor-debug': 'true' }));
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup('fields_user_2'));
    assert.equal(r.ok, true, JSON.stringify(r));
    const [lead, ...more] = await leads();
    assert.equal(more.length, 0);
    assert.deepEqual(leadProblems(lead), []);
    assert.equal(lead.click_id, null);
    assert.equal(lead.has_attribution, false);
    assert.equal(lead.debug_mode, true);
    await page.context().close();
  });
});

describe('signup() as the hosted tracker takes it (items 1, 2)', () => {
  it('signup({ customer_key }) delivers, as in Affitor\'s Stripe guide', async () => {
    const page = await open(env, tag(env), { cookies: CLICK });
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup({ customer_key: 'cus_stripe_1' }));
    assert.equal(r.ok, true, JSON.stringify(r));
    const [lead, ...more] = await leads();
    assert.equal(more.length, 0);
    assert.equal(lead.customer_key, 'cus_stripe_1');
    assert.equal(lead.email, null);
    assert.equal(lead.click_id, CLICK_ID);
    await page.context().close();
  });

  it('signup({ customerKey, email }) delivers the key and the email', async () => {
    const page = await open(env, tag(env), { cookies: CLICK });
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup({ customerKey: 'camel_user', email: 'camel@example.com' }));
    assert.equal(r.ok, true, JSON.stringify(r));
    const [lead, ...more] = await leads();
    assert.equal(more.length, 0);
    assert.equal(lead.customer_key, 'camel_user');
    assert.equal(lead.email, 'camel@example.com');
    await page.context().close();
  });

  it('the object form also works from window.affitorQueue', async () => {
    const page = await open(env, `<script>window.affitorQueue = [['signup', { customer_key: 'queued_obj' }]];</script>${tag(env)}`, {
      cookies: CLICK,
    });
    await ready(page);
    await env.until(async () => (await leads()).length === 1, 5000, 'the queued object-form lead');
    assert.equal((await leads())[0].customer_key, 'queued_obj');
    await page.context().close();
  });

  for (const [label, call] of [
    ['signup()', () => window.affitor.signup()],
    ['signup({ email })', () => window.affitor.signup({ email: 'nokey@example.com' })],
    ["signup('   ')", () => window.affitor.signup('   ')],
  ]) {
    it(`${label} with a click id is sent with customer_key: null and ONE console error about payments`, async () => {
      const page = await open(env, tag(env), { cookies: CLICK });
      await ready(page);
      const r = await page.evaluate(call);
      assert.equal(r.ok, true, JSON.stringify(r));
      await env.until(async () => (await leads()).length === 1, 5000, 'the keyless lead');
      const [lead] = await leads();
      assert.deepEqual(leadProblems(lead), []);
      assert.equal(lead.customer_key, null);
      assert.equal(lead.click_id, CLICK_ID);
      assert.equal(lead.has_attribution, true);
      if (label.includes('email')) assert.equal(lead.email, 'nokey@example.com');
      const errors = page.affitorLogs('error');
      assert.equal(errors.length, 1, JSON.stringify(page.logs));
      assert.match(errors[0].text, /payment/i, 'says later payments cannot be attributed');
      assert.match(errors[0].text, /attribut/i);
      await sleep(300);
      assert.equal((await posts()).length, 1, 'sent once');
      assert.deepEqual(page.errors, []);
      await page.context().close();
    });
  }

  it('with neither a key nor a click id nothing is sent, and the result is ok:false', async () => {
    const page = await open(env, tag(env));
    await ready(page);
    const results = await page.evaluate(async () => [
      await window.affitor.signup(),
      await window.affitor.signup({}),
      await window.affitor.signup({ email: 'x@example.com' }),
      await window.affitor.signup(''),
    ]);
    for (const r of results) {
      assert.equal(r.ok, false, JSON.stringify(r));
      assert.equal(typeof r.error, 'string');
    }
    await sleep(500);
    assert.equal((await env.requests('/api/v1/track/lead')).length, 0, 'no request, not even a preflight');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe('init() and trackClick(url, existingClickId) (item 2)', () => {
  it('window.affitor.init() exists, resolves once the tracker runs, and is idempotent', async () => {
    // Called twice before the tracker loaded (the stub), and again after.
    const page = await open(
      env,
      `${WATCH}${tag(env)}<script>
        window.__init = [];
        window.__first = window.affitor;
        window.__types = [typeof window.affitor.init];
        const p1 = window.affitor.init();
        const p2 = window.affitor.init({ programId: 7, debug: true });
        window.__promises = [p1 instanceof Promise, p2 instanceof Promise];
        p1.then(() => window.__init.push(['p1', window.affitor.getClickId()]));
        p2.then(() => window.__init.push(['p2', window.affitor.getClickId()]));
      </script>`,
      { cookies: CLICK },
    );
    assert.deepEqual(await page.evaluate(() => window.__types), ['function']);
    assert.deepEqual(await page.evaluate(() => window.__promises), [true, true]);
    await env.until(() => page.evaluate(() => window.__init.length === 2), 5000, 'both init() promises');
    // When init() resolved, the tracker ran: it read the click id.
    assert.deepEqual((await page.evaluate(() => window.__init)).sort(), [['p1', CLICK_ID], ['p2', CLICK_ID]]);
    assert.equal(await page.evaluate(() => window.affitor === window.__first), true, 'the same window.affitor');
    // After load: still resolves, changes nothing.
    const again = await page.evaluate(async () => {
      await window.affitor.init({ programId: 9 });
      return { data: window.affitor.getData() };
    });
    assert.equal(again.data.programId, '42', 'a later init() changes nothing');
    const r = await page.evaluate(() => window.affitor.signup('init_user'));
    assert.equal(r.ok, true);
    const got = await leads();
    assert.equal(got.length, 1, 'one tracker: one lead');
    assert.equal(got[0].program_id, 42);
    assert.equal(got[0].debug_mode, false, "the second init()'s options changed nothing");
    assert.equal(page.logs.filter((l) => l.type === 'log').length, 0, 'no debug logging');
    assert.deepEqual(await page.evaluate(() => window.__unhandled), []);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it("trackClick(url, existingClickId) sends existing_click_id; page_url is the page's own address", async () => {
    const page = await open(env, `<!doctype html><title>SPA</title>${tag(env)}`, { path: '/app/start?view=home' });
    await ready(page);
    const url = `${env.site}/app/landing?aff=SPA_PARTNER`;
    const r = await page.evaluate((u) => window.affitor.trackClick(u, 'cust_42_1600000000000'), url);
    assert.equal(r.ok, true, JSON.stringify(r));
    await env.until(async () => (await clicks()).length === 1, 5000, 'the click');
    const [click] = await clicks();
    assert.equal(click.affiliate_url, url);
    assert.equal(click.page_url, `${env.site}/app/start?view=home`);
    assert.equal(click.page_url, await page.evaluate(() => location.href));
    assert.equal(click.existing_click_id, 'cust_42_1600000000000');
    const id = (await env.events('click'))[0].response.click_id;
    assert.equal(r.clickId, id);
    assert.equal(await page.evaluate(() => window.affitor.getClickId()), id);
    await page.context().close();
  });

  it('trackClick() with no arguments reports the page itself, without existing_click_id', async () => {
    const page = await open(env, tag(env), { path: '/promo?aff=SELF_PARTNER' });
    await ready(page);
    await env.until(async () => (await clicks()).length === 1, 5000, 'the landing click');
    await env.until(() => page.evaluate(() => window.affitor.getClickId()), 3000, 'its click id in the page');
    const r = await page.evaluate(() => window.affitor.trackClick());
    assert.equal(r.ok, true, JSON.stringify(r));
    await sleep(300);
    const [click, ...more] = await clicks();
    assert.equal(more.length, 0, 'the same partner again: no second click');
    assert.equal(click.affiliate_url, `${env.site}/promo?aff=SELF_PARTNER`);
    assert.equal(click.existing_click_id, undefined);
    await page.context().close();
  });
});

describe('the customer_code cookie (item 3)', () => {
  it('a click writes customer_code beside affitor_click_id, with the same value and attributes', async () => {
    const page = await open(env, `<!doctype html><title>Landing</title>${tag(env)}`, { path: '/landing?aff=COOKIE_PARTNER' });
    await ready(page);
    await env.until(async () => (await clicks()).length === 1, 5000, 'the click');
    const id = (await env.events('click'))[0].response.click_id;
    await env.until(async () => (await jar(page)).customer_code, 3000, 'the customer_code cookie');
    const c = await jar(page);
    assert.equal(c.affitor_click_id.value, id);
    assert.equal(c.customer_code.value, c.affitor_click_id.value);
    for (const attr of ['domain', 'path', 'sameSite', 'secure', 'httpOnly']) {
      assert.equal(c.customer_code[attr], c.affitor_click_id[attr], attr);
    }
    assert.ok(Math.abs(c.customer_code.expires - c.affitor_click_id.expires) < 60, 'the same lifetime');
    // A second partner replaces both.
    const r = await page.evaluate((u) => window.affitor.trackClick(u), `${env.site}/landing?aff=OTHER_PARTNER`);
    assert.equal(r.ok, true);
    // (Each cookie reaches the browser's store by its own IPC, a moment after the page wrote it.)
    await env.until(async () => {
      const c2 = await jar(page);
      return c2.affitor_click_id?.value === r.clickId && c2.customer_code?.value === r.clickId;
    }, 5_000, async () => `both cookies ${r.clickId}: ${JSON.stringify(await jar(page))}`);
    await page.context().close();
  });
});

describe('the unload beacon (item 4)', () => {
  it('a browser without fetch keepalive leaves with a text/plain beacon that needs no preflight', async () => {
    await env.faults({ lead: [{ stallMs: 3000 }] });
    env.pages.set('/elsewhere', '<!doctype html><title>elsewhere</title>');
    const page = await open(
      env,
      `<script>delete Request.prototype.keepalive;</script>${TIMINGS}${tag(env, { 'data-affitor-timeout': '200' })}`,
      { cookies: CLICK },
    );
    await ready(page);
    assert.equal(await page.evaluate(() => 'keepalive' in Request.prototype), false);
    const r = await page.evaluate(() => window.affitor.signup('beacon_user'));
    assert.equal(r.ok, true);
    assert.equal(r.queued, true, 'still in flight (the API stalls 3 s)');
    await page.goto(`${env.site}/elsewhere`);
    const beacon = await env.until(
      async () => (await posts()).find((p) => /^text\/plain/.test(p.contentType || '')),
      5000,
      'a text/plain POST',
    );
    assert.match(beacon.contentType, /^text\/plain/);
    assert.equal(typeof beacon.body, 'object', 'its body is the JSON lead');
    assert.equal(beacon.body.customer_key, 'beacon_user');
    const all = await env.requests('/api/v1/track/lead');
    const jsonPosts = all.filter((x) => x.method === 'POST' && !/^text\/plain/.test(x.contentType || ''));
    const preflights = all.filter((x) => x.method === 'OPTIONS');
    assert.ok(
      preflights.length <= jsonPosts.length,
      `no preflight for the beacon: ${JSON.stringify(all.map((x) => [x.method, x.contentType]))}`,
    );
    // Whatever went out, the collector counts the lead once.
    await env.until(async () => (await leads()).length >= 1, 8000, 'the lead');
    await sleep(500);
    assert.equal((await leads()).length, 1);
    await page.context().close();
  });
});

describe('the unload beacon delivers (item 4)', () => {
  it('when the beacon is the only request that can arrive, the collector records the lead from it', async () => {
    // The fetch in flight is answered 503 after the page has gone (nobody hears it): only the
    // beacon can deliver. The collector must take a text/plain body as JSON (as the API does).
    await env.faults({ lead: [{ stallMs: 3000, status: 503 }] });
    env.pages.set('/elsewhere', '<!doctype html><title>elsewhere</title>');
    const page = await open(
      env,
      `<script>delete Request.prototype.keepalive;</script>${TIMINGS}${tag(env, { 'data-affitor-timeout': '200' })}`,
      { cookies: CLICK },
    );
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup('beacon_only_user'));
    assert.equal(r.queued, true);
    await page.goto(`${env.site}/elsewhere`);
    await env.until(async () => (await leads()).length === 1, 8000, 'the lead, from the beacon');
    assert.equal((await leads())[0].customer_key, 'beacon_only_user');
    await page.context().close();
  });
});

describe('boolean attributes (item 5)', () => {
  const CASES = [
    ['TRUE', true],
    ['1', true],
    ['', true],
    ['true', true],
    ['0', false],
    ['false', false],
    ['False', false],
  ];
  for (const [value, on] of CASES) {
    it(`data-affitor-test-mode="${value}" is ${on ? 'on' : 'off'}, without a warning`, async () => {
      const page = await open(env, tag(env, { 'data-affitor-test-mode': value }), { cookies: CLICK });
      await ready(page);
      await page.evaluate((k) => window.affitor.signup(k), `bool_tm_${value || 'empty'}`);
      const [lead] = await leads();
      assert.deepEqual(lead.additional_data, on ? { test_mode: true, program_id: 42 } : {});
      assert.deepEqual(page.affitorLogs('warning'), []);
      await page.context().close();
    });

    it(`data-affitor-debug="${value}" is ${on ? 'on' : 'off'}, without a warning`, async () => {
      const page = await open(env, tag(env, { 'data-affitor-debug': value }), { cookies: CLICK });
      await ready(page);
      await page.evaluate((k) => window.affitor.signup(k), `bool_dbg_${value || 'empty'}`);
      const debugLines = page.logs.filter((l) => l.type === 'log' && l.text.startsWith('[Affitor]'));
      assert.equal(debugLines.length > 0, on, JSON.stringify(page.logs));
      assert.deepEqual(page.affitorLogs('warning'), []);
      await page.context().close();
    });
  }

  for (const value of ['yes', 'no', 'on']) {
    for (const attr of ['data-affitor-test-mode', 'data-affitor-debug']) {
      it(`${attr}="${value}" is off, with ONE [Affitor] warning naming "${value}"`, async () => {
        const page = await open(env, tag(env, { [attr]: value }), { cookies: CLICK });
        await ready(page);
        await page.evaluate((k) => window.affitor.signup(k), `bool_bad_${attr}_${value}`);
        const warnings = page.affitorLogs('warning');
        assert.equal(warnings.length, 1, JSON.stringify(page.logs));
        assert.ok(warnings[0].text.includes(value), `names the value: ${warnings[0].text}`);
        assert.ok(warnings[0].text.includes(attr), `names the attribute: ${warnings[0].text}`);
        const [lead] = await leads();
        assert.deepEqual(lead.additional_data, {}, 'the default: off');
        assert.equal(page.logs.filter((l) => l.type === 'log').length, 0, 'debug stays off');
        await page.context().close();
      });
    }
  }
});

// The test page may be cached: the harness's default `Cache-Control: no-store` keeps a page out
// of Chromium's back/forward cache.
const CACHEABLE = { 'Cache-Control': 'max-age=0' };
const SHOWS = "<script>window.__shows = []; addEventListener('pageshow', (e) => window.__shows.push(e.persisted));</script>";

describe('the back/forward cache (item 6)', () => {
  it('a page left with a lead in flight and restored: the lead counted once, the click not resent, a later signup delivered', async () => {
    const bf = await bfcacheBrowser(env);
    try {
      const context = await bf.browser.newContext();
      env.pages.set('/bf/away', '<!doctype html><title>away</title>', CACHEABLE);
      // A landing page: its URL has a click, reported once.
      const page = await open(env, `${WATCH}${SHOWS}${TIMINGS}${tag(env, { 'data-affitor-timeout': '200' })}`, {
        context,
        path: '/bf/page?aff=BF_PARTNER',
        headers: CACHEABLE,
      });
      await ready(page);
      await env.until(async () => (await clicks()).length === 1, 5000, 'the click');
      await env.until(() => page.evaluate(() => window.affitor.getClickId()), 3000, 'the click id');
      await env.faults({ lead: [{ stallMs: 3000 }] });
      const r = await page.evaluate(() => window.affitor.signup('bfcache_user'));
      assert.equal(r.queued, true, 'still in flight');
      await page.goto(`${env.site}/bf/away`);
      await page.goBack({ waitUntil: 'commit' });
      await env.until(() => page.evaluate(() => window.__shows?.length >= 2).catch(() => false), 5000, 'pageshow');
      assert.deepEqual(await page.evaluate(() => window.__shows), [false, true], 'restored from the cache (persisted)');
      await env.until(async () => (await leads()).length === 1, 8000, 'the stalled lead');
      // Long enough for the restored page's timers and outbox flush to have run (lease 1.5 s).
      await sleep(2500);
      assert.equal((await posts()).filter((p) => p.body?.customer_key === 'bfcache_user').length, 1, 'sent once');
      assert.equal((await leads()).length, 1);
      const later = await page.evaluate(() => window.affitor.signup('bfcache_later'));
      assert.equal(later.ok, true, JSON.stringify(later));
      await env.until(async () => (await leads()).length === 2, 5000, 'the later lead');
      assert.deepEqual((await leads()).map((l) => l.customer_key).sort(), ['bfcache_later', 'bfcache_user']);
      assert.equal((await clicks()).length, 1, 'the restored page sent its click again');
      assert.deepEqual(await page.evaluate(() => window.__unhandled), []);
      assert.deepEqual(page.errors, []);
      await context.close();
    } finally {
      await bf.close();
    }
  });
});

describe('requests the page forbids (item 7)', () => {
  it("a CSP whose connect-src excludes the API: one console error naming connect-src, the lead kept, no tight retry loop", async () => {
    const page = await open(
      env,
      `<script>
        window.__blocked = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__blocked.push([e.violatedDirective, e.blockedURI, performance.now()]));
      </script>${WATCH}${TIMINGS}${tag(env)}`,
      { headers: { 'Content-Security-Policy': "connect-src 'self'" } },
    );
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup('csp_blocked_user', 'b@example.com'));
    assert.equal(typeof r.ok, 'boolean', JSON.stringify(r));
    // Count the attempts the browser refused over a few seconds.
    await sleep(4000);
    const blocked = (await page.evaluate(() => window.__blocked)).filter(([, uri]) => uri.startsWith(env.api));
    assert.ok(blocked.length >= 1, 'the browser refused the request (the page is set up right)');
    assert.ok(blocked.length <= 3, `not retried in a tight loop: ${blocked.length} attempts in 4 s`);
    const errors = page.affitorLogs('error');
    assert.equal(errors.length, 1, JSON.stringify(page.logs));
    assert.match(errors[0].text, /connect-src|api-base/);
    const outbox = await page.evaluate(() => localStorage.getItem('affitor_outbox') || '');
    assert.ok(outbox.includes('csp_blocked_user'), `the lead is kept in localStorage.affitor_outbox: ${outbox.slice(0, 200)}`);
    assert.equal((await env.requests('/api/v1/track/lead')).length, 0);
    assert.deepEqual(await page.evaluate(() => window.__unhandled), []);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe('requests the page forbids: a blocked API host (item 7)', () => {
  it('an API host that every attempt fails to reach (as an extension blocks it): one console error naming a first-party api-base, the lead kept, no tight loop', async () => {
    // Playwright-only set-up: the browser refuses every request to the API, as a content blocker does.
    const context = await env.browser.newContext();
    let attempts = 0;
    await context.route(`${env.api}/api/v1/track/**`, (route) => {
      attempts++;
      route.abort('blockedbyclient');
    });
    const page = await open(env, `${WATCH}${TIMINGS}${tag(env)}`, { context });
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup('blocked_host_user'));
    assert.equal(typeof r.ok, 'boolean', JSON.stringify(r));
    await sleep(4000);
    assert.ok(attempts >= 1, 'the request was refused (the page is set up right)');
    // Recognising a block takes a few identical failures; then it stops until a later page view.
    assert.ok(attempts <= 4, `not retried in a tight loop: ${attempts} attempts in 4 s`);
    const errors = page.affitorLogs('error');
    assert.equal(errors.length, 1, JSON.stringify(page.logs));
    assert.match(errors[0].text, /api-base|first-party|block/i);
    const outbox = await page.evaluate(() => localStorage.getItem('affitor_outbox') || '');
    assert.ok(outbox.includes('blocked_host_user'), 'the lead is kept in localStorage.affitor_outbox');
    assert.deepEqual(await page.evaluate(() => window.__unhandled), []);
    assert.deepEqual(page.errors, []);
    await context.close();
  });
});

describe('a page written for the hosted tracker', () => {
  it('runs unchanged and delivers its leads, each with has_attribution and debug_mode', async () => {
    // The calls as a site written for Affitor's hosted affitor-tracker.js makes them.
    const html = `<!doctype html><title>Hosted</title>${WATCH}
      <script>
        window.affitorQueue = window.affitorQueue || [];
        window.affitorQueue.push(['signup', 'hosted_queued', 'queued@example.com']);
      </script>
      ${tag(env, {}, 'async')}
      <script>
        window.__log = [];
        (function wait() {
          if (!window.affitor) return setTimeout(wait, 10);
          (async () => {
            await window.affitor.init();
            window.__log.push(['clickId', window.affitor.getClickId()]);
            window.__log.push(['data', window.affitor.getData()]);
            window.__log.push(['obj', await window.affitor.signup({ customer_key: 'hosted_stripe' })]);
            window.__log.push(['camel', await window.affitor.signup({ customerKey: 'hosted_camel', email: 'camel@example.com' })]);
            window.__log.push(['plain', await window.affitor.signup('hosted_plain', 'plain@example.com')]);
            window.__log.push(['click', await window.affitor.trackClick(location.origin + '/pricing?aff=HOSTED_PARTNER', window.affitor.getClickId())]);
            window.__log.push(['after', await window.affitor.signup('hosted_after_click')]);
            window.__done = true;
          })();
        })();
      </script>`;
    const page = await open(env, html, { cookies: CLICK, path: '/hosted/signup' });
    await env.until(() => page.evaluate(() => window.__done === true), 10000, 'the hosted page script');
    const log = Object.fromEntries(await page.evaluate(() => window.__log));
    assert.equal(log.clickId, CLICK_ID);
    assert.equal(log.data.hasAttribution, true);
    for (const k of ['obj', 'camel', 'plain', 'click', 'after']) assert.equal(log[k].ok, true, `${k}: ${JSON.stringify(log[k])}`);
    await env.until(async () => (await leads()).length === 5, 8000, 'five leads');
    const got = await leads();
    assert.deepEqual(got.map((l) => l.customer_key).sort(), ['hosted_after_click', 'hosted_camel', 'hosted_plain', 'hosted_queued', 'hosted_stripe']);
    for (const lead of got) {
      assert.deepEqual(leadProblems(lead), [], lead.customer_key);
      assert.equal(lead.has_attribution, true, lead.customer_key);
      assert.equal(lead.debug_mode, false, lead.customer_key);
    }
    const [click] = await clicks();
    assert.equal(click.existing_click_id, CLICK_ID);
    assert.equal(got.find((l) => l.customer_key === 'hosted_after_click').click_id, log.click.clickId);
    await sleep(300);
    assert.equal((await posts()).length, 5, 'each lead sent once');
    assert.deepEqual(await page.evaluate(() => window.__unhandled), []);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
