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

// Each build writes the same file under target/: wasm-bindgen takes it before the next build.
function bindgen(wasm, dir) {
  rmSync(dir, { recursive: true, force: true });
  run('wasm-bindgen', [
    wasm,
    '--target', 'web', '--out-dir', dir, '--no-typescript', '--omit-default-module-path',
  ]);
}
// -Oz twice (the second pass finds what the first one's inlining exposed) and no
// target_features section (browsers ignore it): 102 B gzip less than one -Oz, measured.
// --low-memory-unused: the first KiB of memory is never addressed (the 32 KiB stack comes first,
// growing down towards it, and would have to be 31 KiB deep; the data lies above the stack), so
// a pointer plus a small constant folds into the load's offset: 229 B gzip less, measured.
// --always-inline-max-function-size=4 (binaryen's default is 2): the many 3- and 4-byte wrappers
// (a call with a constant or two) are inlined where they are called: 51 B gzip and 58 brotli
// less, measured (3 saved less, 5 and 6 added bytes).
// Returns the module with short names, and its glue, minified, to match.
function optimize(dir, file) {
  run(bin('wasm-opt'), [
    join(dir, 'affitor_tracker_bg.wasm'), '--low-memory-unused', '-Oz', '-Oz', '--always-inline-max-function-size=4', '--strip-debug', '--strip-producers', '--strip-target-features', ...WASM_OPT_FEATURES,
    '-o', join(out, file),
  ]);
  const short = minifyNames(
    readFileSync(join(out, file)),
    leanGlue(startWithoutThenables(trimGlue(hardenGlue(readFileSync(join(dir, 'affitor_tracker.js'), 'utf8'))))),
  );
  writeFileSync(join(out, file), short.wasm);
  return prefixWarning(short.glue);
}
bindgen(compileWasm(root, { targetDir: 'target/nightly' }), tmp);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const glue = transformSync(optimize(tmp, 'affitor_tracker_bg.wasm'), { format: 'esm', minify: true, target: 'es2020' }).code;
writeFileSync(join(out, 'affitor_tracker.js'), glue);

// The hand-off wasm (the `handoff` feature, docs/cross-domain.md), which the tag fetches instead
// of the one above only where a page needs the hand-off, with its own glue: the tag's bundled
// glue is the normal build's, and stays as it is. Its glue and the hand-off's listeners
// (loader/handoff.js) make one module, dist/affitor_tracker_handoff.js, that the tag imports
// while the wasm downloads (scripts/build-loader.mjs bundles it).
const tmpHandoff = join(root, 'target', 'bindgen-handoff');
bindgen(compileWasm(root, { targetDir: 'target/nightly', features: ['handoff'], what: 'the hand-off wasm' }), tmpHandoff);
writeFileSync(join(tmpHandoff, 'glue.js'), optimize(tmpHandoff, 'affitor_tracker_handoff_bg.wasm'));

// The glue's one console line on the normal path (a wasm served without application/wasm) gets
// the tracker's prefix and says what to fix.
function prefixWarning(glue) {
  const MIME_WARNING = 'console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\\n", e);';
  if (!glue.includes(MIME_WARNING)) console.warn('[build] the glue has no MIME-type warning to prefix with [Affitor]');
  return glue.replace(MIME_WARNING, () =>
    'console.warn("[Affitor] serve the wasm as Content-Type: application/wasm (without it, it downloads whole before it compiles)", e);');
}

// The script tag: the loader with the glue bundled in (scripts/build-loader.mjs).
const build = buildLoader();

console.log(`built dist/ (version ${version}, build ${build})`);
// dist/affitor_tracker_fallback.js, for CSPs without 'wasm-unsafe-eval', from the same crate with
// the `diagnose` feature: affitor.diagnose() asks it for the tracker's facts (src/diagnose.rs),
// an export the wasm above does without (it would cost every visitor 600+ B gzip); and with the
// `handoff` feature, as the hand-off wasm has it (docs/cross-domain.md gives its cost there).
// Compiled after the wasms above were used: every build writes the same file under target/.
const featured = compileWasm(root, { targetDir: 'target/nightly', features: ['diagnose', 'handoff'], what: 'the fallback' });
(await import('./build-fallback.mjs')).buildFallback(featured);
