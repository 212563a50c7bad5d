// The script tag's globals, used the way README.md shows (no import: a plain script).
/// <reference types="affitor-tracker/global" />

declare const userId: string;
declare const email: string;

// README, Quick start: the queue snippet (works before and after the tracker loads).
window.affitorQueue = window.affitorQueue || [];
window.affitorQueue.push(['signup', userId, email]);

// README, Quick start: the direct call, to see the outcome.
async function signedUp() {
  if (window.affitor) {
    const result = await window.affitor.signup(userId, email);
    if (!result.ok) console.warn('lead not recorded:', result.error);
  }
}

// Every documented member and result field.
async function everything(): Promise<void> {
  window.AFFITOR_PROGRAM_ID = 42;
  window.AFFITOR_PROGRAM_ID = '42';
  window.affitorQueue = [['signup', 'user_123'], ['signup', 123, null], ['trackClick']];
  window.affitorQueue.push(['trackClick', location.href]);
  const a = window.affitor;
  if (!a) return;
  const version: string = a.version;
  await a.ready;
  const r: AffitorResult = await a.signup('user_123', 'user@example.com');
  await a.signup(123);
  await a.signup('user_123', null);
  const fields: [boolean, number?, string?, string?, true?, true?, true?, string?] = [
    r.ok, r.status, r.error, r.message, r.provisional, r.queued, r.duplicate, r.clickId,
  ];
  const click: AffitorResult = await a.trackClick();
  await a.trackClick('https://example.com/?aff=PARTNER');
  const id: string | null = a.getClickId();
  const data: AffitorData = a.getData();
  const d: [string | null, string | null, boolean, string | null] = [
    data.clickId, data.programId, data.hasAttribution, data.affiliateUrl,
  ];
  console.log(version, fields, click, id, d);
}
// docs/hosted-tracker.md: the hosted tracker's calls, unchanged.
async function hosted(): Promise<void> {
  const affitor = window.affitor;
  if (!affitor) return;
  await affitor.init();
  await affitor.signup({ customer_key: userId });
  await affitor.signup({ customerKey: userId, email });
  await affitor.trackClick(location.href, affitor.getClickId());
}

// Every form of each call, the queue's included.
async function forms(): Promise<void> {
  const a = window.affitor;
  if (!a) return;
  const started: Promise<void> = a.init();
  await started;
  await a.init({ programId: 42, debug: true });
  const r1: AffitorResult = await a.signup({ customer_key: 123 });
  const r2: AffitorResult = await a.signup({ customerKey: 'user_123', email: null }, 'ignored@example.com');
  const key: AffitorCustomer = { customer_key: 'user_123', email: 'user@example.com' };
  const object: AffitorSignup = { customerKey: 42 };
  await a.signup(key);
  await a.signup(object);
  await a.trackClick(undefined, 'cust_42_1714000000000');
  await a.trackClick('https://example.com/?aff=PARTNER', null);
  window.affitorQueue = window.affitorQueue || [];
  window.affitorQueue.push(['signup', { customer_key: userId }], ['signup', { customerKey: 7, email }, null]);
  window.affitorQueue.push(['trackClick', location.href, 'cust_42_1714000000000']);
  console.log(r1, r2);
}
signedUp();
everything();
hosted();
forms();

// README, "Check that it works": from the console.
async function diagnosed(): Promise<boolean> {
  const { ok, checks } = (await window.affitor?.diagnose()) ?? { ok: false, checks: [] };
  return ok && checks.every((c) => c.level !== 'error' || c.ok);
}
void diagnosed;
