// Set-up for the suites that use the npm package as a site would: a temporary project with the
// packed package installed (tests/packed.mjs), a copy of www/ in it (so the examples import
// 'affitor-tracker' from that node_modules), esbuild bundles written into that copy, and a dev
// collector serving it, with the packed dist/ under /affitor/, in headless Chromium.
//
// Pages open at http://localhost:PORT, the collector's own origin, as the demo does: never
// Playwright-routed pages (Chromium's Local Network Access would block their API calls).
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { startCollector } from '../../server/collector.mjs';
import { consumer, root } from '../packed.mjs';
import { launchBrowser, until } from './harness.mjs';

/**
 * `bundles`: { 'path/in/www/out.js': 'path/in/www/entry.jsx' | { contents, options } } built with
 * esbuild (ES module, minified, JSX; `options` adds esbuild options) before the collector starts.
 */
export async function setupPackaged({ bundles = {}, links = [] } = {}) {
  const site = await consumer({ links });
  const www = join(site.dir, 'www');
  await cp(join(root, 'www'), www, { recursive: true });
  for (const [out, entry] of Object.entries(bundles)) {
    const input =
      typeof entry === 'string'
        ? { entryPoints: [join(www, entry)] }
        : { stdin: { contents: entry.contents, resolveDir: www, loader: 'js' } };
    await build({
      ...input,
      bundle: true,
      format: 'esm',
      minify: true,
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"production"' },
      outfile: join(www, out),
      logLevel: 'silent',
      ...entry.options,
    });
  }
  const dataDir = join(site.dir, 'collector-data');
  await mkdir(dataDir);
  const collector = await startCollector({ port: 0, dataDir, wwwDir: www, distDir: join(site.pkg, 'dist') });
  const browser = await launchBrowser();
  const api = `http://127.0.0.1:${collector.port}`;
  const env = {
    site,
    www,
    browser,
    collector,
    api,
    origin: `http://localhost:${collector.port}`,
    /** Writes a file into the served copy of www/ (e.g. a test page). */
    write: (path, text) => writeFile(join(www, path), text),
    async reset() {
      await fetch(`${api}/api/v1/dev/events`, { method: 'DELETE' });
    },
    async leads() {
      const all = await (await fetch(`${api}/api/v1/dev/events`)).json();
      return all.filter((e) => e.type === 'lead').map((e) => e.body);
    },
    until: (fn, ms = 10_000, what) => until(fn, ms, what),
    /** A fresh browser context and page that records page errors and console messages. */
    async visitor({ cookies = [] } = {}) {
      const context = await browser.newContext();
      if (cookies.length) await context.addCookies(cookies.map((c) => ({ url: env.origin, ...c })));
      const page = await context.newPage();
      page.errors = [];
      page.logs = [];
      page.on('pageerror', (e) => page.errors.push(String(e)));
      page.on('console', (m) => page.logs.push({ type: m.type(), text: m.text(), url: m.location().url }));
      /** Console errors, but for the favicon.ico that Chromium asks every site for. */
      page.consoleErrors = () =>
        page.logs.filter((l) => l.type === 'error' && !l.url?.endsWith('/favicon.ico')).map((l) => l.text);
      return page;
    },
    async close() {
      await browser.close();
      await collector.close();
      await site.remove();
    },
  };
  return env;
}
