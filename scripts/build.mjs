// Builds dist/ from the Rust crate and the loader (the compile step is scripts/cargo.mjs):
//   cargo (wasm32, release) → wasm-bindgen --target web → wasm-opt -Oz → dist/
// and bundles the loader with the wasm-bindgen glue into one classic script with esbuild
// (dist/affitor-tracker.js); the glue is also written alone (dist/affitor_tracker.js) for the
// module entry (module/index.js), whose bundler bundles it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { WASM_OPT_FEATURES, compileWasm } from './cargo.mjs';
import { buildLoader } from './build-loader.mjs';
import { minifyNames } from './minify-names.mjs';
import { hardenGlue, leanGlue, startWithoutThenables, trimGlue } from './glue.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args, env = {}) =>
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });


const out = join(root, 'dist');
const tmp = join(root, 'target', 'bindgen');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

const wasm = compileWasm(root, { targetDir: 'target/nightly' });
rmSync(tmp, { recursive: true, force: true });
run('wasm-bindgen', [
  wasm,
  '--target', 'web', '--out-dir', tmp, '--no-typescript', '--omit-default-module-path',
]);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// -Oz twice (the second pass finds what the first one's inlining exposed) and no
// target_features section (browsers ignore it): 102 B gzip less than one -Oz, measured.
// --low-memory-unused: the first KiB of memory is never addressed (the 32 KiB stack comes first,
// growing down towards it, and would have to be 31 KiB deep; the data lies above the stack), so
// a pointer plus a small constant folds into the load's offset: 229 B gzip less, measured.
// --always-inline-max-function-size=4 (binaryen's default is 2): the many 3- and 4-byte wrappers
// (a call with a constant or two) are inlined where they are called: 51 B gzip and 58 brotli
// less, measured (3 saved less, 5 and 6 added bytes).
run(bin('wasm-opt'), [
  join(tmp, 'affitor_tracker_bg.wasm'), '--low-memory-unused', '-Oz', '-Oz', '--always-inline-max-function-size=4', '--strip-debug', '--strip-producers', '--strip-target-features', ...WASM_OPT_FEATURES,
  '-o', join(out, 'affitor_tracker_bg.wasm'),
]);

const short = minifyNames(
  readFileSync(join(out, 'affitor_tracker_bg.wasm')),
  leanGlue(startWithoutThenables(trimGlue(hardenGlue(readFileSync(join(tmp, 'affitor_tracker.js'), 'utf8'))))),
);
writeFileSync(join(out, 'affitor_tracker_bg.wasm'), short.wasm);
// The glue's one console line on the normal path (a wasm served without application/wasm) gets
// the tracker's prefix and says what to fix.
const MIME_WARNING = 'console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\\n", e);';
if (!short.glue.includes(MIME_WARNING)) console.warn('[build] the glue has no MIME-type warning to prefix with [Affitor]');
const prefixed = short.glue.replace(MIME_WARNING, () =>
  'console.warn("[Affitor] serve the wasm as Content-Type: application/wasm (without it, it downloads whole before it compiles)", e);');
const glue = transformSync(prefixed, { format: 'esm', minify: true, target: 'es2020' }).code;
writeFileSync(join(out, 'affitor_tracker.js'), glue);

// The script tag: the loader with the glue bundled in (scripts/build-loader.mjs).
const build = buildLoader();

console.log(`built dist/ (version ${version}, build ${build})`);
// dist/affitor_tracker_fallback.js, for CSPs without 'wasm-unsafe-eval', from the same crate with
// the `diagnose` feature: affitor.diagnose() asks it for the tracker's facts (src/diagnose.rs),
// an export the wasm above does without (it would cost every visitor 600+ B gzip). Compiled
// after the wasm above was used: both builds write the same file under target/.
const featured = compileWasm(root, { targetDir: 'target/nightly', features: ['diagnose'], what: 'the fallback' });
(await import('./build-fallback.mjs')).buildFallback(featured);
