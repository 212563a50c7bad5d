// The click cookies of docs/contract.md §3, set by the server on a successful click answer.
// Why: Safari (ITP) and Brave cap cookies written by scripts at 7 days, not those a response's
// Set-Cookie writes from the site's own host, so a first-party click keeps the program's window.

import { firstOfList, isPlainObject, parseCookies, parseJson } from './http.js';
import { historyOf, pushHistory } from './rules.js';

/** The cookie names (docs/contract.md §3); lead.js reads the same ones. */
export const COOKIE = {
  clickId: 'affitor_click_id',
  clickIds: 'affitor_click_ids',
  affUrl: 'affitor_aff_url',
  legacy: 'customer_code',
};
const COOKIE_WINDOW_DAYS = 60;
const AFF_URL_MAX = 1024;
const CLICK_ID_MAX = 256;

/**
 * For a successful click answer: `{ answer, cookies }` with the Set-Cookie lines of
 * docs/contract.md §3; null for any other answer (an inactive link, an error).
 */
export function clickCookies(opts, req, requestBytes, upstream) {
  if (upstream.status < 200 || upstream.status > 299) return null;
  const answer = parseJson(upstream.text);
  if (!isPlainObject(answer) || answer.success !== true) return null;
  const clickId = answer.click_id;
  if (typeof clickId !== 'string' || clickId === '' || clickId.length > CLICK_ID_MAX) return null;

  const jar = parseCookies(req.headers.get('cookie'));
  const history = pushHistory(historyOf(jar.get(COOKIE.clickIds)), clickId);
  const sent = parseJson(new TextDecoder().decode(requestBytes));
  const affUrl = isPlainObject(sent) ? landingUrl(sent.affiliate_url) : null;

  const attrs = {
    maxAge: windowDays(answer.cookie_window_days) * 86_400,
    domain: opts.cookieDomain,
    secure: isSecure(opts, req),
  };
  const values = [
    [COOKIE.clickId, clickId],
    [COOKIE.clickIds, history],
    [COOKIE.affUrl, affUrl],
    [COOKIE.legacy, clickId], // for older server code that reads it (the hosted tracker writes it)
  ];
  const cookies = [];
  for (const [name, value] of values) {
    if (value === null) continue;
    // A host-only cookie of the same name would shadow the shared one on this host.
    if (attrs.domain) cookies.push(cookieLine(name, '', { ...attrs, maxAge: 0, domain: null }));
    cookies.push(cookieLine(name, value, attrs));
  }
  return { answer, cookies };
}

/** `cookie_window_days` from the API, 1 to 3650 days; 60 when absent or not a number. */
function windowDays(days) {
  if (typeof days !== 'number' || !Number.isFinite(days)) return COOKIE_WINDOW_DAYS;
  return Math.min(3650, Math.max(1, Math.floor(days)));
}

/** The landing URL to keep: origin, path and the `aff` parameter only (no other query, no fragment). */
function landingUrl(value) {
  if (typeof value !== 'string') return null;
  let url;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (!['http:', 'https:'].includes(url.protocol)) return null;
  const aff = url.searchParams.get('aff');
  const kept = `${url.origin}${url.pathname}${aff === null ? '' : `?${new URLSearchParams({ aff })}`}`;
  return kept.length <= AFF_URL_MAX ? kept : null;
}

function isSecure(opts, req) {
  if (req.encrypted) return true;
  return opts.trustProxy && firstOfList(req.headers.get('x-forwarded-proto')) === 'https';
}

function cookieLine(name, value, { maxAge, domain, secure }) {
  let line = `${name}=${encodeURIComponent(value)}; Max-Age=${maxAge}; Path=/; SameSite=Lax`;
  if (domain) line += `; Domain=${domain}`;
  if (secure) line += '; Secure';
  return line;
}
