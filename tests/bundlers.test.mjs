// The package in real apps, one per bundler (tests/bundlers/<app>/), installed
// from the packed tarball as a site would (`npm pack`, then `npm install ./affitor-tracker-….tgz`),
// with `import { init, signup } from 'affitor-tracker'` and no bundler configuration. Each app's
// page has a signup form: headless Chromium submits it, and the lead must arrive at the dev
// collector. One build is served under a CSP without 'wasm-unsafe-eval' and delivers through
// the JavaScript fallback.
//
// Installs are cached in .cache/bundlers/ (gitignored), keyed by the app's package.json and the
// tarball: a warm run installs nothing, and rebuilds only an app whose sources changed.
// Nothing is skipped: a bundler that cannot be installed or built fails its test, named.
//
//   node --test --test-concurrency=1 tests/bundlers.test.mjs
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, relative, resolve, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCollector } from '../server/collector.mjs';
import { launchBrowser, until } from './e2e/harness.mjs';
import { root } from './packed.mjs';

const APPS = join(root, 'tests', 'bundlers');
const CACHE = join(root, '.cache', 'bundlers');
const ENV = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', CI: '1', BROWSER: 'none' };

const sha = (data) => createHash('sha256').update(data).digest('hex');

// ---- the tarball and the cached installs ----------------------------------------------------

/**
 * `npm pack` of this repository (dist/ built) into the cache: its file name and hash. The hash
 * covers what the package runs (every packed file but README.md and LICENSE), so a README
 * change re-installs nothing.
 */
async function pack() {
  await mkdir(CACHE, { recursive: true });
  const [info] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', CACHE], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let files = '';
  for (const { path } of [...info.files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (path === 'README.md' || path === 'LICENSE') continue;
    files += `${path}\0${sha(await readFile(join(root, path)))}\n`;
  }
  return { file: join(CACHE, info.filename), name: info.filename, hash: sha(files) };
}

/** Every file of an app (path relative to it), package.json first. */
async function appFiles(app) {
  const out = [];
  async function walk(dir) {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(join(APPS, app), p));
    }
  }
  await walk(join(APPS, app));
  return out.sort();
}

/** Runs a command; resolves its output, or rejects with a message that names `what`. */
function run(what, cmd, args, cwd) {
  return new Promise((done, fail) => {
    const child = spawn('nice', ['-n', '10', cmd, ...args], { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (e) => fail(new Error(`${what}: ${cmd} could not start: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) done(out);
      else fail(new Error(`${what}: \`${cmd} ${args.join(' ')}\` failed (exit ${code}):\n${out.slice(-4000)}`));
    });
  });
}

/**
 * The app `app` installed for `variant` (each variant that builds into the same place gets its own
 * copy) in .cache/bundlers/<app>-<variant>-<key>/, key = hash of its package.json and the tarball.
 * Copies the app's sources in, and returns { dir, sources } (sources: the hash of the sources).
 */
async function installed(app, variant, tarball) {
  const files = await appFiles(app);
  const pkgText = await readFile(join(APPS, app, 'package.json'), 'utf8');
  const key = sha(pkgText + tarball.hash).slice(0, 16);
  const name = `${app}-${variant}`;
  const dir = join(CACHE, `${name}-${key}`);
  // Installs of this app for an older package.json or tarball are dropped.
  for (const old of await readdir(CACHE)) {
    if (old.startsWith(`${name}-`) && old !== `${name}-${key}` && /^[0-9a-f]{16}$/.test(old.slice(name.length + 1))) {
      await rm(join(CACHE, old), { recursive: true, force: true });
    }
  }
  if (!existsSync(join(dir, '.installed'))) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    // As the README says: the packed tarball, installed next to the app's own dependencies.
    const pkg = JSON.parse(pkgText);
    pkg.dependencies = { ...pkg.dependencies, 'affitor-tracker': `file:${tarball.name}` };
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
    await copyFile(tarball.file, join(dir, tarball.name));
    await run(`${app}: npm install`, 'npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir);
    await writeFile(join(dir, '.installed'), key);
  }
  let sources = '';
  for (const f of files) {
    if (f === 'package.json') continue;
    const text = await readFile(join(APPS, app, f));
    sources += `${f}\0${sha(text)}\n`;
    await mkdir(join(dir, f, '..'), { recursive: true });
    await writeFile(join(dir, f), text);
  }
  return { dir, sources: sha(sources) };
}

/** Runs `build` in the installed app unless the same sources were built there already. */
async function built(what, { dir, sources }, cmd, args) {
  const marker = join(dir, '.built');
  if (existsSync(marker) && (await readFile(marker, 'utf8')) === sources) return;
  await rm(marker, { force: true });
  await run(what, cmd, args, dir);
  await writeFile(marker, sources);
}

// ---- servers --------------------------------------------------------------------------------

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** A long-running server of the app (vite, next): resolves once `url` answers 200. */
async function serve(what, dir, cmd, args, port) {
  const child = spawn(cmd, args, { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  let exited = null;
  child.on('exit', (code) => { exited = code; });
  const url = `http://127.0.0.1:${port}/`;
  try {
    await until(async () => {
      if (exited !== null) throw new Error(`${what}: \`${cmd} ${args.join(' ')}\` exited (${exited}):\n${out.slice(-4000)}`);
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        return res.status === 200;
      } catch {
        return false;
      }
    }, 240_000, `${what} to serve ${url}`);
  } catch (e) {
    stop(child);
    throw e.message.startsWith(what) ? e : new Error(`${e.message}:\n${out.slice(-4000)}`);
  }
  return { origin: `http://127.0.0.1:${port}`, output: () => out, close: () => stop(child) };
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', r);
    try {
      process.kill(-child.pid, 'SIGTERM'); // the server and the workers it started, by group id
    } catch {
      r();
    }
  });
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json' };

/** A plain static server of `dir` (as a site's web server or CDN), with `headers` on the HTML. */
async function staticServer(dir, headers = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = resolve(dir, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    if (!file.startsWith(dir + sep)) {
      res.writeHead(403);
      return res.end();
    }
    try {
      const body = await readFile(file);
      const type = TYPES[extname(file)] || 'application/octet-stream';
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store', ...(type.startsWith('text/html') ? headers : {}) });
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

// ---- the journey ----------------------------------------------------------------------------

let tarball;
let collector;
let api;
let browser;
let dataDir;
before(async () => {
  assert.ok(existsSync(join(root, 'dist', 'affitor_tracker_bg.wasm')), 'dist/ is built (node scripts/build.mjs)');
  tarball = await pack();
  dataDir = await mkdtemp(join(tmpdir(), 'affitor-bundlers-'));
  collector = await startCollector({ port: 0, dataDir });
  api = `http://127.0.0.1:${collector.port}`;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await collector?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function leads() {
  const all = await (await fetch(`${api}/api/v1/dev/events`)).json();
  return all.filter((e) => e.type === 'lead').map((e) => e.body);
}

/**
 * Opens the app's page, fills in the form and submits it; the lead must reach the collector.
 * On failure, the message says what the page saw: its [Affitor] console lines, page errors and
 * the requests that failed.
 */
async function signsUp(what, origin, { csp = false, path = '/', dev = false, reload = false } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const logs = [];
  const errors = [];
  const failed = [];
  const requested = [];
  page.on('console', (m) => logs.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('requestfailed', (r) => failed.push(`${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    requested.push(new URL(r.url()).pathname);
    if (r.status() >= 400) failed.push(`${r.url()} (${r.status()})`);
  });
  const user = `${what.replace(/\W+/g, '_')}_${Date.now()}`;
  const seen = () =>
    `\n  console: ${JSON.stringify(logs.filter((l) => l.type === 'error' || l.text.startsWith('[Affitor]')))}` +
    `\n  page errors: ${JSON.stringify(errors)}\n  failed requests: ${JSON.stringify(failed)}` +
    `\n  the tracker's files: ${JSON.stringify(requested.filter((p) => /affitor|\.wasm$/.test(p)))}`;
  try {
    await page.goto(`${origin}${path}?api=${encodeURIComponent(api)}`);
    // The app calls init() as it starts (Next.js: in an effect, once hydrated): window.affitor
    // is there once the app's script runs and its submit handler is attached (a dev server
    // compiles the page on this first request).
    await page
      .waitForFunction(() => window.affitor, null, { timeout: 120_000 })
      .catch((e) => { throw new Error(`${what}: the app never called init(): ${e.message.split('\n')[0]}${seen()}`); });
    await page.fill('input[name=user]', user);
    await page.fill('input[name=email]', `${user}@example.com`);
    await page.click('button');
    const text = await page
      .locator('#result')
      .filter({ hasText: /./ })
      .textContent({ timeout: 30_000 })
      .catch((e) => { throw new Error(`${what}: no signup result on the page: ${e.message.split('\n')[0]}${seen()}`); });
    const result = JSON.parse(text);
    assert.equal(result.ok, true, `${what}: signup() resolved ${JSON.stringify(result)}${seen()}`);
    const lead = await until(async () => (await leads()).find((l) => l.customer_key === user), 10_000, `${what}: the lead at the collector`);
    assert.equal(lead.email, `${user}@example.com`);
    assert.equal(lead.program_id, 42);
    assert.deepEqual(errors, [], `${what}: no page errors`);
    const affitorErrors = logs.filter((l) => l.type === 'error' && l.text.startsWith('[Affitor]')).map((l) => l.text);
    // A warning is what a developer sees in the console too (e.g. the wasm not found, the
    // JavaScript fallback taking over).
    const affitorWarnings = logs.filter((l) => l.type === 'warning' && l.text.startsWith('[Affitor]')).map((l) => l.text);
    assert.deepEqual(affitorWarnings, [], `${what}: no [Affitor] warnings${seen()}`);
    if (csp) {
      assert.equal(affitorErrors.length, 1, `${what}: one console hint${seen()}`);
      assert.match(affitorErrors[0], /'wasm-unsafe-eval'/);
      assert.ok(requested.some((p) => /affitor_tracker_fallback[^/]*\.js$/.test(p)), `${what}: the fallback was loaded${seen()}`);
    } else {
      assert.deepEqual(affitorErrors, [], `${what}: no [Affitor] errors${seen()}`);
      assert.ok(requested.some((p) => p.endsWith('.wasm')), `${what}: the wasm was loaded${seen()}`);
      // The JavaScript fallback is a chunk of its own, fetched only where WebAssembly may not run
      // (a dev server may fetch it anyway, e.g. Turbopack's, and not run it).
      if (!dev) assert.ok(!requested.some((p) => /affitor_tracker_fallback/.test(p)), `${what}: the fallback was not loaded${seen()}`);
    }
    if (reload) {
      // The browser holds tracker state now (cookies, storage): the server's HTML must still
      // match the first client render.
      await page.reload();
      await page.waitForFunction(() => window.affitor, null, { timeout: 60_000 });
      await page.evaluate(() => window.affitor.ready);
    }
    const hydration = logs.filter((l) => l.type === 'error' && /hydrat|did not match/i.test(l.text));
    assert.deepEqual(hydration, [], `${what}: no hydration error${seen()}`);
    assert.deepEqual(errors, [], `${what}: no page errors`);
    return { page, logs };
  } finally {
    await context.close();
  }
}

describe('Vite 7', () => {
  // Vite's dev server pre-bundles the package into node_modules/.vite/deps/ (vitejs/vite#8427):
  // the wasm must still be the one that runs, not the JavaScript fallback.
  it('vite (dev server): a signup delivers its lead', async () => {
    const app = await installed('vite', 'dev', tarball);
    const port = await freePort();
    const server = await serve('vite dev', app.dir, join(app.dir, 'node_modules', '.bin', 'vite'), ['--host', '127.0.0.1', '--port', String(port), '--strictPort'], port);
    try {
      await signsUp('vite dev', server.origin, { dev: true });
    } finally {
      await server.close();
    }
  });

  it('vite build + vite preview: a signup delivers its lead', async () => {
    const app = await installed('vite', 'build', tarball);
    await built('vite build', app, join(app.dir, 'node_modules', '.bin', 'vite'), ['build']);
    const port = await freePort();
    const server = await serve('vite preview', app.dir, join(app.dir, 'node_modules', '.bin', 'vite'), ['preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], port);
    try {
      await signsUp('vite build', server.origin);
    } finally {
      await server.close();
    }
  });

  it('vite build under a CSP without \'wasm-unsafe-eval\': the lead goes through the JavaScript fallback', async () => {
    const app = await installed('vite', 'build', tarball);
    await built('vite build', app, join(app.dir, 'node_modules', '.bin', 'vite'), ['build']);
    const server = await staticServer(join(app.dir, 'dist'), {
      'Content-Security-Policy': `script-src 'self'; connect-src 'self' ${api}`,
    });
    try {
      await signsUp('vite build (CSP)', server.origin, { csp: true });
    } finally {
      await server.close();
    }
  });
});

// One Next.js app, two pages: `/` imports the module in a client component, `/tag` puts the
// script tag in with next/script (npm run build / dev copy dist/ into public/affitor/ first).
const NEXT = [
  ['next build (Turbopack) && next start', 'turbopack', ['run', 'build', '--silent'], 'start'],
  ['next build --webpack && next start', 'webpack', ['run', 'build', '--silent', '--', '--webpack'], 'start'],
  ['next dev (Turbopack)', 'dev', null, 'dev'],
];
for (const [what, variant, build, mode] of NEXT) {
  describe(`Next.js 16, ${what}`, () => {
    let server;
    before(async () => {
      const app = await installed('next', variant, tarball);
      if (build) await built(what, app, 'npm', build);
      const port = await freePort();
      const args = mode === 'dev'
        ? ['run', 'dev', '--silent', '--', '-H', '127.0.0.1', '-p', String(port)]
        : ['exec', '--', 'next', 'start', '-H', '127.0.0.1', '-p', String(port)];
      server = await serve(what, app.dir, 'npm', args, port);
    });
    after(() => server?.close());

    it('affitor-tracker/react (<Affitor> in a Server Component page, useAffitor() in the form): a signup delivers its lead, no hydration error before and after a reload', async () => {
      await signsUp(`${what}, the React entry`, server.origin, { dev: mode === 'dev', reload: true });
    });

    it('the script tag (next/script): a signup delivers its lead', async () => {
      await signsUp(`${what}, the script tag`, server.origin, { path: '/tag', dev: mode === 'dev' });
    });
  });
}

describe('webpack 5, Rollup 4, esbuild (a static site)', () => {
  const apps = [
    ['webpack', 'webpack 5'],
    ['rollup', 'Rollup 4 (the documented copy of the wasm, and wasmUrl)'],
    ['esbuild', 'esbuild (the documented copy of the wasm, and wasmUrl)'],
  ];
  for (const [app, what] of apps) {
    it(`${what}: npm run build, served as static files: a signup delivers its lead`, async () => {
      const installedApp = await installed(app, 'build', tarball);
      await built(`${app}: npm run build`, installedApp, 'npm', ['run', 'build', '--silent']);
      const server = await staticServer(installedApp.dir);
      try {
        await signsUp(app, server.origin);
      } finally {
        await server.close();
      }
    });
  }
});
