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
  /** The API kept the lead provisionally: it knows no click for this visitor (yet). */
  provisional?: true;
  /** The API has not confirmed it within the timeout: the tracker keeps it and sends it later. */
  queued?: true;
  /** This browser already sent this customer's lead: nothing was sent again. */
  duplicate?: true;
  /** `trackClick()` only: the click id the browser holds now. */
  clickId?: string;
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

/** `window.affitor`. Every method is safe to call at any time: none throws, none rejects. */
export interface AffitorTracker {
  /** The tracker's version, e.g. "0.1.0". */
  readonly version: string;
  /**
   * Records a lead (a signup) for `customerKey`: the id your server gives this user, the same
   * one it later sends payments with. `email` is optional.
   */
  signup(customerKey: string | number, email?: string | null): Promise<AffitorResult>;
  /** The click id this browser holds, or null. */
  getClickId(): string | null;
  getData(): AffitorData;
  /** Resolves once the tracker runs the page's calls (also when it could not load). */
  readonly ready: Promise<unknown>;
  /**
   * Reports the affiliate click in `url` (default: the page's address), for single-page apps
   * whose client-side navigation brought a new `?aff=` (a full page load is captured by itself).
   */
  trackClick(url?: string): Promise<AffitorResult>;
}

/** An entry of `window.affitorQueue`, run when the tracker loads (at once after that). */
export type AffitorQueueEntry =
  | [command: 'signup', customerKey: string | number, email?: string | null]
  | [command: 'trackClick', url?: string];
