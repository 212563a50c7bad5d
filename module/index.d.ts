/// <reference path="../types/global.d.ts" />
import type { AffitorCustomer, AffitorData, AffitorDiagnoseOptions, AffitorDiagnosis, AffitorInitOptions, AffitorResult } from '../types/tracker.js';

export type {
  AffitorCheck,
  AffitorCheckId,
  AffitorCustomer,
  AffitorData,
  AffitorDiagnoseOptions,
  AffitorDiagnosis,
  AffitorInitOptions,
  AffitorQueueEntry,
  AffitorResult,
  AffitorSignup,
  AffitorTracker,
} from '../types/tracker.js';

/** init()'s options: the script tag's `data-affitor-*` attributes, and where the module's files are. */
export type InitOptions = AffitorInitOptions;

/**
 * Starts the tracker in this page (once) and installs `window.affitor`. Resolves when the
 * tracker runs, or at once on a page with nothing to track yet (the tracker then loads at the
 * first call); never rejects. On a server it does nothing. If the script tag already runs
 * the tracker, that one is used, and the options apply as `window.affitor.init()`'s do.
 */
export function init(options?: InitOptions): Promise<void>;

/**
 * Records a lead (a signup) for `customerKey`: the id your server gives this user, the same one
 * it later sends payments with. Never rejects; calls made before `init()` wait for it. Also
 * takes the object form of Affitor's docs: `signup({ customerKey, email })`, `signup({ customer_key })`.
 */
export function signup(customerKey: AffitorCustomer, email?: string | null): Promise<AffitorResult>;

/**
 * Reports the affiliate click in `url` (default: the page's address), for single-page apps
 * whose client-side navigation brought a new `?aff=`; `existingClickId` is sent as
 * `existing_click_id`. Never rejects.
 */
export function trackClick(url?: string, existingClickId?: string | null): Promise<AffitorResult>;

/**
 * Removes every cookie and storage key the tracker wrote in this browser (at every domain it
 * wrote them) and stops the tracker on this page: later calls resolve `ok: false`. For a visitor
 * who withdraws consent. Never rejects.
 */
export function forget(): Promise<AffitorResult>;

/** The click id this browser holds, or null (before the tracker runs, and on a server). */
export function getClickId(): string | null;

export function getData(): AffitorData;

/**
 * Checks the integration on this page (docs/contract.md §9) and logs each check with the `[Affitor]`
 * prefix; `{ testLead: true }` also sends the documented test-mode lead. Never rejects; called
 * before `init()`, it waits for it a while. On a server: `ok: false`.
 */
export function diagnose(options?: AffitorDiagnoseOptions): Promise<AffitorDiagnosis>;

/** Resolves once the tracker runs (after `init()` or the script tag); at once on a server. */
export function ready(): Promise<void>;
