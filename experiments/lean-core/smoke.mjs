// Checks that the measured fixture is a working tracker core, not code the compiler could drop:
// after `node measure.mjs`, `node smoke.mjs` loads its optimised wasm in Chromium, where a
// queued and a direct signup() each send their lead, and bad arguments resolve to a failure.
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import pw from '../../node_modules/playwright-core/index.js';
const dir = new URL('target/bindgen', import.meta.url).pathname;
const leads = [];
const server = http.createServer((req, res) => {
  if (req.method === 'OPTIONS') { res.writeHead(204, {'access-control-allow-origin':'*','access-control-allow-headers':'content-type','access-control-allow-methods':'POST'}); return res.end(); }
  if (req.url === '/api/v1/track/lead') { let b=''; req.on('data',c=>b+=c); req.on('end',()=>{ leads.push(JSON.parse(b)); res.writeHead(200,{'content-type':'application/json','access-control-allow-origin':'*'}); res.end('{"success":true}'); }); return; }
  if (req.url === '/') { res.writeHead(200,{'content-type':'text/html'}); return res.end(`<script type="module">
    import init, * as m from './lean_core.js';
    await init({ module_or_path: './opt.wasm' });
    const tag = document.createElement('script');
    tag.setAttribute('data-affitor-program-id','42'); tag.setAttribute('data-affitor-api-base', location.origin);
    document.cookie = 'affitor_click_id=cust_42_abc; path=/';
    window.affitorQueue = [['signup','queued_user','q@example.com'], 'junk'];
    m.start(tag, window.affitorQueue, m.wake);
    window.m = m;
  </script>`); }
  const f = dir + req.url;
  if (fs.existsSync(f)) { res.writeHead(200, {'content-type': f.endsWith('.wasm') ? 'application/wasm' : 'text/javascript'}); return res.end(fs.readFileSync(f)); }
  res.writeHead(404); res.end();
});
await new Promise(r => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const browser = await pw.chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu'] });
const page = await browser.newPage();
const logs = []; page.on('console', m => logs.push(m.type() + ' ' + m.text())); page.on('pageerror', e => logs.push('pageerror ' + e));
await page.goto(`http://127.0.0.1:${port}/`);
await page.waitForFunction(() => window.m);
const ok = await page.evaluate(() => new Promise(r => window.m.signup('user_1', 'a@b.co', r)));
const bad = await page.evaluate(() => new Promise(r => window.m.signup(undefined, 5, r)));
await browser.close(); server.close();
assert.deepEqual(ok, { ok: true, status: 200 });
assert.equal(bad.ok, false);
assert.deepEqual(leads.map((l) => [l.customer_key, l.click_id, l.program_id]), [
  ['queued_user', 'cust_42_abc', 42],
  ['user_1', 'cust_42_abc', 42],
]);
assert.ok(logs.some((l) => l.startsWith('warning [Affitor] skipped')), logs.join('\n'));
assert.ok(!logs.some((l) => l.startsWith('pageerror')), logs.join('\n'));
console.log('the fixture works: 2 leads sent, bad arguments refused');
