// `npm run bench`: how soon a signup queued by the page reaches the API, this tracker against a
// plain-JavaScript tracker of the same job (bench/baseline-tracker.js), measured as a new visitor
// meets them: headless Chromium, a new browser context and the cache disabled for every run, the
// page on localhost and the API (the dev collector) on 127.0.0.1, files served gzip -9.
//
//   node scripts/bench.mjs [--runs 7] [--check]      (build dist/ first: node scripts/build.mjs)
//
// For each network (loopback, and 150 ms round trip through Chromium's emulation) and page
// variant, it measures:
//   - time to lead: the lead's arrival at the collector (its received_at) − the page's
//     navigation start (performance.timeOrigin), both epoch ms on this machine;
//   - main-thread time added over a bare page with the same queued call: CDP
//     Performance.getMetrics ScriptDuration and TaskDuration (wall time), and ThreadTime (the
//     main thread's CPU time), read once the lead has arrived;
//   - bytes the tracker's files took on the wire (encodedDataLength of every response but the
//     page and the API's).
// It prints medians [min–max] and ratios to the baseline, checks issue 15's budgets, and writes
// everything to bench/results.json. --check exits 1 when a budget is missed.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startCollector } from '../server/collector.mjs';
import { launchBrowser } from '../tests/e2e/harness.mjs';
import { coldPage } from '../bench/cold-page.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const RUNS = Math.max(1, Number(arg('--runs', 7)));
const NETWORKS = { loopback: 0, '150 ms RTT': 150 };
const BUDGETS = { loopback: 1.2, '150 ms RTT': 1.3, mainThread: 1.5 };

// The build hash the tag asks the wasm with, for the preload link to match it.
const tagCode = await readFile(join(root, 'dist', 'affitor-tracker.js'), 'utf8');
const hash = tagCode.match(/\?v=([0-9a-f]{10})/)?.[1];
if (!hash) throw new Error('[bench] no build hash in dist/affitor-tracker.js: run node scripts/build.mjs');

const dataDir = await mkdtemp(join(tmpdir(), 'affitor-bench-'));
const collector = await startCollector({ port: 0, dataDir, wwwDir: join(root, 'www'), distDir: join(root, 'dist') });
const API = `http://127.0.0.1:${collector.port}`;
const site = await pageServer();
const SITE = `http://localhost:${site.port}`;

const attrs = `data-affitor-program-id="42" data-affitor-api-base="${API}" async`;
const OURS = `<script src="/affitor/affitor-tracker.js" ${attrs}></script>`;
const BASELINE = `<script src="/bench/baseline-tracker.js" ${attrs}></script>`;
const PRELOAD = `<link rel="preload" as="fetch" crossorigin href="/affitor/affitor_tracker_bg.wasm?v=${hash}">`;
const PRECONNECT = `<link rel="preconnect" href="${API}" crossorigin>`;
// The page's own call, queued before any tracker: what every variant has to deliver.
const QUEUE =
  "<script>window.affitorQueue = [['signup', new URLSearchParams(location.search).get('key'), 'bench@example.com']];</script>";
const VARIANTS = {
  bare: { head: '' },
  baseline: { head: BASELINE, label: 'plain-JS baseline' },
  'baseline+preconnect': { head: PRECONNECT + BASELINE, label: 'plain-JS + preconnect' },
  affitor: { head: OURS, label: 'affitor' },
  'affitor+preload': { head: PRELOAD + OURS, label: 'affitor + preload wasm' },
  'affitor+preconnect': { head: PRECONNECT + OURS, label: 'affitor + preconnect' },
  'affitor+both': { head: PRELOAD + PRECONNECT + OURS, label: 'affitor + preload + preconnect' },
  'affitor CSP': {
    head: OURS,
    label: "affitor, CSP without 'wasm-unsafe-eval'",
    csp: "script-src 'self' 'unsafe-inline'",
  },
};
for (const [name, v] of Object.entries(VARIANTS)) {
  site.set(`/bench/${encodeURIComponent(name)}`, `<!doctype html><html><head><title>bench</title>${QUEUE}${v.head}</head><body><p>bench</p></body></html>`, v.csp);
}

const browser = await launchBrowser();
const samples = {}; // network → variant → [{ ms, script, task, bytes, wasm }]
let seq = 0;
try {
  for (const [network, latency] of Object.entries(NETWORKS)) {
    samples[network] = Object.fromEntries(Object.keys(VARIANTS).map((v) => [v, []]));
    await measure('baseline', latency); // one warm-up load each, not counted (the server's first answers)
    await measure('affitor', latency);
    // Round robin, so that the machine's load spreads over every variant alike.
    for (let i = 0; i < RUNS; i++) {
      for (const variant of Object.keys(VARIANTS)) samples[network][variant].push(await measure(variant, latency));
      process.stderr.write('.');
    }
    process.stderr.write(` ${network}\n`);
  }
} finally {
  await browser.close();
  await collector.close();
  await site.close();
  await rm(dataDir, { recursive: true, force: true });
}
await report();

/** One cold page load of `variant` at `latency` ms. */
async function measure(variant, latency) {
  const key = `bench_${++seq}_${Date.now().toString(36)}`;
  const { context, page, cdp } = await coldPage(browser, latency);
  const urls = new Map();
  let bytes = 0;
  let wasm = 0;
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => {
    const url = urls.get(e.requestId) || '';
    if (/\/(affitor|bench)\/[^/]+\.(js|wasm)/.test(url)) bytes += e.encodedDataLength;
    if (url.includes('.wasm')) wasm++;
  });
  await page.goto(`${SITE}/bench/${encodeURIComponent(variant)}?key=${key}`);
  const start = await page.evaluate(() => performance.timeOrigin);
  let ms = null;
  if (variant !== 'bare') {
    // Read in this process: polling the collector over HTTP would take the event loop that
    // serves the page's files and the lead away from them, and more so as the log grows.
    const lead = await until(
      () => collector.events().find((e) => e.type === 'lead' && e.body.customer_key === key),
      `the lead of ${variant}`,
    );
    ms = Date.parse(lead.received_at) - start;
  }
  // The same evaluate in every variant, bare included, before the metrics are read.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (name) => (metrics.find((m) => m.name === name)?.value ?? NaN) * 1000;
  await context.close();
  return { ms, script: metric('ScriptDuration'), task: metric('TaskDuration'), cpu: metric('ThreadTime'), bytes, wasm };
}

async function until(fn, what, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`[bench] timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stats(values) {
  const v = values.filter((x) => x !== null).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return { median: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2, min: v[0], max: v[v.length - 1] };
}

async function report() {
  const results = { runs: RUNS, chromium: browser.version(), build: hash, networks: {}, budgets: [] };
  const f = (n, d = 0) => (n === null || n === undefined ? '–' : n.toFixed(d));
  const range = (s, d = 0) => (s ? `${f(s.median, d)} [${f(s.min, d)}–${f(s.max, d)}]` : '–');
  const lines = [];
  const cols = ['network', 'page', 'time to lead, ms', '× baseline', '+script ms', '+tasks ms', '+CPU ms', 'tracker bytes'];
  lines.push(cols, cols.map(() => '---'));
  for (const network of Object.keys(NETWORKS)) {
    const per = {};
    for (const [variant, list] of Object.entries(samples[network])) {
      per[variant] = {
        timeToLead: stats(list.map((s) => s.ms)),
        script: stats(list.map((s) => s.script)),
        task: stats(list.map((s) => s.task)),
        cpu: stats(list.map((s) => s.cpu)),
        bytes: stats(list.map((s) => s.bytes)),
        wasmRequests: stats(list.map((s) => s.wasm)),
        samples: list,
      };
    }
    const bare = per.bare;
    for (const v of Object.values(per)) {
      v.addedScript = v.script.median - bare.script.median;
      v.addedTask = v.task.median - bare.task.median;
      v.addedCpu = v.cpu.median - bare.cpu.median;
    }
    const base = per.baseline;
    for (const [variant, v] of Object.entries(per)) {
      v.ratio = v.timeToLead && variant !== 'baseline' ? v.timeToLead.median / base.timeToLead.median : null;
      if (variant === 'bare') continue;
      lines.push([
        network, VARIANTS[variant].label, range(v.timeToLead), variant === 'baseline' ? '1.00' : f(v.ratio, 2),
        f(v.addedScript, 1), f(v.addedTask, 1), f(v.addedCpu, 1), f(v.bytes.median),
      ]);
    }
    results.networks[network] = per;
    const ours = per.affitor;
    results.budgets.push({
      what: `time to lead at ${network}, × baseline`, value: ours.ratio, limit: BUDGETS[network],
    });
    if (network === 'loopback') {
      results.budgets.push(
        { what: 'main-thread script time added, × baseline', value: ours.addedScript / base.addedScript, limit: BUDGETS.mainThread },
        { what: 'main-thread task time added, × baseline', value: ours.addedTask / base.addedTask, limit: BUDGETS.mainThread },
      );
      // Not a budget of issue 15: the same question in CPU time, for a loaded machine.
      results.cpuRatio = ours.addedCpu / base.addedCpu;
      results.budgets.push({ what: 'wasm requests on the CSP page', value: per['affitor CSP'].wasmRequests.max, limit: 0 });
    }
  }
  console.log(`\nnpm run bench: ${RUNS} cold runs per page, ${results.chromium}, build ${hash}; medians [min–max]`);
  console.log('(+script / +tasks: main-thread time over a bare page with the same queued call; +CPU: the main thread\'s CPU time over');
  console.log('the bare page, which waits for a core do not inflate on a loaded machine; bytes: gzip on the wire)\n');
  for (const l of lines) console.log(`| ${l.join(' | ')} |`);
  console.log(`\nmain-thread CPU time added at loopback, × baseline: ${f(results.cpuRatio, 2)} (not a budget)`);
  console.log('\nbudgets (issue 15):');
  let ok = true;
  for (const b of results.budgets) {
    b.holds = b.value !== null && Number.isFinite(b.value) && b.value <= b.limit;
    ok &&= b.holds;
    console.log(`  ${b.holds ? 'holds' : 'MISSED'}  ${b.what}: ${f(b.value, 2)} (≤ ${b.limit})`);
  }
  await writeFile(join(root, 'bench', 'results.json'), JSON.stringify(results, null, 2) + '\n');
  console.log('\nwritten to bench/results.json');
  if (!ok && process.argv.includes('--check')) process.exitCode = 1;
}

/** The site: the bench pages, dist/ under /affitor/, the baseline under /bench/; gzip -9. */
async function pageServer() {
  const pages = new Map();
  const gzipped = new Map(); // file → its gzip -9
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] || '');
    const send = (type, body, extra = {}, file = null) => {
      const headers = { 'Content-Type': type, 'Cache-Control': 'no-store', ...extra };
      if (gzip) {
        if (!file) body = gzipSync(body, { level: 9 });
        else if (gzipped.has(file)) body = gzipped.get(file);
        else gzipped.set(file, (body = gzipSync(body, { level: 9 })));
        headers['Content-Encoding'] = 'gzip';
      }
      res.writeHead(200, headers);
      res.end(body);
    };
    const page = pages.get(url.pathname);
    if (page) return send('text/html; charset=utf-8', Buffer.from(page.html), page.csp ? { 'Content-Security-Policy': page.csp } : {});
    const m = url.pathname.match(/^\/(affitor|bench)\/([\w.-]+\.(js|wasm))$/);
    if (m) {
      try {
        const file = m[1] === 'affitor' ? join(root, 'dist', m[2]) : join(root, 'bench', m[2]);
        return send(m[3] === 'wasm' ? 'application/wasm' : 'text/javascript', await readFile(file), {}, file);
      } catch {}
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    set: (path, html, csp) => pages.set(path, { html, csp }),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
