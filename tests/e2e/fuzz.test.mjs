// A seeded fuzz test. More than 10 000 calls with arguments of random types
// (strings with lone surrogates, strings of only NBSP/BOM/U+2028/U+3000, NaN, ±Infinity, -0,
// BigInt, Symbols, null/undefined, objects with throwing getters, Proxies that throw on every
// trap, arrays, functions, the object form of signup) to signup, trackClick, getClickId, getData
// and affitorQueue.push: before the tag (queued), before the tracker loaded (the loader's stub)
// and after. Asserted: no synchronous throw, no rejection, nothing unhandled, every promise
// settles, every result says what happened (ok:true for a usable key, ok:false otherwise), no
// lead lost, none sent twice, none made of junk, and every lead body valid per CONTRACT §4.
//
// A usable key: a string that is not empty once trimmed of Unicode whitespace (String.prototype
// .trim's set: NBSP, BOM, U+2028, U+3000…), or a finite number (its decimal string). Every
// usable key in a run is distinct, so each must arrive exactly once, exactly as trimmed. A key
// with an unpaired UTF-16 surrogate may instead be refused (ok:false with an error, never sent):
// either way it is never collapsed into another key nor lost once accepted.
//
//   node --test tests/e2e/fuzz.test.mjs                          (a new seed, printed)
//   AFFITOR_FUZZ_SEED=12345 node --test tests/e2e/fuzz.test.mjs  (replays a run)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { open, setup, tag } from './harness.mjs';

const SEED = process.env.AFFITOR_FUZZ_SEED ? Number(process.env.AFFITOR_FUZZ_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
console.log(`fuzz seed ${SEED} (replay with AFFITOR_FUZZ_SEED=${SEED})`);

const PRE_TAG_CALLS = 400; // affitorQueue.push before the script tag
const STUB_CALLS = 600; // every call, right after a sync tag: the loader's stub
const BATCH = 500; // calls per page.evaluate once the tracker runs
const BATCHES = 19;

let env;
before(async () => {
  env = await setup();
  await env.reset();
});
after(() => env?.close());

/**
 * Runs in the page (injected as source: it uses nothing from this module). Makes `window.__fz`:
 * `batch(n, phase, deadlineMs)` makes n random calls and resolves a summary once every promise
 * has settled (or its deadline passed).
 */
function fuzzKit(seed, mix) {
  let s = seed >>> 0;
  // mulberry32
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(rnd() * n);
  const pick = (a) => a[int(a.length)];
  const chance = (p) => rnd() < p;
  // Trimmed by String.prototype.trim (and Unicode White_Space, but for the BOM: both listed).
  const WS = [' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\ufeff', '\u2028', '\u2029', '\u3000', '\u1680', '\u2000', '\u2007', '\u200a', '\u202f', '\u205f'];
  // Inside a key, never at its ends.
  const INNER = ['\ud800', '\udfff', '\udbff', '\udc00', '\ud83d\ude00', '\u0085', '\u200b', '"', '\\', '<\/script>', '\u0000', '\u001f', 'é', '中', '\u2028', '\u00a0', ' ', '%', '&', '=', '|', ';', ',', '{}', '[]', "'"];
  const TRAPS = ['get', 'set', 'has', 'deleteProperty', 'ownKeys', 'getOwnPropertyDescriptor', 'defineProperty', 'getPrototypeOf', 'setPrototypeOf', 'isExtensible', 'preventExtensions', 'apply', 'construct'];
  const boom = () => {
    throw new Error('fuzz: hostile value');
  };
  const trapAll = (target) => {
    const h = {};
    for (const t of TRAPS) h[t] = boom;
    return new Proxy(target, h);
  };
  let serial = 0;
  let negativeZero = false;

  const pad = () => {
    let p = '';
    for (let i = int(4); i > 0; i--) p += pick(WS);
    return p;
  };
  /** A usable key, distinct from every other in the run: [the value passed, the key to arrive]. */
  const usableKey = (phase) => {
    const id = `fz${seed}.${phase}.${serial++}.`;
    switch (int(8)) {
      case 0:
        return [7e6 + serial, String(7e6 + serial)];
      case 1:
        return [-(serial + 0.5), String(-(serial + 0.5))];
      case 2:
        if (!negativeZero) {
          negativeZero = true;
          return [-0, '0'];
        }
      // falls through
      default: {
        let mid = '';
        for (let i = int(4); i > 0; i--) mid += pick(INNER);
        const v = pad() + (chance(0.6) ? `f${mid}${id}` : id) + pad();
        return [v, v.trim()];
      }
    }
  };
  const email = () =>
    chance(0.4)
      ? `${pad()}u${serial}@example.com${pad()}`
      : chance(0.5)
        ? junk()
        : pick(['not-an-email', 'a@b', '@x.com', `${'x'.repeat(300)}@x.com`, 'a b@c.co', '<a@b.co>']);
  /** Anything that is not a usable key. */
  const junk = () => {
    switch (int(26)) {
      case 0: return undefined;
      case 1: return null;
      case 2: return '';
      case 3: return pad() + pick(WS);
      case 4: return pick(WS).repeat(1 + int(50));
      case 5: return chance(0.05) ? ' '.repeat(200000) : '\u3000\ufeff\u2028\u00a0';
      case 6: return NaN;
      case 7: return pick([Infinity, -Infinity]);
      case 8: return pick([10n, -1n, 2n ** 70n, 0n]);
      case 9: return Symbol('fz');
      case 10: return pick([true, false]);
      case 11: return {};
      case 12: return { toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom };
      case 13: return { get customerKey() { return boom(); }, get customer_key() { return boom(); }, get email() { return boom(); } };
      case 14: return trapAll({});
      case 15: return trapAll(function () {});
      case 16: return [];
      case 17: return [pick(['x', 1, null])];
      case 18: return () => 1;
      case 19: return function named() {};
      case 20: return { customerKey: pick(['', '   ', '\u3000', NaN, null, {}, [], 10n, Infinity]) };
      case 21: return { customer_key: pick([undefined, '\ufeff', Infinity, Symbol('k'), ' \u2028 ']) };
      case 22: return Object.create(null);
      case 23: return { then: boom };
      case 24: return trapAll([]);
      default: return new Date(0);
    }
  };
  /** signup()'s first argument: [value, the key to arrive or null]. */
  const signupArg = (phase, usable) => {
    if (!usable) return [junk(), null];
    const [v, key] = usableKey(phase);
    switch (int(6)) {
      case 0: return [{ customerKey: v }, key];
      case 1: return [{ customer_key: v, email: email() }, key];
      case 2: return [{ customerKey: v, get email() { return boom(); } }, key];
      default: return [v, key];
    }
  };
  /** A trackClick argument: never a URL with an aff parameter (no click, so no click id). */
  const clickArg = () => {
    let v = chance(0.5)
      ? junk()
      : pick([`${location.origin}/x?y=${serial}`, 'javascript:alert(1)', 'http://[::1', '//evil.example/', 'mailto:x@y.z', pad(), `?q=${serial}#h`, 'fz_not_a_url', 'cust_42_1']);
    if (typeof v === 'string' && /aff/i.test(v)) v = v.replace(/aff/gi, 'bff');
    return v;
  };
  const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/;
  const entry = (phase, keys, maybe, queued) => {
    if (chance(mix.entry)) {
      const [k, key] = signupArg(phase, true);
      // Queued: no result says whether a key with an unpaired surrogate was taken.
      (LONE.test(key) ? maybe : keys).push(key);
      queued.push(key);
      return chance(0.5) ? ['signup', k, email()] : ['signup', k];
    }
    switch (int(10)) {
      case 0: return ['signup', junk(), email()];
      case 1: return ['trackClick', clickArg()];
      case 2: return [pick(['nope', 'Signup', '', null, 'getData']), 'x'];
      case 3: return trapAll(['signup', 'x']);
      case 4: {
        const e = ['signup', 'x', 'y'];
        Object.defineProperty(e, int(3), { get: boom, enumerable: true, configurable: true });
        return e;
      }
      case 5: return Object.freeze(['signup']);
      case 6: return ['signup', 'x'.repeat(0), junk()];
      default: return junk();
    }
  };
  // Keys go back to Node as char codes: a lone surrogate survives no other transport.
  const codes = (k) => Array.from({ length: k.length }, (_, i) => k.charCodeAt(i));
  const cap = (list, v) => {
    if (list.length < 10) list.push(v);
  };

  function batch(n, phase, deadlineMs, only) {
    const rec = { calls: 0, syncThrows: [], nSyncThrows: 0, notPromise: 0, unsettled: 0, rejections: [], bad: [], nBad: 0, keys: [], refused: [] };
    const keys = [];
    const maybe = [];
    const queued = [];
    const pending = [];
    const api = window.affitor;
    const settle = (what, p, check) => {
      if (!p || typeof p.then !== 'function') {
        rec.notPromise++;
        return;
      }
      pending.push(
        new Promise((res) => {
          const t = setTimeout(() => {
            rec.unsettled++;
            res();
          }, deadlineMs);
          p.then(
            (v) => {
              clearTimeout(t);
              const why = check(v);
              if (why) {
                rec.nBad++;
                let shown;
                try {
                  shown = JSON.stringify(v);
                } catch (e) {
                  shown = String(e);
                }
                cap(rec.bad, `${what}: ${why}: ${shown}`);
              }
              res();
            },
            (e) => {
              clearTimeout(t);
              cap(rec.rejections, `${what}: ${e}`);
              res();
            },
          );
        }),
      );
    };
    const isResult = (v) => v !== null && typeof v === 'object' && typeof v.ok === 'boolean';
    for (let i = 0; i < n; i++) {
      rec.calls++;
      const r = only === 'push' ? 0.99 : rnd();
      let what = 'push';
      try {
        if (r < 0.45) {
          what = 'signup';
          const usable = chance(mix.signup);
          const [a0, key] = signupArg(phase, usable);
          const args = [a0];
          const extra = int(4);
          if (extra >= 1) args.push(email());
          for (let j = 1; j < extra; j++) args.push(junk());
          const lone = key !== null && LONE.test(key);
          if (key !== null && !lone) keys.push(key);
          settle(what, api.signup(...args), (v) => {
            // The outbox's bound may say no to a new lead, naming itself: that lead is not accepted.
            if (key !== null && isResult(v) && v.ok === false && /outbox already holds/.test(v.error)) {
              rec.refused.push(codes(key));
              return '';
            }
            if (!isResult(v)) return 'not a result object';
            // An unpaired surrogate: accepted (then it must arrive as given), or refused with an error.
            if (lone) {
              if (v.ok === true && !v.duplicate) keys.push(key);
              else if (v.ok !== false || typeof v.error !== 'string') return 'a key with an unpaired surrogate neither accepted nor refused';
              return '';
            }
            if (key !== null && (v.ok !== true || v.duplicate)) return 'a usable key not accepted';
            if (key === null && (v.ok !== false || typeof v.error !== 'string')) return 'no usable key, yet not ok:false with an error';
            return '';
          });
        } else if (r < 0.6) {
          what = 'trackClick';
          const args = [];
          for (let j = int(3); j > 0; j--) args.push(clickArg());
          settle(what, api.trackClick(...args), (v) => (isResult(v) ? '' : 'not a result object'));
        } else if (r < 0.7) {
          what = 'getClickId';
          const v = api.getClickId(junk(), junk());
          if (v !== null) {
            rec.nBad++;
            cap(rec.bad, `getClickId: ${String(v)} (no click in this browser)`);
          }
        } else if (r < 0.8) {
          what = 'getData';
          const d = api.getData(junk());
          const ok =
            d && typeof d === 'object' && d.clickId === null && d.hasAttribution === false && d.affiliateUrl === null &&
            (d.programId === null || d.programId === '42');
          if (!ok) {
            rec.nBad++;
            cap(rec.bad, 'getData: unexpected');
          }
        } else {
          const list = [];
          for (let j = 1 + int(3); j > 0; j--) list.push(entry(phase, keys, maybe, queued));
          window.affitorQueue.push(...list);
        }
      } catch (e) {
        rec.nSyncThrows++;
        cap(rec.syncThrows, `${what}: ${e}`);
      }
    }
    rec.maybe = maybe.map(codes);
    rec.queued = queued.map(codes);
    return Promise.all(pending).then(() => {
      rec.keys = keys.map(codes);
      return rec;
    });
  }

  window.affitorQueue = window.affitorQueue || [];
  window.__fz = { batch, results: [] };
}

const WATCH = `<script>
  window.__unhandled = [];
  addEventListener('unhandledrejection', function (e) { window.__unhandled.push('rejection: ' + String(e.reason)); });
  addEventListener('error', function (e) { window.__unhandled.push('error: ' + String(e.message)); });
</script>`;

/** CONTRACT §4, field by field, for a lead of this run (no click in this browser). */
function leadProblems(b, site) {
  const bad = [];
  const is = (f, ok) => {
    if (!ok(b[f])) bad.push(`${f}: ${JSON.stringify(b[f])}`);
  };
  is('click_id', (v) => v === null);
  is('customer_key', (v) => typeof v === 'string' && v.length > 0 && v === v.trim());
  is('email', (v) => v === null || (typeof v === 'string' && v === v.trim() && v.includes('@')));
  is('click_ids', (v) => Array.isArray(v) && v.length === 0);
  is('program_id', (v) => v === 42);
  is('page_url', (v) => typeof v === 'string' && v.startsWith(site));
  is('session_id', (v) => typeof v === 'string' && v.length > 0);
  is('has_attribution', (v) => v === false);
  is('debug_mode', (v) => v === false);
  is('additional_data', (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
  return bad;
}

const fromCodes = (c) => String.fromCharCode(...c);
const show = (k) => JSON.stringify(k);

/**
 * One run: `pre` queue pushes before the tag, `stub` calls on the loader's stub, `batches` of
 * `batch` calls once the tracker runs; `mix`: the chance that a signup, or a queue entry, has a
 * usable key.
 */
async function fuzz(t, { pre, stub, batches, batch, mix, path, latencyMs = 0 }) {
  await env.reset();
  // Each request's preflight answered after this long: requests overlap as on a real network.
  if (latencyMs) await env.faults({ preflightDelayMs: latencyMs, lead: Array.from({ length: 3000 }, () => ({ stallMs: latencyMs })) });
  t.diagnostic(`seed ${SEED}: replay with AFFITOR_FUZZ_SEED=${SEED}`);
  const started = Date.now();
  const kit = `<script>(${fuzzKit.toString()})(${SEED}, ${JSON.stringify(mix)});</script>`;
  // Before the tag: queued entries only (window.affitor does not exist yet). After the sync tag:
  // every call goes to the loader's stub, and settles once the tracker has taken over.
  const html = `<!doctype html><title>fuzz</title>${WATCH}${kit}
    <script>window.__fz.results.push(window.__fz.batch(${pre}, 'q', 30000, 'push'));</script>
    ${tag(env)}
    <script>window.__fz.results.push(window.__fz.batch(${stub}, 's', 30000));</script>`;
  const page = await open(env, html, { path });
  const summaries = await page.evaluate(() => Promise.all(window.__fz.results));
  await page.evaluate(() => window.affitor.ready.then(() => true));
  for (let i = 0; i < batches; i++) {
    summaries.push(await page.evaluate(([n, phase]) => window.__fz.batch(n, phase, 15000), [batch, `L${i}`]));
  }
  const total = (f) => summaries.reduce((n, s) => n + (typeof s[f] === 'number' ? s[f] : s[f].length), 0);
  const all = (f) => summaries.flatMap((s) => s[f]);
  t.diagnostic(`${total('calls')} calls in ${Date.now() - started} ms`);
  // Every broken promise, in one message.
  const problems = [];
  const expect = (ok, what) => {
    if (!ok) problems.push(what);
  };
  expect(total('calls') >= 10000, `only ${total('calls')} calls`);
  expect(total('nSyncThrows') === 0, `${total('nSyncThrows')} synchronous throws: ${all('syncThrows').slice(0, 5).join(' | ')}`);
  expect(total('notPromise') === 0, `${total('notPromise')} signup/trackClick calls returned no promise`);
  expect(total('unsettled') === 0, `${total('unsettled')} promises never settled`);
  expect(total('rejections') === 0, `${total('rejections')} rejections: ${all('rejections').slice(0, 5).join(' | ')}`);
  expect(total('nBad') === 0, `${total('nBad')} wrong results: ${all('bad').slice(0, 5).join(' | ')}`);
  const unhandled = await page.evaluate(() => window.__unhandled.slice(0, 10));
  expect(unhandled.length === 0, `unhandled: ${unhandled.join(' | ')}`);
  expect(page.errors.length === 0, `${page.errors.length} page errors: ${page.errors.slice(0, 5).join(' | ')}`);

  // The collector: every usable key exactly once, exactly as trimmed; nothing else.
  const refused = new Set(all('refused').map(fromCodes));
  const expected = all('keys').map(fromCodes).filter((k) => !refused.has(k));
  t.diagnostic(`${refused.size} signups refused by the outbox's bound`);
  expect(new Set(expected).size === expected.length, 'the run made a key twice (a bug in this test)');
  t.diagnostic(`${expected.length} usable keys`);
  const arrived = async () => (await env.events('lead')).map((e) => e.body);
  const missing = async () => {
    const got = new Set((await arrived()).map((l) => l.customer_key));
    return expected.filter((k) => !got.has(k));
  };
  // The outbox's bound says no to a queue entry with a console error naming it (there is no
  // result to say it with): as many queued keys may be missing, and only queued ones.
  const queuedKeys = new Set(all('queued').map(fromCodes));
  const queueRefusals = () => page.affitorLogs('error').filter((l) => /outbox already holds/.test(l.text)).length - refused.size;
  const unexplained = (list) => (list.length <= queueRefusals() ? list.filter((k) => !queuedKeys.has(k)) : list);
  await env.until(async () => unexplained(await missing()).length === 0, 40000, 'every usable key').catch(() => {});
  await new Promise((r) => setTimeout(r, 1000)); // anything sent twice is on its way by now
  const got = await arrived();
  const lost = unexplained(await missing());
  t.diagnostic(`${queueRefusals()} queue entries refused by the outbox's bound (console errors)`);
  // Whether a lost key arrived altered (e.g. a lone surrogate replaced), or not at all.
  const altered = lost.filter((k) => {
    const id = k.match(/fz\d+\.\w+\.\d+\./)?.[0];
    return id && got.some((l) => typeof l.customer_key === 'string' && l.customer_key.includes(id));
  });
  expect(
    lost.length === 0,
    `${lost.length} of ${expected.length} leads lost, ${altered.length} of them arrived with an altered key: ${lost.slice(0, 5).map(show).join(', ')}`,
  );
  const want = new Set([...expected, ...all('maybe').map(fromCodes)]);
  const junk = got.filter((l) => !want.has(l.customer_key) && !altered.some((k) => l.customer_key?.includes(k.match(/fz\d+\.\w+\.\d+\./)[0])));
  expect(junk.length === 0, `${junk.length} leads for no usable key: ${junk.slice(0, 5).map((l) => show(l.customer_key)).join(', ')}`);
  const posts = (await env.requests('/api/v1/track/lead')).filter((r) => r.method === 'POST');
  const byStatus = {};
  for (const p of posts) byStatus[p.aborted ? 'aborted' : p.status] = (byStatus[p.aborted ? 'aborted' : p.status] ?? 0) + 1;
  const said = {};
  for (const l of page.affitorLogs().filter((l) => l.type !== 'log')) said[l.text.slice(0, 90)] = (said[l.text.slice(0, 90)] ?? 0) + 1;
  t.diagnostic(`lead POSTs by status: ${JSON.stringify(byStatus)}; [Affitor] lines: ${JSON.stringify(said)}`);
  t.diagnostic(`outbox at the end: ${await page.evaluate(() => { const o = JSON.parse(localStorage.getItem('affitor_outbox') || '[]'); return o.length + ' ' + JSON.stringify(o.slice(0, 2)); })}`);
  const count = new Map();
  for (const p of posts) count.set(p.body?.customer_key, (count.get(p.body?.customer_key) ?? 0) + 1);
  const twice = [...count].filter(([, n]) => n > 1);
  expect(twice.length === 0, `${twice.length} keys sent more than once: ${twice.slice(0, 5).map(([k, n]) => `${show(k)} ×${n}`).join(', ')}`);
  const invalid = got.map((b) => [b.customer_key, leadProblems(b, env.site)]).filter(([, p]) => p.length);
  expect(
    invalid.length === 0,
    `${invalid.length} of ${got.length} lead bodies not valid per CONTRACT §4: ${invalid.slice(0, 3).map(([k, p]) => `${show(k)}: ${p.join(', ')}`).join(' | ')}`,
  );
  assert.deepEqual(problems, [], `seed ${SEED} (replay with AFFITOR_FUZZ_SEED=${SEED})`);
  t.diagnostic(`done in ${Date.now() - started} ms`);
  await page.context().close();
}

describe(`fuzz (seed ${SEED})`, () => {
  it('≥ 10 000 random calls before and after load: no throw, no rejection, nothing unhandled, no lead lost, none twice, every body valid', (t) =>
    fuzz(t, { pre: PRE_TAG_CALLS, stub: STUB_CALLS, batches: BATCHES, batch: BATCH, mix: { signup: 0.04, entry: 0.05 }, path: '/fuzz/page' }));

  // A burst of calls: 500 queue entries before load, 2 000 calls on the stub, 8 000 after load, and
  // about 600 distinct usable keys among them (on an earlier build, 61 of 610 never reached the API).
  // The API answers in 300 ms, as a loaded one: on an earlier build, 77 of 590 accepted
  // leads never arrived (dropped by the outbox's trim). Now the outbox's bound refuses what it
  // cannot hold (ok:false, or a console error for a queue entry), and every lead accepted arrives.
  it('a burst of 10 500 calls: every accepted lead reaches the API once, within 40 s', (t) =>
    fuzz(t, { pre: 500, stub: 2000, batches: 16, batch: 500, mix: { signup: 0.07, entry: 0.07 }, path: '/fuzz/burst', latencyMs: 300 }));
});
