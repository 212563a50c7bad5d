// The tracker under a consent manager: the real vanilla-cookieconsent 3 blocks the tag
// (type="text/plain" data-category="marketing") until the visitor consents, then runs it; on
// withdrawal the page calls affitor.forget(). In headless Chromium against the dev collector.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { open, root, setup, tag } from './harness.mjs';

let env;
before(async () => {
  env = await setup();
  const dist = join(root, 'node_modules', 'vanilla-cookieconsent', 'dist');
  env.pages.set('/cc/cookieconsent.umd.js', await readFile(join(dist, 'cookieconsent.umd.js'), 'utf8'), {
    'Content-Type': 'text/javascript',
  });
  env.pages.set('/cc/cookieconsent.css', await readFile(join(dist, 'cookieconsent.css'), 'utf8'), {
    'Content-Type': 'text/css',
  });
});
after(() => env?.close());
beforeEach(() => env.reset());
afterEach(() => env.closeContexts());

const TRACKER_COOKIES = ['affitor_click_id', 'affitor_click_ids', 'affitor_aff_url', 'customer_code'];

/** docs/consent.md's set-up: the tag blocked as marketing, a signup queued, forget() on withdrawal. */
function page() {
  return `<!doctype html><html><head><title>Pricing</title>
    <link rel="stylesheet" href="/cc/cookieconsent.css">
    ${tag(env, {}, 'type="text/plain" data-category="marketing"')}
    <script>
      window.affitorQueue = window.affitorQueue || [];
      window.affitorQueue.push(['signup', 'consent_user', 'c@example.com']);
    </script>
    </head><body>
    <script src="/cc/cookieconsent.umd.js"></script>
    <script>
      CookieConsent.run({
        hideFromBots: false, // (a test browser is driven by WebDriver/CDP: a "bot")
        categories: { necessary: { enabled: true, readOnly: true }, marketing: {} },
        onChange: function (e) {
          if (e.changedCategories.indexOf('marketing') >= 0 && !CookieConsent.acceptedCategory('marketing')) {
            window.affitor && window.affitor.forget();
          }
        },
        language: {
          default: 'en',
          translations: {
            en: {
              consentModal: {
                title: 'Cookies',
                description: 'We use cookies to credit the partner who referred you.',
                acceptAllBtn: 'Accept all',
                acceptNecessaryBtn: 'Reject all',
                showPreferencesBtn: 'Manage preferences',
              },
              preferencesModal: {
                title: 'Preferences',
                acceptAllBtn: 'Accept all',
                acceptNecessaryBtn: 'Reject all',
                savePreferencesBtn: 'Save',
                sections: [{ title: 'Marketing', description: 'Affiliate attribution', linkedCategory: 'marketing' }],
              },
            },
          },
        },
      });
    </script></body></html>`;
}

describe('consent (vanilla-cookieconsent 3)', () => {
  it('nothing before consent; the click and the queued lead after; forget() on withdrawal', async () => {
    const context = await env.browser.newContext();
    const p = await open(env, page(), { context, path: '/pricing?aff=CONSENTED' });
    const storage = () => p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('affitor_')));
    const trackerCookies = async () => (await context.cookies()).filter((c) => TRACKER_COOKIES.includes(c.name));
    const accept = p.getByRole('button', { name: 'Accept all' }).first();
    await accept.waitFor();

    // Before consent: the tracker was not fetched, wrote nothing, sent nothing.
    assert.equal(await p.evaluate(() => typeof window.affitor), 'undefined');
    assert.ok(!env.pages.hits.some((h) => /affitor[-_]tracker/.test(h)), env.pages.hits.join(' '));
    assert.deepEqual(await env.requests(), []);
    assert.deepEqual(await trackerCookies(), []);
    assert.deepEqual(await storage(), []);

    await accept.click();
    const [click] = await env.until(async () => (await env.events('click')).length === 1 && env.events('click'), 15_000, 'the click after consent');
    assert.equal(click.body.affiliate_url, `${env.site}/pricing?aff=CONSENTED`);
    const [lead] = await env.arrived('lead', 1);
    assert.equal(lead.customer_key, 'consent_user');
    assert.equal(lead.click_id, click.response.click_id);
    await env.until(async () => (await trackerCookies()).length === 4, 10_000, 'the click cookies');
    await env.until(async () => (await storage()).includes('affitor_sent'), 10_000, 'the delivered lead remembered');

    // Withdrawal, through the banner's preferences.
    await p.evaluate(() => CookieConsent.showPreferences());
    await p.getByRole('button', { name: 'Reject all' }).last().click();
    await env.until(async () => (await trackerCookies()).length === 0, 10_000, () => 'no tracker cookie after withdrawal');
    assert.deepEqual(await storage(), []);
    const after = await p.evaluate(() => window.affitor.signup('after_withdrawal'));
    assert.equal(after.ok, false);
    assert.deepEqual(p.errors, []);
    assert.equal(p.affitorLogs('error').length, 0, JSON.stringify(p.logs));
    assert.equal((await env.events('lead')).length, 1);
    await context.close();
  });

  it('a signup called in the same task as forget() is not sent', async () => {
    const context = await env.browser.newContext();
    await context.addCookies([{ url: env.site, name: 'affitor_click_id', value: 'cust_42_1' }]);
    const p = await open(env, `<!doctype html><title>t</title>${tag(env)}`, { context });
    await p.evaluate(() => window.affitor.ready);
    const [lead, forgot] = await p.evaluate(() => Promise.all([window.affitor.signup('withdrawn_user'), window.affitor.forget()]));
    assert.deepEqual(forgot, { ok: true });
    assert.equal(lead.ok, false, JSON.stringify(lead));
    assert.deepEqual((await env.requests('/api/v1/track/lead')).filter((r) => r.method === 'POST'), []);
    assert.deepEqual(await p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('affitor_'))), []);
    await context.close();
  });
});
