// The module entry used the way README.md shows.
declare const userId: string;
declare const email: string;

// README, "In a bundled app":
import { init, signup } from 'affitor-tracker';

init({ programId: 42, wasmUrl: '/affitor/affitor_tracker_bg.wasm' });

// after your server created the account:
const result = await signup(userId, email);
if (!result.ok) console.warn('lead not recorded:', result.error);

// Every option and function.
import { getClickId, getData, ready, trackClick } from 'affitor-tracker';
import type {
  AffitorCustomer,
  AffitorData,
  AffitorInitOptions,
  AffitorQueueEntry,
  AffitorResult,
  AffitorSignup,
  AffitorTracker,
  InitOptions,
} from 'affitor-tracker';

const options: InitOptions = {
  programId: '42',
  apiBase: 'http://127.0.0.1:8080',
  debug: true,
  testMode: true,
  cookieDomain: '.example.com',
  timeout: 2500,
  wasmUrl: new URL('https://cdn.example.com/affitor_tracker_bg.wasm'),
};
const started: Promise<void> = init(options);
await started;
await init();
await ready();
const r: AffitorResult = await signup(123);
await signup('user_123', null);
const click: AffitorResult = await trackClick();
const id: string | null = getClickId();
const data: AffitorData = getData();
const entry: AffitorQueueEntry = ['signup', 'user_123', 'user@example.com'];
// Importing the module brings in the globals too.
const tracker: AffitorTracker | undefined = window.affitor;
window.affitorQueue?.push(entry);
console.log(r, click, id, data, tracker);

// The hosted tracker's forms: the object form, init() on window.affitor, and
// trackClick's second argument.
const viaObject: AffitorResult = await signup({ customer_key: userId });
await signup({ customerKey: userId, email });
await signup({ customerKey: 123, email: null });
const customer: AffitorCustomer = { customer_key: 'user_123' };
const form: AffitorSignup = { customerKey: 'user_123', email: 'user@example.com' };
await signup(customer);
await signup(form);
await trackClick('https://example.com/?aff=PARTNER', 'cust_42_1714000000000');
await trackClick(undefined, null);
const same: AffitorInitOptions = options;
await window.affitor?.init();
await window.affitor?.init(same);
await window.affitor?.trackClick(location.href, window.affitor.getClickId());
const queued: AffitorQueueEntry[] = [['signup', { customer_key: userId }], ['trackClick', location.href, null]];
console.log(viaObject, queued);

// README, "Check that it works": diagnose() from the module entry.
import { diagnose } from 'affitor-tracker';
import type { AffitorCheck, AffitorDiagnosis } from 'affitor-tracker';
const diagnosis: AffitorDiagnosis = await diagnose({ testLead: true });
const failedChecks: AffitorCheck[] = diagnosis.checks.filter((c) => !c.ok && c.level === 'error');
console.log(diagnosis.ok, failedChecks.map((c) => `${c.id}: ${c.message}`));
// affitor-tracker/react: <Affitor>'s props are init()'s options; useAffitor()'s state.
import { Affitor, useAffitor, type AffitorProps } from 'affitor-tracker/react';
const props: AffitorProps = { programId: 42, testMode: true };
const rendered: null = Affitor(props);
const state = useAffitor();
const isReady: boolean = state.ready;
const referred: string | null = state.clickId;
await state.signup('user_123', 'user@example.com');
await state.trackClick();
// forget(), and the queue's ['forget'].
import { forget } from 'affitor-tracker';
const forgotten: AffitorResult = await forget();
await window.affitor?.forget();
const forgetEntry: AffitorQueueEntry = ['forget'];
void [rendered, isReady, referred, forgotten, forgetEntry];
