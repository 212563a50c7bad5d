// The CSP fallback (docs/contract.md §1): on a page whose Content-Security-Policy forbids WebAssembly,
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
