// The cross-domain hand-off's journeys (docs/cross-domain.md) in every engine of the run
// (AFFITOR_ENGINE, engines.mjs): site A is http://localhost:PORT, site B http://127.0.0.1:PORT
// (two sites: their cookies are apart), both served by the harness's page server. A lists B in
// data-affitor-domains. The link and the form are followed as a script follows them (click(),
// requestSubmit()): the drivers of Firefox and WebKit here have no pointer; the real mouse
// clicks, middle clicks and new tabs are in handoff.test.mjs (Chromium).
//
//   AFFITOR_ENGINE=chromium,firefox,webkit node --test --test-concurrency=1 tests/e2e/handoff-engines.test.mjs
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { selectedEngines } from './engines.mjs';
import { setup, tag } from './harness.mjs';

for (const engine of selectedEngines()) {
  describe(`the hand-off in ${engine}`, () => {
    let env;
    let A; // http://localhost:PORT
    let B; // http://127.0.0.1:PORT
    before(async () => {
      env = await setup({ engine });
      A = env.site;
      B = `http://127.0.0.1:${env.pages.port}`;
      env.pages.set('/a/landing', `<!doctype html><title>site A</title>
        ${tag(env, { 'data-affitor-domains': '127.0.0.1' })}
        <a id="to-b" href="${B}/b/signup?plan=pro#top">app</a>
        <form id="post" method="post" action="${B}/b/post"><input name="email" value="v@example.com"></form>`);
      for (const p of ['/b/signup', '/b/post']) env.pages.set(p, `<!doctype html><title>app</title>${tag(env)}`);
    });
    after(() => env?.close());
    beforeEach(() => env.reset());
    afterEach(() => env.closeContexts());

    const ready = (page) => page.evaluate(() => window.affitor.ready.then(() => true));
    const navigated = (page) => page.evaluate(() => performance.getEntriesByType('navigation')[0].name);
    const wasms = (page) =>
      page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name.split('?')[0].split('/').pop()).filter((n) => n.endsWith('.wasm')));
    const clickPosts = async () => (await env.requests('/api/v1/track/click')).filter((r) => r.method === 'POST');

    /** A visitor landed on A through a partner's link: the page and the click id A holds. */
    async function landed() {
      const page = await (await env.browser.newContext()).newPage();
      await page.goto(`${A}/a/landing?aff=HANDOFF`);
      await ready(page);
      const [click] = await env.until(async () => (await env.events('click')).length === 1 && env.events('click'), 15_000, 'the click on site A');
      const id = click.response.click_id;
      await env.until(async () => (await page.evaluate(() => window.affitor.getClickId())) === id, 15_000, 'the click id on site A');
      assert.deepEqual(await wasms(page), ['affitor_tracker_handoff_bg.wasm'], 'a page with a list runs the hand-off wasm');
      return { page, id };
    }

    /** B took the click over: its click id, the address bar cleaned, a lead with it, no second click. */
    async function adopted(page, id, key) {
      await ready(page);
      await env.until(async () => (await page.evaluate(() => window.affitor.getClickId())) === id, 15_000, "A's click id on B");
      await env.until(async () => !(await page.url()).includes('affitor_click_id'), 15_000, 'the address bar cleaned');
      const r = await page.evaluate((k) => window.affitor.signup(k), key);
      assert.equal(r.ok, true, JSON.stringify(r));
      const lead = (await env.arrived('lead', 1)).find((l) => l.customer_key === key);
      assert.equal(lead.click_id, id);
      assert.equal((await clickPosts()).length, 1, 'no second click request');
      assert.deepEqual(await wasms(page), ['affitor_tracker_handoff_bg.wasm'], 'the landing chose the hand-off wasm');
    }

    it('a link to the listed site carries the click id; the site adopts it, no second click', async () => {
      const { page, id } = await landed();
      await page.evaluate(() => document.getElementById('to-b').click());
      await page.waitForURL(`${B}/**`);
      assert.equal(await navigated(page), `${B}/b/signup?plan=pro&affitor_click_id=${id}#top`);
      await adopted(page, id, 'link_user');
      assert.equal(await page.url(), `${B}/b/signup?plan=pro#top`, 'only the parameter removed');
    });

    it('a POST form to the listed site carries it in its address', async () => {
      const { page, id } = await landed();
      await page.evaluate(() => document.getElementById('post').requestSubmit());
      await page.waitForURL(`${B}/b/post**`);
      assert.equal(await navigated(page), `${B}/b/post?affitor_click_id=${id}`);
      await adopted(page, id, 'post_user');
    });

    it('a junk affitor_click_id is ignored, the address cleaned; a page without either runs the normal wasm', async () => {
      const page = await (await env.browser.newContext()).newPage();
      await page.goto(`${B}/b/signup?affitor_click_id=%3Cscript%3E&x=1`);
      await ready(page);
      // (The WebKit driver answers null as undefined.)
      assert.equal((await page.evaluate(() => window.affitor.getClickId())) ?? null, null);
      await env.until(async () => (await page.url()) === `${B}/b/signup?x=1`, 15_000, 'the address bar cleaned');
      await page.goto(`${B}/b/signup`);
      await ready(page);
      assert.deepEqual(await wasms(page), ['affitor_tracker_bg.wasm']);
      assert.equal((await clickPosts()).length, 0);
    });
  });
}
