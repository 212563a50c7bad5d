// Click capture (docs/contract.md §3, §5): landing with ?aff=, the click request, the cookies, and
// the signup that follows, in headless Chromium against the dev collector.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, open, ready, setup, tag } from './harness.mjs';

let env;
before(async () => {
  env = await setup();
});
after(() => env?.close());
beforeEach(() => env.reset());
afterEach(() => env.closeContexts());

const clicks = async () => (await env.events('click')).map((e) => e.body);
const clickPosts = async () => (await env.requests('/api/v1/track/click')).filter((r) => r.method === 'POST');
const leadsArrived = (n = 1) => env.arrived('lead', n);
const jar = async (page) => Object.fromEntries((await page.context().cookies()).map((c) => [c.name, c]));

async function land(context, path) {
  const page = await open(env, `<!doctype html><title>Pricing</title>${tag(env)}`, { context, path });
  await ready(page);
  return page;
}

describe('click capture', () => {
  it('landing with ?aff= sends one click and stores the cookies as specified', async () => {
    const context = await env.browser.newContext();
    const page = await land(context, '/pricing?plan=pro&aff=PARTNER1#top');
    await env.until(async () => (await clicks()).length === 1, 15_000, 'the click');
    const [click] = await clicks();
    assert.equal(click.affiliate_url, `${env.site}/pricing?plan=pro&aff=PARTNER1#top`);
    assert.equal(click.page_title, 'Pricing');
    assert.match(click.screen_resolution, /^\d+x\d+$/);
    assert.match(click.viewport_size, /^\d+x\d+$/);
    for (const f of ['session_id', 'user_agent', 'language', 'timezone']) assert.equal(typeof click[f], 'string', f);
    assert.equal(click.existing_click_id, undefined);
    const [event] = await env.events('click');
    const id = event.response.click_id;
    // The four cookies are written at once, but each reaches the browser's store by its own IPC:
    // all four waited for (a single read once the first was there failed once under load).
    const all = ['affitor_click_id', 'customer_code', 'affitor_click_ids', 'affitor_aff_url'];
    await env.until(async () => { const j = await jar(page); return all.every((n) => j[n]); }, 15_000, 'the cookies');
    const c = await jar(page);
    assert.equal(c.affitor_click_id.value, id);
    assert.equal(c.affitor_click_id.path, '/');
    assert.equal(c.affitor_click_id.sameSite, 'Lax');
    const expected = Date.now() / 1000 + 60 * 86400;
    assert.ok(Math.abs(c.affitor_click_id.expires - expected) < 60, 'expires with the 60-day window');
    assert.equal(decodeURIComponent(c.affitor_click_ids.value), id);
    // The landing URL cookie keeps the address and `aff` only: no other parameter, no fragment.
    assert.equal(decodeURIComponent(c.affitor_aff_url.value), `${env.site}/pricing?aff=PARTNER1`);
    assert.equal(await page.evaluate(() => window.affitor.getClickId()), id);
    assert.deepEqual(await page.evaluate(() => window.affitor.getData()), {
      clickId: id,
      programId: '42',
      hasAttribution: true,
      affiliateUrl: `${env.site}/pricing?aff=PARTNER1`,
    });
    await context.close();
  });

  it('a second landing with the same partner sends no click; another partner sends one with existing_click_id', async () => {
    const context = await env.browser.newContext();
    await land(context, '/?aff=PARTNER1');
    await env.until(async () => (await clicks()).length === 1, 15_000, 'the first click');
    const first = (await env.events('click'))[0].response.click_id;
    await land(context, '/other?aff=PARTNER1');
    // Then another partner: once its click is in, the page before it had its chance to send one.
    const page = await land(context, '/?aff=PARTNER2');
    await env.until(async () => (await clicks()).length === 2, 15_000, 'the second click');
    await env.settled();
    assert.equal((await clickPosts()).length, 2, 'same partner: no new click');
    const second = await clicks();
    assert.equal(second[1].existing_click_id, first);
    const secondId = (await env.events('click'))[1].response.click_id;
    await env.until(async () => (await jar(page)).affitor_click_id?.value === secondId, 15_000, 'last click wins');
    // (The history cookie is written right after, and reaches the browser's store by its own IPC.)
    const history = `${first}|${secondId}`;
    await env.until(async () => decodeURIComponent((await jar(page)).affitor_click_ids?.value) === history, 5_000, async () => `the history ${history}, not ${(await jar(page)).affitor_click_ids?.value}`);
    await context.close();
  });

  it('in test mode the click carries the test markers too', async () => {
    const context = await env.browser.newContext();
    const page = await open(env, tag(env, { 'data-affitor-test-mode': 'true' }), { context, path: '/?aff=TESTMODE' });
    await ready(page);
    await env.until(async () => (await clicks()).length === 1, 15_000, 'the click');
    assert.deepEqual((await clicks())[0].additional_data, { test_mode: true, program_id: 42 });
    await context.close();
  });

  it('an inactive link stores nothing', async () => {
    const context = await env.browser.newContext();
    const page = await land(context, '/?aff=INACTIVE1');
    await env.until(async () => (await clickPosts()).length === 1, 15_000, 'the click request');
    // A signup waits for the click in flight: once it resolves, the answer has been applied.
    const r = await page.evaluate(() => window.affitor.signup('inactive_link_user'));
    assert.equal(r.ok, true);
    assert.equal((await leadsArrived())[0].click_id, null);
    const c = await jar(page);
    assert.equal(c.affitor_click_id, undefined);
    assert.equal(c.affitor_aff_url, undefined);
    assert.equal(await page.evaluate(() => window.affitor.getClickId()), null);
    assert.deepEqual(page.errors, []);
    await context.close();
  });

  it('a 503 on the click is retried, and the cookie is then set', async () => {
    await env.faults({ click: [{ status: 503 }] });
    const context = await env.browser.newContext();
    const page = await land(context, '/?aff=RETRY1');
    await env.until(async () => (await clicks()).length === 1, 15_000, 'the retried click');
    assert.deepEqual((await clickPosts()).map((r) => r.status), [503, 200]);
    await env.until(async () => (await jar(page)).affitor_click_id, 15_000, 'the cookie');
    await context.close();
  });

  it('a signup on the landing page itself waits for the click id', async () => {
    const page = await open(
      env,
      `${tag(env)}<script>window.affitor.signup('landing_user').then((r) => (window.result = r));</script>`,
      { path: '/start?aff=FASTPARTNER' },
    );
    await env.until(() => page.evaluate(() => window.result), 15_000, 'the signup');
    const [lead] = await leadsArrived();
    const [event] = await env.events('click');
    assert.equal(lead.click_id, event.response.click_id);
    await page.context().close();
  });

  it('cookie values with ; = % and non-ASCII are read back intact', async () => {
    const value = 'cust;42=1%é😀';
    const page = await open(env, tag(env), {
      cookies: [
        { name: 'affitor_click_id', value: encodeURIComponent(value) },
        { name: 'affitor_click_ids', value: encodeURIComponent(`a;1|${value}`) },
      ],
    });
    await ready(page);
    assert.equal(await page.evaluate(() => window.affitor.getClickId()), value);
    await page.evaluate(() => window.affitor.signup('awkward_cookie_user'));
    const [lead] = await leadsArrived();
    assert.equal(lead.click_id, value);
    assert.deepEqual(lead.click_ids, ['a;1', value]);
    await page.context().close();
  });

  it('migrates the legacy customer_code cookie', async () => {
    const page = await open(env, tag(env), { cookies: [{ name: 'customer_code', value: 'legacy_9' }] });
    await ready(page);
    // (The written cookie reaches the browser's store by IPC, a moment later.)
    await env.until(async () => (await jar(page)).affitor_click_id?.value === 'legacy_9', 5_000, async () => `affitor_click_id legacy_9: ${JSON.stringify(await jar(page))}`);
    await page.context().close();
  });

  it('trackClick() captures a click after a client-side navigation', async () => {
    const page = await open(env, tag(env), { path: '/app' });
    await ready(page);
    assert.equal((await clickPosts()).length, 0);
    const r = await page.evaluate(() => {
      history.pushState({}, '', '/app/pricing?aff=SPA1');
      return window.affitor.trackClick();
    });
    assert.equal(r.ok, true);
    const [event] = await env.events('click');
    assert.equal(r.clickId, event.response.click_id);
    assert.equal(event.body.affiliate_url, `${env.site}/app/pricing?aff=SPA1`);
    assert.equal(await page.evaluate(() => window.affitor.getClickId()), r.clickId);
    const none = await page.evaluate(() => {
      history.pushState({}, '', '/app/home');
      return window.affitor.trackClick();
    });
    assert.equal(none.ok, false);
    await page.context().close();
  });
});

describe('cookie domain', () => {
  let browser;
  before(async () => {
    // *.example.test resolves to this machine, so the tracker can probe a real parent domain.
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP *.example.test 127.0.0.1'],
    });
  });
  after(() => browser?.close());

  it('stores the click for every subdomain of the site, and the other subdomain reads it', async () => {
    const context = await browser.newContext();
    env.pages.set('/land', `<!doctype html>${tag(env)}`);
    const page = await context.newPage();
    await page.goto(`http://www.example.test:${env.pages.port}/land?aff=SUBDOMAINS`);
    await page.evaluate(() => window.affitor.ready);
    await env.until(async () => (await clicks()).length === 1, 15_000, 'the click');
    const id = (await env.events('click'))[0].response.click_id;
    await env.until(async () => (await context.cookies()).some((c) => c.name === 'affitor_click_id'), 15_000, 'cookie');
    const cookie = (await context.cookies()).find((c) => c.name === 'affitor_click_id');
    assert.equal(cookie.domain, '.example.test');
    assert.equal((await context.cookies()).filter((c) => c.name === 'affitor_probe').length, 0, 'probe removed');
    const app = await context.newPage();
    await app.goto(`http://app.example.test:${env.pages.port}/land`);
    await app.evaluate(() => window.affitor.ready);
    assert.equal(await app.evaluate(() => window.affitor.getClickId()), id);
    await context.close();
  });

  it('forget() removes the cookies at the parent domain, the configured domain and host-only', async () => {
    const context = await browser.newContext();
    env.pages.set('/forget', `<!doctype html>${tag(env, { 'data-affitor-cookie-domain': 'shop.example.test' })}`);
    const page = await context.newPage();
    await page.goto(`http://www.shop.example.test:${env.pages.port}/forget?aff=FORGET_DOMAINS`);
    await page.evaluate(() => window.affitor.ready);
    await env.until(async () => (await context.cookies()).some((c) => c.name === 'affitor_click_id'), 15_000, 'cookie');
    // What another tracker (or an older configuration) left at the other domains of this host.
    const url = `http://www.shop.example.test:${env.pages.port}/`;
    await context.addCookies([
      { name: 'affitor_click_id', value: 'old_parent', domain: '.example.test', path: '/' },
      { name: 'customer_code', value: 'old_host', url },
      { name: 'affitor_click_ids', value: 'old_www', domain: '.www.shop.example.test', path: '/' },
    ]);
    const names = ['affitor_click_id', 'affitor_click_ids', 'affitor_aff_url', 'customer_code'];
    const left = async () => (await context.cookies()).filter((c) => names.includes(c.name)).map((c) => `${c.name}@${c.domain}`);
    assert.ok((await left()).length >= 6, (await left()).join(' '));
    assert.deepEqual(await page.evaluate(() => window.affitor.forget()), { ok: true });
    // The page's cookie writes reach the browser's cookie store a moment later (an IPC): waited
    // for, not read once (a loaded machine showed some still there on a single read).
    await env.until(async () => (await left()).length === 0, 5_000, async () => `cookies left: ${(await left()).join(' ')}`);
    await context.close();
  });

  it('data-affitor-cookie-domain forces the domain', async () => {
    const context = await browser.newContext();
    env.pages.set('/forced', `<!doctype html>${tag(env, { 'data-affitor-cookie-domain': 'shop.example.test' })}`);
    const page = await context.newPage();
    await page.goto(`http://www.shop.example.test:${env.pages.port}/forced?aff=FORCED`);
    await page.evaluate(() => window.affitor.ready);
    await env.until(async () => (await context.cookies()).some((c) => c.name === 'affitor_click_id'), 15_000, 'cookie');
    assert.equal((await context.cookies()).find((c) => c.name === 'affitor_click_id').domain, '.shop.example.test');
    await context.close();
  });
});
