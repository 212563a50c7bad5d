// The rules this helper shares with the browser tracker, where a site's backend must decide as
// the tracker does: the click-id history, the email check, which answers are retried and how
// long to wait, and the answer that means an earlier attempt was recorded. The tracker's are
// in Rust (named beside each below); these are their JavaScript twins, because the package
// runs no wasm on the server. tests/cases/rules.json holds one table of cases that
// `cargo test` (tests/rules_cases.rs) and `node --test` (tests/rules-cases.test.mjs) both run,
// so the twins cannot drift apart: change a rule in both, with a case.

// ---- the click-id history (src/click/jar.rs `history`, src/click/rules.rs `push_history`) ----

/** How many click ids the `affitor_click_ids` cookie keeps (docs/contract.md §3). */
export const HISTORY_MAX = 20;
// A longer item is not one of the API's click ids (the tracker counts UTF-8 bytes).
const ID_MAX_BYTES = 128;
const utf8 = new TextEncoder();

/** The click ids of the decoded `affitor_click_ids` value, oldest first, the newest 20 at most. */
export function historyOf(decoded) {
  const ids = (decoded ?? '').split('|').filter((id) => id !== '' && utf8.encode(id).length <= ID_MAX_BYTES);
  return ids.slice(-HISTORY_MAX);
}

/** The cookie value after a click: `history` with `id` moved (or added) last, `|`-separated. */
export function pushHistory(history, id) {
  const kept = history.filter((h) => h !== id && h !== '');
  return [...kept, id].slice(-HISTORY_MAX).join('|');
}

// ---- the email (src/lead/args.rs `email`, `plausible_email`) ---------------------------------

/** RFC 5321's longest path, in UTF-16 units, counted before trimming as the tracker does. */
const EMAIL_MAX = 254;
// Rust's `char::is_whitespace` and the byte-order mark: JavaScript's \s lacks only U+0085.
const trim = (s) => s.replace(/^[\s\u0085]+|[\s\u0085]+$/g, '');

/**
 * `{ email, dropped }`: the trimmed address, or null; `dropped` when one was given but is not
 * plausibly an address (the lead still goes, without it: a bad email never costs a lead).
 */
export function checkEmail(value) {
  if (value === undefined || value === null) return { email: null, dropped: false };
  // A lone surrogate cannot be sent as UTF-8 intact: the tracker refuses it too.
  if (typeof value !== 'string' || value.length > EMAIL_MAX || !value.isWellFormed()) {
    return { email: null, dropped: true };
  }
  const email = trim(value);
  if (email === '') return { email: null, dropped: false };
  return plausibleEmail(email) ? { email, dropped: false } : { email: null, dropped: true };
}

/**
 * One `@` between a non-empty local part and a dotted domain; no spaces, control characters
 * or the punctuation that marks a display name or a list (`<>,;"()[]\`).
 */
function plausibleEmail(email) {
  const [local, domain, extra] = email.split('@');
  return Boolean(
    extra === undefined && local && domain &&
    !/[\x00-\x20\x7f<>,;"()[\]\\]/.test(email) &&
    domain.includes('.') && domain.split('.').every((label) => label !== ''),
  );
}

// ---- retries (src/retry.rs) ------------------------------------------------------------------

const BACKOFF_CAP_MS = 30_000;
// The tracker counts waits in u32 milliseconds.
const U32_MAX = 2 ** 32 - 1;

/**
 * What an answer's status means (docs/contract.md §4): 'delivered' (2xx), 'retry' (no answer
 * at all, as 0; 408, 429, 5xx) or 'refused' (any other: sending it again gets the same answer).
 */
export function verdict(status) {
  if (status >= 200 && status <= 299) return 'delivered';
  if (status === 0 || status === 408 || status === 429 || (status >= 500 && status <= 599)) return 'retry';
  return 'refused';
}

/**
 * The wait before attempt `attempt + 1`: `base`, 2×, 4× … capped at 30 s, each × a factor in
 * [0.5, 1] from `random` in [0, 1], so that many servers do not retry in step.
 */
export function backoff(attempt, random, base) {
  const full = Math.min(BACKOFF_CAP_MS, base * 2 ** Math.min(Math.max(attempt - 1, 0), 15));
  return Math.floor(full * (0.5 + Math.min(1, Math.max(0, random)) / 2));
}

/** Retry-After as delta-seconds, in ms; null when it is not delta-seconds. */
export function retryAfterSeconds(header) {
  const value = header.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '');
  return /^\d{1,9}$/.test(value) ? Math.min(Number(value) * 1000, U32_MAX) : null;
}

/**
 * Retry-After as delta-seconds or an HTTP date, in ms; null when absent or unreadable
 * (src/lead/delivery.rs `retry_after_ms`: both read the date with JavaScript's Date.parse).
 */
export function retryAfterMs(header, now = Date.now()) {
  if (header === null || header === undefined) return null;
  const seconds = retryAfterSeconds(header);
  if (seconds !== null) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.min(U32_MAX, Math.max(0, date - now));
}

// ---- "already recorded" (src/retry.rs `already_recorded`) -----------------------------------

/** A refusal's error that says the customer's lead is already recorded ("already has a lead"). */
export const alreadyRecorded = (error) =>
  typeof error === 'string' && (error.includes('already') || error.includes('cannot be updated'));
