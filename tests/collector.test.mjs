// The dev collector over real HTTP: the public API's answers (docs/contract.md §4–§6), the dev
// endpoints, fault injection, persistence and static serving. No browser.
//
//   node --test tests/collector.test.mjs

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { startCollector } from '../server/collector.mjs';

const SECTION_6_BODY = {
  click_id: 'test_lead_001',
  customer_key: 'test_customer',
  additional_data: { test_mode: true, program_id: '42' },
};

let root; // temp dir: www/, dist/, a secret file next to them, and data dirs
let www;
let dist;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'affitor-collector-'));
  www = path.join(root, 'www');
  dist = path.join(root, 'dist');
  await fs.mkdir(path.join(www, 'docs'), { recursive: true });
  await fs.mkdir(dist);
  await fs.writeFile(
    path.join(www, 'index.html'),
    '<script src="/affitor/affitor-tracker.js" data-affitor-api-base="%AFFITOR_API_BASE%"></script>',
  );
  await fs.writeFile(path.join(www, 'signup.html'), '<h1>signup page</h1>');
  await fs.writeFile(path.join(www, 'docs', 'index.html'), '<h1>docs index</h1>');
  await fs.writeFile(path.join(www, 'demo.css'), 'body{}');
  await fs.writeFile(path.join(dist, 'affitor_tracker_bg.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  await fs.writeFile(path.join(dist, 'affitor-tracker.js'), '/* tracker */');
  await fs.writeFile(path.join(root, 'secret.txt'), 'TOP SECRET');
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function newDataDir() {
  return fs.mkdtemp(path.join(root, 'data-'));
}

function start(dataDir, options = {}) {
  return startCollector({ port: 0, dataDir, wwwDir: www, distDir: dist, ...options });
}

/** A client bound to one collector. */
function client(collector) {
  const url = (p) => collector.url + p;
  return {
    url,
    post(p, body, { contentType = 'application/json', headers = {}, signal } = {}) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      return fetch(url(p), { method: 'POST', headers: { 'Content-Type': contentType, ...headers }, body: text, signal });
    },
    async json(p, init) {
      const res = await fetch(url(p), init);
      return { status: res.status, headers: res.headers, body: await res.json() };
    },
    events: async (query = '') => (await fetch(url(`/api/v1/dev/events${query}`))).json(),
    requests: async () => (await fetch(url('/api/v1/dev/requests'))).json(),
    reset: () => fetch(url('/api/v1/dev/events'), { method: 'DELETE' }),
    faults: (spec) => fetch(url('/api/v1/dev/faults'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec) }),
  };
}

async function answer(resPromise) {
  const res = await resPromise;
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** A raw request whose path is sent as written (fetch would normalise `..` away). */
function rawGet(port, rawPath) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('with one collector', { timeout: 30_000 }, () => {
  let collector;
  let c;

  before(async () => {
    collector = await start(await newDataDir());
    c = client(collector);
  });
  after(() => collector.close());
  beforeEach(async () => {
    await c.reset();
  });

  describe('lead (§4, §6)', () => {
    test('the §6 test-mode body answers success and data.test_mode, and is logged', async () => {
      const { status, body } = await answer(c.post('/api/v1/track/lead', SECTION_6_BODY));
      assert.equal(status, 200);
      assert.equal(body.success, true);
      assert.equal(body.message, 'Test lead event tracked successfully');
      assert.equal(body.data.test_mode, true);
      assert.equal(body.data.programId, '42');
      assert.match(body.data.eventId, /^evt_/);

      const [event] = await c.events();
      assert.equal(event.type, 'lead');
      assert.equal(event.id, body.data.eventId);
      assert.equal(event.test_mode, true);
      assert.deepEqual(event.body, SECTION_6_BODY);
      assert.deepEqual(event.response, body);
    });

    test('test mode needs no ids and does not block the real lead for that customer', async () => {
      const testOnly = { customer_key: 'u_test', additional_data: { test_mode: true } };
      assert.equal((await c.post('/api/v1/track/lead', testOnly)).status, 200);
      assert.equal((await c.post('/api/v1/track/lead', { additional_data: { test_mode: true } })).status, 200);
      const real = await answer(c.post('/api/v1/track/lead', { customer_key: 'u_test', click_id: null }));
      assert.equal(real.status, 200);
    });

    test('without click_id and customer_key: 400, nothing recorded', async () => {
      for (const body of [{}, { click_id: null, customer_key: null }, { click_id: '', customer_key: '  ' }, { email: 'a@b.co' }]) {
        const res = await answer(c.post('/api/v1/track/lead', body));
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(res.body, { error: 'click_id or customer_key is required' });
      }
      assert.deepEqual(await c.events(), []);
    });

    test('a body that is not a JSON object: 400 with a clear error', async () => {
      for (const text of ['[]', '"x"', 'null', '42', '{garbage', '']) {
        const res = await answer(c.post('/api/v1/track/lead', text));
        assert.equal(res.status, 400, `body ${JSON.stringify(text)}`);
        assert.match(res.body.error, /Invalid JSON body/);
      }
      assert.deepEqual(await c.events(), []);
    });

    test('Content-Type must be application/json, or text/plain from a beacon (parameters allowed)', async () => {
      const body = { customer_key: 'u_ct' };
      for (const contentType of ['application/x-www-form-urlencoded', 'application/jsonx', 'text/html']) {
        const res = await answer(c.post('/api/v1/track/lead', body, { contentType }));
        assert.equal(res.status, 415, contentType);
        assert.deepEqual(res.body, { error: 'Content-Type must be application/json (or text/plain, from a beacon)' });
      }
      const beacon = await c.post('/api/v1/track/lead', { customer_key: 'u_beacon' }, { contentType: 'text/plain;charset=UTF-8' });
      assert.equal(beacon.status, 200, 'a sendBeacon string body');
      const noType = await answer(fetch(c.url('/api/v1/track/lead'), { method: 'POST', body: new Uint8Array([123, 125]) }));
      assert.equal(noType.status, 415);

      const ok = await c.post('/api/v1/track/lead', body, { contentType: 'Application/JSON; charset=utf-8' });
      assert.equal(ok.status, 200);
    });

    test('a body over 64 KiB: 413, and the server answers the next request', async () => {
      const big = { customer_key: 'u_big', pad: 'x'.repeat(70 * 1024) };
      const res = await answer(c.post('/api/v1/track/lead', big));
      assert.equal(res.status, 413);
      assert.match(res.body.error, /exceeds/);

      const next = await answer(c.post('/api/v1/track/lead', { customer_key: 'u_after_big' }));
      assert.equal(next.status, 200);
      assert.deepEqual((await c.events()).map((e) => e.body.customer_key), ['u_after_big']);
    });

    test('a body of exactly 64 KiB is accepted', async () => {
      const prefix = '{"customer_key":"u_64k","pad":"';
      const text = prefix + 'x'.repeat(64 * 1024 - prefix.length - 2) + '"}';
      assert.equal(Buffer.byteLength(text), 64 * 1024);
      assert.equal((await c.post('/api/v1/track/lead', text)).status, 200);
    });

    test('a chunked upload over 64 KiB (no Content-Length) is cut off with 413', async () => {
      const status = await new Promise((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: collector.port, path: '/api/v1/track/lead', method: 'POST', headers: { 'Content-Type': 'application/json' } },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        );
        req.on('error', reject);
        req.write('{"customer_key":"u_chunked","pad":"');
        for (let i = 0; i < 80; i++) req.write('y'.repeat(1024));
        req.end('"}');
      });
      assert.equal(status, 413);
      assert.deepEqual(await c.events(), []);
      assert.equal((await c.post('/api/v1/track/lead', { customer_key: 'u_next' })).status, 200);
    });

    test('a declared Content-Length over 64 KiB is refused without waiting for the body', async () => {
      const status = await new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: collector.port,
            path: '/api/v1/track/lead',
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'Content-Length': String(10 * 1024 * 1024) },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode);
            req.destroy();
          },
        );
        req.on('error', () => {}); // destroyed on purpose above
        req.setTimeout(2000, () => reject(new Error('no answer: the server waited for the body')));
        req.write('{"customer_key":"u_declared"'); // far less than announced, and never finished
      });
      assert.equal(status, 413);
    });

    test('clients that abort mid-upload or during a stall leave the server answering', async () => {
      await new Promise((resolve) => {
        const req = http.request({
          host: '127.0.0.1',
          port: collector.port,
          path: '/api/v1/track/lead',
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': '1000' },
        });
        req.on('error', () => {}); // destroyed on purpose below
        req.write('{"customer_key":"u_abort"', () => {
          req.destroy();
          resolve();
        });
      });

      // The client gives up during the stall; the server still processes the lead afterwards,
      // as the real API would, and must not trip over the closed socket.
      await c.faults({ lead: [{ stallMs: 200 }] });
      await assert.rejects(
        fetch(c.url('/api/v1/track/lead'), {
          method: 'POST',
          signal: AbortSignal.timeout(50),
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ customer_key: 'u_gone' }),
        }),
        { name: 'TimeoutError' },
      );
      await new Promise((r) => setTimeout(r, 250)); // let the stall end on the closed socket

      assert.equal((await c.post('/api/v1/track/lead', { customer_key: 'u_alive' })).status, 200);
      const logged = (await c.events()).map((e) => e.body.customer_key);
      assert.deepEqual(logged, ['u_gone', 'u_alive']);
    });

    test('a second lead for the same customer: 400 "cannot be updated to lead"', async () => {
      const lead = { customer_key: 'user_123', email: 'a@example.com', program_id: 42, click_id: null };
      assert.equal((await c.post('/api/v1/track/lead', lead)).status, 200);
      const again = await answer(c.post('/api/v1/track/lead', { ...lead, email: 'b@example.com' }));
      assert.equal(again.status, 400);
      assert.match(again.body.error, /^Customer user_123 already has a lead event and cannot be updated to lead$/);

      // The rule is per program.
      assert.equal((await c.post('/api/v1/track/lead', { ...lead, program_id: 7 })).status, 200);
      assert.equal((await c.events('?type=lead')).length, 2);
    });

    test('provisional unless the click id was issued here; all §4 fields recorded as sent', async () => {
      const click = await answer(c.post('/api/v1/track/click?program_id=42', { affiliate_url: 'http://localhost:8080/?aff=DEMO' }));
      const clickId = click.body.click_id;

      const lead = {
        click_id: clickId,
        customer_key: 'user_attr',
        email: 'jane@example.com',
        click_ids: ['cust_42_1', clickId],
        program_id: 42,
        page_url: 'http://localhost:8080/signup',
        session_id: 'sess_1',
        additional_data: {},
      };
      const attributed = await answer(c.post('/api/v1/track/lead', lead, { headers: { Origin: 'http://localhost:8080' } }));
      assert.deepEqual(attributed.body, { success: true, message: 'Lead event tracked successfully' });

      const unknown = await answer(c.post('/api/v1/track/lead', { click_id: 'cust_42_999', customer_key: 'user_unknown' }));
      assert.equal(unknown.body.provisional, true);
      const none = await answer(c.post('/api/v1/track/lead', { click_id: null, customer_key: 'user_none' }));
      assert.equal(none.body.provisional, true);

      const leads = await c.events('?type=lead');
      assert.deepEqual(leads[0].body, lead);
      assert.equal(leads[0].origin, 'http://localhost:8080');
      assert.equal(leads[1].origin, null);
    });
  });

  describe('click (§5)', () => {
    test('hands out cust_<program>_<millis> ids, unique even when concurrent', async () => {
      const body = { affiliate_url: 'http://localhost:8080/?aff=DEMO', program_id: 42 };
      const answers = await Promise.all(Array.from({ length: 20 }, () => answer(c.post('/api/v1/track/click', body))));
      for (const { status, body: b } of answers) {
        assert.equal(status, 200);
        assert.equal(b.success, true);
        assert.match(b.click_id, /^cust_42_\d+$/);
        assert.equal(b.partner_code, 'DEMO');
        assert.equal(b.cookie_window_days, 60);
      }
      assert.equal(new Set(answers.map((a) => a.body.click_id)).size, 20);
      assert.equal((await c.events('?type=click')).length, 20);
    });

    test('the program comes from the body, else the query, else 1', async () => {
      const affiliate_url = 'http://localhost/?aff=P1';
      const fromQuery = await answer(c.post('/api/v1/track/click?program_id=9', { affiliate_url }));
      assert.match(fromQuery.body.click_id, /^cust_9_\d+$/);
      const fallback = await answer(c.post('/api/v1/track/click', { affiliate_url, program_id: 'not-a-number' }));
      assert.match(fallback.body.click_id, /^cust_1_\d+$/);
    });

    test('an inactive partner code: 200 success:false, no event', async () => {
      const res = await answer(c.post('/api/v1/track/click', { affiliate_url: 'http://localhost/?aff=INACTIVE1' }));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { success: false, message: 'Affiliate link is inactive' });
      assert.deepEqual(await c.events(), []);
    });

    test('affiliate_url missing, invalid, without aff or with a bad code: 400', async () => {
      const cases = [
        [{}, 'affiliate_url is required'],
        [{ affiliate_url: 42 }, 'affiliate_url is required'],
        [{ affiliate_url: 'not a url' }, 'affiliate_url is not a valid URL'],
        [{ affiliate_url: 'http://localhost/?ref=DEMO' }, 'affiliate_url has no aff parameter'],
        [{ affiliate_url: 'http://localhost/?aff=' }, 'affiliate_url has no aff parameter'],
        [{ affiliate_url: 'http://localhost/?aff=%3Cscript%3E' }, 'affiliate_url has an invalid aff parameter'],
      ];
      for (const [body, error] of cases) {
        const res = await answer(c.post('/api/v1/track/click', body));
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(res.body, { error });
      }
      assert.equal((await c.post('/api/v1/track/click', '[]')).status, 400);
      assert.equal((await c.post('/api/v1/track/click', {}, { contentType: 'application/x-www-form-urlencoded' })).status, 415);
    });
  });

  describe('CORS and methods', () => {
    test('preflight answers 204 with CORS headers echoing the Origin', async () => {
      const res = await fetch(c.url('/api/v1/track/lead'), {
        method: 'OPTIONS',
        headers: { Origin: 'http://localhost:5555', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost:5555');
      assert.equal(res.headers.get('vary'), 'Origin');
      assert.match(res.headers.get('access-control-allow-methods'), /\bPOST\b/);
      assert.match(res.headers.get('access-control-allow-headers'), /Content-Type/);
      assert.equal(res.headers.get('access-control-max-age'), '0');

      const [logged] = await c.requests();
      assert.equal(logged.method, 'OPTIONS');
      assert.equal(logged.status, 204);
      assert.equal(logged.origin, 'http://localhost:5555');
    });

    test('every API answer carries CORS headers, * without an Origin', async () => {
      const withOrigin = await c.post('/api/v1/track/lead', '[]', { headers: { Origin: 'http://localhost:1' } });
      assert.equal(withOrigin.headers.get('access-control-allow-origin'), 'http://localhost:1');
      assert.equal(withOrigin.headers.get('access-control-expose-headers'), 'Retry-After');
      const without = await fetch(c.url('/api/v1/dev/events'));
      assert.equal(without.headers.get('access-control-allow-origin'), '*');
    });

    test('a wrong method: 405 with Allow; an unknown API path: 404 JSON', async () => {
      const get = await answer(fetch(c.url('/api/v1/track/lead')));
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
      assert.match(get.body.error, /GET not allowed/);

      const put = await answer(fetch(c.url('/api/v1/dev/events'), { method: 'PUT' }));
      assert.equal(put.status, 405);
      assert.equal(put.headers.get('allow'), 'GET, DELETE, OPTIONS');

      const unknown = await answer(fetch(c.url('/api/v1/track/sale'), { method: 'POST' }));
      assert.equal(unknown.status, 404);
      assert.match(unknown.body.error, /No API endpoint/);

      const site = await answer(fetch(c.url('/'), { method: 'POST' }));
      assert.equal(site.status, 405);
    });
  });

  describe('fault injection', () => {
    test('a queued 503 answers once and records nothing, then the lead goes through', async () => {
      assert.equal((await c.faults({ lead: [{ status: 503 }] })).status, 200);
      const lead = { customer_key: 'u_503' };
      const failed = await answer(c.post('/api/v1/track/lead', lead));
      assert.equal(failed.status, 503);
      assert.equal(failed.body.error, 'Injected failure');
      assert.deepEqual(await c.events(), []);

      assert.equal((await c.post('/api/v1/track/lead', lead)).status, 200);
      assert.equal((await c.events()).length, 1);

      const requests = await c.requests();
      assert.deepEqual(requests.map((r) => [r.status, r.fault]), [[503, { status: 503 }], [200, null]]);
      assert.deepEqual(requests[0].body, lead);
    });

    test('faults are per endpoint and first in, first out', async () => {
      await c.faults({ lead: [{ status: 400 }, { status: 502 }], click: [{ status: 500 }] });
      const snapshot = (await c.json('/api/v1/dev/faults')).body;
      assert.deepEqual(snapshot, { lead: [{ status: 400 }, { status: 502 }], click: [{ status: 500 }], preflightDelayMs: 0 });

      assert.equal((await c.post('/api/v1/track/click', { affiliate_url: 'http://x/?aff=A' })).status, 500);
      assert.equal((await c.post('/api/v1/track/lead', { customer_key: 'u' })).status, 400);
      assert.equal((await c.post('/api/v1/track/lead', { customer_key: 'u' })).status, 502);
      assert.equal((await c.post('/api/v1/track/lead', { customer_key: 'u' })).status, 200);
    });

    test('429 with retryAfter sets Retry-After', async () => {
      await c.faults({ lead: [{ status: 429, retryAfter: 1 }] });
      const res = await c.post('/api/v1/track/lead', { customer_key: 'u_429' });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '1');
    });

    test('drop destroys the connection: fetch fails with a network error', async () => {
      await c.faults({ lead: [{ drop: true }] });
      await assert.rejects(c.post('/api/v1/track/lead', { customer_key: 'u_drop' }), TypeError);
      assert.equal((await c.post('/api/v1/track/lead', { customer_key: 'u_drop' })).status, 200);
      const [dropped] = await c.requests();
      assert.deepEqual(dropped.fault, { drop: true });
      assert.equal(dropped.status, null);
      assert.equal(dropped.aborted, true, 'no longer in flight');
      assert.equal((await c.requests())[1].aborted, false);
    });

    test('a reset drops a request stalled across it: nothing from before lands after it', async () => {
      await c.faults({ lead: [{ stallMs: 300 }] });
      const stalled = c.post('/api/v1/track/lead', { customer_key: 'u_before_reset' });
      for (let i = 0; i < 100 && !(await c.requests())[0]?.body; i++) await new Promise((r) => setTimeout(r, 10));
      await c.reset();
      await assert.rejects(stalled, TypeError, 'a network error, as a dropped request');
      assert.deepEqual(await c.events(), []);
      assert.equal((await c.post('/api/v1/track/lead', { customer_key: 'u_before_reset' })).status, 200, 'the customer is new');
    });

    test('a request the client gives up on is marked aborted, not in flight', async () => {
      await c.faults({ lead: [{ stallMs: 5000 }] });
      const controller = new AbortController();
      const pending = c.post('/api/v1/track/lead', { customer_key: 'u_gone' }, { signal: controller.signal });
      let logged;
      for (let i = 0; i < 100 && !logged?.body; i++) {
        logged = (await c.requests())[0];
        if (!logged?.body) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(logged.aborted, false, 'in flight while stalled');
      controller.abort();
      await assert.rejects(pending);
      for (let i = 0; i < 100 && !logged.aborted; i++) {
        logged = (await c.requests())[0];
        if (!logged.aborted) await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual([logged.status, logged.aborted], [null, true]);
    });

    test('stallMs delays the answer, then processes normally', async () => {
      await c.faults({ lead: [{ stallMs: 300 }] });
      const t0 = Date.now();
      const res = await c.post('/api/v1/track/lead', { customer_key: 'u_stall' });
      assert.ok(Date.now() - t0 >= 290, `answered after ${Date.now() - t0} ms`);
      assert.equal(res.status, 200);
      assert.equal((await c.events()).length, 1);
    });

    test('preflightDelayMs delays every OPTIONS answer until reset', async () => {
      await c.faults({ preflightDelayMs: 250 });
      for (let i = 0; i < 2; i++) {
        const t0 = Date.now();
        await fetch(c.url('/api/v1/track/lead'), { method: 'OPTIONS' });
        assert.ok(Date.now() - t0 >= 240);
      }
      await c.reset();
      const t0 = Date.now();
      await fetch(c.url('/api/v1/track/lead'), { method: 'OPTIONS' });
      assert.ok(Date.now() - t0 < 240);
    });

    test('an invalid fault spec: 400, and nothing is queued', async () => {
      for (const spec of [{ lead: [{ status: 503 }, { status: 200 }] }, { lead: {} }, { lead: [{ explode: true }] }, { sale: [] }, { preflightDelayMs: -1 }]) {
        const res = await c.faults(spec);
        assert.equal(res.status, 400, JSON.stringify(spec));
      }
      assert.deepEqual((await c.json('/api/v1/dev/faults')).body, { lead: [], click: [], preflightDelayMs: 0 });
    });

    test('faults from the startup option (AFFITOR_FAULTS) are queued', async () => {
      const other = await start(await newDataDir(), { faults: { lead: [{ status: 503 }] } });
      try {
        const oc = client(other);
        assert.equal((await oc.post('/api/v1/track/lead', { customer_key: 'u' })).status, 503);
        assert.equal((await oc.post('/api/v1/track/lead', { customer_key: 'u' })).status, 200);
      } finally {
        await other.close();
      }
    });
  });

  describe('dev endpoints', () => {
    test('events: newest last, ?type= and ?since= filters, DELETE clears', async () => {
      await c.post('/api/v1/track/click', { affiliate_url: 'http://x/?aff=A' });
      await c.post('/api/v1/track/lead', { customer_key: 'u1' });
      await c.post('/api/v1/track/lead', { customer_key: 'u2' });
      const all = await c.events();
      assert.deepEqual(all.map((e) => e.type), ['click', 'lead', 'lead']);
      assert.deepEqual((await c.events('?type=lead')).map((e) => e.body.customer_key), ['u1', 'u2']);
      assert.deepEqual((await c.events(`?since=${all[1].id}`)).map((e) => e.body.customer_key), ['u2']);
      assert.equal((await c.json('/api/v1/dev/events?type=sale')).status, 400);

      assert.deepEqual((await answer(c.reset())).body, { success: true });
      assert.deepEqual(await c.events(), []);
      // The reset also forgets the customer, so the same lead is accepted again.
      assert.equal((await c.post('/api/v1/track/lead', { customer_key: 'u1' })).status, 200);
    });

    test('requests: every tracking request incl. rejected ones, but not the dev endpoints', async () => {
      await c.post('/api/v1/track/lead', 'not json');
      await c.post('/api/v1/track/lead', { customer_key: 'u' }, { contentType: 'application/x-www-form-urlencoded' });
      await c.post('/api/v1/track/lead', { customer_key: 'u' });
      await c.events();
      const requests = await c.requests();
      assert.deepEqual(requests.map((r) => r.status), [400, 415, 200]);
      assert.equal(requests[0].body, 'not json');
      assert.equal(requests[1].contentType, 'application/x-www-form-urlencoded');
      assert.ok(requests.every((r) => r.method === 'POST' && r.path === '/api/v1/track/lead' && typeof r.at === 'number'));
    });

    test('requests: each keeps the headers it came with (for what a proxy or a server forwards)', async () => {
      await c.post('/api/v1/track/lead', { customer_key: 'u_headers' }, {
        headers: {
          Authorization: 'Bearer sk_test_123',
          'User-Agent': 'visitor-agent/1.0',
          'X-Forwarded-For': '203.0.113.7',
          Origin: 'https://shop.example',
        },
      });
      const [logged] = await c.requests();
      assert.equal(logged.headers['content-type'], 'application/json');
      assert.equal(logged.headers.authorization, 'Bearer sk_test_123');
      assert.equal(logged.headers['user-agent'], 'visitor-agent/1.0');
      assert.equal(logged.headers['x-forwarded-for'], '203.0.113.7');
      assert.equal(logged.headers.origin, 'https://shop.example');
      assert.equal(logged.origin, 'https://shop.example');
    });

    test('stream: one "tracked" server-sent event per accepted event', async () => {
      const controller = new AbortController();
      const res = await fetch(c.url('/api/v1/dev/stream'), { signal: controller.signal });
      assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();

      await c.post('/api/v1/track/lead', '[]'); // rejected: no event
      await c.post('/api/v1/track/lead', { customer_key: 'u_sse' });
      let text = '';
      const readMore = async () => {
        const { value, done } = await reader.read();
        assert.equal(done, false, 'the stream ended early');
        text += value;
      };
      while (!text.includes('event: tracked')) await readMore();
      while (!text.includes('\n\n', text.indexOf('event: tracked'))) await readMore();
      controller.abort();

      const data = text.slice(text.indexOf('event: tracked')).split('\n')[1];
      assert.match(data, /^data: /);
      const entry = JSON.parse(data.slice('data: '.length));
      assert.equal(entry.body.customer_key, 'u_sse');
      assert.equal(text.match(/event: tracked/g).length, 1);
    });

    test('/demo/api/signup hands out unique user ids', async () => {
      const ids = new Set();
      for (let i = 0; i < 5; i++) {
        const res = await answer(c.post('/demo/api/signup', { email: `p${i}@example.com`, name: 'P' }));
        assert.equal(res.status, 200);
        assert.match(res.body.userId, /^user_[0-9a-z]+_\d+$/);
        assert.equal(res.body.email, `p${i}@example.com`);
        ids.add(res.body.userId);
      }
      assert.equal(ids.size, 5);
      assert.equal((await c.post('/demo/api/signup', { name: 'no email' })).status, 400);
      assert.equal((await fetch(c.url('/demo/api/signup'))).status, 405);
    });
  });

  describe('static files', () => {
    test('/affitor/ serves dist with the right content types, uncached', async () => {
      const wasm = await fetch(c.url('/affitor/affitor_tracker_bg.wasm'));
      assert.equal(wasm.status, 200);
      assert.equal(wasm.headers.get('content-type'), 'application/wasm');
      assert.equal(wasm.headers.get('cache-control'), 'no-store');
      assert.deepEqual(new Uint8Array(await wasm.arrayBuffer()), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));

      const js = await fetch(c.url('/affitor/affitor-tracker.js'));
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');

      // Loadable by a tag on any other origin (fetch/import of the wasm and the module included).
      for (const res of [wasm, js]) {
        assert.equal(res.headers.get('access-control-allow-origin'), '*');
        assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
      }
      const site = await fetch(c.url('/signup'));
      assert.equal(site.headers.get('access-control-allow-origin'), null, 'only the tracker files');

      const missing = await answer(fetch(c.url('/affitor/nope.js')));
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { error: 'Not found' });
    });

    test('paths cannot leave dist/ or www/', async () => {
      for (const p of ['/affitor/../secret.txt', '/affitor/..%2fsecret.txt', '/affitor/%2e%2e/secret.txt', '/..%2fsecret.txt', '/affitor/..%5csecret.txt', `/affitor/${encodeURIComponent(path.join(root, 'secret.txt'))}`]) {
        const res = await rawGet(collector.port, p);
        assert.equal(res.status, 404, p);
        assert.doesNotMatch(res.text, /TOP SECRET/, p);
      }
      // A malformed escape is a 404 too, not a crash.
      assert.equal((await rawGet(collector.port, '/affitor/%E0%A4%A')).status, 404);
    });

    test('HTML gets %AFFITOR_API_BASE% replaced with this server as the browser reached it', async () => {
      const viaIp = await fetch(c.url('/'));
      assert.equal(viaIp.headers.get('content-type'), 'text/html; charset=utf-8');
      const html = await viaIp.text();
      assert.ok(html.includes(`data-affitor-api-base="http://127.0.0.1:${collector.port}"`), html);

      const viaLocalhost = await fetch(`http://localhost:${collector.port}/`).catch(() => null);
      if (viaLocalhost) assert.match(await viaLocalhost.text(), new RegExp(`"http://localhost:${collector.port}"`));

      // A Host header that is not a plain host:port never reaches the page.
      const injected = await new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: collector.port, path: '/', headers: { Host: 'evil"><script>' } }, (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      assert.doesNotMatch(injected, /<script>"/);
      assert.ok(injected.includes(collector.url));
    });

    test('/name → name.html or name/index.html; other files as they are', async () => {
      assert.equal(await (await fetch(c.url('/signup'))).text(), '<h1>signup page</h1>');
      assert.equal(await (await fetch(c.url('/docs'))).text(), '<h1>docs index</h1>');
      assert.equal(await (await fetch(c.url('/docs/'))).text(), '<h1>docs index</h1>');
      const css = await fetch(c.url('/demo.css'));
      assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
      assert.equal((await fetch(c.url('/missing'))).status, 404);
    });

    test('?csp= on an HTML page sets that Content-Security-Policy', async () => {
      const policy = "script-src 'self'; connect-src *";
      const res = await fetch(c.url(`/?csp=${encodeURIComponent(policy)}`));
      assert.equal(res.headers.get('content-security-policy'), policy);
      assert.equal((await fetch(c.url('/'))).headers.get('content-security-policy'), null);
      assert.equal((await fetch(c.url('/?csp=%0Aevil'))).status, 400);
    });
  });
});

describe('persistence', { timeout: 30_000 }, () => {
  test('events, issued click ids and lead state survive a restart', async () => {
    const dataDir = await newDataDir();
    let collector = await start(dataDir);
    let c = client(collector);
    const click = await answer(c.post('/api/v1/track/click', { affiliate_url: 'http://x/?aff=DEMO', program_id: 42 }));
    await c.post('/api/v1/track/lead', SECTION_6_BODY);
    await c.post('/api/v1/track/lead', { customer_key: 'u_keep', program_id: 42 });
    const before = await c.events();
    await collector.close();

    collector = await start(dataDir);
    c = client(collector);
    try {
      assert.deepEqual(await c.events(), before);
      const again = await answer(c.post('/api/v1/track/lead', { customer_key: 'u_keep', program_id: 42 }));
      assert.match(again.body.error, /cannot be updated to lead/);
      const attributed = await answer(c.post('/api/v1/track/lead', { customer_key: 'u_new', click_id: click.body.click_id }));
      assert.equal(attributed.body.provisional, undefined);

      const nextClick = await answer(c.post('/api/v1/track/click', { affiliate_url: 'http://x/?aff=DEMO', program_id: 42 }));
      assert.notEqual(nextClick.body.click_id, click.body.click_id);
    } finally {
      await collector.close();
    }
  });

  test('a corrupt line in the log is skipped with a warning', async (t) => {
    const dataDir = await newDataDir();
    const good = (id, key) => JSON.stringify({ type: 'lead', received_at: new Date().toISOString(), id, test_mode: false, origin: null, body: { customer_key: key }, response: { success: true } });
    await fs.writeFile(path.join(dataDir, 'events.jsonl'), [good('evt_a', 'u_a'), '{"type":"lead", trunc', '[1,2]', good('evt_b', 'u_b'), ''].join('\n'));
    const warn = t.mock.method(console, 'warn', () => {});

    const collector = await start(dataDir);
    try {
      const c = client(collector);
      assert.deepEqual((await c.events()).map((e) => e.id), ['evt_a', 'evt_b']);
      assert.equal(warn.mock.callCount(), 2);
      // New events append after the surviving ones.
      await c.post('/api/v1/track/lead', { customer_key: 'u_c' });
      assert.deepEqual((await c.events()).map((e) => e.body.customer_key), ['u_a', 'u_b', 'u_c']);
    } finally {
      await collector.close();
    }
  });

  test('the data dir is created if missing; signup ids do not repeat across a restart', async () => {
    const dataDir = path.join(await newDataDir(), 'nested', 'dir');
    const ids = [];
    for (let run = 0; run < 2; run++) {
      const collector = await start(dataDir);
      const c = client(collector);
      ids.push((await answer(c.post('/demo/api/signup', { email: 'same@example.com' }))).body.userId);
      await collector.close();
    }
    assert.ok((await fs.stat(dataDir)).isDirectory());
    assert.notEqual(ids[0], ids[1]);
  });

  test('close() ends open event streams, so the process can exit', async () => {
    const collector = await start(await newDataDir());
    const res = await fetch(`${collector.url}/api/v1/dev/stream`);
    const reader = res.body.getReader();
    await reader.read(); // the stream is open
    const closed = await Promise.race([collector.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 2000))]);
    assert.equal(closed, 'closed');
    // Ended, not cut off: the client sees the end of the stream rather than a network error.
    assert.equal((await reader.read()).done, true);
  });
});
