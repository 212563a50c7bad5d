// What waits for the next page view when the page goes before the tracker ran: its signups
// (a fast redirect must not lose a lead) in `affitor_pending`, and its landings whose clicks
// are still unanswered in `affitor_landings`. Each item is written on its own, so one that
// cannot be (a BigInt) costs only itself.

import { isArray, json, read, stored } from './guest.js';
import { LANDINGS } from './landings.js';
import { copyQueue } from './queue.js';
import { capturable } from './work.js';

export var PENDING = 'affitor_pending';
var LANDINGS_MAX = 10;

/**
 * Keeps, when the page goes: the signups among `page.calls` ([method, a, b, resolve]) and
 * window.affitorQueue, until the tracker runs (`page.tracker`); the landings of `page.landings` still
 * open with a click to capture, always. Nothing once `page.forgotten` (consent withdrawn).
 * Returns `taken()`: the tracker runs on this page after all (perhaps back from the
 * back/forward cache), so what this page kept is taken back: the tracker runs those calls itself.
 */
export function keepOnLeaving(page) {
  var kept = false; // whether this page added to PENDING
  var before; // PENDING as it was before that
  function signups() {
    var saved = [];
    if (page.forgotten || page.tracker) return; // the tracker runs the calls
    var list = copyQueue(read(window, 'affitorQueue')) || [];
    var calls = page.calls;
    var i;
    for (i = 0; i < calls.length; i++) if (calls[i][0] === 'signup') save(saved, calls[i][1], calls[i][2]);
    for (i = 0; i < list.length; i++) {
      if (isArray(list[i]) && list[i][0] === 'signup') save(saved, list[i][1], list[i][2]);
    }
    if (!saved.length) return;
    try {
      var old = kept ? before : stored(PENDING);
      append(PENDING, old, saved);
      kept = true;
      before = old;
    } catch (e) {}
  }
  // (Back from the back/forward cache, a landing kept twice is captured once: the next page
  // view skips an address it has seen.)
  function landings() {
    if (page.forgotten) return;
    var items = [];
    for (var i = 0; i < page.landings.length; i++) {
      try {
        if (capturable(read(page.landings[i], 0))) items[items.length] = json(page.landings[i]);
      } catch (e) {}
    }
    if (!items.length) return;
    try {
      append(LANDINGS, stored(LANDINGS), items, LANDINGS_MAX);
    } catch (e) {}
  }
  addEventListener('pagehide', signups);
  addEventListener('pagehide', landings);
  return function taken() {
    if (!kept) return;
    kept = false;
    try {
      if (before === null) localStorage.removeItem(PENDING);
      else localStorage.setItem(PENDING, before);
    } catch (e) {}
  };
}

// Writes at `key` the list stored as `old` (JSON text; anything else counts as none) with
// `items` (JSON texts) after it, the newest `max` if given. Throws where storage does.
function append(key, old, items, max) {
  var list = [];
  try {
    var was = JSON.parse(old);
    if (isArray(was)) for (var i = 0; i < was.length; i++) list[i] = json(was[i]);
  } catch (e) {}
  localStorage.setItem(key, '[' + list.concat(items).slice(-max).join(',') + ']');
}

function save(saved, key, email) {
  try {
    saved[saved.length] = '[' + json(key) + ',' + json(email) + ',' + json(location.href) + ']';
  } catch (e) {
    console.warn('[Affitor] a signup made before the tracker loaded cannot be kept for the next page view:', e);
  }
}
