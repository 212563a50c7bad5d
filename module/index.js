// The Affitor tracker as an ES module, for bundled apps (React, Vue, Next…):
//
//   import { init, signup } from 'affitor-tracker';
//   init({ programId: 42 });
//   const result = await signup(userId, email);
//
// It runs the same WebAssembly tracker as the script tag, and installs the same `window.affitor`
// (so `window.affitorQueue` and every snippet for the script tag keep working). Importing it
// does nothing: no `window`, no `document` is touched until `init()` runs in a browser, so it
// is safe to import in server-side rendering, where every function is a harmless no-op.
//
// In the browser it runs the script tag's own loader code (loader/install.js). Its files are
// referenced only in the forms every bundler resolves statically (a static import of the glue,
// `new URL('<literal>', import.meta.url)` for the wasm, a literal import() for the JavaScript
// fallback and for diagnose()'s module), so Vite, Next.js, webpack and Rollup ship them with no
// configuration. esbuild does not resolve `new URL(…, import.meta.url)`: there the page passes
// `wasmUrl` (see the README), and builds with `--splitting --format=esm`, or the fallback is
// bundled into the app itself.

import * as glue from '../dist/affitor_tracker.js';
import { P as Native, install as installTracker, installed, settings } from '../loader/install.js';

const VERSION = '0.1.0';

const NO_DATA = { clickId: null, programId: null, hasAttribution: false, affiliateUrl: null };

const inBrowser = () => typeof window !== 'undefined' && typeof document !== 'undefined';

/** The running tracker's `window.affitor` (from init() or the script tag), if there is one. */
function tracker() {
  return (inBrowser() && installed()) || null;
}

// Calls made before init(): [function, arguments, resolve].
let early = [];
let started = null;
let whenStarted = null;
let onStarted;

/**
 * Starts the tracker in this page, once; later calls return the first call's promise. Resolves
 * (never rejects) when the tracker runs the page's calls, at once on a page with nothing to track
 * yet (the tracker loads at its first call: docs/contract.md §2), and on a server. If the script
 * tag already runs the tracker, that one is used, and the options apply as its `init()`'s do.
 */
export function init(options = {}) {
  if (!inBrowser()) return Native.resolve();
  if (!started) {
    // A tracker already there (the script tag's) takes the options as its init() does.
    const running = tracker();
    const api = running || install(options || {});
    // (It resolves once the tracker runs, or at once where there is nothing to track yet:
    // asking for api.ready would start the tracker.)
    const initialized = api.init(running ? options : undefined);
    for (const [call, args, resolve] of early) resolve(call(...args));
    early = [];
    started = Native.resolve(initialized).then(() => undefined);
    if (onStarted) onStarted(started);
  } else if (tracker()) {
    // Started already: the same options again change nothing; others are named in a warning.
    const again = tracker()[Symbol.for('affitor.again')];
    if (again) again(settings(options || {}));
  }
  return started;
}

/**
 * `signup(customerKey, email?)`, or `signup({ customerKey, email })`: records the lead. Resolves
 * to the result object and never rejects; calls made before init() wait for it. On a server:
 * `{ ok: false, error }`.
 */
export function signup(customerKey, email) {
  const api = tracker();
  if (api) return api.signup(customerKey, email);
  if (!inBrowser()) return Native.resolve({ ok: false, error: 'not in a browser' });
  return new Native((resolve) => early.push([signup, [customerKey, email], resolve]));
}

/**
 * `trackClick(url?, existingClickId?)`: reports the affiliate click in `url` (default: the page's
 * address), for single-page apps whose client-side navigation brought a new `?aff=`;
 * `existingClickId` is the click it replaces. Like signup(), it never rejects, and calls made
 * before init() wait for it.
 */
export function trackClick(url, existingClickId) {
  const api = tracker();
  if (api) return api.trackClick(url, existingClickId);
  if (!inBrowser()) return Native.resolve({ ok: false, error: 'not in a browser' });
  return new Native((resolve) => early.push([trackClick, [url, existingClickId], resolve]));
}

/**
 * `forget()`: removes every cookie and storage key the tracker wrote in this browser, at every
 * domain it wrote them, and stops the tracker on this page (later calls resolve `ok: false`).
 * For a visitor who withdraws consent. Never rejects; a call before init() waits for it.
 */
export function forget() {
  const api = tracker();
  if (api) return api.forget();
  if (!inBrowser()) return Native.resolve({ ok: false, error: 'not in a browser' });
  return new Native((resolve) => early.push([forget, [], resolve]));
}

/** The click id this browser holds, or null (before the tracker runs, and on a server). */
export function getClickId() {
  const api = tracker();
  return api ? api.getClickId() : null;
}

/** `{ clickId, programId, hasAttribution, affiliateUrl }`. */
export function getData() {
  const api = tracker();
  return api ? api.getData() : { ...NO_DATA };
}

/**
 * `diagnose({ testLead }?)`: checks the integration on this page (docs/contract.md §9) and logs each
 * check with the `[Affitor]` prefix; resolves to `{ ok, checks }`, never rejects. Before init()
 * it waits a while for it. On a server: `ok: false`. An async function: its Promise is the
 * engine's own, whatever the page did to window.Promise.
 */
export async function diagnose(options) {
  if (!inBrowser()) return notRunning('not in a browser: diagnose() checks a page', false);
  if (!tracker()) {
    await new Native((resolve) => {
      setTimeout(resolve, DIAGNOSE_WAIT_MS);
      Native.resolve(ready()).then(resolve, resolve);
    });
  }
  const api = tracker();
  return api ? api.diagnose(options) : notRunning('the tracker is not running: call init() first');
}

// How long diagnose() waits for an init() that has not been called yet.
const DIAGNOSE_WAIT_MS = 10_000;

function notRunning(message, log = true) {
  if (log) console.error(`[Affitor] diagnose(): ${message}`);
  return { ok: false, checks: [{ id: 'webassembly', ok: false, level: 'error', message }] };
}

/** Resolves once the tracker runs (after init(), or the script tag's); at once on a server. */
export function ready() {
  if (!inBrowser()) return Native.resolve();
  if (started) return started;
  const api = tracker();
  if (api) return Native.resolve(api.ready).then(() => undefined);
  if (!whenStarted) {
    whenStarted = new Native((resolve) => {
      onStarted = resolve;
    });
  }
  return whenStarted;
}

// Vite's dev server bundles dependencies into node_modules/.vite/deps/ without the files they
// reference (vitejs/vite#8427): there the wasm is read from the package's own directory.
function packageWasm(url) {
  return url.pathname.includes('/node_modules/.vite/')
    ? new URL(`/node_modules/affitor-tracker/dist/${url.pathname.split('/').pop()}`, url)
    : url;
}

/** Installs `window.affitor` and loads the tracker, exactly as the script tag's loader does. */
function install(options) {
  const page = (url) => new URL(url, location.href).href;
  const wasm = page(options.wasmUrl || packageWasm(new URL('../dist/affitor_tracker_bg.wasm', import.meta.url)));
  // The JavaScript build, for pages where WebAssembly may not run; loaded only there.
  const fallback = options.fallbackUrl
    ? () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ page(options.fallbackUrl))
    : () => import('../dist/affitor_tracker_fallback.js');
  // diagnose()'s checks, loaded only when it is called.
  const diagnose = () => import('../dist/affitor-tracker-diagnose.js');
  // The hand-off wasm's glue, which fetches that wasm next to it: loaded instead of the normal
  // wasm where `domains` lists other sites or the landing carries affitor_click_id
  // (docs/cross-domain.md).
  const handoffWasm = page(options.handoffWasmUrl || packageWasm(new URL('../dist/affitor_tracker_handoff_bg.wasm', import.meta.url)));
  const handoff = async () => {
    const m = await import('../dist/affitor_tracker_handoff.js');
    // Its exports, with a start from the wasm this bundler shipped (no prototype: a page's
    // Object.prototype.then must not make it a thenable).
    return Object.assign(Object.create(null), m, { default: () => m.load(handoffWasm) });
  };
  return installTracker(settings(options), VERSION, { wasm, glue, fallback, diagnose, handoff });
}
