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
  return ownPromise(glue);
}

// The glue takes `Promise` and `queueMicrotask` from the page when it calls them, and settles
// every promise with `p.then(…)`: on a page running zone.js (Angular), Bluebird or a subclass of
// Promise as `window.Promise`, `fetch()`'s native promise failed the glue's `instanceof Promise`,
// so the tracker never read the API's answer and sent each lead again. Rewritten to the engine's
// own %Promise% (an async function's result is always one, whatever `window.Promise` is),
// captured when the glue is evaluated; `then` and the futures runtime's microtasks go through
// `await` in an async function, which calls no `then` of the page's for a native promise (and
// calls a foreign thenable's `then` once, its answer settling our promise once). The build
// fails if anything of the page's Promise is left.
const OWN_PROMISE = `const $P = (async () => {})().constructor;
async function $then(p, f, r) { let v; try { v = await p; } catch (e) { return r && r(e); } return f && f(v); }
async function $queueMicrotask(f) { await 0; f(); }
`;

export function ownPromise(glue) {
  const swaps = [
    [/\bnew Promise\(/g, 'new $P('],
    [/\bPromise\.resolve\(/g, '$P.resolve('],
    [/ instanceof Promise\b/g, ' instanceof $P'],
    [/\bgetObject\(arg0\)\.then\(/g, '$then(getObject(arg0), '],
    [/\bgetObject\(arg0\)\.catch\(/g, '$then(getObject(arg0), 0, '],
    // The futures runtime asks the global object whether it has queueMicrotask, then calls it.
    [/\bgetObject\(arg0\)\.queueMicrotask\b/g, '$queueMicrotask'],
    [/(^|[^.\w$])queueMicrotask\(/gm, '$1$queueMicrotask('],
    // wasm-bindgen's init: a failed start may be retried.
    ['__wbg_init_promise.catch(() => {', '$then(__wbg_init_promise, 0, () => {'],
  ];
  for (const [from, to] of swaps) glue = glue.replaceAll(from, to);
  const code = glue.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''); // comments name types
  const left = code.match(/(?<![\w$])Promise(?![\w$])|\.(then|catch|finally)\(|(?<![\w$])queueMicrotask(?![\w$])/);
  if (left) throw new Error(`[build] the wasm-bindgen glue still uses the page's Promise: ${left[0]}`);
  return OWN_PROMISE + glue;
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

// A promise resolved with an object calls that object's `then`, if it has one: on a page that
// polluted Object.prototype.then, the `{ module, instance }` that instantiateStreaming and the
// glue's __wbg_load resolve with is such a thenable, and the tracker never started. Here the wasm
// is compiled (a WebAssembly.Module) and instantiated from that Module (a WebAssembly.Instance),
// neither of them a plain object, and __wbg_load finishes the start itself, resolving with the
// module's exports (an object without a prototype). The same work as instantiateStreaming.
export function startWithoutThenables(glue) {
  const swaps = [
    ['                return await WebAssembly.instantiateStreaming(module, imports);',
      '                return __wbg_finalize_init(await WebAssembly.instantiate(module = await WebAssembly.compileStreaming(module), imports), module);'],
    [`        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);`,
    '        return __wbg_finalize_init(await WebAssembly.instantiate(module = await WebAssembly.compile(await module.arrayBuffer()), imports), module);'],
    [`        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }`,
    // Whatever else the page's fetch() resolved with: instantiate() refuses it, and the
    // JavaScript build takes over.
    '        return __wbg_finalize_init(await WebAssembly.instantiate(module, imports), module);'],
    ["if (typeof WebAssembly.instantiateStreaming === 'function') {", "if (typeof WebAssembly.compileStreaming === 'function') {"],
    [`    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module);`, '    return __wbg_load(await module_or_path, imports);'],
  ];
  for (const [from, to] of swaps) {
    if (!glue.includes(from)) throw new Error(`[build] the wasm-bindgen glue changed: no ${JSON.stringify(from.slice(0, 60))}…`);
    glue = glue.replace(from, () => to);
  }
  return glue;
}

// What wasm-bindgen's glue carries for engines and callers the tag never meets, cut from the
// wasm's glue (not the fallback's, whose wasm2js memory needs the detached-buffer test): a fresh
// TextDecoder every 2 GiB decoded (Safari's limit: the tracker decodes a few KB a page), the
// `encodeInto` polyfill (every engine with WebAssembly and async functions the tag supports has
// it since Safari 14.1), passStringToWasm0's branch without `realloc` (every call passes it), the
// DataView renewal's `detached` test (a grown memory has a new buffer, so comparing buffers is
// the same test), the instance and module kept but never read, and the `global`, `self` and
// `window` lookups js_sys::global() tries after `globalThis`, which every such engine has. The
// build fails if wasm-bindgen's output no longer has these lines.
export function leanGlue(glue) {
  const cuts = [
    [`let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
    numBytesDecoded += bytes.length;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
        cachedTextDecoder.decode();
        numBytesDecoded = bytes.length;
    }
    return cachedTextDecoder.decode(bytes);
}`, `const cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
function decodeText(bytes) {
    return cachedTextDecoder.decode(bytes);
}`],
    [`if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}`, ''],
    [`    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }
`, ''],
    [`cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)`,
      'cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer !== wasm.memory.buffer'],
    [`    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;`, '    wasm = instance.exports;'],
    ['let wasmModule, wasmInstance, wasm;', 'let wasm;'],
  ];
  for (const [from, to] of cuts) {
    if (!glue.includes(from)) throw new Error(`[build] the wasm-bindgen glue changed: no ${JSON.stringify(from.slice(0, 60))}…`);
    glue = glue.replace(from, () => to);
  }
  // Each import that may throw was `function() { return handleError(function (…) {…}, arguments); }`:
  // a closure and an `apply` per call, and 40 bytes of wrapper each. Now `handleError(function
  // (…) {…})` makes that wrapper once, when the imports are made: the same try/catch.
  const wrapped = [/: function\(\) \{ return handleError\(function \(/g, /\}, arguments\); \},$/gm];
  const counts = wrapped.map((re) => (glue.match(re) || []).length);
  if (!counts[0] || counts[0] !== counts[1]) throw new Error(`[build] the wasm-bindgen glue changed: handleError wrappers ${counts}`);
  glue = glue.replace(wrapped[0], ': handleError(function (').replace(wrapped[1], '}),');
  const handler = `function handleError(f, args) {
    try {
        return f.apply(this, args);
    } catch (e) {
        wasm.__wbindgen_exn_store(addHeapObject(e));
    }
}`;
  if (!glue.includes(handler)) throw new Error('[build] the wasm-bindgen glue changed: no handleError');
  glue = glue.replace(handler, () => `function handleError(f) {
    return function () {
        try {
            return f.apply(this, arguments);
        } catch (e) {
            wasm.__wbindgen_exn_store(addHeapObject(e));
        }
    };
}`);
  // Each import that hands a string back (String(), getAttribute, getItem, Headers.get, a
  // string's value) wrote it to the wasm's return slot in four lines of its own: one helper now.
  const returned = /^(\s+)(?:var|const) ptr1 = (?:isLikeNone\(ret\) \? 0 : )?passStringToWasm0\(ret, wasm\.__wbindgen_malloc, wasm\.__wbindgen_realloc\);\n\s+(?:var|const) len1 = WASM_VECTOR_LEN;\n\s+getDataViewMemory0\(\)\.setInt32\(\(arg0 >>> 0\) \+ 4 \* 1, len1, true\);\n\s+getDataViewMemory0\(\)\.setInt32\(\(arg0 >>> 0\) \+ 4 \* 0, ptr1, true\);$/gm;
  const returns = (glue.match(returned) || []).length;
  if (returns !== (glue.match(/passStringToWasm0\(ret,/g) || []).length) throw new Error('[build] the wasm-bindgen glue changed: a string return not in the four lines');
  glue = glue.replace(returned, '$1returnString(arg0, ret);') + `
function returnString(slot, s) {
    const ptr = isLikeNone(s) ? 0 : passStringToWasm0(s, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
    getDataViewMemory0().setInt32((slot >>> 0) + 4, WASM_VECTOR_LEN, true);
    getDataViewMemory0().setInt32(slot >>> 0, ptr, true);
}
`;
  const fallbacks = /(__wbg_static_accessor_(?:GLOBAL_(?!THIS)|SELF_|WINDOW_)\w+: function\(\) \{)\n[^\n]*\n[^\n]*\n/g;
  if ((glue.match(fallbacks) || []).length !== 3) throw new Error('[build] the wasm-bindgen glue changed: not 3 global fallbacks');
  return glue.replace(fallbacks, '$1 return 0;\n');
}
