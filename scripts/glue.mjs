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
