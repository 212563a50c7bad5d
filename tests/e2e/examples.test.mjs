// The examples under www/examples/, each driven in headless Chromium as a
// person would use it, against the npm package as `npm pack` ships it: the plain HTML page
// (script tag + queued snippet), the React app (bundled by esbuild from 'affitor-tracker') and
// the server-rendered site (www/examples/ssr/, which imports the package on the server too).
// Each ends with a lead at the dev collector, for the customer key the site's server made.
//
//   node --test tests/e2e/examples.test.mjs
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setupPackaged } from './packaged.mjs';

const CLICK_ID = 'cust_42_1714000000000';
const CLICK = [{ name: 'affitor_click_id', value: CLICK_ID }];

let env;
before(async () => {
  env = await setupPackaged({
    links: ['react', 'react-dom'],
    bundles: { 'examples/react/app.js': 'examples/react/app.jsx' },
  });
});
after(() => env?.close());
beforeEach(() => env.reset());

/** Submits the example's signup form; resolves to the user id the site's backend answered. */
async function signUp(page, email) {
  const answer = page.waitForResponse((r) => r.url().endsWith('/demo/api/signup'));
  await page.fill('input[name=email]', email);
  await page.click('button');
  const response = await answer;
  assert.equal(response.status(), 200);
  return (await response.json()).userId;
}

async function leadFor(customerKey) {
  const got = await env.until(
    async () => {
      const leads = (await env.leads()).filter((l) => l.customer_key === customerKey);
      return leads.length > 0 && leads;
    },
    10_000,
    `the lead of ${customerKey}`,
  );
  const [lead, ...more] = got;
  assert.equal(more.length, 0, 'one lead');
  return lead;
}

describe('www/examples', () => {
  it('plain.html: the script tag and the queued snippet deliver the signup', async () => {
    const page = await env.visitor({ cookies: CLICK });
    await page.goto(`${env.origin}/examples/plain.html`);
    const userId = await signUp(page, 'plain@example.com');
    const lead = await leadFor(userId);
    assert.equal(lead.email, 'plain@example.com');
    assert.equal(lead.click_id, CLICK_ID);
    assert.equal(lead.program_id, 42);
    assert.equal(lead.page_url, `${env.origin}/examples/plain.html`);
    await page.locator('#status', { hasText: `Account ${userId} created.` }).waitFor();
    assert.deepEqual(page.errors, []);
    assert.deepEqual(page.consoleErrors(), []);
    await page.context().close();
  });

  it('react/: the bundled app imports the package, and signup() resolves ok', async () => {
    const page = await env.visitor({ cookies: CLICK });
    await page.goto(`${env.origin}/examples/react/`);
    const userId = await signUp(page, 'react@example.com');
    const lead = await leadFor(userId);
    assert.equal(lead.email, 'react@example.com');
    assert.equal(lead.click_id, CLICK_ID);
    assert.equal(lead.program_id, 42);
    await page.getByRole('status').filter({ hasText: `Account ${userId} created; signup recorded.` }).waitFor();
    assert.equal(await page.evaluate(() => typeof window.affitor.version), 'string', 'window.affitor is installed');
    assert.deepEqual(page.errors, []);
    assert.deepEqual(page.consoleErrors(), []);
    await page.context().close();
  });

  it('ssr/: rendered on the server (which imports the package), the page records the signup', async () => {
    // Importing the example runs page.mjs, and so 'affitor-tracker', in this Node process.
    const { start } = await import(pathToFileURL(join(env.www, 'examples', 'ssr', 'server.mjs')));
    assert.equal(typeof globalThis.window, 'undefined', 'nothing installed a window');
    const server = await start({ port: 0, apiBase: env.api });
    try {
      const origin = `http://localhost:${server.port}`;
      const page = await env.visitor();
      await page.context().addCookies([{ url: origin, ...CLICK[0] }]);
      await page.goto(`${origin}/`);
      await page.fill('input[name=email]', 'ssr@example.com');
      await Promise.all([page.waitForURL(`${origin}/signup`), page.click('button')]);
      const userId = await page.locator('code').textContent();
      assert.match(userId, /^user_[0-9a-f]{8}$/);
      const lead = await leadFor(userId);
      assert.equal(lead.email, 'ssr@example.com');
      assert.equal(lead.click_id, CLICK_ID);
      assert.equal(lead.program_id, 42);
      await page.locator('#status', { hasText: 'Signup recorded.' }).waitFor();
      assert.deepEqual(page.errors, []);
      assert.deepEqual(page.consoleErrors(), []);
      await page.context().close();
    } finally {
      await server.close();
    }
  });
});
