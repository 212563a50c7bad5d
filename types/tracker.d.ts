// The types the tracker's two faces share: `window.affitor` (script tag) and the ES module.

/** What `signup()` resolves to. The Promise never rejects; `ok` says whether the lead counts. */
export interface AffitorResult {
  /** true: the API accepted the lead, or the tracker holds it and will send it (`queued`). */
  ok: boolean;
  /** The API's HTTP status, when it answered. */
  status?: number;
  /** Why the lead was not recorded (`ok: false`): a bad argument, or the API's refusal. */
  error?: string;
  /** The API's message, when it sent one. */
  message?: string;
  /**
   * The API accepted the lead provisionally: this program confirms its leads from the server
   * (Affitor's OpenAPI: `lead_auth: server_required`), so the lead counts once your server's
   * Lead API call confirms it.
   */
  provisional?: true;
  /** The API has not confirmed it within the timeout: the tracker keeps it and sends it later. */
  queued?: true;
  /** This browser already sent this customer's lead: nothing was sent again. */
  duplicate?: true;
  /** `trackClick()` only: the click id the browser holds now. */
  clickId?: string;
}

/**
 * `signup()`'s object form, as Affitor's own docs write it (`signup({ customer_key })`): the
 * customer key in one of its two spellings, and the email.
 */
export type AffitorSignup =
  | { customerKey: string | number; customer_key?: never; email?: string | null }
  | { customer_key: string | number; customerKey?: never; email?: string | null };

/** What `signup()` takes first: the customer key, or the object form. */
export type AffitorCustomer = string | number | AffitorSignup;

/** The tracker's settings, as `init()` options: the script tag's `data-affitor-*` attributes. */
export interface AffitorInitOptions {
  /** `data-affitor-program-id`: your Affitor program id. Default: `window.AFFITOR_PROGRAM_ID`. */
  programId?: string | number;
  /** `data-affitor-api-base`: origin of the tracking API. Default: https://api.affitor.com */
  apiBase?: string;
  /** `data-affitor-debug`: log each step to the console with the `[Affitor]` prefix. */
  debug?: boolean;
  /** `data-affitor-test-mode`: mark every event as a test event. */
  testMode?: boolean;
  /** `data-affitor-cookie-domain`: e.g. ".example.com". Default: the widest the browser allows. */
  cookieDomain?: string;
  /** `data-affitor-timeout`: ms `signup()` waits for the API before resolving with `queued: true` (default 1000, at most 30000). */
  timeout?: number;
  /**
   * `data-affitor-domains`: the business's other sites (e.g. `['app.example-app.io', '*.example-checkout.com']`,
   * or the same comma-separated). Links and forms to them carry the click id as `affitor_click_id` (docs/cross-domain.md).
   * Given to init() after a landing with `aff` has loaded the tracker, it comes too late: there use the attribute.
   */
  domains?: string | readonly string[];
  /** Where the page can fetch `dist/affitor_tracker_bg.wasm`, for bundlers that do not ship it themselves. */
  wasmUrl?: string | URL;
  /** Where the page can fetch `dist/affitor_tracker_handoff_bg.wasm` (the hand-off's wasm, docs/cross-domain.md), for bundlers that do not ship it themselves. */
  handoffWasmUrl?: string | URL;
  /** Where the page can import `dist/affitor_tracker_fallback.js`, the JavaScript build used where WebAssembly may not run (a CSP without 'wasm-unsafe-eval', no WebAssembly). Default: the package's own, through a literal `import()` the bundler resolves. */
  fallbackUrl?: string | URL;
}

/** What `getData()` returns. */
export interface AffitorData {
  /** The click id this browser holds (the `affitor_click_id` cookie), or null. */
  clickId: string | null;
  /** The program id the tracker was configured with, as a string, or null. */
  programId: string | null;
  /** Whether this visitor came through an affiliate link (holds a click id). */
  hasAttribution: boolean;
  /** The landing URL that carried `?aff=`, or null. */
  affiliateUrl: string | null;
}

/**
 * The id of one of `diagnose()`'s checks (docs/contract.md §9); `test-lead` only with `testLead: true`;
 * `diagnose` alone when the checks themselves could not be loaded.
 */
export type AffitorCheckId =
  | 'program-id'
  | 'api-base'
  | 'test-mode'
  | 'debug'
  | 'webassembly'
  | 'api-reachable'
  | 'cookies'
  | 'click'
  | 'outbox'
  | 'duplicate-tracker'
  | 'locks'
  | 'test-lead'
  | 'diagnose';

/** One check of `diagnose()`. */
export interface AffitorCheck {
  id: AffitorCheckId;
  /** Whether this part of the integration is fine. */
  ok: boolean;
  /** How much a failed check matters: `error` makes the result's `ok` false. */
  level: 'error' | 'warning' | 'info';
  /** What was found and, for a failed check, what to fix. */
  message: string;
}

/** What `diagnose()` resolves to: `ok` is false exactly when an `error`-level check failed. */
export interface AffitorDiagnosis {
  ok: boolean;
  checks: AffitorCheck[];
}

/** `diagnose()`'s options. */
export interface AffitorDiagnoseOptions {
  /** Also send the documented test-mode lead (`test_lead_001`, `test_customer`) to the API, reported as `test-lead`. */
  testLead?: boolean;
}

/** `window.affitor`. Every method is safe to call at any time: none throws, none rejects. */
export interface AffitorTracker {
  /** The tracker's version, e.g. "0.1.0". */
  readonly version: string;
  /**
   * Records a lead (a signup) for `customerKey`: the id your server gives this user, the same
   * one it later sends payments with. `email` is optional. Also takes the hosted tracker's
   * object form, `signup({ customerKey, email })` or `signup({ customer_key })`.
   */
  signup(customerKey: AffitorCustomer, email?: string | null): Promise<AffitorResult>;
  /**
   * As on the hosted tracker: resolves once the tracker runs (at once on a page with nothing to
   * track yet, where it loads at the first call). Options given before it started
   * apply over the script tag's attributes (a tag injected without them, as Google Tag Manager
   * may); after the start, or naming another program id or API base than the tag, they change
   * nothing and one console warning names them.
   */
  init(options?: AffitorInitOptions): Promise<void>;
  /** The click id this browser holds, or null (before the tracker runs: from its cookie). */
  getClickId(): string | null;
  getData(): AffitorData;
  /**
   * Resolves once the tracker runs the page's calls (also when it could not load). Reading it
   * loads the tracker on a page that had nothing to track.
   */
  readonly ready: Promise<unknown>;
  /**
   * Reports the affiliate click in `url` (default: the page's address), for single-page apps
   * whose client-side navigation brought a new `?aff=` (a full page load is captured by itself).
   * `existingClickId`: the click id this click replaces, sent as `existing_click_id` (as on the
   * hosted tracker). The click's `page_url` is always the page's own address.
   */
  trackClick(url?: string, existingClickId?: string | null): Promise<AffitorResult>;
  /**
   * Checks the integration on this page (settings, which build runs, the API's CORS answer, the
   * cookies, the click, the outbox, other tags) and logs each check with the `[Affitor]` prefix.
   * Never rejects; waits for a tracker still loading. For the browser console.
   */
  diagnose(options?: AffitorDiagnoseOptions): Promise<AffitorDiagnosis>;
  /**
   * Removes every cookie and storage key the tracker wrote in this browser (at every domain it
   * wrote them) and stops the tracker on this page: later calls resolve `ok: false` with the
   * reason. For a visitor who withdraws consent. Resolves `{ ok: true }` when done.
   */
  forget(): Promise<AffitorResult>;
}

/** An entry of `window.affitorQueue`, run when the tracker loads (at once after that). */
export type AffitorQueueEntry =
  | [command: 'signup', customerKey: AffitorCustomer, email?: string | null]
  | [command: 'trackClick', url?: string, existingClickId?: string | null]
  | [command: 'init', options: AffitorInitOptions]
  | [command: 'forget'];
