// Where the tag's main-thread time goes during load, and where its time to lead goes: loads
// pages like the bench's (a queued signup, files gzip -9, cold) under CDP Tracing and the
// sampling Profiler, and prints per page (medians over the runs):
//   - the main thread's CPU time (trace events' thread time) between the page's
//     performance.marks: --instrument marks each fetch(), Web Lock request and grant,
//     instantiateStreaming, localStorage and document.cookie call; 'T …' marks put temporarily
//     into loader/install.js split the loader's own steps;
//   - the main thread's self time by trace event (wasm.CompileLazy: V8 compiling a wasm function
//     on its first call; V8.ParseFunction / CompileIgnition: JavaScript compiled lazily);
//   - the sampling profile's self time by script and function;
//   - resource timing of the tag, the wasm and the lead's POST, and (untraced: --no-trace
//     --no-profile) the wall time between consecutive marks.
//
//   node bench/profile.mjs [--runs 5] [--latency 0] [--pages bare,baseline,affitor]
//       [--instrument] [--no-trace] [--no-profile] [--args '<chromium switches>']
//
// Pages: bare, baseline, affitor, affitor+preload, affitor-b (an A/B build of the tag copied to
// dist/affitor-tracker-b.js). DUMP=/tmp/t writes each run's raw trace; TIMELINE=1 prints one
// run's marks and requests in order. A maintainer's tool, not part of npm test.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startCollector } from '../server/collector.mjs';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../tests/e2e/harness.mjs';
import { coldPage } from './cold-page.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const RUNS = Number(arg('--runs', 5));
const LATENCY = Number(arg('--latency', 0));
const PAGES = arg('--pages', 'bare,baseline,affitor').split(',');
const TRACE = process.argv.includes('--no-trace') ? null : arg('--categories',
  'devtools.timeline,v8,v8.execute,blink.user_timing,disabled-by-default-devtools.timeline,disabled-by-default-v8.compile,v8.wasm,loading');
const PROFILE = !process.argv.includes('--no-profile');

const tagCode = await readFile(join(root, 'dist', 'affitor-tracker.js'), 'utf8');
const hash = tagCode.match(/\?v=([0-9a-f]{10})/)?.[1];
const dataDir = await mkdtemp(join(tmpdir(), 'affitor-profile-'));
const collector = await startCollector({ port: 0, dataDir, wwwDir: join(root, 'www'), distDir: join(root, 'dist') });
const API = `http://127.0.0.1:${collector.port}`;
const attrs = `data-affitor-program-id="42" data-affitor-api-base="${API}" async`;
const QUEUE =
  "<script>window.affitorQueue = [['signup', new URLSearchParams(location.search).get('key'), 'bench@example.com']];</script>";
// --instrument: a page script before everything that marks (performance.mark) each call of the
// browser APIs the tracker waits on, so the time between the wasm's arrival and the lead's
// request can be split.
const INSTRUMENT = process.argv.includes('--instrument') ? `<script>(function () {
  var n = 0;
  function mark(s) { try { performance.mark(s); } catch (e) {} }
  function wrap(o, k, name, async) {
    var f = o[k];
    o[k] = function () {
      var i = ++n;
      mark(name + ' call #' + i);
      var r = f.apply(this, arguments);
      if (async && r && r.then) r.then(function () { mark(name + ' done #' + i); }, function () {});
      return r;
    };
  }
  wrap(window, 'fetch', 'fetch', true);
  wrap(WebAssembly, 'instantiateStreaming', 'instantiateStreaming', true);
  if (navigator.locks) {
    var req = navigator.locks.request;
    navigator.locks.request = function (name, opts, cb) {
      var i = ++n;
      if (typeof opts === 'function') { cb = opts; opts = undefined; }
      mark('lock request #' + i);
      var wrapped = function (l) { mark('lock granted #' + i); var r = cb(l); Promise.resolve(r).then(function () { mark('lock released #' + i); }); return r; };
      return opts === undefined ? req.call(this, name, wrapped) : req.call(this, name, opts, wrapped);
    };
  }
  var ls = Storage.prototype;
  wrap(ls, 'getItem', 'getItem'); wrap(ls, 'setItem', 'setItem'); wrap(ls, 'removeItem', 'removeItem');
  var d = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  Object.defineProperty(Document.prototype, 'cookie', { configurable: true, get: function () { mark('cookie get #' + (++n)); return d.get.call(this); }, set: function (v) { mark('cookie set #' + (++n)); d.set.call(this, v); } });
})();</script>` : '';
const HEADS = {
  bare: '',
  baseline: `<script src="/bench/baseline-tracker.js" ${attrs}></script>`,
  affitor: `<script src="/affitor/affitor-tracker.js" ${attrs}></script>`,
  // A/B: another build of the tag, put next to it as dist/affitor-tracker-b.js.
  'affitor-b': `<script src="/affitor/affitor-tracker-b.js" ${attrs}></script>`,
  'affitor+preload': `<link rel="preload" as="fetch" crossorigin href="/affitor/affitor_tracker_bg.wasm?v=${hash}"><script src="/affitor/affitor-tracker.js" ${attrs}></script>`,
};
const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const head = HEADS[decodeURIComponent(url.pathname.slice('/p/'.length))];
  const send = (type, body) => {
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Encoding': 'gzip' });
    res.end(gzipSync(body, { level: 9 }));
  };
  if (url.pathname.startsWith('/p/') && head !== undefined) {
    return send('text/html', Buffer.from(`<!doctype html><html><head><title>p</title>${INSTRUMENT}${QUEUE}${head}</head><body><p>p</p></body></html>`));
  }
  const m = url.pathname.match(/^\/(affitor|bench)\/([\w.-]+\.(js|wasm))$/);
  if (m) {
    try {
      const file = m[1] === 'affitor' ? join(root, 'dist', m[2]) : join(root, 'bench', m[2]);
      return send(m[3] === 'wasm' ? 'application/wasm' : 'text/javascript', await readFile(file));
    } catch {}
  }
  res.writeHead(404);
  res.end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const SITE = `http://localhost:${server.address().port}`;

// --args '--js-flags=--no-wasm-lazy-compilation': extra Chromium switches, for A/B runs.
const EXTRA = arg('--args', '').split(' ').filter(Boolean);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...EXTRA] });
const results = Object.fromEntries(PAGES.map((p) => [p, []]));
let seq = 0;
try {
  for (const p of PAGES) await load(p); // warm-up
  for (let i = 0; i < RUNS; i++) for (const p of PAGES) results[p].push(await load(p));
} finally {
  await browser.close();
  await collector.close();
  server.closeAllConnections();
  server.close();
  await rm(dataDir, { recursive: true, force: true });
}
report();

async function load(name) {
  const key = `p_${++seq}_${Date.now().toString(36)}`;
  const { context, page, cdp } = await coldPage(browser, LATENCY);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  if (TRACE) await cdp.send('Tracing.start', { categories: TRACE, transferMode: 'ReportEvents' });
  if (PROFILE) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
    await cdp.send('Profiler.start');
  }
  await page.goto(`${SITE}/p/${encodeURIComponent(name)}?key=${key}`);
  const origin = await page.evaluate(() => performance.timeOrigin);
  let lead = null;
  if (name !== 'bare') {
    for (let t = Date.now(); !lead && Date.now() - t < 20000; ) {
      const list = collector.events();
      lead = list.find((e) => e.type === 'lead' && e.body.customer_key === key);
      if (!lead) await new Promise((r) => setTimeout(r, 10));
    }
  }
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const timing = await page.evaluate(() => ({
    nav: performance.getEntriesByType('navigation').map((e) => ({ responseEnd: e.responseEnd, dcl: e.domContentLoadedEventEnd })),
    res: performance.getEntriesByType('resource').map((e) => ({
      name: e.name, start: e.startTime, reqStart: e.requestStart, resStart: e.responseStart, end: e.responseEnd, type: e.initiatorType,
    })),
    marks: performance.getEntriesByType('mark').map((e) => ({ name: e.name, t: e.startTime })),
    measures: performance.getEntriesByType('measure').map((e) => ({ name: e.name, t: e.startTime, d: e.duration })),
  }));
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (n) => metrics.find((m) => m.name === n).value * 1000;
  let profile = null;
  if (PROFILE) profile = (await cdp.send('Profiler.stop')).profile;
  if (TRACE) {
    await cdp.send('Tracing.end');
    await done;
  }
  await context.close();
  if (process.env.DUMP) (await import('node:fs')).writeFileSync(`${process.env.DUMP}-${name}-${seq}.json`, JSON.stringify(events));
  return {
    lead: lead ? Date.parse(lead.received_at) - origin : null,
    script: metric('ScriptDuration'),
    task: metric('TaskDuration'),
    cpu: metric('ThreadTime'),
    trace: TRACE ? byEvent(events) : {},
    phases: TRACE ? byPhase(events) : {},
    profile: profile ? byScript(profile) : {},
    timing,
  };
}

// The renderer's main thread: self time of each complete event, by name (and, for script
// evaluation and compiles, by URL).
function byEvent(events) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' &&
    events.some((x) => x.pid === e.pid && x.name === 'EvaluateScript'));
  if (!main) return {};
  const list = events
    .filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const out = {};
  const stack = [];
  const label = (e) => {
    const url = e.args?.data?.url || e.args?.url || e.args?.fileName || '';
    const short = url.replace(/^.*\//, '').replace(/\?.*$/, '');
    return short ? `${e.name} ${short}` : e.name;
  };
  for (const e of list) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    // Thread (CPU) time where the trace has it: on a loaded machine, wall time counts the waits
    // for a core.
    const t = (e.tdur ?? e.dur) / 1000;
    if (parent) out[parent.l] = (out[parent.l] || 0) - t;
    e.l = label(e);
    out[e.l] = (out[e.l] || 0) + t;
    if (!parent) out['(all top-level)'] = (out['(all top-level)'] || 0) + t;
    stack.push(e);
  }
  return out;
}

// Main-thread CPU time between the page's performance.marks (the loader's temporary 'T …' marks,
// --instrument's): each top-level task's thread time, shared out by its wall-time overlap.
function byPhase(events) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' &&
    events.some((x) => x.pid === e.pid && x.name === 'EvaluateScript'));
  if (!main) return {};
  const mine = events.filter((e) => e.pid === main.pid && e.tid === main.tid);
  const tasks = [];
  let end = 0;
  for (const e of mine.filter((e) => e.ph === 'X' && e.dur !== undefined).sort((a, b) => a.ts - b.ts)) {
    if (e.ts >= end) { tasks.push(e); end = e.ts + e.dur; }
  }
  const tag = mine.find((e) => e.name === 'EvaluateScript' && /affitor-tracker|baseline-tracker/.test(e.args?.data?.url || ''));
  const marks = [];
  if (tag) marks.push(['tag evaluation starts', tag.ts], ['tag evaluation ends', tag.ts + tag.dur]);
  const seen = new Set();
  let leadFetch = null;
  for (const e of mine.filter((e) => e.cat.includes('user_timing') && e.ph === 'I').sort((a, b) => a.ts - b.ts)) {
    const n = e.name.replace(/ #\d+$/, '');
    if (n === 'fetch call') { leadFetch = e; continue; }
    if (!/^T |^fetch done|^instantiateStreaming done|^lock granted/.test(n) || seen.has(n)) continue;
    seen.add(n);
    marks.push([n, e.ts]);
  }
  if (leadFetch) marks.push(['lead fetch() called', leadFetch.ts]);
  if (!marks.length) return {};
  marks.sort((a, b) => a[1] - b[1]);
  marks.unshift(['start', 0]);
  marks.push(['end', Infinity]);
  const out = {};
  for (let i = 0; i + 1 < marks.length; i++) {
    const [a, t0] = marks[i];
    const [b, t1] = marks[i + 1];
    let cpu = 0;
    for (const e of tasks) {
      const o = Math.min(t1, e.ts + e.dur) - Math.max(t0, e.ts);
      if (o > 0 && e.dur > 0) cpu += ((e.tdur ?? e.dur) * o) / e.dur / 1000;
    }
    out[`${String(i).padStart(2, '0')} ${a} → ${b}`] = cpu;
  }
  return out;
}

// The CPU profile's self time by script file and function.
function byScript(profile) {
  const self = new Map();
  const dt = profile.timeDeltas;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    const d = (dt[i + 1] ?? 0) / 1000;
    const url = n.callFrame.url.replace(/^.*\//, '').replace(/\?.*$/, '');
    const k = `${url || '-'} ${n.callFrame.functionName || '(anonymous)'}`;
    self.set(k, (self.get(k) || 0) + d);
  }
  return Object.fromEntries(self);
}

function median(v) {
  v = v.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function report() {
  if (process.env.TIMELINE) for (const [p, runs] of Object.entries(results)) {
    const r = runs[runs.length >> 1];
    console.log(`\n-- ${p}, one run: marks and resources (ms from navigation start)`);
    const rows = [...r.timing.marks.map((m) => [m.t, 'mark ' + m.name]),
      ...r.timing.res.map((e) => [e.start, `fetch start ${e.name.replace(/\?.*$/, '').replace(/^.*\//, '')} (response ${e.resStart.toFixed(1)}, end ${e.end.toFixed(1)})`])];
    rows.push([r.lead, 'lead received by the collector']);
    for (const [t, w] of rows.sort((a, b) => a[0] - b[0])) console.log(`  ${t.toFixed(1).padStart(7)}  ${w}`);
  }
  const f = (x) => (x === null ? '–' : x.toFixed(1));
  for (const [p, runs] of Object.entries(results)) {
    console.log(`\n== ${p} (${runs.length} runs, latency ${LATENCY}): lead ${f(median(runs.map((r) => r.lead)))} ms, ScriptDuration ${f(median(runs.map((r) => r.script)))}, TaskDuration ${f(median(runs.map((r) => r.task)))}, ThreadTime ${f(median(runs.map((r) => r.cpu)))}`);
    for (const [what, key, min] of [['main-thread CPU ms between marks', 'phases', -1], ['trace events, self ms', 'trace', 0.3], ['profile, self ms', 'profile', 0.2]]) {
      const names = new Set(runs.flatMap((r) => Object.keys(r[key])));
      const rows = [...names].map((n) => [n, median(runs.map((r) => r[key][n] ?? 0))]).filter(([, v]) => v >= min)
        .sort((a, b) => (key === 'phases' ? a[0].localeCompare(b[0]) : b[1] - a[1]));
      if (!rows.length) continue;
      console.log(`  ${what}:`);
      for (const [n, v] of rows.slice(0, 40)) console.log(`    ${f(v).padStart(7)}  ${n}`);
    }
    // resource timing, relative to navigation start
    const names = new Set(runs.flatMap((r) => r.timing.res.map((e) => e.name.replace(/\?.*$/, '').replace(/^https?:\/\/[^/]+/, ''))));
    console.log('  resources (median ms from navigation start: start / request / response start / end):');
    const nav = median(runs.map((r) => r.timing.nav[0]?.responseEnd));
    console.log(`    page responseEnd ${f(nav)}, DOMContentLoaded end ${f(median(runs.map((r) => r.timing.nav[0]?.dcl)))}`);
    for (const n of names) {
      const es = runs.map((r) => r.timing.res.find((e) => e.name.replace(/\?.*$/, '').replace(/^https?:\/\/[^/]+/, '') === n)).filter(Boolean);
      const m = (k) => f(median(es.map((e) => e[k])));
      console.log(`    ${n} (${es[0].type}): ${m('start')} / ${m('reqStart')} / ${m('resStart')} / ${m('end')}`);
    }
    // Wall time between consecutive marks, median per pair (untraced runs: --no-trace).
    const pairs = new Map();
    for (const r of runs) {
      const ms = r.timing.marks.filter((m) => /^T |^lock|^fetch call|^fetch done #1$|^instantiateStreaming/.test(m.name)).sort((a, b) => a.t - b.t);
      for (let i = 0; i + 1 < ms.length; i++) {
        const k = `${ms[i].name.replace(/ #\d+$/, '')} → ${ms[i + 1].name.replace(/ #\d+$/, '')}`;
        if (!pairs.has(k)) pairs.set(k, []);
        pairs.get(k).push(ms[i + 1].t - ms[i].t);
      }
    }
    for (const [k, v] of pairs) if (v.length >= runs.length / 2) console.log(`    wall ${k}: ${f(median(v))} ms`);
    const marks = new Set(runs.flatMap((r) => r.timing.marks.map((e) => e.name)));
    for (const n of marks) console.log(`    mark ${n}: ${f(median(runs.map((r) => r.timing.marks.find((e) => e.name === n)?.t)))}`);
    const measures = new Set(runs.flatMap((r) => r.timing.measures.map((e) => e.name)));
    for (const n of measures) console.log(`    measure ${n}: ${f(median(runs.map((r) => r.timing.measures.find((e) => e.name === n)?.d)))} ms`);
    console.log(`    lead received: ${f(median(runs.map((r) => r.lead)))}`);
  }
}
