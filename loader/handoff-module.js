// The hand-off build's module: a wasm-bindgen glue built with the `handoff` feature
// ('affitor-glue', resolved by scripts/build-loader.mjs), whose start also follows links and
// forms to the business's other sites where a list is configured (docs/cross-domain.md). The
// loader runs it as it runs the glue bundled in the tag (install.js's `m`). Bundled twice:
// dist/affitor_tracker_handoff.js, for dist/affitor_tracker_handoff_bg.wasm (WASM: its default
// export fetches that wasm, which the tag imports this module instead of fetching), and the
// JavaScript fallback's entry (no WASM: the glue's own default).
import init, { start as begin, outbound } from 'affitor-glue';
import { followLinks } from './handoff.js';

export * from 'affitor-glue';

export function start(tag, queue, landings) {
  begin(tag, queue, landings);
  if (tag.getAttribute('data-affitor-domains')) followLinks({ outbound: outbound });
}

// Next to this module, with its ?v= (a browser never pairs a cached old wasm with a new loader).
function wasm() {
  var url = new URL('./affitor_tracker_handoff_bg.wasm', import.meta.url);
  url.search = new URL(import.meta.url).search;
  return fetch(url);
}

/** Starts the glue with the hand-off wasm at `url` (the module entry's, resolved by its bundler). */
export function load(url) {
  return init({ module_or_path: fetch(url) });
}

export default WASM
  ? function () {
      return init({ module_or_path: wasm() });
    }
  : init;
