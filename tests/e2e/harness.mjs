// Shared set-up for the end-to-end suites: the dev collector on loopback, headless Chromium
// (Debian's, driven by playwright-core), and pages defined inline by each test.
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

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** Polls `fn` until it returns a truthy value, or fails after `ms`. */
export async function until(fn, ms = 5000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a collector with a fresh data dir, and a browser. Call `close()` in `after`. */
export async function setup() {
  const dataDir = await mkdtemp(join(tmpdir(), 'affitor-e2e-'));
  const collector = await startCollector({
    port: 0,
    dataDir,
    wwwDir: join(root, 'www'),
    distDir: join(root, 'dist'),
  });
  const browser = await launchBrowser();
  const pages = await pageServer();
  const port = collector.port;
  const env = {
    collector,
    browser,
    port,
    pages,
    site: `http://localhost:${pages.port}`,
    api: `http://127.0.0.1:${port}`,
    async close() {
      await browser.close();
      await collector.close();
      await pages.close();
      await rm(dataDir, { recursive: true, force: true });
    },
    /** Clears the collector's events, requests and faults between tests. */
    async reset() {
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
async function pageServer() {
  const html = new Map();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const file = url.pathname.split('/').pop();
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
    res.end(page.body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    set(path, body, headers = {}) {
      html.set(path, { body, headers });
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
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
 * and page errors (uncaught exceptions and unhandled rejections) on the returned page.
 */
export async function open(env, html, { path = '/test/page', context, headers = {}, cookies = [] } = {}) {
  const ctx = context || (await env.browser.newContext());
  if (cookies.length) {
    await ctx.addCookies(cookies.map((c) => ({ url: env.site, ...c })));
  }
  const page = await ctx.newPage();
  page.logs = [];
  page.errors = [];
  page.on('console', (m) => page.logs.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => page.errors.push(String(e)));
  env.pages.set(path.split('?')[0], html, headers);
  await page.goto(`${env.site}${path}`);
  page.affitorLogs = (type) =>
    page.logs.filter((l) => (!type || l.type === type) && l.text.startsWith('[Affitor]'));
  return page;
}

/** Resolves when the WebAssembly tracker has taken over. */
export function ready(page) {
  return page.evaluate(() => window.affitor.ready.then(() => true));
}
