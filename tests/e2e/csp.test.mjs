// The CSP fallback (CONTRACT.md §1): on a page whose Content-Security-Policy forbids WebAssembly,
// the loader names 'wasm-unsafe-eval' once and runs the same tracker compiled to JavaScript
// (dist/affitor_tracker_fallback.js), so leads still arrive. Elsewhere that file is never fetched.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { open, ready, root, setup, tag } from './harness.mjs';

let env;
before(async () => {
  env = await setup();
});
after(() => env?.close());
beforeEach(() => env.reset());

const FALLBACK = 'affitor_tracker_fallback.js';
const CSP = { 'Content-Security-Policy': "script-src 'self'" };

/** Opens `html` like harness.open, recording the file name of every request the page makes. */
async function openRecording(html, options = {}) {
  const context = await env.browser.newContext();
  const files = [];
  context.on('request', (r) => files.push(new URL(r.url()).pathname.split('/').pop()));
  const page = await open(env, html, { ...options, context });
  page.files = files;
  return page;
}

describe('CSP fallback', () => {
  it('delivers a lead through the JavaScript fallback when the CSP forbids WebAssembly', async () => {
    const page = await openRecording(`<!doctype html><title>t</title>${tag(env)}`, {
      headers: CSP,
      cookies: [{ name: 'affitor_click_id', value: 'cust_42_1714000000000' }],
    });
    const result = await page.evaluate(() => window.affitor.signup('csp_user', 'c@example.com'));
    assert.equal(result.ok, true, JSON.stringify({ result, logs: page.logs }));
    assert.equal(await ready(page), true);
    const [lead, ...more] = (await env.events('lead')).map((e) => e.body);
    assert.equal(more.length, 0);
    assert.equal(lead.customer_key, 'csp_user');
    assert.equal(lead.email, 'c@example.com');
    assert.equal(lead.click_id, 'cust_42_1714000000000');
    assert.equal(lead.program_id, 42);
    assert.equal(await page.evaluate(() => window.affitor.getClickId()), 'cust_42_1714000000000');

    const ours = page.affitorLogs('error');
    assert.equal(ours.length, 1, JSON.stringify(page.logs));
    assert.match(ours[0].text, /'wasm-unsafe-eval'/);
    assert.deepEqual(page.errors, []);
    assert.ok(page.files.includes(FALLBACK), page.files.join(' '));
    await page.context().close();
  });

  it('runs entries queued in window.affitorQueue through the fallback', async () => {
    // An inline script would be refused by this CSP: the queue comes from a 'self' script.
    env.pages.set('/test/queue.js', "window.affitorQueue = [['signup', 'queued_user']];", {
      'Content-Type': 'text/javascript',
    });
    const page = await openRecording(
      `<!doctype html><title>t</title><script src="/test/queue.js"></script>${tag(env)}`,
      { headers: CSP },
    );
    await ready(page);
    await env.until(async () => (await env.events('lead')).length === 1, 15_000, 'the queued lead');
    const [lead] = (await env.events('lead')).map((e) => e.body);
    assert.equal(lead.customer_key, 'queued_user');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('is not fetched on a page that allows WebAssembly', async () => {
    const page = await openRecording(`<!doctype html><title>t</title>${tag(env)}`);
    await ready(page);
    const result = await page.evaluate(() => window.affitor.signup('wasm_user'));
    assert.equal(result.ok, true);
    assert.ok(page.files.includes('affitor_tracker_bg.wasm'), page.files.join(' '));
    assert.ok(!page.files.includes(FALLBACK), page.files.join(' '));
    assert.equal(page.affitorLogs('error').length, 0, JSON.stringify(page.logs));
    await page.context().close();
  });

  it('uses neither WebAssembly nor eval', () => {
    const code = readFileSync(join(root, 'dist', FALLBACK), 'utf8');
    assert.doesNotMatch(code, /WebAssembly/);
    assert.doesNotMatch(code, /\beval\b/);
    assert.doesNotMatch(code, /\bFunction\s*\(/);
    assert.match(code, /export\s*\{[^}]*\bas default\b/);
  });
});
