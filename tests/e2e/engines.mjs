// One driver per browser engine, each behind the same small interface that the harness uses:
//
//   driver = await launchEngine(name)       // 'chromium' | 'firefox' | 'webkit' | 'wpe'
//   ctx    = await driver.newContext()      // a fresh visitor: its own cookies and storage
//   await ctx.addCookies([{ url, name, value }])
//   page   = await ctx.newPage()
//   await page.goto(url); await page.evaluate(fn, arg); await page.waitForURL(pattern)
//   await page.sync()                       // reads what the page recorded (see RECORDER)
//   await ctx.cookies(); await ctx.close(); await driver.close()
//
// Chromium is Playwright itself (its pages are Playwright pages, with their console and
// pageerror events). Firefox is puppeteer-core over WebDriver BiDi. WebKitGTK (MiniBrowser under
// Xvfb) and WPE (cog, headless) are classic WebDriver through selenium-webdriver: no console API
// there, so every page gets RECORDER as its first script (the harness's page server puts it in),
// and the driver reads what it recorded. Firefox uses the recorder too: its own log entries mix
// the browser's CSP notices with the page's errors.
//
// The engines in a run: AFFITOR_ENGINE=chromium|firefox|webkit|wpe (a comma list works too);
// unset, every engine installed on this machine.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';

export const ENGINES = ['chromium', 'firefox', 'webkit', 'wpe'];

// Debian puts MiniBrowser under the multiarch directory: /usr/lib/<triplet>/webkit2gtk-4.1/.
const MINIBROWSER =
  process.env.MINIBROWSER ||
  (() => {
    try {
      for (const d of readdirSync('/usr/lib')) {
        const f = `/usr/lib/${d}/webkit2gtk-4.1/MiniBrowser`;
        if (existsSync(f)) return f;
      }
    } catch {}
    return '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
  })();

/** What each engine needs on this machine (Debian's packages). */
export const REQUIRES = {
  chromium: [process.env.CHROMIUM || '/usr/bin/chromium'],
  firefox: [process.env.FIREFOX || '/usr/bin/firefox-esr'],
  webkit: ['/usr/bin/WebKitWebDriver', MINIBROWSER, '/usr/bin/Xvfb'],
  wpe: ['/usr/bin/WPEWebDriver', '/usr/bin/cog'],
};

export const isInstalled = (name) => REQUIRES[name].every((f) => existsSync(f));

/** The engines this run covers, from AFFITOR_ENGINE or what is installed. */
export function selectedEngines() {
  const asked = (process.env.AFFITOR_ENGINE || '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of asked) {
    if (!ENGINES.includes(a)) throw new Error(`AFFITOR_ENGINE: unknown engine ${a} (one of ${ENGINES.join(', ')})`);
  }
  return asked.length ? asked : ENGINES.filter(isInstalled);
}

/** Whether the Chromium-only suites (Playwright routing, CDP, host mapping) run. */
export const chromiumSelected = () => selectedEngines().includes('chromium');

// ---------------------------------------------------------------------------------------------
// The page recorder: errors, unhandled rejections and console calls, kept in sessionStorage so
// that they survive a navigation within the tab, as a Playwright page's events do.

export const RECORDER_PATH = '/__e2e/recorder.js';
const RECORD_KEY = '__affitor_e2e_log';
export const RECORDER = `(function () {
  var KEY = ${JSON.stringify(RECORD_KEY)};
  var mem = (window.__affitorE2E = []);
  function push(r) {
    try {
      var all = JSON.parse(sessionStorage.getItem(KEY) || '[]');
      all.push(r);
      sessionStorage.setItem(KEY, JSON.stringify(all));
    } catch (e) { mem.push(r); }
  }
  function show(a) {
    if (typeof a === 'string') return a;
    if (a instanceof Error) return String(a);
    try { var j = JSON.stringify(a); return j === undefined ? String(a) : j; } catch (e) { return String(a); }
  }
  var types = { log: 'log', info: 'info', warn: 'warning', error: 'error', debug: 'debug' };
  Object.keys(types).forEach(function (m) {
    var original = console[m];
    console[m] = function () {
      push({ kind: 'console', type: types[m], text: Array.prototype.map.call(arguments, show).join(' ') });
      return original.apply(console, arguments);
    };
  });
  addEventListener('error', function (e) { push({ kind: 'error', text: String(e.error || e.message) }); });
  addEventListener('unhandledrejection', function (e) { push({ kind: 'error', text: 'unhandled rejection: ' + show(e.reason) }); });
})();`;

function readRecord() {
  let all = [];
  try {
    all = JSON.parse(sessionStorage.getItem('__affitor_e2e_log') || '[]');
  } catch {}
  return all.concat(window.__affitorE2E || []);
}

/** Gives a recorder-driven page Playwright's `logs`/`errors` arrays, refreshed by `sync()`. */
function recorded(page) {
  const evaluate = page.evaluate;
  page.logs = [];
  page.errors = [];
  page.sync = async () => {
    let all;
    try {
      all = await evaluate(readRecord);
    } catch {
      return; // between two documents: the next sync reads it
    }
    page.logs = all.filter((r) => r.kind === 'console').map(({ type, text }) => ({ type, text }));
    page.errors = all.filter((r) => r.kind === 'error').map((r) => r.text);
  };
  return page;
}

/** `pattern` as Playwright takes it: a glob with `**`, a RegExp or a predicate on the URL. */
function urlMatcher(pattern) {
  if (typeof pattern === 'function') return (u) => pattern(new URL(u));
  if (pattern instanceof RegExp) return (u) => pattern.test(u);
  const re = new RegExp(`^${pattern.split('**').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (u) => re.test(u);
}

async function pollUrl(read, pattern, ms = 10_000) {
  const match = urlMatcher(pattern);
  const end = Date.now() + ms;
  for (;;) {
    let url = null;
    try {
      url = await read();
    } catch {}
    if (url && match(url)) {
      return url;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for the URL ${pattern} (at ${url})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------------------------------------

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

async function chromiumDriver() {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: REQUIRES.chromium[0],
    args: CHROMIUM_ARGS,
  });
  const newContext = browser.newContext.bind(browser);
  // Playwright contexts and pages already have the interface; pages get a no-op sync().
  browser.newContext = async (...a) => {
    const ctx = await newContext(...a);
    const newPage = ctx.newPage.bind(ctx);
    ctx.newPage = async () => Object.assign(await newPage(), { sync: async () => {} });
    return ctx;
  };
  browser.engine = 'chromium';
  browser.recorder = false;
  browser.features = { console: true, routing: true, multiTab: true };
  return browser;
}

async function firefoxDriver() {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: REQUIRES.firefox[0],
    headless: true,
  });
  const version = await browser.version();
  return {
    engine: 'firefox',
    recorder: true,
    features: { multiTab: true },
    version: () => version,
    async newContext() {
      const ctx = await browser.createBrowserContext();
      const pages = [];
      const context = {
        async addCookies(list) {
          await ctx.setCookie(...list.map(({ url, name, value }) => ({ name, value, domain: new URL(url).hostname, path: '/' })));
        },
        async cookies() {
          return (await ctx.cookies()).map((c) => ({ ...c, sameSite: c.sameSite === 'Default' ? 'None' : c.sameSite }));
        },
        async newPage() {
          const p = await ctx.newPage();
          const page = recorded({
            context: () => context,
            url: () => p.url(),
            evaluate: (fn, ...args) => p.evaluate(fn, ...args),
            async goto(url) {
              await p.goto(url, { waitUntil: 'load' });
              await page.sync();
            },
            waitForURL: (pattern, { timeout } = {}) => pollUrl(() => p.evaluate(() => location.href), pattern, timeout),
            async close() {
              await page.sync();
              await p.close();
            },
          });
          pages.push(page);
          return page;
        },
        close: () => ctx.close(),
      };
      return context;
    },
    close: () => browser.close(),
  };
}

/** A free loopback port for a WebDriver server. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startProcess(cmd, args, env) {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
  child.on('error', () => {});
  return child;
}

async function waitForServer(url, child, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/status`);
      if (r.ok) return;
    } catch {}
    if (Date.now() > end) throw new Error(`${child.spawnfile} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** WebKitGTK and WPE: a WebDriver server (and for GTK an X server), one session per context. */
async function webdriverDriver(engine) {
  const { Builder } = await import('selenium-webdriver');
  const children = [];
  const env = { ...process.env };
  if (engine === 'webkit') {
    // MiniBrowser has no headless mode: a virtual display, its number chosen by Xvfb.
    const x = startProcess('Xvfb', ['-displayfd', '1', '-screen', '0', '1280x720x24', '-nolisten', 'tcp'], env);
    children.push(x);
    const display = await new Promise((resolve, reject) => {
      x.stdout.once('data', (b) => resolve(String(b).trim()));
      x.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
    });
    env.DISPLAY = `:${display}`;
  }
  const port = await freePort();
  const server = `http://127.0.0.1:${port}`;
  const wd =
    engine === 'webkit'
      ? startProcess('WebKitWebDriver', [`--port=${port}`, '--host=local'], env)
      : startProcess('WPEWebDriver', [`--port=${port}`], env);
  children.push(wd);
  const kill = () => children.reverse().forEach((c) => c.exitCode === null && c.kill());
  try {
    await waitForServer(server, wd);
  } catch (e) {
    kill();
    throw e;
  }
  const capabilities =
    engine === 'webkit'
      ? { browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } }
      : { browserName: 'cog', 'wpe:browserOptions': { binary: '/usr/bin/cog', args: ['--automation', '--platform=headless'] } };
  let open = null; // these drivers run one session at a time
  let version = null;
  const driver = {
    engine,
    recorder: true,
    features: {},
    version: () => version,
    async newContext() {
      if (open) throw new Error(`${engine}: one visitor at a time (close the previous context first)`);
      const session = await new Builder().usingServer(server).withCapabilities(capabilities).build();
      version ??= (await session.getCapabilities()).get('browserVersion');
      let page = null;
      let origin = null; // the origin the window is on, for cookies
      const context = {
        async addCookies(list) {
          for (const { url, name, value } of list) {
            const at = new URL(url).origin;
            if (origin !== at) {
              await session.get(`${at}/__e2e/blank`);
              origin = at;
            }
            await session.manage().addCookie({ name, value, path: '/' });
          }
        },
        async cookies() {
          return (await session.manage().getCookies()).map((c) => ({
            name: c.name,
            value: c.value,
            path: c.path,
            domain: c.domain,
            sameSite: c.sameSite,
            expires: c.expiry ?? -1,
          }));
        },
        async newPage() {
          if (page) throw new Error(`${engine}: one page per visitor`);
          page = recorded({
            context: () => context,
            url: () => session.getCurrentUrl(),
            evaluate(fn, ...args) {
              const body = typeof fn === 'function' ? `return (${fn}).apply(null, arguments);` : `return (${fn});`;
              return session.executeScript(body, ...args).then((v) => (v === null ? undefined : v));
            },
            async goto(url) {
              await session.get(url);
              origin = new URL(url).origin;
              await page.sync();
            },
            waitForURL: (pattern, { timeout } = {}) => pollUrl(() => session.getCurrentUrl(), pattern, timeout),
            close: () => context.close(),
          });
          return page;
        },
        async close() {
          if (open !== context) return;
          open = null;
          if (page) await page.sync().catch(() => {});
          await session.quit().catch(() => {});
        },
      };
      open = context;
      return context;
    },
    async close() {
      await open?.close();
      kill();
    },
  };
  return driver;
}

/** Starts `engine`'s browser (and whatever serves it). */
export async function launchEngine(engine) {
  if (!ENGINES.includes(engine)) throw new Error(`unknown engine ${engine}`);
  if (!isInstalled(engine)) {
    throw new Error(`${engine} is not installed: ${REQUIRES[engine].filter((f) => !existsSync(f)).join(', ')} missing (npm test installs it when run as root; see docs/maintainers.md, Developing)`);
  }
  if (engine === 'chromium') return chromiumDriver();
  if (engine === 'firefox') return firefoxDriver();
  return webdriverDriver(engine);
}
