// The demo's test-mode switch and its "Make a test lead" button: a newcomer
// turns test mode on from the page, the tracker restarts in test mode, and one click makes a
// lead that the collector records as a test; turned off, the tracker is live again.
//
//   node --test tests/e2e/demo-test-mode.test.mjs
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setup } from './harness.mjs';

let env;
let demo;
before(async () => {
  env = await setup();
  demo = `http://localhost:${env.port}`;
});
after(() => env?.close());
beforeEach(() => env.reset());

async function visitor() {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  return page;
}

const ready = (page) => page.locator('#tracker-status').filter({ hasText: /^ready/ }).waitFor({ timeout: 10_000 });

describe('the demo in test mode', () => {
  it('the switch restarts the tracker in test mode, and "Make a test lead" makes a lead marked as a test', async () => {
    const page = await visitor();
    await page.goto(`${demo}/`);
    await ready(page);
    assert.equal(await page.textContent('#tracker-mode'), 'live');
    assert.equal(await page.isDisabled('#make-test-lead'), true, 'no test lead while live');

    await Promise.all([page.waitForEvent('load'), page.check('#test-mode')]);
    await ready(page);
    assert.equal(await page.textContent('#tracker-mode'), 'test mode');
    assert.equal(await page.isChecked('#test-mode'), true);
    await page.locator('#make-test-lead:enabled').click();
    await page.locator('#test-lead-status').filter({ hasText: /^Test lead sent for test_customer_\w+\.$/ }).waitFor();

    const [lead, ...more] = await env.until(async () => {
      const l = await env.events('lead');
      return l.length && l;
    }, 5000, 'the test lead');
    assert.equal(more.length, 0);
    assert.equal(lead.test_mode, true);
    assert.equal(lead.body.additional_data.test_mode, true);
    assert.match(lead.body.customer_key, /^test_customer_\w+$/);
    // The panel shows it, with its badge.
    await page.locator('.event-lead .badge', { hasText: 'test mode' }).waitFor();

    // Off again: the next page view is live.
    await Promise.all([page.waitForEvent('load'), page.uncheck('#test-mode')]);
    await ready(page);
    assert.equal(await page.textContent('#tracker-mode'), 'live');
    assert.equal(await page.getAttribute('script[src*="affitor-tracker.js"]', 'data-affitor-test-mode'), null);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('a signup from the form, in test mode, is a test lead', async () => {
    const page = await visitor();
    await page.goto(`${demo}/signup`);
    await ready(page);
    await Promise.all([page.waitForEvent('load'), page.check('#test-mode')]);
    await ready(page);
    await page.fill('#email', 'tester@example.com');
    await page.click('#signup-submit');
    await page.locator('#signup-status').filter({ hasText: /lead sent/ }).waitFor();
    const [lead] = await env.events('lead');
    assert.equal(lead.test_mode, true);
    assert.equal(lead.body.email, 'tester@example.com');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
