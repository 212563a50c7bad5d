// The tracker is a guest in the page: it reads the page's data without trusting it (a getter
// that throws, a Proxy, a frozen array, a polluted prototype), and what it hands back to the
// page carries nothing the page's own code could hook.

// The engine's own Promise: an async function's result is one whatever window.Promise is (zone.js,
// Bluebird, a subclass). The tracker's promises are made with it, and awaited rather than given
// to a `then` the page may have replaced.
export var P = (async function () {})().constructor;

// Page data may be a getter that throws, or a Proxy: every read of it goes through here.
export function read(o, key) {
  try {
    return o[key];
  } catch (e) {}
}

// Array.isArray, or instanceof where a page broke it; false for what cannot be asked at all.
export function isArray(v) {
  try {
    return Array.isArray(v);
  } catch (e) {
    try {
      return v instanceof Array;
    } catch (e2) {
      return false;
    }
  }
}

// A promise resolved with an object calls the object's `then`, its prototype's included: on a
// page that polluted Object.prototype.then, ready and every signup() would wait for the page's
// `then` (forever, if it never calls back). What the tracker resolves a promise with has a `then`
// of its own, undefined and not enumerable (JSON, Object.keys and spreads do not show it).
export function inert(o) {
  try {
    Object.defineProperty(o, 'then', { __proto__: null, value: undefined });
  } catch (e) {}
  return o;
}

// JSON text of `v`, 'null' for what has none (undefined, a function). Throws where JSON does.
export function json(v) {
  var s = JSON.stringify(v);
  return typeof s === 'string' ? s : 'null';
}

// localStorage's `key`, or null (no storage, a sandboxed frame, a full quota).
export function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch (e) {
    return null;
  }
}
