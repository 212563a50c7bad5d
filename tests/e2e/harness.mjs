// Shared set-up for the end-to-end suites: the dev collector on loopback, a browser (headless
// Chromium through playwright-core by default; `setup({ engine })` for Firefox, WebKitGTK or WPE,
// see engines.mjs), and pages defined inline by each test.
//
// Pages are served from http://localhost:PORT and the API is http://127.0.0.1:PORT: two
// different origins, so every lead crosses CORS with a real preflight, as on a customer's site.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startCollector } from '../../server/collector.mjs';
import { CHROMIUM_ARGS, RECORDER, RECORDER_PATH, launchEngine } from './engines.mjs';

export { CHROMIUM_ARGS, chromiumSelected, selectedEngines } from './engines.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Headless Chromium (Playwright's Browser), for the suites that drive Chromium alone. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/**
 * The tracker's test timings (see docs/maintainers.md, Developing): a script tag to put before
 * the tag, served from the site so that a page's CSP allows it.
 */
export function timings(t = { leaseMs: 1500, retryBaseMs: 100 }) {
  return `<script src="/__e2e/timings.js?${encodeURIComponent(JSON.stringify(t))}"></script>`;
}

/**
 * Polls `fn` until it returns a truthy value, or fails after `ms`. `what` names the condition in
 * the error; a function there is called on timeout (to say what was seen instead).
 */
export async function until(fn, ms = 15_000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'function' ? await what() : what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a collector with a fresh data dir, and a browser: Chromium through Playwright unless
 * `engine` names another (engines.mjs). Call `close()` in `after`.
 */
export async function setup({ engine = 'chromium' } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'affitor-e2e-'));
  const collector = await startCollector({
    port: 0,
    dataDir,
    wwwDir: join(root, 'www'),
    distDir: join(root, 'dist'),
  });
  const browser = await launchEngine(engine).catch(async (e) => {
    await collector.close();
    throw e;
  });
  const pages = await pageServer({ recorder: browser.recorder });
  // Every visitor is remembered, so that a failed test cannot leave a page sending leads.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...a) => {
    const ctx = await newContext(...a);
    env.contexts.add(ctx);
    return ctx;
  };
  const port = collector.port;
  const env = {
    collector,
    browser,
    engine,
    port,
    pages,
    site: `http://localhost:${pages.port}`,
    api: `http://127.0.0.1:${port}`,
    contexts: new Set(), // every context open() made, and those of env.browser.newContext()
    /** Closes every browser context still open (for an afterEach). */
    async closeContexts() {
      const all = [...env.contexts];
      env.contexts.clear();
      for (const c of all) await c.close().catch(() => {});
    },
    async close() {
      await env.closeContexts();
      await browser.close();
      await collector.close();
      await pages.close();
      await rm(dataDir, { recursive: true, force: true });
    },
    /** Clears the collector's events, requests and faults between tests. */
    async reset() {
      pages.hits.length = 0;
      await fetch(`${env.api}/api/v1/dev/events`, { method: 'DELETE' });
    },
    async events(type) {
      const all = await (await fetch(`${env.api}/api/v1/dev/events`)).json();
      return type ? all.filter((e) => e.type === type) : all;
    },
    /** Every request the API saw (preflights and refused ones included). */
    async requests(path) {
      const all = await (await fetch(`${env.api}/api/v1/dev/requests`)).json();
      return path ? all.filter((r) => r.path === path) : all;
    },
    /** Waits until at least `n` events of `type` ('lead', 'click') arrived; their bodies. */
    async arrived(type, n = 1, ms = 15_000) {
      return until(async () => {
        const all = (await env.events(type)).map((e) => e.body);
        return all.length >= n && all;
      }, ms, async () => `${n} ${type} event(s); the API saw ${JSON.stringify((await env.requests()).map((r) => [r.method, r.path, r.status, r.fault, r.body?.customer_key]))}`);
    },
    /** Waits until no request to the API is in flight (each was answered, dropped or cancelled). */
    async settled(ms = 15_000) {
      await until(async () => (await env.requests()).every((r) => r.status !== null || r.aborted), ms, 'requests in flight to end');
    },
    async faults(spec) {
      const r = await fetch(`${env.api}/api/v1/dev/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(spec),
      });
      if (!r.ok) throw new Error(`faults: ${r.status} ${await r.text()}`);
    },
    until,
  };
  return env;
}

/**
 * The site under test: serves the HTML each test registers, and dist/ wherever a page asks for
 * a file named like the tracker's (so the tag can sit at any path). A real server, not
 * Playwright routing: Chromium treats routed documents as public, and would then refuse their
 * requests to the loopback API under Local Network Access.
 */
async function pageServer({ recorder = false } = {}) {
  const html = new Map();
  const hits = []; // every path the browser asked this site for, in order
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    hits.push(url.pathname);
    const file = url.pathname.split('/').pop();
    if (url.pathname === RECORDER_PATH || url.pathname === '/__e2e/timings.js') {
      const body =
        url.pathname === RECORDER_PATH
          ? RECORDER
          : `window.AFFITOR_TEST_TIMINGS = ${JSON.stringify(JSON.parse(decodeURIComponent(url.search.slice(1))))};`;
      res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' });
      return res.end(body);
    }
    if (url.pathname === '/__e2e/blank') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      return res.end('<!doctype html><title>blank</title>');
    }
    if (/^affitor[-_]tracker/.test(file)) {
      try {
        const body = await readFile(join(root, 'dist', file));
        const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
        res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
        return res.end(body);
      } catch {
        res.writeHead(404);
        return res.end();
      }
    }
    const page = html.get(url.pathname);
    if (!page) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('no such test page');
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...page.headers });
    res.end(recorder && !/^text\/javascript/.test(page.headers['Content-Type'] || '') ? withRecorder(page.body) : page.body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    hits,
    set(path, body, headers = {}) {
      html.set(path, { body, headers });
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/** `html` with the recorder (engines.mjs) as its first script, after any doctype. */
function withRecorder(html) {
  const script = `<script src="${RECORDER_PATH}"></script>`;
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  return doctype ? doctype[0] + script + html.slice(doctype[0].length) : script + html;
}

/** The tracker's script tag, pointing at the collector as its API. */
export function tag(env, attrs = {}, extra = '') {
  const all = {
    'data-affitor-program-id': '42',
    'data-affitor-api-base': env.api,
    ...attrs,
  };
  const list = Object.entries(all)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => (v === true ? k : `${k}="${v}"`))
    .join(' ');
  return `<script src="/affitor/affitor-tracker.js" ${list} ${extra}></script>`;
}

/**
 * Opens a page whose HTML is `html`, at `path` on the site origin. Records console messages
 * and page errors (uncaught exceptions and unhandled rejections) on the returned page: as they
 * happen in Chromium; in the other engines, as of the last `goto`, `evaluate` or `sync()` (call
 * `await page.sync()` before reading `logs`/`errors` there).
 */
export async function open(env, html, { path = '/test/page', context, headers = {}, cookies = [] } = {}) {
  const ctx = context || (await env.browser.newContext());
  if (cookies.length) {
    await ctx.addCookies(cookies.map((c) => ({ url: env.site, ...c })));
  }
  const page = await ctx.newPage();
  if (!env.browser.recorder) {
    page.logs = [];
    page.errors = [];
    page.on('console', (m) => page.logs.push({ type: m.type(), text: m.text() }));
    page.on('pageerror', (e) => page.errors.push(String(e)));
  } else {
    // Reads the recorder after each call, so that logs/errors are as fresh as the last answer.
    const evaluate = page.evaluate.bind(page);
    page.evaluate = async (...a) => {
      const v = await evaluate(...a);
      await page.sync();
      return v;
    };
  }
  env.pages.set(path.split('?')[0], html, headers);
  await page.goto(`${env.site}${path}`);
  page.affitorLogs = (type) =>
    page.logs.filter((l) => (!type || l.type === type) && l.text.startsWith('[Affitor]'));
  return page;
}

/** Whether the page's outbox holds no lead (then no tab of this visitor can send one again). */
export function outboxEmpty(page) {
  return page.evaluate(() => {
    try {
      return JSON.parse(localStorage.getItem('affitor_outbox') || '[]').length === 0;
    } catch {
      return false;
    }
  });
}

/** Resolves when the WebAssembly tracker has taken over. */
export function ready(page) {
  return page.evaluate(() => window.affitor.ready.then(() => true));
}

/**
 * A browser that keeps pages in the back/forward cache. Playwright launches Chromium with
 * --disable-back-forward-cache; without that switch headless Chromium caches pages (measured:
 * pageshow.persisted is true after goBack), provided the page is not `Cache-Control: no-store`.
 * Other engines are used as the harness launched them.
 */
export async function bfcacheBrowser(env) {
  const engine = typeof env.browser.browserType === 'function' ? env.browser.browserType().name() : env.engine;
  if (engine !== 'chromium') return { browser: env.browser, close: async () => {} };
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
  return { browser, close: () => browser.close() };
}
