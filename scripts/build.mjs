// Builds dist/ from the Rust crate and the loader (the compile step is scripts/cargo.mjs):
//   cargo (wasm32, release) → wasm-bindgen --target web → wasm-opt -Oz → dist/
// and minifies the wasm-bindgen glue and the loader with esbuild.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, transformSync } from 'esbuild';
import { WASM_OPT_FEATURES, compileWasm } from './cargo.mjs';
import { minifyNames } from './minify-names.mjs';

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
run(bin('wasm-opt'), [
  join(tmp, 'affitor_tracker_bg.wasm'), '-Oz', '--strip-debug', '--strip-producers', ...WASM_OPT_FEATURES,
  '-o', join(out, 'affitor_tracker_bg.wasm'),
]);

const short = minifyNames(
  readFileSync(join(out, 'affitor_tracker_bg.wasm')),
  readFileSync(join(tmp, 'affitor_tracker.js'), 'utf8'),
);
writeFileSync(join(out, 'affitor_tracker_bg.wasm'), short.wasm);
const glue = transformSync(short.glue, { format: 'esm', minify: true, target: 'es2020' }).code;
writeFileSync(join(out, 'affitor_tracker.js'), glue);

// The loader asks for the glue and the wasm with this build's hash, so a browser never
// pairs a cached old module with a new loader.
const build = createHash('sha256')
  .update(glue)
  .update(readFileSync(join(out, 'affitor_tracker_bg.wasm')))
  .digest('hex')
  .slice(0, 10);
// The loader: a classic script (an IIFE with its install.js inlined), no module syntax left.
const min = buildSync({
  entryPoints: [join(root, 'loader', 'affitor-tracker.js')],
  bundle: true,
  write: false,
  format: 'iife',
  minify: true,
  target: 'es2017',
  legalComments: 'none',
}).outputFiles[0].text
  .replaceAll('__VERSION__', version)
  .replaceAll('__BUILD__', build);
writeFileSync(join(out, 'affitor-tracker.js'), min);

console.log(`built dist/ (version ${version}, build ${build})`);
(await import('./build-fallback.mjs')).buildFallback(wasm); // dist/affitor_tracker_fallback.js, for CSPs without 'wasm-unsafe-eval'
