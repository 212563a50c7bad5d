// The landing, recorded before any script of the page rewrites the address bar, and the
// same-document navigations after it. Each is [url, referrer, time]; the tracker sets url to
// null once it is dealt with (src/click/landing.rs), and those still open when the page goes
// wait in localStorage for the next page view (leaving.js).

import { isArray, stored } from './guest.js';

// Where landings wait when the page leaves before their clicks were answered.
export var LANDINGS = 'affitor_landings';
// At most this many same-document navigations are recorded (a router may make hundreds).
var NAVIGATIONS_MAX = 50;

/**
 * This page's landings: those earlier page views kept (taken: this page captures them), then
 * the address the document was navigated to, its referrer, and when; then the address a script
 * of the page changed it to before the tag ran, if one did.
 */
export function record() {
  var landings;
  var kept = stored(LANDINGS);
  if (kept) {
    try {
      localStorage.removeItem(LANDINGS);
      landings = JSON.parse(kept);
    } catch (e) {}
  }
  if (!isArray(landings)) landings = [];
  var landing = [location.href, document.referrer, Date.now()];
  try {
    var entry = performance.getEntriesByType('navigation')[0];
    // (Its name has no fragment in some engines: a hash route's is the page's own.)
    if (entry && typeof entry.name === 'string' && entry.name) landing[0] = entry.name.indexOf('#') < 0 ? entry.name + location.hash : entry.name;
  } catch (e) {}
  landings[landings.length] = landing;
  if (landing[0] !== location.href) landings[landings.length] = [location.href, null, landing[2]];
  return landings;
}

/**
 * Same-document navigations (a router's history calls, back/forward, Turbo Drive, the
 * Navigation API): each new address is added to `landings` and given to `navigated`. The
 * page's history calls are wrapped, called through, and return what they return.
 */
export function follow(landings, navigated) {
  function changed() {
    try {
      var entry = [location.href, null, Date.now()];
      if (landings.length < NAVIGATIONS_MAX) landings[landings.length] = entry;
      navigated(entry);
    } catch (e) {}
  }
  function wrap(name) {
    try {
      var original = history[name];
      if (typeof original !== 'function') return;
      history[name] = function () {
        var result = original.apply(this, arguments);
        changed();
        return result;
      };
    } catch (e) {}
  }
  wrap('pushState');
  wrap('replaceState');
  // (A fragment navigation fires popstate too; Turbo Drive calls the history methods as well.)
  addEventListener('popstate', changed);
  addEventListener('turbo:load', changed);
  try {
    navigation.addEventListener('navigatesuccess', changed);
  } catch (e) {}
}
