// trackLead's delivery: POST until the API answers for good or the time allowed is spent. A
// server keeps no outbox (the browser's tracker does), so running out of time is `ok: false`.
// Which answers are retried, how long to wait and what "already recorded" means are the
// tracker's rules (rules.js).

import { isPlainObject, parseJson } from './http.js';
import { alreadyRecorded, backoff, retryAfterMs, verdict } from './rules.js';

/**
 * POSTs `request` until the API answers for good, or `maxWaitMs` is spent. Waits grow from
 * `backoffMs`, or are what the API's Retry-After says.
 */
export async function deliver(request, { fetch: fetchImpl, timeoutMs, maxWaitMs, backoffMs }) {
  const deadline = Date.now() + maxWaitMs;
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(fetchImpl, request, Math.min(timeoutMs, Math.max(1, deadline - Date.now())));
    if (verdict(outcome.status) !== 'retry') return resultOf(outcome, attempt);
    const wait = outcome.retryAfterMs ?? backoff(attempt, Math.random(), backoffMs);
    if (Date.now() + wait >= deadline) return giveUp(outcome, attempt);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** One POST: `{ status, answer, retryAfterMs }`, status 0 for no answer (network, timeout). */
async function attemptOnce(fetchImpl, request, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetchImpl(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
    });
    const answer = parseJson(await res.text());
    return { status: res.status, answer: isPlainObject(answer) ? answer : {}, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
  } catch (err) {
    const why = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : `${err?.cause?.code ?? err?.message ?? 'network error'}`;
    return { status: 0, answer: {}, why, retryAfterMs: null };
  } finally {
    clearTimeout(timer);
  }
}

/** The result object of `signup()` for a final answer. */
function resultOf({ status, answer }, attempt) {
  const message = typeof answer.message === 'string' ? answer.message : undefined;
  const error = typeof answer.error === 'string' ? answer.error : undefined;
  if (status >= 200 && status <= 299 && answer.success !== false) {
    const result = { ok: true, status };
    if (message !== undefined) result.message = message;
    if (answer.provisional === true) result.provisional = true;
    return result;
  }
  // A retry after an attempt that may have arrived (its answer lost): "already has a lead" means it did.
  if (attempt > 1 && verdict(status) === 'refused' && alreadyRecorded(error)) {
    return { ok: true, status, message: error };
  }
  const result = { ok: false, status, error: error ?? message ?? `the Affitor API answered ${status}` };
  if (message !== undefined && message !== result.error) result.message = message;
  return result;
}

/** Out of time with the API still failing: the lead was not recorded. */
function giveUp({ status, answer, why }, attempt) {
  const tries = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
  if (status === 0) return { ok: false, error: `the Affitor API could not be reached (${why}; ${tries})` };
  const said = typeof answer.error === 'string' ? `: ${answer.error}` : '';
  return { ok: false, status, error: `the Affitor API answered ${status}${said} (${tries})` };
}
