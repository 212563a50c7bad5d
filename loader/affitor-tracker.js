/*! Affitor tracker loader. Installs window.affitor at once; the WebAssembly tracker next to this
    file takes over when it has loaded (see install.js). */
// The wasm-bindgen glue is bundled into this file (scripts/build.mjs), so the only other file
// the normal path fetches is the wasm, and it starts the moment this script runs.
import init, { start, signup, trackClick, forget, run, getData, navigated } from '../dist/affitor_tracker.js';
import { install } from './install.js';

(function (d) {
  // currentScript is only set while this file first runs: keep it for the tracker.
  var tag = d.currentScript || d.querySelector('script[src*="affitor-tracker"]');
  var base = (tag && tag.src) || d.baseURI;
  function url(file) {
    // This build's hash: a browser never pairs a cached old wasm with a new loader.
    return new URL(file + '?v=__BUILD__', base).href;
  }
  install(tag, '__VERSION__', {
    wasm: url('affitor_tracker_bg.wasm'),
    glue: { default: init, start: start, signup: signup, trackClick: trackClick, forget: forget, run: run, getData: getData, navigated: navigated },
    fallback: function () {
      return import(url('affitor_tracker_fallback.js'));
    },
    diagnose: function () {
      return import(url('affitor-tracker-diagnose.js'));
    },
    handoff: function () {
      return import(url('affitor_tracker_handoff.js'));
    }
  });
})(document);
