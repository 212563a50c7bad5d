/*! Affitor tracker loader. Installs window.affitor at once; the tracker next to this file takes
    over when it has loaded (see install.js). */
import { install } from './install.js';

(function (w, d) {
  var api = w.affitor;
  if (api && api.version) return; // a second copy of the tag changes nothing
  // currentScript is only set while this file first runs: keep it for the tracker.
  var tag = d.currentScript || d.querySelector('script[src*="affitor-tracker"]');
  var base = (tag && tag.src) || d.baseURI;
  install(
    tag,
    function (file) {
      // This build's hash: a browser never pairs a cached old module with a new loader.
      return new URL(file + '?v=__BUILD__', base).href;
    },
    function (url) {
      return import(url);
    },
    '__VERSION__'
  );
})(window, document);
