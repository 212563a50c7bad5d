// The server helper's side of the rules it shares with the browser tracker: every case of
// tests/cases/rules.json against module/server/rules.js. tests/rules_cases.rs runs the same
// table against the Rust tracker (`cargo test`), so the two cannot drift. Last, the helper's
// own entry points are shown to decide by these rules.
//
//   node --test tests/rules-cases.test.mjs
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { createHandler, trackLead } from '../module/server.js';
import {
  alreadyRecorded,
  backoff,
  checkEmail,
  historyOf,
  pushHistory,
  retryAfterSeconds,
  verdict,
} from '../module/server/rules.js';

const table = JSON.parse(await readFile(new URL('./cases/rules.json', import.meta.url), 'utf8'));

/** One `it` per case of `rule`, named after it; `check(case)` asserts. */
function cases(rule, check) {
  describe(`${rule}: ${table[rule].rule}`, () => {
    assert.ok(table[rule].cases.length > 0, `no cases for ${rule}`);
    for (const c of table[rule].cases) it(c.name, () => check(c));
  });
}

cases('history_read', (c) => assert.deepEqual(historyOf(c.cookie), c.ids));

cases('history_push', (c) => assert.equal(pushHistory(c.history, c.id), c.cookie));

// No `input` field: the argument is absent (undefined), as a missing `email` of trackLead's input.
cases('email', (c) => assert.deepEqual(checkEmail(c.input), { email: c.email, dropped: c.dropped }));

cases('retry_verdict', (c) => {
  const wrong = c.statuses.filter((s) => verdict(s) !== c.verdict).map((s) => `${s}: ${verdict(s)}`);
  assert.deepEqual(wrong, []);
});

cases('retry_backoff', (c) => assert.equal(backoff(c.attempt, c.random, c.base), c.wait));

cases('retry_after', (c) => assert.equal(retryAfterSeconds(c.header), c.ms));

cases('already_recorded', (c) => assert.equal(alreadyRecorded(c.error), c.recorded));

// ---- the helper decides by them ------------------------------------------------------------

const x129 = 'x'.repeat(129);
const ids25 = Array.from({ length: 25 }, (_, i) => `c${i}`);
const answer = (value) => async () => new Response(JSON.stringify(value), { status: 200 });

describe('the server helper decides by these rules', () => {
  it('trackLead sends the click-id history as the tracker reads it: the 20 newest, no overlong id', async () => {
    let sent;
    const fetch = async (url, init) => {
      sent = JSON.parse(init.body);
      return answer({ success: true })();
    };
    const cookie = `affitor_click_id=c24; affitor_click_ids=${encodeURIComponent([x129, ...ids25].join('|'))}`;
    const result = await trackLead({ cookie, customerKey: 'u1' }, { apiKey: 'k', fetch });
    assert.equal(result.ok, true);
    assert.deepEqual(sent.click_ids, ids25.slice(5));
  });

  it('trackLead drops an email that is not a string with a warning, and still sends the lead', async () => {
    let sent;
    const warned = [];
    const warn = console.warn;
    console.warn = (...args) => warned.push(args.join(' '));
    try {
      const fetch = async (url, init) => {
        sent = JSON.parse(init.body);
        return answer({ success: true })();
      };
      const result = await trackLead({ customerKey: 'u1', email: 42 }, { apiKey: 'k', fetch });
      assert.equal(result.ok, true);
    } finally {
      console.warn = warn;
    }
    assert.equal(sent.email, null);
    assert.match(warned.join('\n'), /\[Affitor\] trackLead\(\): the email is not a valid address/);
  });

  it('a click through the handler writes the history cookie as the tracker would', async () => {
    const handle = createHandler({ apiBase: 'https://api.test', fetch: answer({ success: true, click_id: 'c' }) });
    const response = await handle(
      new Request('https://site.test/affitor/api/v1/track/click', {
        method: 'POST',
        headers: { Cookie: `affitor_click_ids=${encodeURIComponent(`a|${x129}|b`)}` },
        body: JSON.stringify({ affiliate_url: 'https://site.test/?aff=P1' }),
      }),
    );
    assert.equal(response.status, 200);
    const line = response.headers.getSetCookie().find((l) => l.startsWith('affitor_click_ids='));
    assert.equal(decodeURIComponent(line.split(';')[0].split('=')[1]), 'a|b|c');
  });
});
