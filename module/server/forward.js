// The two track endpoints under the base path, forwarded to the API (docs/contract.md §7): the
// visitor's body, User-Agent and address go on; their Cookie and Authorization stay here. A
// successful click answer comes back with the click cookies set by the server (cookies.js).

import { clickCookies } from './cookies.js';
import { json } from './http.js';

export const TRACK_PATHS = new Set(['/api/v1/track/click', '/api/v1/track/lead']);
const BODY_LIMIT_BYTES = 64 * 1024;

function corsHeaders(req) {
  return {
    'Access-Control-Allow-Origin': req.headers.get('origin') || '*',
    Vary: 'Origin',
    'Access-Control-Expose-Headers': 'Retry-After',
  };
}

export async function trackEndpoint(opts, req, path) {
  if (req.method === 'OPTIONS') {
    // A page on a sibling origin (www. → the apex) sends application/json: a preflight.
    return new Response(null, {
      status: 204,
      headers: {
        ...corsHeaders(req),
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type',
        'Access-Control-Max-Age': '86400',
      },
    });
  }
  if (req.method !== 'POST') return json(404, { error: 'Not found' });

  const body = await req.readBody(BODY_LIMIT_BYTES);
  if (body.tooLarge) return json(413, { error: `Request body exceeds ${BODY_LIMIT_BYTES} bytes` }, corsHeaders(req));

  const upstream = await forward(opts, req, path, body.bytes);
  if (upstream.error) return json(upstream.status, { error: upstream.error }, corsHeaders(req));

  const headers = {
    ...corsHeaders(req),
    'Content-Type': upstream.contentType || 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  };
  if (upstream.retryAfter) headers['Retry-After'] = upstream.retryAfter;
  let text = upstream.text;

  const click = path === '/api/v1/track/click' ? clickCookies(opts, req, body.bytes, upstream) : null;
  if (click) {
    // Tells the tracker the cookies are set: it must not rewrite them from JavaScript, which
    // would bring Safari's 7-day cap back.
    text = JSON.stringify({ ...click.answer, cookies_set_by_server: true });
    headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  const response = new Response(text, { status: upstream.status, headers });
  for (const line of click?.cookies ?? []) response.headers.append('Set-Cookie', line);
  return response;
}

/** The visitor's address list for the API: theirs, after a trusted proxy's list if any. */
function forwardedFor(opts, req) {
  const existing = opts.trustProxy ? req.headers.get('x-forwarded-for')?.trim() || null : null;
  const own = req.clientAddress || null;
  if (existing && own) return `${existing}, ${own}`;
  return existing || own;
}

/**
 * POSTs the visitor's body to the API. Resolves `{ status, text, contentType, retryAfter }`,
 * or `{ status: 502|504, error }` when the API could not be reached or did not answer in time.
 */
async function forward(opts, req, path, bytes) {
  // application/json whatever the page sent: a sendBeacon's body comes as text/plain (no
  // preflight), and the API takes JSON only. The visitor's Cookie and Authorization stay here:
  // a same-origin request carries the site's own session.
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const userAgent = req.headers.get('user-agent');
  if (userAgent) headers['User-Agent'] = userAgent;
  const xff = forwardedFor(opts, req);
  if (xff) headers['X-Forwarded-For'] = xff;
  // The API sees the page's origin, as it would without the proxy.
  const origin = req.headers.get('origin');
  if (origin) headers.Origin = origin;

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  try {
    const res = await opts.fetch(`${opts.apiBase}${path}`, {
      method: 'POST',
      headers,
      body: bytes,
      signal: controller.signal,
      redirect: 'error', // no hop to anywhere the options do not name
    });
    const text = await res.text(); // inside the timeout: a stalled body is as slow as no answer
    return {
      status: res.status,
      text,
      contentType: res.headers.get('content-type'),
      retryAfter: res.headers.get('retry-after'),
    };
  } catch {
    if (controller.signal.aborted) {
      return { status: 504, error: `The Affitor API did not answer within ${opts.timeoutMs} ms` };
    }
    return { status: 502, error: 'The Affitor API could not be reached' };
  } finally {
    clearTimeout(timer);
  }
}
