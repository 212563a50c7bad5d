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
// In the browser it runs the script tag's own loader code (loader/install.js).

import { install as installTracker } from '../loader/install.js';

const VERSION = '0.1.0';

// init()'s options, as the script tag's attributes the tracker reads them from.
const ATTRIBUTES = {
  'data-affitor-program-id': 'programId',
  'data-affitor-api-base': 'apiBase',
  'data-affitor-debug': 'debug',
  'data-affitor-test-mode': 'testMode',
  'data-affitor-cookie-domain': 'cookieDomain',
  'data-affitor-timeout': 'timeout',
};

const NO_DATA = { clickId: null, programId: null, hasAttribution: false, affiliateUrl: null };

const inBrowser = () => typeof window !== 'undefined' && typeof document !== 'undefined';

/** The running tracker's `window.affitor` (from init() or the script tag), if there is one. */
function tracker() {
  const api = inBrowser() ? window.affitor : undefined;
  return api && api.version ? api : null;
}

// Calls made before init(): [function, arguments, resolve].
let early = [];
let started = null;
let whenStarted = null;
let onStarted;

/**
 * Starts the tracker in this page, once; later calls return the first call's promise. Resolves
 * (never rejects) when the tracker runs the page's calls, or at once on a server. If the script
 * tag already runs the tracker, that one is used and the options are ignored.
 */
export function init(options = {}) {
  if (!inBrowser()) return Promise.resolve();
  if (!started) {
    const api = tracker() || install(options || {});
    for (const [call, args, resolve] of early) resolve(call(...args));
    early = [];
    started = Promise.resolve(api.ready).then(() => undefined);
    if (onStarted) onStarted(started);
  }
  return started;
}

/**
 * `signup(customerKey, email?)`: records the lead. Resolves to the result object and never
 * rejects; calls made before init() wait for it. On a server: `{ ok: false, error }`.
 */
export function signup(customerKey, email) {
  const api = tracker();
  if (api) return api.signup(customerKey, email);
  if (!inBrowser()) return Promise.resolve({ ok: false, error: 'not in a browser' });
  return new Promise((resolve) => early.push([signup, [customerKey, email], resolve]));
}

/**
 * `trackClick(url?)`: reports the affiliate click in `url` (default: the page's address), for
 * single-page apps whose client-side navigation brought a new `?aff=`. Like signup(), it never
 * rejects, and calls made before init() wait for it.
 */
export function trackClick(url) {
  const api = tracker();
  if (api) return api.trackClick ? api.trackClick(url) : Promise.resolve({ ok: false, error: 'not supported' });
  if (!inBrowser()) return Promise.resolve({ ok: false, error: 'not in a browser' });
  return new Promise((resolve) => early.push([trackClick, [url], resolve]));
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

/** Resolves once the tracker runs (after init(), or the script tag's); at once on a server. */
export function ready() {
  if (!inBrowser()) return Promise.resolve();
  if (started) return started;
  const api = tracker();
  if (api) return Promise.resolve(api.ready).then(() => undefined);
  if (!whenStarted) {
    whenStarted = new Promise((resolve) => {
      onStarted = resolve;
    });
  }
  return whenStarted;
}

/** What the tracker reads as its script tag: init()'s options under the attributes' names. */
function settings(options) {
  return {
    getAttribute(name) {
      const value = options[ATTRIBUTES[name]];
      if (value === undefined || value === null || value === false) return null;
      return value === true ? 'true' : String(value);
    },
  };
}

/** Installs `window.affitor` and loads the tracker, exactly as the script tag's loader does. */
function install(options) {
  // `new URL('…', import.meta.url)` and a literal import(): the forms bundlers look for to copy
  // the files; one that does not (esbuild) leaves them as they are, and the page passes wasmUrl.
  const wasm = new URL(
    options.wasmUrl || new URL('../dist/affitor_tracker_bg.wasm', import.meta.url),
    location.href,
  ).href;
  // The JavaScript build, for pages whose CSP forbids WebAssembly: by default next to the wasm.
  const fallback = options.fallbackUrl || new URL('affitor_tracker_fallback.js', wasm).href;
  const glue = new URL('../dist/affitor_tracker.js', import.meta.url).href;
  const files = { 'affitor_tracker_bg.wasm': wasm, 'affitor_tracker_fallback.js': fallback };
  return installTracker(
    settings(options),
    (file) => files[file] || new URL(`../dist/${file}`, import.meta.url).href,
    (url) => (url === glue ? import('../dist/affitor_tracker.js') : import(/* @vite-ignore */ url)),
    VERSION,
  );
}
