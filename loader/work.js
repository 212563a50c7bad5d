// Whether a page has tracker work now (docs/contract.md §2 "When the tracker loads"): without, the tracker is
// not loaded during the page's load, and starts at the page's first call or when work appears.
// A page view with nothing to track then costs what a plain-JavaScript tracker costs. Pure, and
// tested under node (tests/work.test.mjs); what the tracker does with the work is decided in Rust.
//
// A wrong "no" loses a click or a lead; a wrong "yes" only costs the load. So each test is a
// little wider than the tracker's rule it stands for, never narrower.

import { isArray } from './guest.js';

// A landing address with something to capture: an `aff` (src/click/rules.rs: in the query, or in
// a hash route's query), or a click id handed over from another of the business's sites.
var CAPTURE = /[?&](aff|affitor_click_id)=[^&#]/;

/** Whether the address `url` has a click to capture. */
export function capturable(url) {
  return typeof url === 'string' && CAPTURE.test(url);
}

/** Whether the address `url` carries a click id another of the business's sites handed over. */
export function handedOver(url) {
  return typeof url === 'string' && /[?&]affitor_click_id=/.test(url);
}

/**
 * Whether the page has work now:
 *   landings  the loader's landing records [url, referrer, time] (kept by earlier page views,
 *             this page's, the same-document navigations since)
 *   queue     window.affitorQueue's entries (a copy: arrays copied, anything else the page's
 *             own value, which is not read), or null
 *   kept      what waits in localStorage for the tracker: the outbox (`affitor_outbox`) and the
 *             signups an earlier page made before the tracker ran (`affitor_pending`), as text
 */
export function hasWork(landings, queue, kept) {
  var i;
  for (i = 0; i < landings.length; i++) if (landings[i] && capturable(landings[i][0])) return true;
  // Any entry but init()'s options is a call (or junk, which the tracker names in a warning).
  for (i = 0; queue && i < queue.length; i++) if (!(isArray(queue[i]) && queue[i][0] === 'init')) return true;
  for (i = 0; i < kept.length; i++) if (kept[i] && kept[i] !== '[]') return true;
  return false;
}
