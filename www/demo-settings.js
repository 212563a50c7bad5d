// The demo's test-mode switch, applied before the tracker starts. This script runs (it is not
// async or deferred) before the parser reaches the tracker's tag below it, and sets the tag's
// data-affitor-test-mode as the tag is inserted, before the tracker can read its settings.
// The switch itself is in the events panel (demo.js); it keeps its state in localStorage and
// reloads the page, since the tracker reads its settings once.
//
// On your own site, write the attribute in the tag instead: data-affitor-test-mode="true".

'use strict';

(function () {
  var on = false;
  try {
    on = localStorage.getItem('affitor-demo-test-mode') === 'true';
  } catch (err) {
    // Storage blocked: test mode stays off.
  }
  if (!on) return;
  var apply = function () {
    var tag = document.querySelector('script[src*="affitor-tracker.js"]');
    if (tag) tag.setAttribute('data-affitor-test-mode', 'true');
    return Boolean(tag);
  };
  if (apply()) return;
  var observer = new MutationObserver(function () {
    if (apply()) observer.disconnect();
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
})();
