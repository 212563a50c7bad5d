// Builds dist/affitor-tracker.js, the script tag: loader/affitor-tracker.js with install.js and
// the wasm-bindgen glue (dist/affitor_tracker.js) bundled into one classic script (an IIFE, no
// module syntax left but the import() of the fallback and of diagnose()'s module). Run by
// scripts/build.mjs; run alone (`node scripts/build-loader.mjs`) it rebuilds the tag from the
// dist/ already built.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Writes dist/affitor-tracker-diagnose.js: affitor.diagnose()'s checks (loader/diagnose.js), an ES
 * module the loader imports only when diagnose() is called. Named like the tracker's other files,
 * so that what serves those (affitor-tracker/server's first-party mode, a CDN rule) serves it too.
 */
function buildDiagnose(dist) {
  const code = buildSync({
    entryPoints: [join(root, 'loader', 'diagnose.js')],
    bundle: true,
    write: false,
    format: 'esm',
    minify: true,
    target: 'es2017',
    legalComments: 'none',
  }).outputFiles[0].text;
  writeFileSync(join(dist, 'affitor-tracker-diagnose.js'), code);
}

/**
 * loader/handoff-module.js bundled with `glue` (the path of a wasm-bindgen glue built with the
 * `handoff` feature) as its 'affitor-glue': one minified ES module; `wasm`: the glue is
 * WebAssembly's (the module fetches the hand-off wasm), not the JavaScript fallback's.
 */
export function handoffModule(glue, target, wasm) {
  const built = buildSync({
    entryPoints: [join(root, 'loader', 'handoff-module.js')],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    minify: true,
    target,
    legalComments: 'none',
    alias: { 'affitor-glue': glue },
    define: { WASM: String(wasm) },
  });
  // The loader runs this module as it runs the glue bundled in the tag (install.js's `m`): it
  // must have every export that glue has, and the hand-off's.
  const has = Object.values(built.metafile.outputs)[0].exports;
  const needs = [...exportsOf(join(root, 'dist', 'affitor_tracker.js')), 'outbound', ...(wasm ? ['load'] : [])];
  const missing = needs.filter((name) => !has.includes(name));
  if (missing.length) throw new Error(`[build] the hand-off module (${glue}) lacks the exports ${missing.join(', ')}`);
  return built.outputFiles[0].text;
}

/** The names an ES module exports. */
function exportsOf(file) {
  const built = buildSync({ entryPoints: [file], bundle: true, write: false, metafile: true, format: 'esm', logLevel: 'silent' });
  return Object.values(built.metafile.outputs)[0].exports;
}

/** Writes dist/affitor-tracker.js (and diagnose()'s module) and returns this build's hash. */
export function buildLoader() {
  const dist = join(root, 'dist');
  buildDiagnose(dist);
  // The hand-off wasm's glue with the hand-off's listeners (loader/handoff-module.js), imported by
  // the tag instead of fetching the normal wasm where a page needs the hand-off (install.js).
  const handoff = handoffModule(join(root, 'target', 'bindgen-handoff', 'glue.js'), 'es2020', true);
  writeFileSync(join(dist, 'affitor_tracker_handoff.js'), handoff);
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  // The tag asks for the wasm (and the fallback) with this build's hash, so a browser never
  // pairs a cached old wasm with a new loader.
  const build = createHash('sha256')
    .update(readFileSync(join(dist, 'affitor_tracker.js')))
    .update(readFileSync(join(dist, 'affitor_tracker_bg.wasm')))
    .update(readFileSync(join(dist, 'affitor-tracker-diagnose.js')))
    .update(readFileSync(join(dist, 'affitor_tracker_handoff_bg.wasm')))
    .update(handoff)
    .digest('hex')
    .slice(0, 10);
  const min = buildSync({
    entryPoints: [join(root, 'loader', 'affitor-tracker.js')],
    bundle: true,
    write: false,
    format: 'iife',
    minify: true,
    // es2019 (optional catch binding, ~25 B less): Safari 16, the oldest engine tested, has it.
    target: 'es2019',
    legalComments: 'none',
  }).outputFiles[0].text
    .replaceAll('__VERSION__', version)
    .replaceAll('__BUILD__', build);
  if (/\bimport\s*\(\s*["'`]|^\s*(import|export)\b/m.test(min)) throw new Error('[build] the tag kept module syntax');
  // V8's explicit compile hint (Chromium 136+; a plain comment elsewhere): every function of the
  // file is compiled with its first parse, instead of pre-parsed now and parsed and compiled again
  // on the main thread when first called. Nearly all of the tag runs during load (the glue's ~70
  // import shims when the wasm starts), so this is the cheaper way. Measured with
  // bench/profile.mjs, this tag against itself without the hint, two runs of 11 loads each: the
  // main thread's script time 8.5 and 13.6 ms less, its CPU time 5.5 and 4.1 ms less (README
  // "Performance").
  writeFileSync(join(dist, 'affitor-tracker.js'), '//# allFunctionsCalledOnLoad\n' + min);
  return build;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`built dist/affitor-tracker.js (build ${buildLoader()})`);
