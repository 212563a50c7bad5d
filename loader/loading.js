// Loading the tracker: the wasm with the glue bundled in the tag, or, where WebAssembly may not
// run or the wasm does not start, its JavaScript build.

import { P } from './guest.js';

// An 8-byte empty module: compiling it throws where WebAssembly may not run.
var EMPTY_WASM = [0, 97, 115, 109, 1, 0, 0, 0];

/**
 * Loads the tracker from `files` ({ wasm, glue, fallback, handoff }, see install.js) and calls
 * `run(m)` with its module once it is instantiated (`run` may throw: the tracker did not start);
 * calls `giveUp(message, error?)` if nothing loads, or nothing within `ms`. `handoff`: the page
 * needs the cross-domain hand-off (docs/cross-domain.md), which is in a wasm of its own, with
 * its own glue (which fetches that wasm): imported instead of the normal wasm's fetch. Returns
 * why WebAssembly may not run here, or null.
 */
export function load(files, run, giveUp, ms, handoff) {
  // The wasm's download is what the lead waits for most: it starts first, as soon as it is known
  // that WebAssembly may run here (so a page that forbids it never downloads the wasm). The
  // first fetch() of a page costs 2–6 ms on the main thread (the request leaves at its end); a
  // plain-JS tracker pays it for its lead.
  var refused = wasmRefused();
  var wasm = refused ? null : handoff ? files.handoff() : fetchWasm(files.wasm);
  warmLocks();
  try {
    setTimeout(function () {
      giveUp('[Affitor] the tracker did not load within ' + ms / 1000 + ' s: calls answer "tracker not loaded"; signups are sent if it loads later, or by the next page view');
    }, ms);
  } catch (e) {}
  async function start(m, init) {
    await m.default(init);
    run(m);
  }
  (async function () {
    try {
      if (refused) throw refused;
      await start(handoff ? await wasm : files.glue, { module_or_path: wasm });
    } catch (e) {
      if (e !== refused) console.warn('[Affitor] the wasm did not start: its JavaScript build takes over:', e);
      try {
        await start(await files.fallback());
      } catch (e2) {
        giveUp('[Affitor] the tracker could not load:', e2);
      }
    }
  })();
  return refused;
}

// The page's fetch may throw, hang or resolve to anything: the glue then fails (or the load
// timeout ends it), never the page.
function fetchWasm(url) {
  try {
    return fetch(url);
  } catch (e) {
    return P.reject(e);
  }
}

// A page's first Web Lock request waits for the browser to connect it to its lock manager
// (Chromium: 9.7 ms median, 2.1 ms once the page has asked anything of navigator.locks; 30 cold
// pages each, bench/first-lock.mjs). A lead takes two locks before it leaves: asking for the
// list of locks now, while the wasm downloads, takes that wait off its way. Nothing is held or
// changed.
async function warmLocks() {
  try {
    await navigator.locks.query();
  } catch (e) {}
}

// Whether WebAssembly may run here, decided before anything is downloaded: a
// Content-Security-Policy without 'wasm-unsafe-eval' makes every engine refuse (each with its own
// message, so the message is not read; Chromium and Firefox refuse the compile, WebKit only the
// instance, hence both), and some browsers have no WebAssembly at all (iOS Lockdown Mode).
// Returns the reason it may not, after saying it once on the console.
function wasmRefused() {
  try {
    new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(EMPTY_WASM)));
    return null;
  } catch (e) {
    var missing = typeof WebAssembly !== 'object';
    if (missing) console.warn('[Affitor] no WebAssembly in this browser (iOS Lockdown Mode?): the tracker runs its JavaScript build');
    else console.error("[Affitor] this page's Content-Security-Policy forbids WebAssembly, so the tracker runs its larger JavaScript build: add 'wasm-unsafe-eval' to script-src");
    return e || 'refused';
  }
}
