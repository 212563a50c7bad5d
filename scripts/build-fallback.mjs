// Builds dist/affitor_tracker_fallback.js: the same Rust tracker compiled to JavaScript, for pages
// whose Content-Security-Policy forbids WebAssembly (no 'wasm-unsafe-eval'). The loader imports it
// only then; it never runs on the normal path.
//
//   the module scripts/build.mjs compiled → wasm-bindgen → wasm-opt -Oz
//   → short names (minify-names.mjs) → wasm2js → one ES module, bundled and minified by esbuild
//
// How the pieces are wired: wasm2js turns the module into a function, asmFunc(imports), that
// returns the module's exports (memory included) as plain JS values. We cut its generated
// `import * from '<module>'` and its self-instantiation off, and export asmFunc as `instantiate`.
// The wasm-bindgen glue is kept as it is except for its last line (the export of its
// WebAssembly-based init functions), which is replaced by an init that hands the glue's own
// imports object (__wbg_get_imports()) to instantiate() and passes the result to the glue's
// __wbg_finalize_init, exactly as it does with a WebAssembly instance. esbuild then bundles the two
// files into one module and drops the glue's now unused WebAssembly code. The result exports what
// the glue exports (start, signup, run, …) plus the default init, and contains neither
// `WebAssembly` nor eval: the build checks.
//
// wasm2js handles only one table and no multi-value: the module is compiled without
// reference-types and multi-value (scripts/cargo.mjs), so wasm-bindgen keeps JS values in its JS
// heap slab. Stable's prebuilt core still declares reference-types, so the target-features
// section is stripped before wasm-bindgen (it then takes the module as MVP).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { minifyNames } from './minify-names.mjs';
import { hardenGlue } from './glue.mjs';
import { handoffModule } from './build-loader.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

// What the module may use once compiled this way; wasm2js supports all of it.
const FEATURES = [
  '--enable-mutable-globals', '--enable-bulk-memory', '--enable-bulk-memory-opt',
  '--enable-sign-ext', '--enable-call-indirect-overlong',
];

/** Replaces `from` (a string, or a RegExp without groups) in `text`, where it must occur once. */
function once(text, from, to, what) {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`[build] fallback: expected one ${what}, found ${parts.length - 1}`);
  return parts.join(to);
}

/** Makes the fallback from `wasm`, the module scripts/build.mjs compiled (no reference-types). */
export function buildFallback(wasm) {
  const started = Date.now();
  const tmp = join(root, 'target', 'bindgen-fallback');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });

  // Lower what wasm2js cannot take (stable's prebuilt core), and drop the features section.
  const stripped = join(tmp, 'affitor_tracker.wasm');
  run(bin('wasm-opt'), [wasm, '--llvm-nontrapping-fptoint-lowering', '--strip-target-features', '-o', stripped]);
  run('wasm-bindgen', [
    stripped,
    '--target', 'web', '--out-dir', tmp, '--no-typescript', '--omit-default-module-path',
  ]);
  const glueIn = hardenGlue(readFileSync(join(tmp, 'affitor_tracker.js'), 'utf8'));
  if (/__wbindgen_externrefs|addToExternrefTable/.test(glueIn)) throw new Error('[build] fallback: wasm-bindgen emitted externref glue');
  run(bin('wasm-opt'), [
    join(tmp, 'affitor_tracker_bg.wasm'), '-Oz', '--strip-debug', '--strip-producers', ...FEATURES, '-o', join(tmp, 'opt.wasm'),
  ]);
  const short = minifyNames(readFileSync(join(tmp, 'opt.wasm')), glueIn);
  writeFileSync(join(tmp, 'short.wasm'), short.wasm);
  run(bin('wasm2js'), [join(tmp, 'short.wasm'), ...FEATURES, '-Oz', '-o', join(tmp, 'asm.js')]);

  // wasm2js's module → `export function instantiate(imports)`.
  let asm = readFileSync(join(tmp, 'asm.js'), 'utf8');
  asm = asm.replace(/^import \* as [\w$]+ from '[^']*';$/m, '');
  if (!/^function asmFunc\(imports\) \{$/m.test(asm)) throw new Error('[build] fallback: no asmFunc(imports) in the wasm2js output');
  asm = once(asm, /^var retasmFunc = asmFunc\([\s\S]*/m, 'export { asmFunc as instantiate };\n', 'self-instantiation');
  // Growing wasm memory detaches the old ArrayBuffer, and the glue relies on that to renew its
  // cached views of memory; wasm2js's grow copies into a new buffer, so detach the old one too.
  if (asm.includes('function __wasm_memory_grow(')) {
    asm = once(asm, '   buffer = newBuffer;\n',
      '   try { structuredClone(buffer, { transfer: [buffer] }); } catch (e) {}\n   buffer = newBuffer;\n',
      'buffer swap in __wasm_memory_grow');
  }
  writeFileSync(join(tmp, 'asm.js'), asm);

  // The glue, initialised from instantiate() instead of WebAssembly.
  for (const name of ['function __wbg_get_imports()', 'function __wbg_finalize_init(instance, module)']) {
    if (!short.glue.includes(name)) throw new Error(`[build] fallback: the glue has no ${name}`);
  }
  const glue = once(short.glue, 'export { initSync, __wbg_init as default };', `
import { instantiate } from './asm.js';
function initJs() {
    if (wasm === undefined) __wbg_finalize_init({ exports: instantiate(__wbg_get_imports()) }, undefined);
    return wasm;
}
async function initJsAsync() {
    initJs(); // resolves with nothing: wasm2js's exports are a plain object, a thenable where a page polluted Object.prototype.then
}
export { initJs as initSync, initJsAsync as default };
`, "glue's export of its init functions");
  writeFileSync(join(tmp, 'glue.js'), glue);

  // Built with the `handoff` feature: the entry is the hand-off's module, which starts its
  // listeners with the tracker where a list is configured (docs/cross-domain.md).
  const out = handoffModule(join(tmp, 'glue.js'), 'es2020', false);
  // A CSP without 'wasm-unsafe-eval' has no 'unsafe-eval' either.
  const bad = out.match(/WebAssembly|\beval\b|\bFunction\s*\(/);
  if (bad) throw new Error(`[build] fallback: the output uses ${bad[0]}`);
  writeFileSync(join(root, 'dist', 'affitor_tracker_fallback.js'), out);
  console.log(`built dist/affitor_tracker_fallback.js (CSP fallback) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
