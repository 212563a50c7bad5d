// First-party mode and server-side leads, `affitor-tracker/server` (docs/contract.md §7).
// Everything runs in front of the dev collector as the API: a real Express app and a plain
// node:http server with nodeMiddleware, the fetch-style handler, headless Chromium on a page
// of the Express app, trackLead, and the `affitor-tracker test-lead` command.
//
//   node --test --test-concurrency=1 tests/server.test.mjs
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import express from 'express';
import { startCollector } from '../server/collector.mjs';
import { createHandler, nodeMiddleware, trackLead } from '../module/server.js';
import { launchBrowser, root, until } from './e2e/harness.mjs';
import { consumer } from './packed.mjs';

const DAY = 86_400;
const WINDOW_MAX_AGE = 60 * DAY; // the collector's cookie_window_days
const API_KEY = 'test_key_123';

let dataDir;
let collector;
let api; // the collector's URL: the apiBase of every handler here
let site; // the Express app (default options), as the browser sees it: http://localhost:PORT
let siteServer;
let plain; // a plain node:http server: nodeMiddleware alone, trustProxy and a cookie domain
let plainServer;

const listen = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const closeServer = (server) =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  });

/** The Express site: the first-party endpoint, pages with the tag, and a signup route. */
function expressSite() {
  const app = express();
  app.use(nodeMiddleware({ apiBase: api, timeoutMs: 1000 }));
  app.get('/landing', (req, res) => res.type('html').send(page(`http://${req.headers.host}/affitor`)));
  // The same server reached as 127.0.0.1: another origin than localhost, a "sibling" site.
  app.get('/sibling', (req, res) => {
    const endpoint = `http://${req.headers.host.replace('127.0.0.1', 'localhost')}/affitor`;
    res.type('html').send(page(endpoint).replace('src="/affitor/', `src="${endpoint}/`));
  });
  app.get('/hello', (req, res) => res.type('text').send('hello from the site'));
  // The site's backend creates the account and sends the lead itself, with the program's key.
  app.post('/api/signup', express.json(), async (req, res) => {
    const result = await trackLead(
      { cookie: req.headers.cookie, customerKey: req.body.userId, email: req.body.email },
      { apiKey: API_KEY, apiBase: api, programId: 42 },
    );
    res.json(result);
  });
  return app;
}

const page = (apiBase) =>
  `<!doctype html><title>Landing</title>
   <script src="/affitor/affitor-tracker.js" data-affitor-program-id="42" data-affitor-api-base="${apiBase}"></script>`;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'affitor-server-'));
  collector = await startCollector({ port: 0, dataDir, wwwDir: join(root, 'www'), distDir: join(root, 'dist') });
  api = collector.url;
  siteServer = http.createServer(expressSite());
  site = `http://localhost:${await listen(siteServer)}`;
  plainServer = http.createServer(nodeMiddleware({ apiBase: api, trustProxy: true, cookieDomain: '.example.test' }));
  plain = `http://127.0.0.1:${await listen(plainServer)}`;
});

after(async () => {
  await closeServer(siteServer);
  await closeServer(plainServer);
  await collector?.close();
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => fetch(`${api}/api/v1/dev/events`, { method: 'DELETE' }));

// ---- helpers ----------------------------------------------------------------------------------

const events = async (type) => (await (await fetch(`${api}/api/v1/dev/events${type ? `?type=${type}` : ''}`)).json());
/** Every tracking request the collector saw (the dev endpoints are not logged). */
const requests = async () => (await fetch(`${api}/api/v1/dev/requests`)).json();
async function faults(spec) {
  const r = await fetch(`${api}/api/v1/dev/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec) });
  assert.equal(r.status, 200, await r.text());
}

/** A request sent as written: fetch() would resolve `..` before sending. */
function raw(base, method, path, { headers = {}, body } = {}) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    if (body !== undefined) headers = { ...headers, 'Content-Length': Buffer.byteLength(body) };
    const req = http.request({ host: hostname === 'localhost' ? '127.0.0.1' : hostname, port, method, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const post = (base, path, body, { contentType = 'application/json', headers = {} } = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': contentType, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const clickBody = (landing) => ({ affiliate_url: landing, page_url: landing, session_id: 's_test', program_id: 42 });

/** Set-Cookie lines by cookie name. */
const setCookies = (res) => {
  const lines = res.headers.getSetCookie ? res.headers.getSetCookie() : [].concat(res.headers['set-cookie'] ?? []);
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l]));
};
const valueOf = (line) => decodeURIComponent(line.split(';')[0].split('=').slice(1).join('='));

const runCli = (args, env = {}) =>
  new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin', 'affitor-tracker.mjs'), ...args], { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr }),
    );
  });

// ---- the tracker's files --------------------------------------------------------------------

describe('the tracker files under basePath', () => {
  it('serves the loader with a short cache and the hashed files immutable, with their MIME types', async () => {
    const loader = await fetch(`${site}/affitor/affitor-tracker.js`);
    assert.equal(loader.status, 200);
    assert.equal(loader.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(loader.headers.get('cache-control'), 'public, max-age=300');
    assert.equal(await loader.text(), await readFile(join(root, 'dist', 'affitor-tracker.js'), 'utf8'));

    const wasm = await fetch(`${site}/affitor/affitor_tracker_bg.wasm?v=abc123`);
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.equal(wasm.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.deepEqual(Buffer.from(await wasm.arrayBuffer()), await readFile(join(root, 'dist', 'affitor_tracker_bg.wasm')));

    const glue = await fetch(`${site}/affitor/affitor_tracker.js?v=abc123`);
    assert.equal(glue.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(glue.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    // Without the build hash the URL's content changes on upgrade: not immutable.
    const unversioned = await fetch(`${site}/affitor/affitor_tracker_bg.wasm`);
    assert.equal(unversioned.headers.get('cache-control'), 'public, max-age=300');
  });

  it('answers HEAD without a body', async () => {
    const res = await raw(site, 'HEAD', '/affitor/affitor-tracker.js');
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.equal(res.headers['content-type'], 'text/javascript; charset=utf-8');
  });

  it('refuses path traversal, encoded or not, and every file that is not the tracker', async () => {
    const secret = await readFile(join(root, 'package.json'), 'utf8');
    const paths = [
      '/affitor/../package.json',
      '/affitor/%2e%2e/package.json',
      '/affitor/%2E%2E/%2E%2E/package.json',
      '/affitor/..%2fpackage.json',
      '/affitor/%2e%2e%2fpackage.json',
      '/affitor/..\\package.json',
      '/affitor/..%5cpackage.json',
      '/affitor/affitor-tracker.js%00',
      '/affitor/affitor-tracker.js/',
      '/affitor/affitor_tracker.js%2f..%2f..%2fpackage.json',
      '/affitor//etc/passwd',
      '/affitor/package.json',
      '/affitor/README.md',
      '/affitor/dist/affitor-tracker.js',
      '/affitor/affitor-tracker.js.map',
      '/affitor/affitor_tracker_missing.js',
      '/affitor/',
      '/affitor',
    ];
    for (const base of [site, plain]) {
      for (const path of paths) {
        const res = await raw(base, 'GET', path);
        assert.equal(res.status, 404, `${base}${path}`);
        assert.ok(!res.text.includes('"devDependencies"') && !res.text.includes(secret.slice(0, 40)), `${path} leaks no file`);
      }
    }
    const handle = createHandler({ apiBase: api });
    for (const path of ['/affitor/%2e%2e/package.json', '/affitor/..%2fpackage.json', '/affitor/..\\package.json']) {
      const res = await handle(new Request(`http://localhost${path}`));
      // The URL parser resolves encoded dots itself: such a path is outside basePath, or a 404.
      assert.ok(res === undefined || res.status === 404, path);
    }
    assert.deepEqual(await requests(), [], 'nothing reached the API');
  });
});

// ---- what is forwarded, and what is not -------------------------------------------------------

describe('the two track endpoints', () => {
  it('forward a text/plain beacon body as JSON, with the visitor\'s User-Agent and address, never Cookie or Authorization', async () => {
    const res = await post(site, '/affitor/api/v1/track/lead', { customer_key: 'beacon_user', program_id: 42 }, {
      contentType: 'text/plain;charset=UTF-8',
      headers: {
        'User-Agent': 'VisitorBrowser/1.0',
        Cookie: 'session=SITE_SESSION; affitor_click_id=cust_1',
        Authorization: 'Bearer SITE_TOKEN',
        'X-Forwarded-For': '203.0.113.9', // not trusted by default: replaced by the socket's address
      },
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).success, true);
    const [logged] = await requests();
    assert.equal(logged.path, '/api/v1/track/lead');
    assert.equal(logged.contentType, 'application/json');
    assert.deepEqual(logged.body, { customer_key: 'beacon_user', program_id: 42 });
    assert.equal(logged.headers['user-agent'], 'VisitorBrowser/1.0');
    assert.equal(logged.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(logged.headers.cookie, undefined);
    assert.equal(logged.headers.authorization, undefined);
    assert.equal((await events('lead'))[0].body.customer_key, 'beacon_user');
  });

  it('append the visitor\'s address to a trusted proxy\'s X-Forwarded-For (trustProxy)', async () => {
    const res = await post(plain, '/affitor/api/v1/track/lead', { customer_key: 'proxied_user' }, {
      headers: { 'X-Forwarded-For': '203.0.113.9' },
    });
    assert.equal(res.status, 200);
    const [logged] = await requests();
    assert.equal(logged.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
  });

  it('pass the API\'s refusals and Retry-After back as they are', async () => {
    const refused = await post(site, '/affitor/api/v1/track/lead', {});
    assert.equal(refused.status, 400);
    assert.deepEqual(await refused.json(), { error: 'click_id or customer_key is required' });
    await faults({ lead: [{ status: 503, retryAfter: 7 }] });
    const busy = await post(site, '/affitor/api/v1/track/lead', { customer_key: 'u' });
    assert.equal(busy.status, 503);
    assert.equal(busy.headers.get('retry-after'), '7');
    assert.deepEqual(await busy.json(), { error: 'Injected failure' });
  });

  it('answer a CORS preflight for a page on a sibling origin, without forwarding it', async () => {
    const res = await fetch(`${site}/affitor/api/v1/track/click`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://www.example.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://www.example.test');
    assert.match(res.headers.get('access-control-allow-methods'), /\bPOST\b/);
    assert.match(res.headers.get('access-control-allow-headers'), /content-type/i);
    const answer = await post(site, '/affitor/api/v1/track/lead', { customer_key: 'cors_user' }, { headers: { Origin: 'http://www.example.test' } });
    assert.equal(answer.headers.get('access-control-allow-origin'), 'http://www.example.test');
    assert.deepEqual((await requests()).map((r) => r.method), ['POST'], 'only the POST was forwarded');
  });

  it('forward nothing else: other paths and methods under basePath are 404s the API never sees', async () => {
    // Prove it with the collector's own dev endpoints: a forwarded DELETE would wipe its events.
    await post(api, '/api/v1/track/lead', { customer_key: 'keep_me' });
    const attempts = [
      ['DELETE', '/affitor/api/v1/dev/events'],
      ['GET', '/affitor/api/v1/dev/events'],
      ['POST', '/affitor/api/v1/dev/faults'],
      ['GET', '/affitor/api/v1/track/lead'],
      ['PUT', '/affitor/api/v1/track/lead'],
      ['POST', '/affitor/api/v1/track/lead/'],
      ['POST', '/affitor/api/v1/track/leads'],
      ['POST', '/affitor/api/v1/track/click?x=1/../../dev/events'],
      ['POST', '/affitor/api/v1/track/../dev/events'],
      ['POST', '/affitor/api/v1/track/%2e%2e/dev/events'],
      ['POST', '/affitor/api/v2/track/lead'],
      ['POST', '/affitor/http://127.0.0.1/api/v1/track/lead'],
      ['POST', '/affitor/affitor-tracker.js'],
    ];
    for (const [method, path] of attempts) {
      const res = await raw(site, method, path, { headers: { 'Content-Type': 'application/json' }, body: '{"customer_key":"x"}' });
      if (path.includes('?x=1')) {
        // The query is not part of the path: this is the click endpoint, answered by the API.
        assert.equal(res.status, 400, path);
        continue;
      }
      assert.equal(res.status, 404, `${method} ${path}`);
    }
    assert.equal((await events()).length, 1, 'the collector kept its events: no DELETE got through');
    const seen = (await requests()).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(seen, ['POST /api/v1/track/lead', 'POST /api/v1/track/click'], 'only the two endpoints, with no query passed on');
    assert.equal((await raw(site, 'GET', '/hello')).text, 'hello from the site', 'Express routes after it still run');
  });

  it('refuse a body over 64 KB with 413, and send nothing', async () => {
    const big = JSON.stringify({ customer_key: 'big', pad: 'x'.repeat(64 * 1024) });
    for (const base of [site, plain]) {
      const res = await post(base, '/affitor/api/v1/track/lead', big);
      assert.equal(res.status, 413);
      assert.match((await res.json()).error, /65536 bytes/);
    }
    // Without a Content-Length (a streamed body), the fetch-style handler counts as it reads.
    const handle = createHandler({ apiBase: api });
    const stream = new Blob([big]).stream();
    const res = await handle(new Request('http://localhost/affitor/api/v1/track/lead', { method: 'POST', body: stream, duplex: 'half' }));
    assert.equal(res.status, 413);
    assert.deepEqual(await requests(), []);
    // Exactly the limit still goes through.
    const exact = JSON.stringify({ customer_key: 'limit', pad: '' });
    const padded = exact.replace('"pad":""', `"pad":"${'y'.repeat(64 * 1024 - exact.length)}"`);
    assert.equal(Buffer.byteLength(padded), 64 * 1024);
    assert.equal((await post(site, '/affitor/api/v1/track/lead', padded)).status, 200);
  });

  it('answer 502 when the API is unreachable and 504 when it is too slow, as JSON errors', async () => {
    const closed = http.createServer();
    const port = await listen(closed);
    await closeServer(closed);
    const unreachable = createHandler({ apiBase: `http://127.0.0.1:${port}` });
    const res = await unreachable(new Request('http://localhost/affitor/api/v1/track/lead', { method: 'POST', body: '{"customer_key":"u"}' }));
    assert.equal(res.status, 502);
    assert.match((await res.json()).error, /could not be reached/);

    await faults({ lead: [{ stallMs: 2000 }] });
    const started = Date.now();
    const slow = await post(site, '/affitor/api/v1/track/lead', { customer_key: 'slow_user' }); // the site's timeoutMs: 1000
    assert.equal(slow.status, 504);
    assert.match((await slow.json()).error, /did not answer within 1000 ms/);
    assert.ok(Date.now() - started < 1900, 'answered at the timeout, not when the API did');
    // The stalled request still ends in a lead: let it land here, not in a later test.
    await until(async () => (await events('lead')).length === 1, 5000, 'the stalled lead');
  });
});

// ---- the click cookies ------------------------------------------------------------------------

describe('a click answered through the endpoint', () => {
  it('sets the §3 cookies with Set-Cookie for the program\'s window, and says so in the answer', async () => {
    const landing = 'http://localhost/pricing?utm_source=x&aff=PARTNER1&email=a@b.co#top';
    const res = await post(site, '/affitor/api/v1/track/click', clickBody(landing), {
      headers: { Cookie: `affitor_click_ids=${encodeURIComponent('cust_old_1|cust_old_2')}; session=abc` },
    });
    assert.equal(res.status, 200);
    const answer = await res.json();
    assert.equal(answer.success, true);
    assert.equal(answer.cookies_set_by_server, true);
    const id = answer.click_id;
    const [event] = await events('click');
    assert.equal(event.response.click_id, id, 'the API\'s click id, passed on');

    const cookies = setCookies(res);
    assert.deepEqual(Object.keys(cookies).sort(), ['affitor_aff_url', 'affitor_click_id', 'affitor_click_ids', 'customer_code']);
    assert.equal(valueOf(cookies.affitor_click_id), id);
    assert.equal(valueOf(cookies.customer_code), id);
    assert.equal(valueOf(cookies.affitor_click_ids), `cust_old_1|cust_old_2|${id}`);
    assert.match(cookies.affitor_click_ids, /^affitor_click_ids=cust_old_1%7Ccust_old_2%7C/, 'URI-encoded');
    assert.equal(valueOf(cookies.affitor_aff_url), 'http://localhost/pricing?aff=PARTNER1', 'origin, path and aff only');
    for (const line of Object.values(cookies)) {
      assert.match(line, new RegExp(`; Max-Age=${WINDOW_MAX_AGE}(;|$)`));
      assert.match(line, /; Path=\/(;|$)/);
      assert.match(line, /; SameSite=Lax(;|$)/);
      assert.doesNotMatch(line, /Secure|Domain|HttpOnly/i, 'plain http, no cookie domain; the tracker reads them');
    }
  });

  it('keeps at most 20 ids in the history, the new one last', async () => {
    const old = Array.from({ length: 25 }, (_, i) => `cust_old_${i}`);
    const res = await post(site, '/affitor/api/v1/track/click', clickBody('http://localhost/?aff=P2'), {
      headers: { Cookie: `affitor_click_ids=${encodeURIComponent(old.join('|'))}` },
    });
    const { click_id: id } = await res.json();
    const history = valueOf(setCookies(res).affitor_click_ids).split('|');
    assert.equal(history.length, 20);
    assert.deepEqual(history, [...old.slice(-19), id]);
  });

  it('adds Secure behind a trusted https proxy, and the cookie domain option', async () => {
    const res = await post(plain, '/affitor/api/v1/track/click', clickBody('https://www.example.test/?aff=P3'), {
      headers: { 'X-Forwarded-Proto': 'https' },
    });
    const cookies = setCookies(res);
    const domainLines = res.headers.getSetCookie().filter((l) => l.startsWith('affitor_click_id='));
    // First the host-only copy is expired (it would shadow the shared one), then the shared one.
    assert.equal(domainLines.length, 2);
    assert.match(domainLines[0], /^affitor_click_id=; Max-Age=0; Path=\/; SameSite=Lax; Secure$/);
    assert.match(cookies.affitor_click_id, /; Domain=\.example\.test; Secure$/);
    assert.match(cookies.affitor_click_id, /; Max-Age=5184000;/);
    // Not trusted (the Express site): the header does not make the cookie Secure.
    const untrusted = await post(site, '/affitor/api/v1/track/click', clickBody('http://localhost/?aff=P3'), { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.doesNotMatch(setCookies(untrusted).affitor_click_id, /Secure/);
  });

  it('sets no cookie for an inactive link or a refused click', async () => {
    const inactive = await post(site, '/affitor/api/v1/track/click', clickBody('http://localhost/?aff=INACTIVE1'));
    assert.equal(inactive.status, 200);
    assert.deepEqual(await inactive.json(), { success: false, message: 'Affiliate link is inactive' });
    assert.deepEqual(setCookies(inactive), {});
    const refused = await post(site, '/affitor/api/v1/track/click', { page_url: 'x' });
    assert.equal(refused.status, 400);
    assert.deepEqual(setCookies(refused), {});
  });

  it('takes Max-Age from cookie_window_days, within 1 to 3650 days', async () => {
    const cases = [[7, 7 * DAY], [99999, 3650 * DAY], [0, DAY], ['90', 60 * DAY], [undefined, 60 * DAY]];
    for (const [days, maxAge] of cases) {
      // A stand-in API that answers with this window (the collector's is always 60 days).
      const fakeApi = async () => Response.json({ success: true, click_id: 'cust_1_1', cookie_window_days: days });
      const handle = createHandler({ apiBase: api, fetch: fakeApi });
      const res = await handle(new Request('http://localhost/affitor/api/v1/track/click', { method: 'POST', body: JSON.stringify(clickBody('http://localhost/?aff=P')) }));
      assert.match(setCookies(res).affitor_click_id, new RegExp(`; Max-Age=${maxAge};`), `cookie_window_days ${days}`);
    }
  });
});

// ---- the fetch-style handler --------------------------------------------------------------------

describe('createHandler (fetch-style)', () => {
  it('resolves undefined outside basePath, and serves and forwards under it', async () => {
    const handle = createHandler({ apiBase: api, basePath: '/t/affitor/' });
    assert.equal(await handle(new Request('http://localhost/')), undefined);
    assert.equal(await handle(new Request('http://localhost/t/affitorx/affitor-tracker.js')), undefined);
    assert.equal(await handle(new Request('http://localhost/affitor/affitor-tracker.js')), undefined);

    const file = await handle(new Request('http://localhost/t/affitor/affitor-tracker.js'));
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'text/javascript; charset=utf-8');

    const res = await handle(
      new Request('https://shop.example.test/t/affitor/api/v1/track/click', {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', 'User-Agent': 'UA/2' },
        body: JSON.stringify(clickBody('https://shop.example.test/?aff=P4')),
      }),
      { clientAddress: '::ffff:198.51.100.7' },
    );
    assert.equal(res.status, 200);
    assert.equal((await res.json()).cookies_set_by_server, true);
    assert.match(setCookies(res).affitor_click_id, /; Secure$/, 'an https request URL');
    const [logged] = await requests();
    assert.equal(logged.headers['x-forwarded-for'], '198.51.100.7');
    assert.equal(logged.headers['user-agent'], 'UA/2');
    assert.equal(logged.contentType, 'application/json');
  });

  it('works as the Next.js route handler of docs/first-party.md (GET, HEAD, POST, OPTIONS)', async () => {
    const handle = createHandler({ basePath: '/affitor', trustProxy: true, apiBase: api });
    const route = async (request) => (await handle(request)) ?? new Response(null, { status: 404 });
    const at = (path, init) => route(new Request(`https://shop.example.test${path}`, init));
    assert.equal((await at('/affitor/affitor-tracker.js')).status, 200);
    const head = await at('/affitor/affitor-tracker.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    assert.equal((await at('/affitor/api/v1/track/lead', { method: 'OPTIONS' })).status, 204);
    assert.equal((await at('/elsewhere')).status, 404);
    const lead = await at('/affitor/api/v1/track/lead', {
      method: 'POST',
      headers: { 'X-Forwarded-For': '203.0.113.5' },
      body: JSON.stringify({ customer_key: 'next_user' }),
    });
    assert.equal(lead.status, 200);
    // No socket in a route handler: the address is the host's X-Forwarded-For, trusted.
    assert.equal((await requests())[0].headers['x-forwarded-for'], '203.0.113.5');
  });

  it('throws at once for options that cannot work', () => {
    assert.throws(() => createHandler({ apiBase: 'ftp://x' }), TypeError);
    assert.throws(() => createHandler({ apiBase: 'https://api.example.test/?q=1' }), TypeError);
    assert.throws(() => createHandler({ basePath: 'affitor' }), TypeError);
    assert.throws(() => createHandler({ basePath: '/' }), TypeError);
    assert.throws(() => createHandler({ basePath: '/a/../b' }), TypeError);
    assert.throws(() => createHandler({ cookieDomain: 'x; Secure' }), TypeError);
    assert.throws(() => nodeMiddleware({ timeoutMs: -1 }), TypeError);
  });
});

describe('nodeMiddleware on a plain node:http server', () => {
  it('answers 404 outside basePath when there is no next()', async () => {
    const res = await raw(plain, 'GET', '/');
    assert.equal(res.status, 404);
    assert.equal((await raw(plain, 'GET', '/affitor/affitor-tracker.js')).status, 200);
  });

  it('works mounted on a path in Express, and after a body parser', async () => {
    const app = express();
    app.use(express.text({ type: 'text/plain' }));
    // As body-parser 1.x (Express 4) does: `req.body = {}` for a type it did not read.
    app.use((req, res, next) => {
      req.body ??= {};
      next();
    });
    app.use('/affitor', nodeMiddleware({ apiBase: api }));
    const server = http.createServer(app);
    const base = `http://127.0.0.1:${await listen(server)}`;
    try {
      assert.equal((await fetch(`${base}/affitor/affitor-tracker.js`)).status, 200);
      const res = await post(base, '/affitor/api/v1/track/lead', { customer_key: 'parsed_user' }, { contentType: 'text/plain' });
      assert.equal(res.status, 200);
      assert.equal((await events('lead'))[0].body.customer_key, 'parsed_user');
      const unread = await post(base, '/affitor/api/v1/track/lead', { customer_key: 'unread_user' });
      assert.equal(unread.status, 200);
      assert.equal((await events('lead'))[1].body.customer_key, 'unread_user');
    } finally {
      await closeServer(server);
    }
  });
});

// ---- in the browser -------------------------------------------------------------------------------

describe('in Chromium, an Express site in first-party mode', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(() => browser?.close());

  /** Lands on the Express site with `?aff=`; resolves the page and the click's response. */
  async function land(context, query) {
    const pg = await context.newPage();
    pg.errors = [];
    pg.on('pageerror', (e) => pg.errors.push(String(e)));
    const clickResponse = pg.waitForResponse((r) => r.url().endsWith('/affitor/api/v1/track/click'));
    await pg.goto(`${site}/landing${query}`);
    return { pg, click: await clickResponse };
  }

  it('delivers the click and the lead upstream; the click answer sets the cookies for 60 days', async () => {
    const context = await browser.newContext();
    const { pg, click } = await land(context, '?aff=PARTNER1&utm_source=mail');
    assert.equal(click.status(), 200);
    const lines = (await click.headerValues('set-cookie')).flatMap((v) => v.split('\n'));
    const byName = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l]));
    assert.deepEqual(Object.keys(byName).sort(), ['affitor_aff_url', 'affitor_click_id', 'affitor_click_ids', 'customer_code']);
    for (const line of lines) assert.match(line, /; Max-Age=5184000;/);
    const answer = await click.json();
    assert.equal(answer.cookies_set_by_server, true);

    const [event] = await until(async () => {
      const e = await events('click');
      return e.length === 1 && e;
    }, 5000, 'the click at the collector');
    assert.equal(event.response.click_id, answer.click_id);
    assert.equal(event.body.affiliate_url, `${site}/landing?aff=PARTNER1&utm_source=mail`);

    const result = await pg.evaluate(() => window.affitor.signup('user_fp_1', 'fp1@example.test'));
    assert.equal(result.ok, true);
    assert.equal(result.provisional, undefined, 'the API knows the click');
    const [lead] = await events('lead');
    assert.equal(lead.body.click_id, answer.click_id);
    assert.equal(lead.body.customer_key, 'user_fp_1');
    // Same origin, no preflight, and the proxy kept the site's cookies to itself.
    const seen = await requests();
    assert.deepEqual(seen.map((r) => `${r.method} ${r.path}`), ['POST /api/v1/track/click', 'POST /api/v1/track/lead']);
    assert.ok(seen.every((r) => r.headers.cookie === undefined && /HeadlessChrome/.test(r.headers['user-agent'])));
    assert.deepEqual(pg.errors, []);
    await context.close();
  });

  it('the signup route\'s trackLead sends the visitor\'s click id with the Bearer key', async () => {
    const context = await browser.newContext();
    const { pg, click } = await land(context, '?aff=PARTNER2');
    const { click_id: clickId } = await click.json();
    await until(async () => (await context.cookies()).some((c) => c.name === 'affitor_click_id'), 5000, 'the click cookie');
    // The site's own form posts to its backend, which sends the lead: no tracker call.
    const result = await pg.evaluate(async () => {
      const res = await fetch('/api/signup', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userId: 'user_fp_2', email: 'fp2@example.test' }) });
      return res.json();
    });
    assert.deepEqual(result, { ok: true, status: 200, message: 'Lead event tracked successfully' });
    const logged = (await requests()).filter((r) => r.path === '/api/v1/track/lead');
    assert.equal(logged.length, 1);
    assert.equal(logged[0].headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(logged[0].body.click_id, clickId);
    assert.deepEqual(logged[0].body.click_ids, [clickId]);
    assert.equal(logged[0].body.customer_key, 'user_fp_2');
    assert.equal(logged[0].body.email, 'fp2@example.test');
    await context.close();
  });

  it('a page on a sibling origin delivers through the endpoint, with a preflight', async () => {
    const context = await browser.newContext();
    const pg = await context.newPage();
    const port = new URL(site).port;
    await pg.goto(`http://127.0.0.1:${port}/sibling?aff=PARTNER3`);
    await until(async () => (await events('click')).length === 1, 5000, 'the click from the sibling origin');
    const result = await pg.evaluate(() => window.affitor.signup('user_fp_3'));
    assert.equal(result.ok, true);
    const [lead] = await events('lead');
    assert.equal(lead.origin, `http://127.0.0.1:${port}`, 'the API sees the page\'s origin');
    await context.close();
  });

  // The click goes with `credentials: "same-origin"`, so the browser keeps the first-party
  // endpoint's Set-Cookie, and the tracker, told `cookies_set_by_server`, does not rewrite them.
  it('the browser keeps the cookies the server set, and the tracker leaves them alone', async () => {
    const context = await browser.newContext();
    const { click } = await land(context, '?aff=PARTNER4&utm_source=mail');
    const { click_id: clickId } = await click.json();
    const jar = await until(async () => {
      const all = Object.fromEntries((await context.cookies()).map((c) => [c.name, c]));
      return all.affitor_click_id && all;
    }, 5000, 'the click cookie');
    try {
      assert.equal(jar.customer_code?.value, clickId, 'customer_code comes only from the server');
      assert.equal(decodeURIComponent(jar.affitor_aff_url.value), `${site}/landing?aff=PARTNER4`);
    } finally {
      await context.close();
    }
  });
});

// ---- trackLead ------------------------------------------------------------------------------------

describe('trackLead', () => {
  let options;
  before(() => {
    options = { apiKey: API_KEY, apiBase: api, programId: 42, backoffMs: 20 };
  });
  const leadPosts = async () => (await requests()).filter((r) => r.path === '/api/v1/track/lead');

  it('sends the CONTRACT §4 body from the visitor\'s cookies, with the Bearer key', async () => {
    const cookie = `session=abc; affitor_click_id=cust_42_1; affitor_click_ids=${encodeURIComponent('cust_42_0|cust_42_1')}`;
    const result = await trackLead({ cookie, customerKey: 'srv_user_1', email: ' srv1@example.test ', pageUrl: 'https://shop.example.test/signup' }, options);
    assert.deepEqual(result, { ok: true, status: 200, message: 'Lead event tracked successfully', provisional: true });
    const [logged] = await leadPosts();
    assert.equal(logged.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(logged.contentType, 'application/json');
    const { session_id: sessionId, ...body } = logged.body;
    assert.match(sessionId, /^server_[0-9a-z]+$/);
    assert.deepEqual(body, {
      click_id: 'cust_42_1',
      customer_key: 'srv_user_1',
      email: 'srv1@example.test',
      click_ids: ['cust_42_0', 'cust_42_1'],
      program_id: 42,
      page_url: 'https://shop.example.test/signup',
      has_attribution: true,
      debug_mode: false,
      additional_data: {},
    });
  });

  it('reads the legacy customer_code cookie, and an explicit clickId wins over the cookie', async () => {
    await trackLead({ cookie: 'customer_code=legacy_1', customerKey: 'srv_legacy' }, options);
    await trackLead({ cookie: 'affitor_click_id=from_cookie', clickId: 'given_1', customerKey: 'srv_given' }, options);
    const [legacy, given] = (await leadPosts()).map((r) => r.body);
    assert.equal(legacy.click_id, 'legacy_1');
    assert.equal(given.click_id, 'given_1');
    // No cookie and a numeric key: no attribution, the key as a string, page_url null.
    const result = await trackLead({ customerKey: 1234 }, options);
    assert.equal(result.ok, true);
    const last = (await leadPosts()).at(-1).body;
    assert.equal(last.customer_key, '1234');
    assert.equal(last.click_id, null);
    assert.equal(last.has_attribution, false);
    assert.equal(last.page_url, null);
  });

  it('marks a test-mode lead', async () => {
    const result = await trackLead({ clickId: 'test_lead_001', customerKey: 'test_customer', testMode: true }, options);
    assert.equal(result.ok, true);
    assert.equal(result.message, 'Test lead event tracked successfully');
    const [event] = await events('lead');
    assert.equal(event.test_mode, true);
    assert.deepEqual(event.body.additional_data, { test_mode: true, program_id: 42 });
  });

  it('sends nothing without an API key, or without a click id and a customer key', async () => {
    const noKey = await trackLead({ customerKey: 'u' }, { apiBase: api });
    assert.equal(noKey.ok, false);
    assert.match(noKey.error, /apiKey/);
    const nothing = await trackLead({ cookie: 'session=abc' }, options);
    assert.equal(nothing.ok, false);
    assert.match(nothing.error, /click id .* or a customerKey/);
    const badKey = await trackLead({ clickId: 'c1', customerKey: { id: 1 } }, options);
    assert.equal(badKey.ok, false);
    assert.deepEqual(await requests(), []);
  });

  it('never throws, whatever it is given', async () => {
    for (const [input, opts] of [[null, null], [undefined, undefined], [{ customerKey: 'u' }, { apiKey: 'k', apiBase: 'not a url' }], [{ customerKey: 'u' }, { apiKey: 'k', programId: 'abc' }], [{ customerKey: 'u' }, { apiKey: 'k', maxWaitMs: -5 }]]) {
      const result = await trackLead(input, opts);
      assert.equal(result.ok, false);
      assert.equal(typeof result.error, 'string');
    }
    assert.deepEqual(await requests(), []);
  });

  it('retries network errors, 429 and 5xx, then delivers', async () => {
    await faults({ lead: [{ status: 503 }, { drop: true }, { status: 429, retryAfter: 0 }, { status: 408 }] });
    const result = await trackLead({ customerKey: 'srv_retry' }, options);
    assert.equal(result.ok, true);
    assert.equal(result.status, 200);
    assert.equal((await leadPosts()).length, 5);
    assert.equal((await events('lead')).length, 1);
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    await faults({ lead: [{ status: 429, retryAfter: 1 }] });
    let started = Date.now();
    assert.equal((await trackLead({ customerKey: 'srv_after_1' }, options)).ok, true);
    assert.ok(Date.now() - started >= 1000, `waited ${Date.now() - started} ms for Retry-After: 1`);

    // The collector sends seconds only: a stand-in API answers with a date, then passes on.
    let calls = 0;
    const dateApi = async (url, init) => {
      calls += 1;
      if (calls === 1) return new Response('{}', { status: 503, headers: { 'Retry-After': new Date(Date.now() + 2000).toUTCString() } });
      return fetch(url, init);
    };
    started = Date.now();
    assert.equal((await trackLead({ customerKey: 'srv_after_2' }, { ...options, fetch: dateApi })).ok, true);
    // An HTTP date has whole seconds: 2 s ahead is 1 to 2 s of waiting.
    assert.ok(Date.now() - started >= 900, `waited ${Date.now() - started} ms for a Retry-After date`);
  });

  it('gives up within maxWaitMs, and does not retry a final answer', async () => {
    await faults({ lead: Array.from({ length: 20 }, () => ({ status: 500 })) });
    const started = Date.now();
    // 1.5 s: long enough that each attempt gets its 500 on a loaded machine (an attempt's own
    // timeout is capped by what is left of maxWaitMs, and one cut short has no status).
    const result = await trackLead({ customerKey: 'srv_down' }, { ...options, maxWaitMs: 1500, backoffMs: 50 });
    const took = Date.now() - started;
    assert.equal(result.ok, false);
    assert.equal(result.status, 500);
    assert.match(result.error, /answered 500/);
    assert.ok(took < 1500 + 500, `gave up after ${took} ms`);
    assert.ok((await leadPosts()).length >= 2, 'it did retry');

    await fetch(`${api}/api/v1/dev/events`, { method: 'DELETE' });
    await trackLead({ customerKey: 'srv_once' }, options);
    const again = await trackLead({ customerKey: 'srv_once' }, options);
    assert.equal(again.ok, false);
    assert.equal(again.status, 400);
    assert.match(again.error, /already has a lead/);
    assert.equal((await leadPosts()).length, 2, 'one request each');
  });

  it('reports an unreachable API as ok: false, not queued', async () => {
    const closed = http.createServer();
    const port = await listen(closed);
    await closeServer(closed);
    const result = await trackLead({ customerKey: 'u' }, { ...options, apiBase: `http://127.0.0.1:${port}`, maxWaitMs: 300, backoffMs: 20 });
    assert.equal(result.ok, false);
    assert.equal(result.queued, undefined);
    assert.match(result.error, /could not be reached/);
  });

  it('a retry that finds the lead already recorded counts it as delivered', async () => {
    // The first attempt arrives but its answer is lost: the API stalls past the timeout, then
    // records it. The retry (after at least 300 ms more) hears "already has a lead".
    await faults({ lead: [{ stallMs: 300 }] });
    const result = await trackLead({ customerKey: 'srv_lost_answer' }, { ...options, timeoutMs: 200, backoffMs: 600 });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.match(result.message, /already has a lead/);
    const posts = await leadPosts();
    assert.equal(posts.length, 2);
    assert.equal(posts[1].status, 400);
    assert.equal((await events('lead')).length, 1);
  });
});

// ---- the command ----------------------------------------------------------------------------------

describe('npx affitor-tracker test-lead', () => {
  it('sends CONTRACT §6\'s test lead, prints the answer and exits 0', async () => {
    const { code, stdout } = await runCli(['test-lead', '--api-base', api, '--program-id', '7']);
    assert.equal(code, 0);
    assert.match(stdout, /Test lead event tracked successfully/);
    const [event] = await events('lead');
    assert.equal(event.test_mode, true);
    assert.deepEqual(event.body, { click_id: 'test_lead_001', customer_key: 'test_customer', additional_data: { test_mode: true, program_id: '7' } });
  });

  it('works through the first-party endpoint, which keeps the API key to itself', async () => {
    const direct = await runCli(['test-lead', '--api-base', api], { AFFITOR_API_KEY: 'cli_key' });
    assert.equal(direct.code, 0);
    const proxied = await runCli(['test-lead', '--api-base', `${site}/affitor`], { AFFITOR_API_KEY: 'cli_key' });
    assert.equal(proxied.code, 0, proxied.stderr);
    const [first, second] = await requests();
    assert.equal(first.headers.authorization, 'Bearer cli_key');
    assert.equal(second.headers.authorization, undefined);
  });

  it('exits non-zero when the API refuses or cannot be reached, and on bad usage with a usage line', async () => {
    await faults({ lead: [{ status: 400 }] });
    const refused = await runCli(['test-lead', '--api-base', api]);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /^400 /m);

    const closed = http.createServer();
    const port = await listen(closed);
    await closeServer(closed);
    const down = await runCli(['test-lead', '--api-base', `http://127.0.0.1:${port}`]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /could not be reached/);

    for (const args of [[], ['nope'], ['test-lead', '--api-base', 'ftp://x'], ['test-lead', '--program-id', 'abc'], ['test-lead', '--bogus']]) {
      const bad = await runCli(args);
      assert.equal(bad.code, 2, args.join(' '));
      assert.match(bad.stderr, /usage: affitor-tracker test-lead \[--api-base URL\] \[--program-id ID\]/);
    }
  });
});

// ---- the package ----------------------------------------------------------------------------------

describe('the package', () => {
  let project;
  before(async () => {
    project = await consumer();
  });
  after(() => project?.remove());

  it('exports affitor-tracker/server, with a version that matches package.json', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    assert.equal(pkg.dependencies, undefined, 'no runtime dependencies');
    const src = await readFile(join(root, 'module', 'server.js'), 'utf8');
    assert.match(src, new RegExp(`const VERSION = '${pkg.version.replaceAll('.', '\\.')}';`));
    const out = await new Promise((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', "const m = await import('affitor-tracker/server'); console.log(Object.keys(m).sort().join())"], { cwd: project.dir }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    assert.equal(out.trim(), 'createHandler,nodeMiddleware,trackLead');
  });

  it('its declarations type-check a site\'s usage without @types/node', async () => {
    await writeFile(join(project.dir, 'server.ts'), `
      import { createHandler, nodeMiddleware, trackLead, type AffitorResult, type FirstPartyClickAnswer } from 'affitor-tracker/server';
      const handle = createHandler({ apiBase: 'https://api.affitor.com', basePath: '/affitor', trustProxy: true, cookieDomain: '.example.com' });
      export const GET = (request: Request) => handle(request);
      const maybe: Promise<Response | undefined> = handle(new Request('https://example.com/affitor/affitor-tracker.js'), { clientAddress: '1.2.3.4' });
      const mw = nodeMiddleware({ timeoutMs: 5000 });
      mw({ method: 'GET', url: '/', headers: {} }, { headersSent: false, writeHead: () => undefined, end: () => undefined }, () => {});
      const result: Promise<AffitorResult> = trackLead({ cookie: 'a=b', customerKey: 'u1', email: null }, { apiKey: 'k', programId: 42 });
      const answer = {} as FirstPartyClickAnswer;
      const flag: true = answer.cookies_set_by_server;
      // @ts-expect-error the API key is required
      trackLead({ customerKey: 'u1' }, {});
      // @ts-expect-error a customer key is a string or a number
      trackLead({ customerKey: {} }, { apiKey: 'k' });
      export { maybe, result, flag };
    `);
    await writeFile(join(project.dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], types: [], skipLibCheck: false },
      files: ['server.ts'],
    }));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await new Promise((resolve) =>
      execFile(process.execPath, [tsc, '-p', project.dir], { cwd: project.dir }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, output: stdout + stderr })),
    );
    assert.equal(result.code, 0, result.output);
  });
});
