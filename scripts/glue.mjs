// The wasm-bindgen glue's JS heap (where JavaScript values live without reference-types) grows
// with Array.prototype.push and starts with Array.prototype.fill: a page that replaces either
// (a no-op push, as some old libraries' shims do) would corrupt every value the tracker holds.
// Rewritten as index assignments, which no page can change. The build fails if wasm-bindgen's
// output no longer has these lines, so an upgrade is looked at.
export function hardenGlue(glue) {
  const swaps = [
    ['let heap = new Array(1024).fill(undefined);\nheap.push(undefined, null, true, false);',
      'let heap = new Array(1028);\nheap[1025] = null; heap[1026] = true; heap[1027] = false;'],
    ['if (heap_next === heap.length) heap.push(heap.length + 1);',
      'if (heap_next === heap.length) heap[heap.length] = heap.length + 1;'],
  ];
  for (const [from, to] of swaps) {
    if (!glue.includes(from)) throw new Error(`[build] the wasm-bindgen glue changed: no ${JSON.stringify(from)}`);
    glue = glue.replace(from, () => to);
  }
  return glue;
}

// wasm-bindgen's init also takes the wasm as a bare URL, Request or module (with a warning
// that has no [Affitor] prefix, "using deprecated parameters…"), and fetches a URL itself. Both
// callers (loader/install.js, module/index.js) always pass `{ module_or_path: fetch(…) }`, so
// those branches are dead weight in every download: taken out, the build failing if
// wasm-bindgen's output no longer has them.
export function trimGlue(glue) {
  const cuts = [
    [`    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }`, '    ({ module_or_path } = module_or_path);'],
    [`    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }`, ''],
  ];
  for (const [from, to] of cuts) {
    if (!glue.includes(from)) throw new Error(`[build] the wasm-bindgen glue changed: no ${JSON.stringify(from.slice(0, 60))}…`);
    glue = glue.replace(from, () => to);
  }
  return glue;
}
