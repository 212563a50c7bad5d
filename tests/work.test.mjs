// The loader's lazy start (loader/work.js): whether a page has work for the tracker now. The
// landing-address cases come from tests/cases/work.json, which `cargo test --test work_cases`
// runs against the tracker's own click rule, so the loader never skips a click the tracker
// would capture.
//
//   node --test tests/work.test.mjs
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { capturable, handedOver, hasWork } from '../loader/work.js';

const table = JSON.parse(await readFile(new URL('./cases/work.json', import.meta.url), 'utf8'));
const at = (url) => [url, '', 0];

describe(`capturable: ${table.rule.split(':')[0]}`, () => {
  for (const c of table.cases) {
    it(c.name, () => assert.equal(capturable(c.url), c.aff, c.url));
  }
  it('a click id handed over from another of the business\'s sites', () => {
    assert.equal(capturable('https://app.example/?affitor_click_id=cust_1_2'), true);
    assert.equal(capturable('https://app.example/?affitor_click_id='), false);
  });
  it('what is no address', () => {
    for (const v of [null, undefined, 42, {}, []]) assert.equal(capturable(v) || handedOver(v), false);
  });
  it('handedOver: a landing that carries affitor_click_id (the hand-off wasm adopts it)', () => {
    assert.equal(handedOver('https://app.example/?x=1&affitor_click_id=cust_1_2'), true);
    assert.equal(handedOver('https://app.example/?aff=P1'), false);
  });
});

describe('hasWork: the page has work now', () => {
  const none = [null, null];
  it('a page view with nothing to track has none', () => {
    assert.equal(hasWork([at('https://s.example/pricing')], [], none), false);
    assert.equal(hasWork([at('https://s.example/')], null, ['', '[]']), false);
  });
  it('a landing with a click, this page\'s or one an earlier page kept', () => {
    assert.equal(hasWork([at('https://s.example/?aff=P1')], [], none), true);
    assert.equal(hasWork([at('https://s.example/?aff=P1'), at('https://s.example/')], [], none), true);
    assert.equal(hasWork([null, [null, '', 0], at('https://s.example/#/x?aff=H')], [], none), true);
  });
  it('a queued call, but not init()\'s options alone', () => {
    assert.equal(hasWork([], [['init', { programId: 42 }]], none), false);
    assert.equal(hasWork([], [['init', {}], ['signup', 'u1']], none), true);
    assert.equal(hasWork([], [['trackClick']], none), true);
    // Junk is named by the tracker, in a warning; it is not read here (a page's Proxy may throw).
    assert.equal(hasWork([], ['nonsense'], none), true);
    const hostile = new Proxy({}, { get() { throw new Error('hostile'); } });
    assert.equal(hasWork([], [hostile], none), true);
  });
  it('leads waiting in the outbox, or signups an earlier page made before the tracker ran', () => {
    assert.equal(hasWork([], [], ['[{"id":"a"}]', null]), true);
    assert.equal(hasWork([], [], [null, '[["u1",null,"https://s.example/"]]']), true);
  });
});
