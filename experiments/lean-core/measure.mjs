// Builds this fixture exactly as scripts/build.mjs builds the tracker (nightly build-std,
// wasm-bindgen --target web, wasm-opt -Oz, import names shortened, glue minified) and prints
// gzip -9 sizes next to the shipped loader's. Run from this folder: `node measure.mjs`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { transformSync } from 'esbuild';
import { WASM_OPT_FEATURES, compileWasm } from '../../scripts/cargo.mjs';
import { minifyNames } from '../../scripts/minify-names.mjs';

const here = new URL('.', import.meta.url).pathname;
const out = `${here}target/bindgen`;
const wasm = compileWasm(here, { targetDir: 'target', what: 'the fixture', crate: 'lean_core' });
execFileSync('wasm-bindgen', [`${here}${wasm}`, '--target', 'web', '--out-dir', out, '--no-typescript', '--omit-default-module-path']);
execFileSync(`${here}../../node_modules/.bin/wasm-opt`, [`${out}/lean_core_bg.wasm`, '-Oz', '--strip-debug', '--strip-producers', ...WASM_OPT_FEATURES, '-o', `${out}/opt.wasm`]);
const short = minifyNames(readFileSync(`${out}/opt.wasm`), readFileSync(`${out}/lean_core.js`, 'utf8'));
const glue = transformSync(short.glue, { format: 'esm', minify: true, target: 'es2020' }).code;
const loader = readFileSync(`${here}../../dist/affitor-tracker.js`);
const gz = (b) => gzipSync(b, { level: 9 }).length;
const rows = [['wasm', short.wasm], ['glue', Buffer.from(glue)], ['loader (dist/)', loader]];
for (const [name, b] of rows) console.log(`${name.padEnd(16)}${String(b.length).padStart(7)}${String(gz(b)).padStart(8)}`);
console.log(`total gzip -9: ${rows.reduce((n, [, b]) => n + gz(b), 0)}`);
