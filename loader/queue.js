// window.affitorQueue: the calls a page queues before (or without) the script tag's API.
// Copied before the tracker reads it, so that a frozen queue, a getter or a Proxy cannot throw
// inside the tracker.

import { isArray, read } from './guest.js';

// A queue longer than this is a loop or junk (a `length` of 1e9 must not stall the page).
var MAX_QUEUE = 10000;

/** A plain copy of `queue`'s entries (each entry's items copied too); null if it is no array. */
export function copyQueue(queue) {
  var n;
  if (!isArray(queue)) return null;
  try {
    n = queue.length;
  } catch (e) {
    // A length that cannot be read: the entries are read until the first hole.
    for (n = 0; n < MAX_QUEUE; n++) {
      try {
        if (queue[n] === undefined) break;
      } catch (e2) {
        break;
      }
    }
  }
  if (n > MAX_QUEUE) {
    console.warn('[Affitor] window.affitorQueue has ' + n + ' entries: only the first ' + MAX_QUEUE + ' run');
    n = MAX_QUEUE;
  }
  var out = [];
  for (var i = 0; i < n; i++) {
    try {
      out[out.length] = copyEntry(queue[i]);
    } catch (e) {
      skipped(e);
    }
  }
  return out;
}

function copyEntry(e) {
  return isArray(e) ? [e[0], e[1], e[2]] : e;
}

function skipped(e) {
  console.warn('[Affitor] skipped an affitorQueue entry that cannot be read:', e);
}

/**
 * Makes window.affitorQueue's `push` call `run(entry)` for each entry (after the entries
 * already in it, which the caller copied), and returns the queue: the page's array, emptied,
 * or a new one where the page's cannot take a new `push` (frozen) or is no array.
 */
export function take(run) {
  var w = window;
  var queue = read(w, 'affitorQueue');
  function push() {
    for (var i = 0; i < arguments.length; i++) {
      try {
        run(copyEntry(arguments[i]));
      } catch (e) {
        skipped(e);
      }
    }
    return read(queue, 'length');
  }
  if (isArray(queue)) {
    try {
      queue.length = 0;
      queue.push = push;
    } catch (e) {}
  }
  if (read(queue, 'push') !== push) {
    queue = [];
    queue.push = push;
    try {
      w.affitorQueue = queue;
    } catch (e) {}
  }
  return queue;
}

/**
 * Before the tracker runs: entries pushed on window.affitorQueue stay in it (the tracker runs
 * them when it starts), and `pushed()` is told of each push, so that a page with nothing
 * to track at first starts the tracker with its first queued call. A page without a queue gets
 * one; one that is no array is left alone (the tracker names it when it starts).
 */
export function watch(pushed) {
  var w = window;
  var queue = read(w, 'affitorQueue');
  if (queue == null) {
    queue = [];
    try {
      w.affitorQueue = queue;
    } catch (e) {}
  }
  if (!isArray(queue)) return;
  var push = read(queue, 'push');
  try {
    queue.push = function () {
      var n = push.apply(queue, arguments);
      pushed();
      return n;
    };
  } catch (e) {}
}
