// How long a page's first Web Lock request waits in Chromium, on a cold page ("cold") and on a
// page that called navigator.locks.query() about 100 ms earlier ("warm"), as the tag does when
// it starts the wasm's download. Medians over --runs cold pages of each, interleaved.
//
//   node bench/first-lock.mjs [--runs 30]
// A maintainer's tool, not part of npm test.
import { createServer } from 'node:http';
import { launchBrowser } from '../tests/e2e/harness.mjs';

const i = process.argv.indexOf('--runs');
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 30;
const html = `<!doctype html><script>
if (location.search === '?warm') navigator.locks.query();
setTimeout(() => {
  const asked = performance.now();
  navigator.locks.request('first', () => { window.waited = performance.now() - asked; });
}, 100);
</script>`;
const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html' });
  res.end(html);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await launchBrowser();
const waits = { cold: [], warm: [] };
for (let run = 0; run < RUNS; run++) {
  for (const kind of ['cold', 'warm']) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://localhost:${server.address().port}/${kind === 'warm' ? '?warm' : ''}`);
    waits[kind].push(await (await page.waitForFunction(() => window.waited)).jsonValue());
    await context.close();
  }
}
await browser.close();
server.close();
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const [kind, v] of Object.entries(waits)) {
  console.log(`${kind}: first lock granted after ${median(v).toFixed(1)} ms (median of ${v.length})`);
}
