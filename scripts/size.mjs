// Size report: what a page downloads for the tracker, gzip -9, against the 12 KB budget;
// and the wasm's initial linear memory against its 128 KiB budget.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const BUDGET = 12 * 1024;
const MEMORY_BUDGET = 128 * 1024;

// Every file the loader fetches on the normal (WebAssembly) path.
const loaded = ['affitor-tracker.js', 'affitor_tracker.js', 'affitor_tracker_bg.wasm'];
let total = 0;
console.log('file                          bytes   gzip -9');
for (const f of loaded) {
  const buf = readFileSync(join(dist, f));
  const gz = gzipSync(buf, { level: 9 }).length;
  total += gz;
  console.log(`${f.padEnd(28)}${String(buf.length).padStart(7)}${String(gz).padStart(10)}`);
}
const others = readdirSync(dist).filter((f) => !loaded.includes(f));
for (const f of others) {
  const buf = readFileSync(join(dist, f));
  console.log(`${f.padEnd(28)}${String(buf.length).padStart(7)}${String(gzipSync(buf, { level: 9 }).length).padStart(10)}  (loaded only when needed)`);
}
const pages = initialPages(readFileSync(join(dist, 'affitor_tracker_bg.wasm')));
console.log(`total loaded (gzip -9): ${total} bytes, budget ${BUDGET}: ${total <= BUDGET ? 'OK' : 'OVER'}`);
console.log(`initial linear memory: ${pages * 64} KiB, budget ${MEMORY_BUDGET / 1024} KiB: ${pages * 65536 <= MEMORY_BUDGET ? 'OK' : 'OVER'}`);
if (total > BUDGET || pages * 65536 > MEMORY_BUDGET) process.exitCode = 1;

// The minimum page count of the module's memory, from its memory section (id 5).
function initialPages(wasm) {
  let i = 8;
  const leb = () => {
    let n = 0, shift = 0, b;
    do { b = wasm[i++]; n |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    return n >>> 0;
  };
  while (i < wasm.length) {
    const id = wasm[i++];
    const size = leb();
    if (id === 5) { leb(); leb(); return leb(); } // count, flags, minimum
    i += size;
  }
  throw new Error('no memory section');
}
