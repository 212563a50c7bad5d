// A cold page as the bench measures one (and bench/profile.mjs traces one): a new browser
// context, the cache disabled, `latency` ms added to each response by Chromium's emulation, and
// (`cpu`) the page's main thread slowed that many times (CDP Emulation.setCPUThrottlingRate).
// Resolves { context, page, cdp } with CDP's Network and Performance domains on.

/** @param {import('playwright-core').Browser} browser */
export async function coldPage(browser, latency, { cpu = 1 } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency, downloadThroughput: -1, uploadThroughput: -1,
  });
  await cdp.send('Performance.enable');
  if (cpu !== 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
  return { context, page, cdp };
}

/**
 * What the page fetched, seen from the browser (CDP Network events, which cost the page's main
 * thread nothing): the requests in flight, and the bytes on the wire (encodedDataLength) of
 * every response but the document's and the favicon's, split at the load event (by CDP's
 * monotonic timestamps) and at `mark(name)` (from then on, bytes go to `name`).
 * Call before page.goto. CDP's timestamps and the trace's (traceTasks) are one clock.
 */
export async function watchNetwork(cdp) {
  await cdp.send('Page.enable');
  const open = new Set();
  const skip = new Set();
  const finished = []; // [timestamp, bytes, bucket]
  const sent = []; // [timestamp ms, url]
  let bucket = 'beforeCall';
  let loadAt = null;
  let quietSince = Date.now();
  const settled = (id) => {
    if (open.delete(id) && !open.size) quietSince = Date.now();
  };
  cdp.on('Network.requestWillBeSent', (e) => {
    open.add(e.requestId);
    sent.push([e.timestamp * 1000, e.request.url]);
    if (e.type === 'Document' || /\/favicon\.ico$/.test(e.request.url)) skip.add(e.requestId);
  });
  cdp.on('Network.loadingFinished', (e) => {
    if (!skip.has(e.requestId)) finished.push([e.timestamp, e.encodedDataLength, bucket]);
    settled(e.requestId);
  });
  cdp.on('Network.loadingFailed', (e) => settled(e.requestId));
  cdp.on('Page.loadEventFired', (e) => (loadAt = e.timestamp));
  return {
    /** Milliseconds since no request was in flight (0 while one is). */
    quietFor: () => (open.size ? 0 : Date.now() - quietSince),
    mark: (name) => (bucket = name),
    /** When the first request whose URL matches `re` was sent, in the trace's clock (ms), or null. */
    firstSent: (re) => sent.find(([, url]) => re.test(url))?.[0] ?? null,
    /** { beforeLoad, afterLoad, [bucket]… } in bytes; afterLoad stops at the first mark. */
    bytes() {
      const out = { beforeLoad: 0, afterLoad: 0 };
      for (const [t, n, b] of finished) {
        if (b !== 'beforeCall') out[b] = (out[b] || 0) + n;
        else if (loadAt === null || t <= loadAt) out.beforeLoad += n;
        else out.afterLoad += n;
      }
      return out;
    },
  };
}

/**
 * Waits, after the load event, until the page has settled: no request in flight for `quietMs`,
 * then the main thread idle (a requestIdleCallback), and still no request. Conditions, not a
 * fixed sleep; bounded by `boundMs`. It never touches window.affitor: reading `ready` there may
 * itself start a tracker that starts lazily. Resolves { ms, rounds, settled }.
 */
export async function settle(page, net, { quietMs = 100, boundMs = 10_000 } = {}) {
  const start = Date.now();
  for (let rounds = 1; ; rounds++) {
    while (net.quietFor() < quietMs && Date.now() - start < boundMs) await new Promise((r) => setTimeout(r, 10));
    // The mark tells a trace (traceTasks) where the page was found idle.
    await page.evaluate((t) => new Promise((r) => requestIdleCallback(() => r(performance.mark('bench:idle')), { timeout: t })), 2000);
    if (net.quietFor() >= quietMs) return { ms: Date.now() - start, rounds, settled: true };
    if (Date.now() - start >= boundMs) return { ms: Date.now() - start, rounds, settled: false };
  }
}

/**
 * Records the page's main-thread tasks from now (CDP Tracing, category `toplevel`, and
 * performance.mark()s through `blink.user_timing`). `stop()` resolves { tasks, marks }: the
 * renderer main thread's top-level tasks as { ts, dur, cpu } (µs → ms; dur is wall time, cpu the
 * thread's CPU time), and the timestamps of each `bench:` mark, in order. The renderer is the one whose main thread
 * holds the page's marks (a run can trace a second, unrelated renderer).
 *
 * Why not Performance.getMetrics ThreadTime: under CPU throttling Chromium slows the thread by
 * busy-waiting in a signal handler, also while the thread is idle, so ThreadTime grows with
 * wall time (measured: ~20 ms per 25 ms on an idle bare page at 4×) and a figure read later is
 * larger whatever the page did. The sum of the tasks' CPU time counts only work (throttled).
 *
 * `scripts`: the main thread's script work by the URL it runs (devtools.timeline's EvaluateScript,
 * FunctionCall and v8.compile, each with its own CPU time, outermost only): `scriptCpu(url, from,
 * to)` sums those of scripts whose URL matches. A page load's own tasks (the commit, parsing,
 * style, layout) vary by tens of ms at 4× from one cold load to the next, bare page included;
 * what a tracker's script itself costs does not.
 */
export async function traceTasks(cdp) {
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  await cdp.send('Tracing.start', {
    categories: 'toplevel,blink.user_timing,__metadata,devtools.timeline,v8',
    transferMode: 'ReportEvents',
  });
  return async function stop() {
    const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await done;
    const isMark = (e) => e.cat?.includes('user_timing') && /^bench:/.test(e.name);
    const mark = events.find(isMark);
    if (!mark) throw new Error('[bench] no bench: mark in the trace');
    const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && e.pid === mark.pid);
    const mine = events
      .filter((e) => e.pid === mark.pid && e.tid === (main?.tid ?? mark.tid) && e.ph === 'X' && e.dur !== undefined)
      .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const tasks = [];
    let end = 0;
    for (const e of mine) {
      if (e.ts < end) continue; // nested in the task before
      tasks.push({ ts: e.ts / 1000, dur: e.dur / 1000, cpu: (e.tdur ?? e.dur) / 1000 });
      end = e.ts + e.dur;
    }
    const marks = {};
    for (const e of events.filter(isMark).sort((a, b) => a.ts - b.ts)) (marks[e.name] ||= []).push(e.ts / 1000);
    const urlOf = (e) => e.args?.data?.url || e.args?.data?.scriptName || e.args?.data?.fileName || e.args?.fileName || e.args?.url || '';
    const runs = mine.filter((e) => /^(EvaluateScript|FunctionCall|v8\.compile|v8\.compileModule|V8\.CompileCode|v8\.run|TimerFire|EventDispatch)$/.test(e.name) && urlOf(e));
    function scriptCpu(url, from = -Infinity, to = Infinity) {
      let sum = 0;
      let end = 0;
      for (const e of runs) {
        if (e.ts < end) continue; // nested in the one before
        end = e.ts + e.dur;
        if (url.test(urlOf(e)) && e.ts / 1000 >= from && (e.ts + e.dur) / 1000 <= to) sum += (e.tdur ?? e.dur) / 1000;
      }
      return sum;
    }
    return { tasks, marks, scriptCpu };
  };
}
