// affitor.diagnose(): the integration checks itself on the live page.
// Each test opens a page as a site owner would have it, calls diagnose() as from the console,
// and asserts the checks it answers and logs. (The healthy page in every engine:
// engines.test.mjs.)
//
//   node --test --test-concurrency=1 tests/e2e/diagnose.test.mjs
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, open, setup, tag } from './harness.mjs';

const IDS = ['program-id', 'api-base', 'test-mode', 'debug', 'webassembly', 'api-reachable', 'cookies', 'click', 'outbox', 'duplicate-tracker', 'locks'];
const CLICK_ID = 'cust_42_1714000000000';
const CLICK = [
  { name: 'affitor_click_id', value: CLICK_ID },
  { name: 'affitor_aff_url', value: encodeURIComponent('http://localhost/land?aff=PARTNER7') },
];
const LEAD = '/api/v1/track/lead';

let env;
before(async () => {
  env = await setup();
});
after(() => env?.close());
beforeEach(() => env.reset());
afterEach(() => env.closeContexts());

const byId = (result) => Object.fromEntries(result.checks.map((c) => [c.id, c]));
/** The checks that failed, as `id:level`, for assertion messages. */
const failed = (result) => result.checks.filter((c) => !c.ok).map((c) => `${c.id}:${c.level}: ${c.message}`);

/** The result as diagnose() logs it, one line per check, in the test's report. */
const show = (t, result) =>
  t.diagnostic(`ok: ${result.ok}\n${result.checks.map((c) => `  ${c.ok ? 'ok' : c.level} ${c.id}: ${c.message}`).join('\n')}`);

/** What a result must be whatever the page: the shape of CONTRACT.md §9, and its console lines. */
function wellFormed(result, page, extra = []) {
  assert.deepEqual(result.checks.map((c) => c.id), [...IDS, ...extra]);
  for (const c of result.checks) {
    assert.equal(typeof c.ok, 'boolean', c.id);
    assert.ok(['error', 'warning', 'info'].includes(c.level), `${c.id}: ${c.level}`);
    assert.equal(typeof c.message, 'string', c.id);
    assert.ok(c.message.length > 0, c.id);
  }
  assert.equal(result.ok, !result.checks.some((c) => !c.ok && c.level === 'error'));
  // Each check on a console line of its own, prefixed, at its level.
  const lines = page.affitorLogs().map((l) => l.text);
  for (const c of result.checks) {
    assert.ok(lines.some((l) => l.startsWith(`[Affitor] ${c.ok ? 'ok' : c.level} ${c.id}: `)), `${c.id} logged: ${JSON.stringify(lines)}`);
  }
  const errors = page.affitorLogs('error').map((l) => l.text).filter((t) => / [a-z-]+: /.test(t) && t.startsWith('[Affitor] error '));
  assert.equal(errors.length, result.checks.filter((c) => !c.ok && c.level === 'error').length, JSON.stringify(errors));
}

/** Every request the API saw on the lead endpoint, by method. */
async function leadRequests() {
  const all = await env.requests(LEAD);
  return { options: all.filter((r) => r.method === 'OPTIONS').length, posts: all.filter((r) => r.method === 'POST').length };
}

describe('affitor.diagnose()', () => {
  it('on a healthy page: ok, every check, called before the tracker had loaded', async (t) => {
    // Called from the page's own script right after the tag, as the stub answers it.
    const page = await open(env, `<!doctype html><title>t</title>${tag(env)}
      <script>window.early = window.affitor.diagnose();</script>`, { cookies: CLICK });
    const result = await page.evaluate(() => window.early);
    show(t, result);
    assert.equal(result.ok, true, JSON.stringify(failed(result)));
    wellFormed(result, page);
    const c = byId(result);
    assert.equal(failed(result).length, 0, JSON.stringify(failed(result)));
    assert.match(c['program-id'].message, /42/);
    assert.match(c['api-base'].message, new RegExp(env.api.replace(/[.]/g, '\\.')));
    assert.match(c.webassembly.message, /WebAssembly build runs/);
    assert.match(c['api-reachable'].message, /HTTP 204/);
    assert.match(c.cookies.message, /localhost only/);
    assert.match(c.click.message, new RegExp(`${CLICK_ID} from partner PARTNER7, \\d+ days old`));
    assert.match(c.outbox.message, /no lead waiting/);
    // The reachability check is an OPTIONS request: no POST, no event.
    const seen = await leadRequests();
    assert.equal(seen.posts, 0);
    assert.ok(seen.options >= 1, JSON.stringify(seen));
    assert.deepEqual(await env.events(), []);
    // Its cookie probe leaves nothing; nothing was written to storage.
    const cookies = (await page.context().cookies()).map((k) => k.name).sort();
    assert.deepEqual(cookies, ['affitor_aff_url', 'affitor_click_id']);
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), []);
    // A second call answers again, and the console has the same prefix everywhere.
    const again = await page.evaluate(() => window.affitor.diagnose());
    assert.equal(again.ok, true);
    assert.deepEqual(page.errors, []);
  });

  it('a CSP that forbids the API in connect-src: api-reachable is an error naming connect-src and the origin', async (t) => {
    const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'";
    const page = await open(env, `<!doctype html><title>t</title>${tag(env)}`, {
      headers: { 'Content-Security-Policy': csp },
    });
    const result = await page.evaluate(() => window.affitor.diagnose());
    show(t, result);
    wellFormed(result, page);
    assert.equal(result.ok, false);
    const reach = byId(result)['api-reachable'];
    assert.equal(reach.ok, false);
    assert.equal(reach.level, 'error');
    assert.match(reach.message, /connect-src/);
    assert.ok(reach.message.includes(env.api), reach.message);
    assert.deepEqual(failed(result).map((f) => f.split(':')[0]), ['api-reachable'], JSON.stringify(failed(result)));
    assert.deepEqual(page.errors, []);
  });

  it("a CSP without 'wasm-unsafe-eval': the JavaScript build runs and answers; webassembly says what to add", async (t) => {
    const page = await open(env, `<!doctype html><title>t</title>${tag(env)}`, {
      headers: { 'Content-Security-Policy': "script-src 'self'" },
      cookies: CLICK,
    });
    const result = await page.evaluate(() => window.affitor.diagnose());
    show(t, result);
    wellFormed(result, page);
    assert.equal(result.ok, true, JSON.stringify(failed(result)));
    const c = byId(result);
    assert.equal(c.webassembly.level, 'warning');
    assert.match(c.webassembly.message, /'wasm-unsafe-eval'.*script-src/);
    assert.equal(c['api-reachable'].ok, true, c['api-reachable'].message);
    assert.match(c.click.message, new RegExp(CLICK_ID));
    assert.deepEqual(failed(result).map((f) => f.split(':')[0]), ['webassembly']);
  });

  it('a second tag of the tracker: duplicate-tracker is a warning', async (t) => {
    const page = await open(env, `<!doctype html><title>t</title>${tag(env)}${tag(env)}`);
    const result = await page.evaluate(() => window.affitor.diagnose());
    show(t, result);
    wellFormed(result, page);
    assert.equal(result.ok, true);
    const dup = byId(result)['duplicate-tracker'];
    assert.equal(dup.ok, false);
    assert.equal(dup.level, 'warning');
    assert.match(dup.message, /another Affitor tag \(http:\/\/localhost:\d+\/affitor\/affitor-tracker\.js\)/);
  });

  it('the tracker could not load: webassembly is an error that says so, ok is false', async (t) => {
    const context = await env.browser.newContext();
    await context.route(/affitor_tracker_(bg\.wasm|fallback\.js)/, (route) => route.abort());
    const page = await open(env, `<!doctype html><title>t</title>${tag(env)}`, { context });
    const result = await page.evaluate(() => window.affitor.diagnose());
    show(t, result);
    wellFormed(result, page);
    assert.equal(result.ok, false);
    const c = byId(result);
    assert.equal(c.webassembly.level, 'error');
    assert.match(c.webassembly.message, /could not load/);
    assert.match(c['program-id'].message, /not checked: .*affitor_tracker_fallback\.js/);
    assert.equal(c.cookies.level, 'info', 'one error says why, the others point to it');
    assert.equal(c.locks.ok, true, 'the page-side checks still answer');
    assert.deepEqual(page.errors, []);
  });

  it('a page that replaced window.Promise and JSON.stringify still gets every check', async () => {
    const page = await open(env, `<!doctype html><title>t</title>${tag(env)}`, { cookies: CLICK });
    await page.evaluate(() => window.affitor.ready);
    await page.evaluate(() => {
      window.Promise = function () {
        throw new Error('page Promise');
      };
      JSON.stringify = () => '{}';
    });
    const result = await page.evaluate(() => window.affitor.diagnose({ testLead: true }));
    wellFormed(result, page, ['test-lead']);
    assert.equal(result.ok, true, JSON.stringify(failed(result)));
    assert.deepEqual(failed(result), []);
    const [lead] = await env.arrived('lead', 1);
    assert.equal(lead.click_id, 'test_lead_001');
    assert.deepEqual(page.errors, []);
  });

  it('a lead the API keeps answering 503 waits in the outbox, and outbox says so', async (t) => {
    await env.faults({ lead: [{ status: 503, retryAfter: 3600 }] });
    const page = await open(env, `<!doctype html><title>t</title>${tag(env)}`, { cookies: CLICK });
    const signup = await page.evaluate(() => window.affitor.signup('waiting_user'));
    assert.equal(signup.ok, true, JSON.stringify(signup));
    await env.until(async () => (await env.requests(LEAD)).some((r) => r.method === 'POST' && r.status === 503), 15_000, 'the 503');
    const result = await page.evaluate(() => window.affitor.diagnose());
    show(t, result);
    const outbox = byId(result).outbox;
    assert.equal(outbox.ok, true, 'an hour old at most: information');
    assert.match(outbox.message, /^1 lead\(s\) waiting, the oldest \d+ min old after 1 attempt\(s\)/);
  });

  it('its own checks cannot be loaded: one diagnose error, and still no rejection', async () => {
    const context = await env.browser.newContext();
    await context.route(/affitor-tracker-diagnose\.js/, (route) => route.abort());
    const page = await open(env, `<!doctype html><title>t</title>${tag(env)}`, { context });
    const result = await page.evaluate(() => window.affitor.diagnose());
    assert.equal(result.ok, false);
    assert.deepEqual(result.checks.map((c) => [c.id, c.ok, c.level]), [['diagnose', false, 'error']]);
    assert.match(result.checks[0].message, /affitor-tracker-diagnose\.js/);
    assert.equal(page.affitorLogs('error').length, 1);
    assert.deepEqual(page.errors, []);
  });

  it('no program id: program-id is an error, ok is false', async (t) => {
    const page = await open(env, `<!doctype html><title>t</title>${tag(env, { 'data-affitor-program-id': null })}`);
    const result = await page.evaluate(() => window.affitor.diagnose());
    show(t, result);
    wellFormed(result, page);
    assert.equal(result.ok, false);
    const id = byId(result)['program-id'];
    assert.equal(id.ok, false);
    assert.equal(id.level, 'error');
    assert.match(id.message, /data-affitor-program-id/);
    assert.deepEqual(failed(result).map((f) => f.split(':')[0]), ['program-id']);
  });

  it('testLead: true sends one test lead, reported as test-lead, and leaves nothing in storage', async (t) => {
    const page = await open(env, `<!doctype html><title>t</title>${tag(env)}`, { cookies: CLICK });
    await page.evaluate(() => window.affitor.ready);
    const before = await page.evaluate(() => ({ cookie: document.cookie, storage: JSON.stringify(localStorage) }));
    const result = await page.evaluate(() => window.affitor.diagnose({ testLead: true }));
    show(t, result);
    wellFormed(result, page, ['test-lead']);
    assert.equal(result.ok, true, JSON.stringify(failed(result)));
    const test = byId(result)['test-lead'];
    assert.equal(test.ok, true);
    assert.match(test.message, /Test lead event tracked successfully/);
    await env.settled();
    const leads = await env.events('lead');
    assert.equal(leads.length, 1, JSON.stringify(leads));
    assert.deepEqual(leads[0].body, {
      click_id: 'test_lead_001',
      customer_key: 'test_customer',
      additional_data: { test_mode: true, program_id: '42' },
    });
    assert.equal((await leadRequests()).posts, 1);
    const after = await page.evaluate(() => ({ cookie: document.cookie, storage: JSON.stringify(localStorage) }));
    assert.deepEqual(after, before);
    // Not deduplicated: a second call sends it again.
    const again = await page.evaluate(() => window.affitor.diagnose({ testLead: true }));
    assert.equal(byId(again)['test-lead'].ok, true);
    await env.arrived('lead', 2);
  });
});

describe('affitor.diagnose() on a host that is not loopback', () => {
  let browser;
  before(async () => {
    // *.example.test resolves to this machine: a site's own host name, not a loopback one.
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP *.example.test 127.0.0.1'],
    });
  });
  after(() => browser?.close());

  it('test mode and debug mode on: warnings (on localhost: fine); the cookie domain is the site', async (t) => {
    const html = `<!doctype html><title>t</title>${tag(env, { 'data-affitor-test-mode': 'true', 'data-affitor-debug': 'true' })}`;
    env.pages.set('/live', html);
    const context = await browser.newContext();
    const page = await context.newPage();
    const logs = [];
    page.on('console', (m) => logs.push({ type: m.type(), text: m.text() }));
    await page.goto(`http://www.example.test:${env.pages.port}/live`);
    const result = await page.evaluate(() => window.affitor.diagnose());
    show(t, result);
    assert.equal(result.ok, true, JSON.stringify(failed(result)));
    const c = byId(result);
    for (const id of ['test-mode', 'debug']) {
      assert.equal(c[id].ok, false, id);
      assert.equal(c[id].level, 'warning', id);
      assert.match(c[id].message, /www\.example\.test/);
    }
    assert.match(c['test-mode'].message, /data-affitor-test-mode/);
    assert.match(c.debug.message, /data-affitor-debug/);
    assert.match(c.cookies.message, /at example\.test \(readable by example\.test and its subdomains\)/);
    const warned = logs.filter((l) => l.type === 'warning').map((l) => l.text);
    assert.ok(warned.some((t) => t.startsWith('[Affitor] warning test-mode: ')), JSON.stringify(warned));
    assert.deepEqual((await context.cookies()).filter((k) => k.name === 'affitor_probe'), [], 'probe removed');
    await context.close();

    // The same tag on localhost: test mode is how a developer tests.
    const local = await open(env, html);
    const there = byId(await local.evaluate(() => window.affitor.diagnose()));
    assert.equal(there['test-mode'].ok, true);
    assert.equal(there.debug.ok, true);
  });
});
