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
import type { AffitorData, AffitorQueueEntry, AffitorResult, AffitorTracker, InitOptions } from 'affitor-tracker';

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
