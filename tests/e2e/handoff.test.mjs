// The cross-domain hand-off (docs/contract.md §8, docs/cross-domain.md): a business's marketing
// site (site-a.test) lists its app (app-b.test) in data-affitor-domains; links and forms to it
// carry the click id, and the app's tracker adopts it without a second click request. Two hosts
// mapped to loopback with Chromium's --host-resolver-rules, served by the harness's page server.
// The hand-off is in a wasm of its own: a page with a list, or a landing carrying
// affitor_click_id, runs it instead of the normal one; every other page runs the normal wasm.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, setup, tag } from './harness.mjs';

let env;
let browser;
let A; // http://site-a.test:PORT
let B; // http://app-b.test:PORT
let OTHER; // http://other.test:PORT, not listed
before(async () => {
  env = await setup();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP site-a.test 127.0.0.1, MAP app-b.test 127.0.0.1, MAP other.test 127.0.0.1'],
  });
  A = `http://site-a.test:${env.pages.port}`;
  B = `http://app-b.test:${env.pages.port}`;
  OTHER = `http://other.test:${env.pages.port}`;
  env.pages.set('/a/landing', siteA());
  // The app: its own tag, no list (it only receives).
  for (const p of ['/b/signup', '/b/post', '/b/search', '/b/blank']) env.pages.set(p, `<!doctype html><title>app</title>${tag(env)}`);
  env.pages.set('/o/page', '<!doctype html><title>other</title>');
});
after(async () => {
  await browser?.close();
  await env?.close();
});
beforeEach(() => env.reset());
afterEach(async () => {
  for (const c of browser.contexts()) await c.close().catch(() => {});
});

function siteA() {
  return `<!doctype html><title>site A</title>
    ${tag(env, { 'data-affitor-domains': 'app-b.test, *.b-checkout.test' })}
    <a id="to-b" href="/a/landing" data-b="/b/signup?plan=pro#top">app</a>
    <a id="blank" target="_blank">app in a new tab</a>
    <a id="to-other">elsewhere</a>
    <form id="post" method="post"><input name="email" value="v@example.com"><button>go</button></form>
    <form id="get"><input name="q" value="x"><button>go</button></form>
    <script>
      // The hosts' port is only known here: the links and forms point at it as a site would.
      var port = location.port;
      document.getElementById('to-b').href = 'http://app-b.test:' + port + '/b/signup?plan=pro#top';
      document.getElementById('blank').href = 'http://app-b.test:' + port + '/b/blank';
      document.getElementById('to-other').href = 'http://other.test:' + port + '/o/page';
      document.getElementById('post').action = 'http://app-b.test:' + port + '/b/post';
      document.getElementById('get').action = 'http://app-b.test:' + port + '/b/search';
    </script>`;
}

const clickPosts = async () => (await env.requests('/api/v1/track/click')).filter((r) => r.method === 'POST');
const navigated = (page) => page.evaluate(() => performance.getEntriesByType('navigation')[0].name);
const ready = (page) => page.evaluate(() => window.affitor.ready.then(() => true));

/** The wasm files this page fetched (its resource timing entries). */
const wasms = (page) =>
  page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname.split('/').pop()).filter((n) => n.endsWith('.wasm')));

/** The page runs the hand-off wasm (with its glue), and fetched no normal wasm. */
const handoffLoaded = async (page) => {
  await env.until(async () => (await wasms(page)).includes('affitor_tracker_handoff_bg.wasm'), 10_000, 'the hand-off wasm');
  assert.deepEqual(await wasms(page), ['affitor_tracker_handoff_bg.wasm']);
};

/** `page` lands on site A at `path` through a partner's link: the click id, once the page holds it. */
async function landOnA(page, path) {
  await page.goto(`${A}${path}?aff=HANDOFF`);
  await ready(page);
  const [click] = await env.until(async () => (await env.events('click')).length === 1 && env.events('click'), 10_000, 'the click on site A');
  const id = click.response.click_id;
  await env.until(async () => (await page.evaluate(() => window.affitor.getClickId())) === id, 10_000, 'the click id on site A');
  return id;
}

/** A visitor who landed on site A through a partner's link: the page, and the click id. */
async function landed() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const id = await landOnA(page, '/a/landing');
  await handoffLoaded(page);
  return { context, page, id };
}

/** Site B took the click id over: its cookie, the address bar cleaned, and a lead with it. */
async function adopted(page, id, key) {
  await ready(page);
  const cookies = await page.context().cookies(B);
  assert.equal(decodeURIComponent(cookies.find((c) => c.name === 'affitor_click_id')?.value ?? ''), id, JSON.stringify(cookies));
  assert.deepEqual(decodeURIComponent(cookies.find((c) => c.name === 'affitor_click_ids')?.value ?? ''), id);
  await env.until(async () => !page.url().includes('affitor_click_id'), 5_000, 'the address bar cleaned');
  const r = await page.evaluate((k) => window.affitor.signup(k), key);
  assert.equal(r.ok, true, JSON.stringify(r));
  const lead = (await env.arrived('lead', 1)).find((l) => l.customer_key === key);
  assert.equal(lead.click_id, id);
  assert.equal((await clickPosts()).length, 1, 'no second click request');
}

describe('cross-domain hand-off', () => {
  it('a link click to the listed app carries the click id; the app adopts it, no second click', async () => {
    const { page, id } = await landed();
    await Promise.all([page.waitForURL(`${B}/**`), page.click('#to-b')]);
    assert.equal(await navigated(page), `${B}/b/signup?plan=pro&affitor_click_id=${id}#top`);
    await adopted(page, id, 'link_user');
    // No list on the app: the landing's affitor_click_id chose the hand-off wasm.
    assert.deepEqual(await wasms(page), ['affitor_tracker_handoff_bg.wasm']);
    assert.equal(page.url(), `${B}/b/signup?plan=pro#top`, 'only the parameter removed');
  });

  it('a POST form to the app carries it in its address; a GET form as a field', async () => {
    const { page, id } = await landed();
    await Promise.all([page.waitForURL(`${B}/b/post**`), page.click('#post button')]);
    assert.equal(await navigated(page), `${B}/b/post?affitor_click_id=${id}`);
    await adopted(page, id, 'post_user');
    await page.goto(`${A}/a/landing`);
    await Promise.all([page.waitForURL(`${B}/b/search**`), page.click('#get button')]);
    assert.equal(await navigated(page), `${B}/b/search?q=x&affitor_click_id=${id}`);
    await ready(page);
    await env.until(async () => page.url() === `${B}/b/search?q=x`, 5_000, 'the address bar cleaned');
  });

  it('target=_blank and a middle click open the app with it; the link is left as the page wrote it', async () => {
    const { context, page, id } = await landed();
    for (const [sel, opts] of [['#blank', {}], ['#to-b', { button: 'middle' }], ['#to-b', { modifiers: ['Control'] }]]) {
      const [tab] = await Promise.all([context.waitForEvent('page'), page.click(sel, opts)]);
      await tab.waitForLoadState();
      assert.match(await navigated(tab), new RegExp(`[?&]affitor_click_id=${id}(#|$)`), `${sel} ${JSON.stringify(opts)}`);
      await ready(tab);
      await tab.close();
    }
    await env.until(
      async () => (await page.evaluate(() => [...document.links].map((a) => a.getAttribute('href')).join(' '))).indexOf('affitor_click_id') < 0,
      5_000,
      'the links put back',
    );
    assert.equal(page.url(), `${A}/a/landing?aff=HANDOFF`, 'site A stayed');
    assert.equal((await clickPosts()).length, 1, 'no second click request');
  });

  it('an unlisted host gets nothing; nothing is added without a click id', async () => {
    const { page } = await landed();
    await Promise.all([page.waitForURL(`${OTHER}/**`), page.click('#to-other')]);
    assert.equal(await navigated(page), `${OTHER}/o/page`);
    const fresh = await (await browser.newContext()).newPage();
    await fresh.goto(`${A}/a/landing`);
    await ready(fresh);
    await handoffLoaded(fresh);
    await Promise.all([fresh.waitForURL(`${B}/**`), fresh.click('#to-b')]);
    assert.equal(await navigated(fresh), `${B}/b/signup?plan=pro#top`);
  });

  it('where the CSP forbids WebAssembly, the JavaScript fallback hands off as the hand-off wasm does', async () => {
    env.pages.set('/a/strict', siteA(), { 'Content-Security-Policy': "script-src 'self' 'unsafe-inline'" });
    const page = await (await browser.newContext()).newPage();
    const id = await landOnA(page, '/a/strict');
    assert.deepEqual(await wasms(page), [], 'no wasm under this CSP');
    await Promise.all([page.waitForURL(`${B}/**`), page.click('#to-b')]);
    assert.equal(await navigated(page), `${B}/b/signup?plan=pro&affitor_click_id=${id}#top`);
    await adopted(page, id, 'fallback_user');
  });

  it('a later page of site A, with nothing else to track and no call, loads by itself and hands the click id over (the list given by init())', async () => {
    const { context, id } = await landed();
    // As Google Tag Manager's Custom HTML may: the tag without attributes, init() after it.
    env.pages.set('/a/later', siteA().replace(/data-affitor-domains="[^"]*"/, '') + `<script>window.affitor.init({ domains: 'app-b.test' });</script>`);
    const page = await context.newPage();
    await page.goto(`${A}/a/later`);
    // Loaded with no call (reading ready would load it): then waited for, to run.
    await handoffLoaded(page);
    await ready(page);
    await Promise.all([page.waitForURL(`${B}/**`), page.click('#to-b')]);
    assert.equal(await navigated(page), `${B}/b/signup?plan=pro&affitor_click_id=${id}#top`);
  });

  it('a landing whose tag has no attributes (Google Tag Manager) and is configured by init(), the list included, hands the click id over', async () => {
    const gtm = siteA().replace(tag(env, { 'data-affitor-domains': 'app-b.test, *.b-checkout.test' }), tag(env, { 'data-affitor-program-id': null, 'data-affitor-api-base': null }))
      + `<script>window.affitor.init({ programId: 42, apiBase: '${env.api}', domains: 'app-b.test' });</script>`;
    assert.ok(!gtm.includes('data-affitor-domains'), 'the tag has no list');
    env.pages.set('/a/gtm', gtm);
    const page = await (await browser.newContext()).newPage();
    const id = await landOnA(page, '/a/gtm');
    await handoffLoaded(page);
    await Promise.all([page.waitForURL(`${B}/**`), page.click('#to-b')]);
    assert.equal(await navigated(page), `${B}/b/signup?plan=pro&affitor_click_id=${id}#top`);
  });

  it('a page without a list fetches no hand-off code', async () => {
    env.pages.hits.length = 0;
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${B}/b/signup`);
    await ready(page);
    assert.deepEqual(await wasms(page), ['affitor_tracker_bg.wasm']);
    assert.ok(!(await page.evaluate(() => performance.getEntriesByType('resource').some((e) => /handoff/.test(e.name)))), 'no hand-off file');
  });

  it('a junk affitor_click_id is ignored with one warning', async () => {
    const page = await (await browser.newContext()).newPage();
    const logs = [];
    page.on('console', (m) => logs.push({ type: m.type(), text: m.text() }));
    await page.goto(`${B}/b/signup?affitor_click_id=%3Cscript%3E&x=1`);
    await ready(page);
    assert.equal(await page.evaluate(() => window.affitor.getClickId()), null);
    const warnings = logs.filter((l) => l.type === 'warning' && l.text.startsWith('[Affitor]'));
    assert.equal(warnings.length, 1, JSON.stringify(logs));
    assert.match(warnings[0].text, /affitor_click_id/);
    assert.equal(page.url(), `${B}/b/signup?x=1`);
    const long = await (await browser.newContext()).newPage();
    await long.goto(`${B}/b/signup?affitor_click_id=${'a'.repeat(129)}`);
    await ready(long);
    assert.equal(await long.evaluate(() => window.affitor.getClickId()), null);
    assert.equal((await clickPosts()).length, 0);
  });
});
