// The rules this helper shares with the browser tracker, where a site's backend must decide as
// the tracker does: the click-id history, the email check, which answers are retried and how
// long to wait, and the answer that means an earlier attempt was recorded. The tracker's are
// in Rust (named beside each below); these are their JavaScript twins, because the package has
// no wasm on the server side. tests/cases/rules.json holds one table of cases that
// `cargo test` (tests/rules_cases.rs) and `node --test` (tests/rules-cases.test.mjs) both run,
// so the twins cannot drift apart.

// ---- the click-id history (src/click/jar.rs `history`, src/click/rules.rs `push_history`) ----

/** How many click ids the `affitor_click_ids` cookie keeps (docs/contract.md §3). */
export const HISTORY_MAX = 20;

/** The click-id history, oldest first, from the decoded `affitor_click_ids` value. */
export const historyOf = (value) => (value ?? '').split('|').filter((id) => id !== '');

/** `history` with `id` moved (or added) last, at most HISTORY_MAX ids. */
export function pushHistory(history, id) {
  const kept = history.filter((h) => h !== id);
  return [...kept, id].slice(-HISTORY_MAX);
}

// ---- the email (src/lead/args.rs `plausible_email`) -----------------------------------------

/**
 * One `@` between a non-empty local part and a dotted domain; no spaces, control characters
 * or the punctuation that marks a display name or a list (`<>,;"()[]\`).
 */
export function plausibleEmail(email) {
  const [local, domain, extra] = email.split('@');
  return Boolean(
    extra === undefined && local && domain &&
    !/[\x00-\x20\x7f<>,;"()[\]\\]/.test(email) &&
    domain.includes('.') && domain.split('.').every((label) => label !== ''),
  );
}

// ---- retries (src/retry.rs) ------------------------------------------------------------------

/** Network failures (0), 408, 429 and 5xx are worth another try (docs/contract.md §4); the rest is final. */
export const retriable = (status) => status === 0 || status === 408 || status === 429 || status >= 500;

const BACKOFF_CAP_MS = 30_000;

/**
 * The wait before attempt `attempt + 1`: `base`, 2×, 4× … capped at 30 s, each × a factor in
 * [0.5, 1) from `random`, so that many servers do not retry in step.
 */
export function backoff(attempt, random, base) {
  const full = Math.min(BACKOFF_CAP_MS, base * 2 ** Math.min(attempt - 1, 15));
  return Math.round(full * (0.5 + random / 2));
}

/** Retry-After as delta-seconds or an HTTP date, in ms; null when absent or unreadable. */
export function retryAfterMs(header, now = Date.now()) {
  if (header === null || header === undefined) return null;
  const value = header.trim();
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

// ---- "already recorded" (src/lead/delivery.rs `already_recorded`) ---------------------------

/** The API's refusal of a second lead for one customer: an earlier attempt did arrive. */
export const alreadyRecorded = (error) => /already|cannot be updated/i.test(error ?? '');
