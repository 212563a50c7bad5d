/// <reference path="../types/global.d.ts" />
import type { AffitorData, AffitorResult } from '../types/tracker.js';

export type { AffitorData, AffitorQueueEntry, AffitorResult, AffitorTracker } from '../types/tracker.js';

/** init()'s options: the script tag's `data-affitor-*` attributes. */
export interface InitOptions {
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
  /** Where the page can fetch `dist/affitor_tracker_bg.wasm`, for bundlers that do not ship it themselves. */
  wasmUrl?: string | URL;
  /** Where the page can import `dist/affitor_tracker_fallback.js`, the JavaScript build used where WebAssembly may not run (a CSP without 'wasm-unsafe-eval', no WebAssembly). Default: the package's own, through a literal `import()` the bundler resolves. */
  fallbackUrl?: string | URL;
}

/**
 * Starts the tracker in this page (once) and installs `window.affitor`. Resolves when the
 * tracker runs; never rejects. On a server it does nothing. If the script tag already runs
 * the tracker, that one is used and the options are ignored.
 */
export function init(options?: InitOptions): Promise<void>;

/**
 * Records a lead (a signup) for `customerKey`: the id your server gives this user, the same one
 * it later sends payments with. Never rejects; calls made before `init()` wait for it.
 */
export function signup(customerKey: string | number, email?: string | null): Promise<AffitorResult>;
/** The object form Affitor's docs use: `signup({ customerKey, email })` (or `customer_key`). */
export function signup(lead: { customerKey?: string | number; customer_key?: string | number; email?: string | null }): Promise<AffitorResult>;

/**
 * Reports the affiliate click in `url` (default: the page's address), for single-page apps
 * whose client-side navigation brought a new `?aff=`; `existingClickId` is the click it
 * replaces. Never rejects.
 */
export function trackClick(url?: string, existingClickId?: string): Promise<AffitorResult>;

/** The click id this browser holds, or null (before the tracker runs, and on a server). */
export function getClickId(): string | null;

export function getData(): AffitorData;

/** Resolves once the tracker runs (after `init()` or the script tag); at once on a server. */
export function ready(): Promise<void>;
