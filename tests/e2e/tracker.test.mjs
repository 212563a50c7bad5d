// The tracker core in a real page (docs/contract.md §1, §2, §4): the built dist/ loaded by a script
// tag into headless Chromium, leads arriving at the dev collector across origins.
//
// Never read the collector once right after signup() resolves: under load it resolves
// `queued: true` after its wait, before the lead arrives. Wait for the lead (leadsArrived), and
// give signup() a long wait (SLOW_OK) where the test asserts what the API answered.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { open, ready, setup, tag } from './harness.mjs';

let env;
before(async () => {
  env = await setup();
});
after(() => env?.close());
beforeEach(() => env.reset());
afterEach(() => env.closeContexts());

// signup() waits this long for the API's answer before resolving `queued`: the answer is there.
const SLOW_OK = { 'data-affitor-timeout': '10000' };

const CLICK = [
  { name: 'affitor_click_id', value: 'cust_42_1714000000000' },
  { name: 'affitor_click_ids', value: encodeURIComponent('cust_42_1713000000000|cust_42_1714000000000') },
];

const leads = async () => (await env.events('lead')).map((e) => e.body);
const leadsArrived = (n = 1) => env.arrived('lead', n);

describe('signup', () => {
  it('delivers a direct call with every contract field, across origins', async () => {
    const page = await open(env, `<!doctype html><title>t</title>${tag(env, SLOW_OK)}`, {
      path: '/signup?plan=pro',
      cookies: CLICK,
    });
    await ready(page);
    const result = await page.evaluate(() => window.affitor.signup('user_123', 'user@example.com'));
    assert.equal(result.ok, true);
    assert.equal(result.status, 200);
    const [lead, ...more] = await leadsArrived();
    assert.equal(more.length, 0);
    assert.equal(lead.click_id, 'cust_42_1714000000000');
    assert.equal(lead.customer_key, 'user_123');
    assert.equal(lead.email, 'user@example.com');
    assert.deepEqual(lead.click_ids, ['cust_42_1713000000000', 'cust_42_1714000000000']);
    assert.equal(lead.program_id, 42);
    assert.equal(lead.page_url, `${env.site}/signup?plan=pro`);
    assert.match(lead.session_id, /^s_[0-9a-z]+_[0-9a-z]+$/);
    assert.deepEqual(lead.additional_data, {});
    const [req] = await env.requests('/api/v1/track/lead').then((r) => r.filter((x) => x.method === 'POST'));
    assert.equal(req.origin, env.site, 'the page and the API are different origins');
    assert.match(req.contentType, /^application\/json/);
    const preflights = (await env.requests('/api/v1/track/lead')).filter((x) => x.method === 'OPTIONS');
    assert.ok(preflights.length >= 1, 'a CORS preflight went first');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('runs calls queued on window.affitorQueue before the script, in order', async () => {
    // The order that matters: a queued trackClick before a queued signup gives the lead that
    // click id. (Not the arrival order of two leads: their requests race on the network.)
    const page = await open(
      env,
      `<!doctype html><script>
        window.affitorQueue = window.affitorQueue || [];
        window.affitorQueue.push(['signup', 'queued_1', 'one@example.com']);
        window.affitorQueue.push(['trackClick', location.origin + '/landing?aff=QUEUED']);
        window.affitorQueue.push(['signup', 'queued_2']);
      </script>${tag(env, {}, 'async')}`,
      { cookies: CLICK },
    );
    await ready(page);
    await leadsArrived(2);
    const [click] = await env.events('click');
    assert.equal(click.body.existing_click_id, 'cust_42_1714000000000', 'the click came after the cookie was read');
    const byKey = Object.fromEntries((await leads()).map((l) => [l.customer_key, [l.email, l.click_id]]));
    assert.deepEqual(byKey, {
      queued_1: ['one@example.com', 'cust_42_1714000000000'],
      queued_2: [null, click.response.click_id],
    });
    assert.equal(await page.evaluate(() => window.affitorQueue.length), 0, 'the queue was drained');
    // After load, a push runs at once.
    await page.evaluate(() => window.affitorQueue.push(['signup', 'queued_3', 'three@example.com']));
    await leadsArrived(3);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('turns a finite number key into its decimal string and trims the email', async () => {
    const page = await open(env, tag(env), { cookies: CLICK });
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup(12345, '  n@example.com '));
    assert.equal(r.ok, true);
    const [lead] = await leadsArrived();
    assert.equal(lead.customer_key, '12345');
    assert.equal(lead.email, 'n@example.com');
    await page.context().close();
  });

  it('drops an implausible email with a warning, and still sends the lead', async () => {
    const page = await open(env, tag(env), { cookies: CLICK });
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup('user_bad_email', 'not-an-email'));
    assert.equal(r.ok, true);
    const [lead] = await leadsArrived();
    assert.equal(lead.customer_key, 'user_bad_email');
    assert.equal(lead.email, null);
    assert.equal(page.affitorLogs('warning').length, 1);
    await page.context().close();
  });

  it('resolves ok:false with the API error on a 400, and does not throw', async () => {
    const page = await open(env, tag(env), { cookies: CLICK });
    await ready(page);
    const first = await page.evaluate(() => window.affitor.signup('same_customer'));
    assert.equal(first.ok, true);
    await leadsArrived();
    // The API refuses a second lead for the same customer; a fresh page has no memory of the first.
    const page2 = await open(env, tag(env, SLOW_OK), { cookies: CLICK });
    await ready(page2);
    const second = await page2.evaluate(() => window.affitor.signup('same_customer'));
    assert.equal(second.ok, false);
    assert.equal(second.status, 400);
    assert.match(second.error, /cannot be updated to lead/);
    assert.deepEqual(page2.errors, []);
    await page.context().close();
    await page2.context().close();
  });
});

describe('cookies and configuration', () => {
  it('reads the legacy customer_code cookie as the click id', async () => {
    const page = await open(env, tag(env), { cookies: [{ name: 'customer_code', value: 'legacy_77' }] });
    await ready(page);
    assert.equal(await page.evaluate(() => window.affitor.getClickId()), 'legacy_77');
    await page.evaluate(() => window.affitor.signup('legacy_user'));
    assert.equal((await leadsArrived())[0].click_id, 'legacy_77');
    await page.context().close();
  });

  it('sends click_id null and an empty history when the visitor has no click', async () => {
    const page = await open(env, tag(env, SLOW_OK));
    await ready(page);
    assert.equal(await page.evaluate(() => window.affitor.getClickId()), null);
    const r = await page.evaluate(() => window.affitor.signup('organic_user'));
    assert.equal(r.ok, true);
    assert.equal(r.provisional, true);
    const [lead] = await leadsArrived();
    assert.equal(lead.click_id, null);
    assert.deepEqual(lead.click_ids, []);
    await page.context().close();
  });

  it('getData, getClickId, version and ready describe the state', async () => {
    const page = await open(env, tag(env), {
      cookies: [...CLICK, { name: 'affitor_aff_url', value: encodeURIComponent('https://site.example/?aff=P1') }],
    });
    assert.equal(typeof (await page.evaluate(() => window.affitor.version)), 'string');
    await ready(page);
    assert.deepEqual(await page.evaluate(() => window.affitor.getData()), {
      clickId: 'cust_42_1714000000000',
      programId: '42',
      hasAttribution: true,
      affiliateUrl: 'https://site.example/?aff=P1',
    });
    assert.equal(await page.evaluate(() => window.affitor.getClickId()), 'cust_42_1714000000000');
    await page.context().close();
  });

  it('test mode marks every event and gets the test-mode answer', async () => {
    const page = await open(env, tag(env, { 'data-affitor-test-mode': 'true' }), { cookies: CLICK });
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup('test_user', 't@example.com'));
    assert.equal(r.ok, true);
    const [lead] = await leadsArrived();
    assert.deepEqual(lead.additional_data, { test_mode: true, program_id: 42 });
    await page.context().close();
  });

  it('a missing program id is one console error; the lead still goes out', async () => {
    const page = await open(env, tag(env, { 'data-affitor-program-id': null }), { cookies: CLICK });
    await ready(page);
    const errors = page.affitorLogs('error');
    assert.equal(errors.length, 1);
    assert.match(errors[0].text, /program id/);
    const r = await page.evaluate(() => window.affitor.signup('no_program_user'));
    assert.equal(r.ok, true);
    assert.equal((await leadsArrived())[0].program_id, null);
    await page.context().close();
  });

  it('takes window.AFFITOR_PROGRAM_ID and the data-affitor-program alias', async () => {
    const page = await open(
      env,
      `<script>window.AFFITOR_PROGRAM_ID = 7;</script>${tag(env, { 'data-affitor-program-id': null })}`,
      { cookies: CLICK },
    );
    await ready(page);
    await page.evaluate(() => window.affitor.signup('global_id_user'));
    const page2 = await open(env, tag(env, { 'data-affitor-program-id': null, 'data-affitor-program': '9' }), {
      cookies: CLICK,
    });
    await ready(page2);
    await page2.evaluate(() => window.affitor.signup('alias_user'));
    const both = await leadsArrived(2);
    assert.deepEqual(Object.fromEntries(both.map((l) => [l.customer_key, l.program_id])), { global_id_user: 7, alias_user: 9 });
    assert.equal(page.affitorLogs('error').length + page2.affitorLogs('error').length, 0);
    await page.context().close();
    await page2.context().close();
  });

  it('refuses a plain-http API base off loopback, with a console error, and keeps the default', async () => {
    // The default API is answered here by routing: no request leaves the machine.
    const context = await env.browser.newContext();
    const hits = [];
    await context.route('https://api.affitor.com/**', (route) => {
      hits.push(route.request().url());
      route.fulfill({ status: 200, contentType: 'application/json', headers: { 'Access-Control-Allow-Origin': '*' }, body: '{"success":true}' });
    });
    const page = await open(env, tag(env, { 'data-affitor-api-base': 'http://evil.example' }), { context });
    await ready(page);
    assert.ok(page.affitorLogs().some((l) => /api-base/.test(l.text) && l.type !== 'log'));
    await page.evaluate(() => window.affitor.signup('default_base_user'));
    assert.deepEqual(hits, ['https://api.affitor.com/api/v1/track/lead']);
    await page.context().close();
  });

  it('logs each step with the [Affitor] prefix in debug mode, and stays quiet otherwise', async () => {
    const quiet = await open(env, tag(env, SLOW_OK), { cookies: CLICK });
    await ready(quiet);
    await quiet.evaluate(() => window.affitor.signup('quiet_user'));
    assert.equal(quiet.logs.filter((l) => l.type === 'log').length, 0);
    const loud = await open(env, tag(env, { ...SLOW_OK, 'data-affitor-debug': 'true' }), { cookies: CLICK });
    await ready(loud);
    await loud.evaluate(() => window.affitor.signup('loud_user'));
    const logs = loud.logs.filter((l) => l.type === 'log');
    assert.ok(logs.length >= 3, JSON.stringify(logs));
    assert.ok(logs.every((l) => l.text.startsWith('[Affitor]')));
    await quiet.context().close();
    await loud.context().close();
  });
});

describe('loading', () => {
  for (const mode of ['', 'async', 'defer']) {
    it(`works as a ${mode || 'plain'} script from another path`, async () => {
      // Not the collector's /affitor/ path: the tracker must find its files next to itself.
      const page = await open(
        env,
        `<!doctype html><script src="/static/v2/tracker/affitor-tracker.js" data-affitor-program-id="42" data-affitor-api-base="${env.api}" ${mode}></script>`,
        { cookies: CLICK },
      );
      await ready(page);
      const r = await page.evaluate(() => window.affitor.signup(`path_${Math.random()}`));
      assert.equal(r.ok, true);
      assert.deepEqual(page.errors, []);
      await page.context().close();
    });
  }

  it('loads from another origin (the dev collector serves /affitor/ to any site)', async () => {
    const page = await open(
      env,
      `<!doctype html><script src="${env.api}/affitor/affitor-tracker.js" data-affitor-program-id="42" data-affitor-api-base="${env.api}"></script>`,
      { cookies: CLICK },
    );
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup('cross_origin_tag_user'));
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal((await leadsArrived())[0].customer_key, 'cross_origin_tag_user');
    assert.deepEqual(page.errors, []);
    assert.equal(page.affitorLogs('error').length, 0, JSON.stringify(page.logs));
  });

  it('a second copy of the tag changes nothing', async () => {
    const page = await open(env, `${tag(env)}${tag(env, {}, 'async')}`, { cookies: CLICK });
    await ready(page);
    const r = await page.evaluate(() => window.affitor.signup('twice_loaded'));
    assert.equal(r.ok, true);
    await leadsArrived();
    await env.settled();
    assert.equal((await env.requests('/api/v1/track/lead')).filter((x) => x.method === 'POST').length, 1, 'one tracker sent it');
    const wasmLoads = page.logs.length; // no errors either
    assert.equal(page.affitorLogs('error').length, 0, String(wasmLoads));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it("names 'wasm-unsafe-eval' once when the page's CSP forbids WebAssembly, and never throws", async () => {
    const page = await open(env, `${tag(env)}`, {
      headers: { 'Content-Security-Policy': "script-src 'self'" },
    });
    await page.evaluate(() => window.affitor.ready);
    const ours = page.affitorLogs('error');
    assert.equal(ours.length, 1, JSON.stringify(page.logs));
    assert.match(ours[0].text, /'wasm-unsafe-eval'/);
    const r = await page.evaluate(() => window.affitor.signup('csp_user'));
    assert.equal(typeof r.ok, 'boolean');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
