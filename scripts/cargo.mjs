// Compiles the crate to wasm32-unknown-unknown, for scripts/build.mjs and build-fallback.mjs.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The features the module is compiled with (see RUSTFLAGS below), for wasm-opt: binaryen's
// defaults corrupt wasm-bindgen output, and --all-features emits instructions Chromium rejects.
export const WASM_OPT_FEATURES = [
  '--enable-call-indirect-overlong', '--enable-bulk-memory', '--enable-bulk-memory-opt',
  '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals',
];

// No reference-types: wasm-bindgen then keeps JavaScript values in a JS array instead of an
// externref table, which old WebKit (WPE 2.38, Safari 16 era) traps on ("Out of bounds table
// access"); and wasm2js, which makes the CSP fallback from this same module, takes one table and
// no multi-value.
const FEATURES = ['-C', 'target-feature=-reference-types,-multivalue'];

/**
 * Builds the release wasm into `targetDir` (relative to `root`) and returns its path.
 *
 * Nightly rebuilds core and alloc with panic=immediate-abort: a panic becomes a trap, and core's
 * panic-message formatting (~7 KB of wasm) disappears. Stable Rust is the fallback (and
 * AFFITOR_STABLE=1 forces it). Rust's default linear memory is 17 pages, 1 MiB of it stack; the
 * tracker needs a few KiB of stack and its heap grows on demand: it starts with 2 pages (128 KiB)
 * and a 32 KiB stack. `rustflags` adds to those (target features, for instance); `features` are
 * the crate's cargo features to turn on.
 */
export function compileWasm(root, { targetDir, rustflags = [], what = 'the wasm', crate = 'affitor_tracker', features = [] }) {
  const run = (args) => execFileSync('cargo', args, { cwd: root, stdio: 'inherit' });
  const config = (more) =>
    `target.wasm32-unknown-unknown.rustflags=${JSON.stringify([
      '-C', 'link-arg=-zstack-size=32768', '-C', 'link-arg=--initial-memory=131072', ...FEATURES, ...rustflags, ...more,
    ])}`;
  // `cargo rustc --crate-type cdylib`: with an rlib beside the cdylib, cargo silently drops
  // `-C lto` (see `cargo build -v`); the rlib is only for the tests.
  const target = ['--lib', '--crate-type', 'cdylib', '--release', '--target', 'wasm32-unknown-unknown', '--target-dir', targetDir];
  if (features.length) target.push('--features', features.join(','));
  const output = join(targetDir, 'wasm32-unknown-unknown', 'release', `${crate}.wasm`);
  if (process.env.AFFITOR_STABLE !== '1') {
    try {
      run([
        '+nightly', 'rustc', ...target, '-Zbuild-std=core,alloc',
        // -Zmir-opt-level=1 (the debug builds' level): LLVM does the inlining, and at opt-level z
        // it does less of it than MIR's inliner would: 51 B gzip less, measured.
        '--config', config(['-Zunstable-options', '-Cpanic=immediate-abort', '-Zmir-opt-level=1']),
      ]);
      return output;
    } catch {
      console.warn(`[build] nightly build-std failed; building ${what} with stable Rust (~7 KB larger)`);
    }
  }
  run(['rustc', ...target, '--config', config([])]);
  return output;
}
