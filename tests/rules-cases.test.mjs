// The server helper's side of the rules it shares with the browser tracker: every case of
// tests/cases/rules.json against module/server/rules.js. tests/rules_cases.rs runs the same
// table against the Rust tracker (`cargo test`), so the two cannot drift.
//
//   node --test tests/rules-cases.test.mjs
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
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
