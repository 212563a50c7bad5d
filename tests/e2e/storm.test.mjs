// Storage bounds that hold: a storm of page loads in one tab, each signing up a new
// customer and moving on ~80 ms later (300 loads for the full storm; here LOADS, so the test stays
// well under a minute). Each page notes what the outbox held when it started. Asserted: no lead
// lost, each at the collector once; the outbox never held more than its documented bound (100
// leads, docs/in-the-browser.md);
// leads sent twice on the wire (a page left with the request in flight, and the next page could
// only send it again, the API's "already recorded" closing it) are counted and kept rare.
//
//   node --test --test-concurrency=1 tests/e2e/storm.test.mjs
//   AFFITOR_STORM_LOADS=300 node --test tests/e2e/storm.test.mjs   (the full storm)
//   AFFITOR_STORM_STALL_MS=0 …                                    (an API answering at once)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setup, tag } from './harness.mjs';

const LOADS = Number(process.env.AFFITOR_STORM_LOADS) || 150;
const GAP_MS = 80;
const STALL_MS = Number(process.env.AFFITOR_STORM_STALL_MS ?? 200);
const BOUND = 100; // docs/in-the-browser.md, "What it keeps"

let env;
before(async () => {
  env = await setup();
});
after(() => env?.close());

describe('a storm of page loads', () => {
  it(`${LOADS} loads ${GAP_MS} ms apart, a signup on each: none lost, once each at the API, the outbox within its bound`, { timeout: 120_000 }, async (t) => {
    await env.reset();
    // The API answers each lead after STALL_MS, as a real one across the internet: a page that
    // goes GAP_MS after its signup leaves its lead on the wire.
    await env.faults({ lead: Array.from({ length: LOADS * 3 }, () => ({ stallMs: STALL_MS })) });
    // Each page: what the outbox holds as it starts (entries, bytes; the most so far, kept in
    // sessionStorage), a signup on the loader's stub, and the next page GAP_MS later.
    const page = (i) => `<!doctype html><title>storm ${i}</title><script>
        (function () {
          var text = localStorage.getItem('affitor_outbox') || '[]', n = 0;
          try { n = JSON.parse(text).length; } catch (e) {}
          var seen = JSON.parse(sessionStorage.getItem('storm') || '{"entries":0,"bytes":0,"at":0}');
          if (n > seen.entries) { seen.entries = n; seen.at = ${i}; }
          seen.bytes = Math.max(seen.bytes, text.length);
          sessionStorage.setItem('storm', JSON.stringify(seen));
        })();
      </script>${tag(env)}<script>
        window.affitor.signup('storm_${i}', 'storm${i}@example.com');
        ${i + 1 < LOADS ? `setTimeout(function () { location.href = '/storm/${i + 1}'; }, ${GAP_MS});` : ''}
      </script>`;
    for (let i = 0; i < LOADS; i++) env.pages.set(`/storm/${i}`, page(i));
    const context = await env.browser.newContext();
    const tab = await context.newPage();
    const started = Date.now();
    await tab.goto(`${env.site}/storm/0`);
    await tab.waitForURL(`**/storm/${LOADS - 1}`, { timeout: LOADS * 1000 });
    t.diagnostic(`${LOADS} loads in ${Date.now() - started} ms`);

    const keys = Array.from({ length: LOADS }, (_, i) => `storm_${i}`);
    const arrived = async () => new Set((await env.events('lead')).map((e) => e.body.customer_key));
    // The last page sends what the others left, as their answers fall due.
    await env.until(async () => {
      const a = await arrived();
      return keys.every((k) => a.has(k));
    }, 30_000, async () => {
      const a = await arrived();
      return `every lead; missing ${keys.filter((k) => !a.has(k)).slice(0, 10).join(', ')}`;
    });
    await env.until(
      () => tab.evaluate(() => (localStorage.getItem('affitor_outbox') || '[]') === '[]'),
      30_000,
      'the outbox to empty',
    );
    await env.settled();
    const seen = await tab.evaluate(() => JSON.parse(sessionStorage.getItem('storm')));
    const posts = (await env.requests('/api/v1/track/lead')).filter((r) => r.method === 'POST');
    const count = new Map();
    for (const p of posts) count.set(p.body?.customer_key, (count.get(p.body?.customer_key) ?? 0) + 1);
    const twice = [...count.values()].filter((n) => n > 1).length;
    t.diagnostic(
      `outbox at most ${seen.entries} entries (first at load ${seen.at}), ${seen.bytes} bytes; ` +
        `${twice} of ${LOADS} leads sent more than once on the wire (${posts.length} POSTs)`,
    );
    const leads = (await env.events('lead')).map((e) => e.body.customer_key);
    for (const k of keys) assert.equal(leads.filter((l) => l === k).length, 1, `${k}: one lead at the collector`);
    assert.ok(seen.entries <= BOUND, `the outbox held ${seen.entries} leads, over its bound of ${BOUND}`);
    assert.ok(seen.bytes <= BOUND * 1024, `the outbox took ${seen.bytes} bytes`);
    // Sent again: only a lead whose page left with it on the wire, once, by a later page when its
    // answer was due (the API's "already recorded" closes it; or, that page gone too, it counts
    // as delivered: README). Never a third time.
    const thrice = [...count].filter(([, n]) => n > 2);
    assert.deepEqual(thrice, [], 'no lead sent more than twice');
    await context.close();
  });
});
