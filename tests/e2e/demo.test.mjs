// The demo site (www/) as a person goes through it: land from an affiliate link, sign up, and see
// the lead arrive, in the page's live panel and in the collector's event log.
//
// The demo is served by the collector itself, so the pages open at http://localhost:PORT/ and
// call the API on their own origin (the collector fills `%AFFITOR_API_BASE%` from the Host
// header). Never Playwright-routed pages: Chromium would treat them as public and refuse their
// calls to the loopback API (Local Network Access).
//
//   node --test tests/e2e/demo.test.mjs
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { root, setup } from './harness.mjs';

const SCREENSHOT = join(root, 'test-results', 'demo-after-signup.png');
const PARTNER = 'DEMO';
const COOKIE = 'affitor_click_id';
// How long click capture may take to start after the tracker is ready before ensureClick
// concludes the tracker has none and records the click itself.
const CLICK_CAPTURE_GRACE_MS = 500;

let env;
let demo; // the demo's origin: the collector's own port, on localhost
before(async () => {
  env = await setup();
  demo = `http://localhost:${env.port}`;
});
after(() => env?.close());
beforeEach(() => env.reset());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const leads = async () => env.events('lead');
const clicks = async () => env.events('click');

/** A fresh browser (its own cookies and storage) with one page that records its errors. */
async function visitor() {
  const context = await env.browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.errors = [];
  page.consoleErrors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') page.consoleErrors.push(m.text());
  });
  return page;
}

/** Waits until the page says the tracker is ready, as the panel shows it to a person. */
async function trackerReady(page) {
  await page.locator('#tracker-status').filter({ hasText: /^ready/ }).waitFor({ timeout: 10_000 });
}

async function cookieValue(page, name) {
  const cookies = await page.context().cookies(demo);
  return cookies.find((c) => c.name === name)?.value ?? null;
}

/**
 * Makes sure the visitor, just landed on `/?aff=DEMO`, holds a click id, and returns it.
 *
 * Click capture (the tracker POSTing the click and storing `affitor_click_id`) is its own issue.
 * A tracker that has it stores the cookie while the landing page loads (or within a moment of
 * being ready): that cookie is used as it is, and no second click is recorded. A tracker without
 * it gets what it would have done: the landing URL POSTed to /api/v1/track/click from the page
 * (same origin, the contract's fields) and the click id the collector hands out stored in a
 * first-party `affitor_click_id` cookie on `path=/`. Either way the suite tests the same flow.
 */
async function ensureClick(page) {
  await trackerReady(page);
  const deadline = Date.now() + CLICK_CAPTURE_GRACE_MS;
  let clickId = await cookieValue(page, COOKIE);
  while (!clickId && Date.now() < deadline) {
    await sleep(50);
    clickId = await cookieValue(page, COOKIE);
  }
  if (!clickId && (await env.requests('/api/v1/track/click')).some((r) => r.method === 'POST')) {
    // The tracker sent the click itself and the answer is on its way: wait for its cookie.
    clickId = await env.until(() => cookieValue(page, COOKIE), 15_000, 'the tracker to store the click id');
  }
  if (clickId) return clickId;

  clickId = await page.evaluate(async (cookieName) => {
    const res = await fetch('/api/v1/track/click', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        affiliate_url: location.href,
        page_url: location.href,
        page_title: document.title,
        referrer_url: document.referrer,
        session_id: `s_e2e_${Date.now().toString(36)}`,
        user_agent: navigator.userAgent,
        screen_resolution: `${screen.width}x${screen.height}`,
        viewport_size: `${innerWidth}x${innerHeight}`,
        language: navigator.language,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        // Not in CONTRACT.md §5's list, but the tracker sends it: the click id then names the program.
        program_id: Number(document.querySelector('script[data-affitor-program-id]')?.dataset.affitorProgramId) || null,
      }),
    });
    const body = await res.json();
    if (!res.ok || !body.success || typeof body.click_id !== 'string') {
      throw new Error(`click refused: ${res.status} ${JSON.stringify(body)}`);
    }
    const days = body.cookie_window_days || 60;
    document.cookie = `${cookieName}=${encodeURIComponent(body.click_id)}; path=/; max-age=${days * 86400}; SameSite=Lax`;
    return body.click_id;
  }, COOKIE);
  assert.equal(await cookieValue(page, COOKIE), clickId, 'the click id cookie is set');
  return clickId;
}

/** Lands on `/`, follows the affiliate link as a person would, and returns the click id. */
async function landFromAffiliateLink(page) {
  await page.goto(`${demo}/`);
  await page.locator('h1', { hasText: 'Acme Notes' }).waitFor();
  const link = page.locator('#aff-link');
  assert.equal(await link.getAttribute('href'), `/?aff=${PARTNER}`);
  await Promise.all([page.waitForURL(`${demo}/?aff=${PARTNER}`), link.click()]);
  const clickId = await ensureClick(page);
  // The click the visitor holds is one the collector handed out, for this partner and landing.
  const [click, ...more] = await clicks();
  assert.equal(more.length, 0, 'one click recorded');
  assert.equal(click.response.click_id, clickId);
  assert.equal(click.response.partner_code, PARTNER);
  assert.equal(click.body.affiliate_url, `${demo}/?aff=${PARTNER}`);
  assert.match(clickId, /^cust_\d+_\d+$/);
  return clickId;
}

/**
 * Fills the signup form and submits it. Resolves to the userId the demo's backend created for
 * this email, read from the collector in this process. (Not from a Playwright route on the
 * backend call: while any route is set, Playwright holds every request of the page, and a
 * keepalive request still held when the page navigates away is lost, which only tests see.)
 */
async function signUp(page, { email, name, redirect = false }) {
  const before = env.collector.demoSignups().length;
  await page.fill('#email', email);
  await page.fill('#name', name);
  if (redirect) await page.check('#redirect');
  await page.click('#signup-submit');
  const created = () => env.collector.demoSignups().slice(before).find((s) => s.email === email);
  await env.until(async () => created(), 10_000, `the demo's backend to create ${email}`);
  const { userId } = created();
  assert.match(userId, /^user_/);
  return userId;
}

/** The panel's entry for the lead of `customerKey`, once it is there. */
async function panelLead(page, customerKey) {
  const item = page.locator('#events-list li.event-lead').filter({
    has: page.locator('.event-customer-key code', { hasText: customerKey }),
  });
  await item.waitFor({ timeout: 10_000 });
  return item;
}

describe('the demo, as a person goes through it', () => {
  it('landing on / shows the affiliate link; /?aff=DEMO loads and gets a click id', async () => {
    const page = await visitor();
    const clickId = await landFromAffiliateLink(page);
    assert.equal(await page.title(), 'Acme Notes: notes that remember everything');
    // The live panel shows the click, with the id the visitor now holds.
    await page
      .locator('#events-list li.event-click')
      .filter({ has: page.locator('.event-click-id code', { hasText: clickId }) })
      .waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#events-empty').isVisible(), false);
    await page.reload();
    await trackerReady(page);
    await page.locator('#click-id', { hasText: clickId }).waitFor();
    assert.deepEqual(page.errors, []);
    assert.deepEqual(page.consoleErrors, []);
    await page.context().close();
  });

  it('a signup after the affiliate landing is a lead with the customer key, email and click id', async () => {
    const page = await visitor();
    const clickId = await landFromAffiliateLink(page);
    await Promise.all([page.waitForURL(`${demo}/signup`), page.click('#signup-link')]);
    await trackerReady(page);
    await page.locator('#click-id', { hasText: clickId }).waitFor();

    const userId = await signUp(page, { email: 'jane@example.com', name: 'Jane Doe' });

    // The page says so, naming the account it created. (Sent, or queued when the API took
    // longer than signup()'s wait: a loaded machine. The lead arrives either way.)
    const status = page.locator('#signup-status');
    await status.filter({ hasText: /lead (sent|queued)/ }).waitFor();
    assert.match(await status.getAttribute('data-state'), /^(ok|queued)$/);
    assert.match(await status.textContent(), new RegExp(`Account ${userId} created`));

    // The collector has exactly that lead.
    const all = await env.arrived('lead').then(() => leads());
    assert.equal(all.length, 1, 'exactly one lead');
    const [lead] = all;
    assert.equal(lead.body.customer_key, userId);
    assert.equal(lead.body.email, 'jane@example.com');
    assert.equal(lead.body.click_id, clickId);
    assert.equal(lead.body.program_id, 42);
    assert.equal(lead.body.page_url, `${demo}/signup`);
    assert.equal(lead.response.provisional, undefined, 'attributed to a click the collector issued');

    // The live panel shows it.
    const item = await panelLead(page, userId);
    assert.equal(await item.locator('.event-email code').textContent(), 'jane@example.com');
    assert.equal(await item.locator('.event-click-id code').textContent(), clickId);
    assert.equal(await item.locator('.badge').count(), 0, 'no provisional badge');

    await mkdir(join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    assert.deepEqual(page.errors, []);
    assert.deepEqual(page.consoleErrors, []);
    await page.context().close();
  });

  // As a person on this machine sees it, and on a slow network, where the lead is surely still in
  // flight when the page changes (the collector holds it for half a second).
  for (const stallMs of [0, 500]) {
    const how = stallMs ? `, the lead held ${stallMs} ms by the collector` : '';
    it(`"redirect right after signup" still delivers the lead, exactly once${how}`, async () => {
      const page = await visitor();
      const clickId = await landFromAffiliateLink(page);
      await page.goto(`${demo}/signup`);
      await trackerReady(page);
      if (stallMs) await env.faults({ lead: [{ stallMs }] });

      const [userId] = await Promise.all([
        signUp(page, { email: 'rita@example.com', name: 'Rita Redirect', redirect: true }),
        page.waitForURL(`${demo}/welcome`),
      ]);

      // The welcome page's panel shows the lead that was sent while the page changed.
      await page.locator('h1', { hasText: 'Welcome' }).waitFor();
      await panelLead(page, userId);

      // The welcome page's tracker has run and no request is in flight: a second copy (a resend
      // from the welcome page, a retry) would be there now.
      await trackerReady(page);
      await env.settled();
      const all = await leads();
      assert.equal(all.length, 1, `exactly one lead, got ${all.length}`);
      const [lead] = all;
      assert.equal(lead.body.customer_key, userId);
      assert.equal(lead.body.email, 'rita@example.com');
      assert.equal(lead.body.click_id, clickId);
      assert.equal(lead.body.page_url, `${demo}/signup`, 'sent by the signup page');
      const posts = (await env.requests('/api/v1/track/lead')).filter((r) => r.method === 'POST');
      // Exactly once: the welcome page must not re-send a lead whose request is still in flight.
      assert.deepEqual(posts.map((r) => r.status), [200], 'one lead request');
      assert.deepEqual(page.errors, []);
      await page.context().close();
    });
  }

  it('a signup without an affiliate click is still a lead: no click id, provisional', async () => {
    const page = await visitor();
    await page.goto(`${demo}/signup`);
    await trackerReady(page);
    assert.equal(await cookieValue(page, COOKIE), null);
    await page.locator('#click-id', { hasText: 'none' }).waitFor();

    const userId = await signUp(page, { email: 'walkin@example.com', name: 'Walk In' });
    const status = page.locator('#signup-status');
    await status.filter({ hasText: /lead (sent|queued)/ }).waitFor();
    if ((await status.getAttribute('data-state')) === 'ok') assert.match(await status.textContent(), /provisional/);

    await env.arrived('lead');
    const [lead, ...more] = await leads();
    assert.equal(more.length, 0, 'exactly one lead');
    assert.equal(lead.body.customer_key, userId);
    assert.equal(lead.body.email, 'walkin@example.com');
    assert.equal(lead.body.click_id, null);
    assert.deepEqual(lead.body.click_ids, []);
    assert.equal(lead.response.provisional, true);
    assert.deepEqual(await clicks(), [], 'no click was recorded');

    const item = await panelLead(page, userId);
    assert.equal(await item.locator('.event-click-id code').textContent(), '—');
    assert.equal(await item.locator('.badge', { hasText: 'provisional' }).count(), 1);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
