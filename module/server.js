// affitor-tracker/server: first-party mode and server-side leads (CONTRACT.md §7).
//
//   import { createHandler, nodeMiddleware, trackLead } from 'affitor-tracker/server';
//
// - createHandler(options): fetch-style, (Request) => Promise<Response | undefined>, for Next.js
//   route handlers, Hono, Bun, Deno…; `undefined` for a path outside `basePath`.
// - nodeMiddleware(options): the same for Node's http, Express and Connect.
// - trackLead(input, options): a lead sent by the site's backend, with the program's API key.
//
// Under `basePath` the handler serves the tracker's own files and forwards the two track
// endpoints, and nothing else: it is not an open proxy. A click answered through it gets its
// cookies from the server's `Set-Cookie`, which Safari (ITP) and Brave do not cap at 7 days as
// they cap cookies written by scripts; and the tag, on the site's own origin, is not on the
// ad-blockers' lists of tracker hosts.
//
// No dependencies on purpose: Node >= 20's built-ins and the web-standard fetch/Request/Response,
// so the same code runs in any server and the package adds nothing to a site's supply chain.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '0.1.0';
const DEFAULT_API_BASE = 'https://api.affitor.com';
const DEFAULT_BASE_PATH = '/affitor';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_WAIT_MS = 30_000;
const DEFAULT_BACKOFF_MS = 1_000;
const BACKOFF_CAP_MS = 30_000;
const BODY_LIMIT_BYTES = 64 * 1024;
const DIST_DIR = fileURLToPath(new URL('../dist/', import.meta.url));

const TRACK_PATHS = new Set(['/api/v1/track/click', '/api/v1/track/lead']);
// The loader keeps its name across releases: cached briefly. The files it loads are asked for
// with `?v=<build hash>`, so those URLs never change content: cached for good.
const LOADER_FILE = 'affitor-tracker.js';
const SHORT_CACHE = 'public, max-age=300';
const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
// Names like the tracker's files only: no slash, backslash or percent sign can get through, so a
// name can never leave the dist directory.
const TRACKER_FILE = /^affitor[-_]tracker[A-Za-z0-9_.-]*\.(js|wasm)$/;
const CONTENT_TYPES = { js: 'text/javascript; charset=utf-8', wasm: 'application/wasm' };

// CONTRACT.md §3.
const COOKIE = {
  clickId: 'affitor_click_id',
  clickIds: 'affitor_click_ids',
  affUrl: 'affitor_aff_url',
  legacy: 'customer_code',
};
const COOKIE_WINDOW_DAYS = 60;
const HISTORY_MAX = 20;
const AFF_URL_MAX = 1024;
const CLICK_ID_MAX = 256;
const CUSTOMER_KEY_MAX = 256;

// ---------------------------------------------------------------------------------------------
// Options

/** `apiBase` as an origin (plus an optional path), without a trailing slash; throws if invalid. */
function apiBaseOption(value = DEFAULT_API_BASE) {
  let url;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError(`affitor-tracker/server: apiBase is not a URL: ${value}`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new TypeError(`affitor-tracker/server: apiBase must be an http(s) URL without query, fragment or credentials: ${value}`);
  }
  return (url.origin + url.pathname).replace(/\/+$/, '');
}

function basePathOption(value = DEFAULT_BASE_PATH) {
  const path = String(value).replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(path) || path.split('/').some((s) => s === '.' || s === '..')) {
    throw new TypeError(`affitor-tracker/server: basePath must be a path like /affitor: ${value}`);
  }
  return path;
}

function cookieDomainOption(value) {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !/^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(value)) {
    throw new TypeError(`affitor-tracker/server: cookieDomain must be a domain like .example.com: ${value}`);
  }
  return value;
}

function positiveMs(value, fallback, name) {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) {
    throw new TypeError(`affitor-tracker/server: ${name} must be a positive number of milliseconds`);
  }
  return value;
}

function handlerOptions(options = {}) {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw new TypeError('affitor-tracker/server: no fetch available');
  return {
    apiBase: apiBaseOption(options.apiBase),
    basePath: basePathOption(options.basePath),
    trustProxy: options.trustProxy === true,
    cookieDomain: cookieDomainOption(options.cookieDomain),
    timeoutMs: positiveMs(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs'),
    distDir: options.distDir ?? DIST_DIR,
    fetch: fetchImpl,
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const json = (status, value, headers = {}) =>
  new Response(JSON.stringify(value), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });

const isPlainObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function decode(value) {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A Cookie header as a Map of decoded values; the first of two same-named cookies wins, as in browsers. */
function parseCookies(header) {
  const jar = new Map();
  if (typeof header !== 'string') return jar;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    const name = pair.slice(0, at).trim();
    let value = pair.slice(at + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name && !jar.has(name)) jar.set(name, decode(value));
  }
  return jar;
}

/** The click-id history, oldest first, from the decoded `affitor_click_ids` value. */
const historyOf = (value) => (value ?? '').split('|').filter((id) => id !== '');

/** `history` with `id` moved (or added) last, at most HISTORY_MAX ids: the tracker's rule. */
function pushHistory(history, id) {
  const kept = history.filter((h) => h !== id);
  return [...kept, id].slice(-HISTORY_MAX);
}

const nonEmpty = (v) => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** The first address of an X-Forwarded-For-style list, or null. */
const firstOfList = (value) => (typeof value === 'string' ? value.split(',')[0].trim().toLowerCase() || null : null);

// ---------------------------------------------------------------------------------------------
// The handler, on a request either adapter describes the same way:
//   { method, url: URL, headers: Headers, clientAddress, encrypted, readBody(limit) }
// `readBody` resolves `{ tooLarge: true }` past the limit, else `{ bytes: Uint8Array }`.

function createCore(options) {
  const opts = handlerOptions(options);

  return async function handle(req) {
    const rest = underBasePath(req.url.pathname, opts.basePath);
    if (rest === null) return undefined;
    try {
      if (TRACK_PATHS.has(rest)) return await trackEndpoint(opts, req, rest);
      if (req.method === 'GET' || req.method === 'HEAD') {
        const file = await trackerFile(opts.distDir, rest);
        if (file) return await fileResponse(file, req);
      }
      return json(404, { error: 'Not found' });
    } catch (err) {
      // Never let a bug here take the site's server down or leave a request hanging.
      console.error('[Affitor] affitor-tracker/server failed:', err);
      return json(500, { error: 'Internal error in the Affitor first-party endpoint' });
    }
  };
}

/** The path after `basePath` ("/x" or ""), or null when `pathname` is outside it. */
function underBasePath(pathname, basePath) {
  if (pathname === basePath) return '';
  return pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : null;
}

// ---- the tracker's files --------------------------------------------------------------------

/** `{ path, name }` of the tracker file that `rest` ("/affitor-tracker.js") names, or null. */
async function trackerFile(distDir, rest) {
  const name = rest.slice(1);
  if (!TRACKER_FILE.test(name)) return null;
  const path = join(distDir, name);
  try {
    return (await stat(path)).isFile() ? { path, name } : null;
  } catch {
    return null;
  }
}

async function fileResponse(file, req) {
  const body = await readFile(file.path);
  const hashed = file.name !== LOADER_FILE && req.url.searchParams.has('v');
  const headers = {
    'Content-Type': CONTENT_TYPES[file.name.split('.').pop()],
    'Content-Length': String(body.length),
    // Only a `?v=` URL is immutable: an unversioned one (e.g. a module's `wasmUrl`) changes on upgrade.
    'Cache-Control': hashed ? IMMUTABLE_CACHE : SHORT_CACHE,
    'X-Content-Type-Options': 'nosniff',
    // A page on a sibling origin imports the glue module and fetches the wasm: both need CORS.
    'Access-Control-Allow-Origin': '*',
  };
  return new Response(req.method === 'HEAD' ? null : body, { status: 200, headers });
}

// ---- the two track endpoints ---------------------------------------------------------------

function corsHeaders(req) {
  return {
    'Access-Control-Allow-Origin': req.headers.get('origin') || '*',
    Vary: 'Origin',
    'Access-Control-Expose-Headers': 'Retry-After',
  };
}

async function trackEndpoint(opts, req, path) {
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

/**
 * For a successful click answer: `{ answer, cookies }` with the Set-Cookie lines of
 * CONTRACT.md §3; null for any other answer (an inactive link, an error).
 */
function clickCookies(opts, req, requestBytes, upstream) {
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
    [COOKIE.clickIds, history.join('|')],
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

// ---------------------------------------------------------------------------------------------
// Fetch-style adapter

/**
 * A fetch-style handler: `(request, context?) => Promise<Response | undefined>`, undefined for
 * a path outside `basePath`. `context` may give the visitor's address as `clientAddress`
 * (Deno's `info.remoteAddr` and Bun's `server.requestIP` are understood too).
 */
export function createHandler(options = {}) {
  const handle = createCore(options);
  return async function affitorHandler(request, context) {
    const url = new URL(request.url);
    return handle({
      method: request.method,
      url,
      headers: request.headers,
      clientAddress: clientAddressOf(request, context),
      encrypted: url.protocol === 'https:',
      readBody: (limit) => readWebBody(request, limit),
    });
  };
}

function clientAddressOf(request, context) {
  try {
    const address =
      context?.clientAddress ?? context?.remoteAddr?.hostname ?? context?.requestIP?.(request)?.address ?? null;
    return typeof address === 'string' ? plainAddress(address) : null;
  } catch {
    return null;
  }
}

/** IPv4 seen through an IPv6 socket ("::ffff:1.2.3.4") as the IPv4 address it is. */
const plainAddress = (address) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');

async function readWebBody(request, limit) {
  if (Number(request.headers.get('content-length')) > limit) return { tooLarge: true };
  if (!request.body) return { bytes: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      return { tooLarge: true };
    }
    chunks.push(value);
  }
  return { bytes: concat(chunks, size) };
}

function concat(chunks, size) {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Node adapter (http, Express, Connect)

/**
 * `(req, res, next?)`: answers under `basePath`, calls `next()` for everything else, or answers
 * 404 there when there is no `next` (a plain `http.createServer` handler).
 */
export function nodeMiddleware(options = {}) {
  const handle = createCore(options);
  return function affitorMiddleware(req, res, next) {
    serveNode(handle, req, res, next).catch((err) => {
      console.error('[Affitor] affitor-tracker/server failed:', err);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else {
        res.destroy();
      }
    });
  };
}

async function serveNode(handle, req, res, next) {
  const response = await handle({
    method: req.method,
    url: nodeUrl(req),
    headers: nodeHeaders(req.headers),
    clientAddress: req.socket?.remoteAddress ? plainAddress(req.socket.remoteAddress) : null,
    encrypted: Boolean(req.socket?.encrypted),
    readBody: (limit) => readNodeBody(req, limit),
  });
  if (response === undefined) {
    if (typeof next === 'function') return next();
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Not found');
    return;
  }
  await writeNode(res, response, req.method === 'HEAD');
}

/** The request's URL; Express strips a mount path from `req.url`, not from `originalUrl`. */
function nodeUrl(req) {
  const raw = req.originalUrl ?? req.url ?? '/';
  // Prefixing keeps "//host/x" a path, not a host.
  return new URL(raw.startsWith('/') ? `http://localhost${raw}` : 'http://localhost/');
}

function nodeHeaders(raw) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    // Node joins repeated headers for us, except these two arrays; a Cookie list joins with "; ".
    if (Array.isArray(value)) headers.set(name, value.join(name === 'cookie' ? '; ' : ', '));
    else headers.set(name, String(value));
  }
  return headers;
}

/**
 * The request body, up to `limit` bytes. A framework's body parser that ran first (e.g.
 * `express.json()`) has consumed the stream: then its `req.body` is used.
 */
function readNodeBody(req, limit) {
  // readableEnded, not `complete`: a parser that skipped this type may still have set `req.body = {}`.
  if (req.body !== undefined && req.readableEnded) return parsedBody(req.body, limit);
  if (Number(req.headers['content-length']) > limit) {
    req.resume(); // drain and discard, so the client reads our 413 rather than a reset
    return Promise.resolve({ tooLarge: true });
  }
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let settled = false;
    const settle = (fn, value) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      fn(value);
    };
    const onData = (chunk) => {
      size += chunk.length;
      if (size > limit) {
        settle(resolve, { tooLarge: true });
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => settle(resolve, { bytes: new Uint8Array(Buffer.concat(chunks)) }));
    req.on('error', (err) => settle(reject, err));
    req.on('close', () => settle(reject, new Error('the client closed the request')));
  });
}

function parsedBody(body, limit) {
  let bytes;
  if (body instanceof Uint8Array) bytes = body;
  else if (typeof body === 'string') bytes = new TextEncoder().encode(body);
  else bytes = new TextEncoder().encode(JSON.stringify(body));
  return Promise.resolve(bytes.byteLength > limit ? { tooLarge: true } : { bytes });
}

async function writeNode(res, response, head) {
  const headers = {};
  for (const [name, value] of response.headers) if (name !== 'set-cookie') headers[name] = value;
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  const body = head || response.body === null ? null : Buffer.from(await response.arrayBuffer());
  if (body && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body ?? undefined);
}

// ---------------------------------------------------------------------------------------------
// Server-side leads

/**
 * Sends a lead from the site's backend (Affitor's Lead API, CONTRACT.md §4 body, Bearer key).
 * Resolves the same result object as the browser's `signup()`; never throws, never rejects.
 */
export async function trackLead(input = {}, options = {}) {
  try {
    return await sendLead(input ?? {}, options ?? {});
  } catch (err) {
    return { ok: false, error: `trackLead failed: ${err?.message ?? err}` };
  }
}

async function sendLead(input, options) {
  const apiKey = nonEmpty(options.apiKey);
  if (!apiKey) return { ok: false, error: 'trackLead needs options.apiKey (the program API key); no lead was sent' };

  const lead = leadBody(input, options);
  if (lead.error) return { ok: false, error: lead.error };

  const apiBase = apiBaseOption(options.apiBase ?? DEFAULT_API_BASE);
  const request = {
    url: `${apiBase}/api/v1/track/lead`,
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      Authorization: `Bearer ${apiKey}`,
      'User-Agent': `affitor-tracker/${VERSION} (server)`,
    },
    body: JSON.stringify(lead.body),
  };
  return deliver(request, {
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: positiveMs(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs'),
    maxWaitMs: positiveMs(options.maxWaitMs, DEFAULT_MAX_WAIT_MS, 'maxWaitMs'),
    backoffMs: positiveMs(options.backoffMs, DEFAULT_BACKOFF_MS, 'backoffMs'),
  });
}

/** `{ body }` of CONTRACT.md §4 from trackLead's input, or `{ error }` when it cannot be sent. */
function leadBody(input, options) {
  const jar = parseCookies(input.cookie);
  const clickId = nonEmpty(input.clickId) ?? nonEmpty(jar.get(COOKIE.clickId)) ?? nonEmpty(jar.get(COOKIE.legacy));

  let customerKey = null;
  if (typeof input.customerKey === 'number' && Number.isFinite(input.customerKey)) customerKey = String(input.customerKey);
  else if (nonEmpty(input.customerKey)) customerKey = input.customerKey;
  else if (input.customerKey !== undefined && input.customerKey !== null) {
    return { error: 'customerKey must be a non-empty string or a finite number; no lead was sent' };
  }
  if (customerKey !== null && customerKey.length > CUSTOMER_KEY_MAX) {
    return { error: `customerKey is longer than ${CUSTOMER_KEY_MAX} characters; no lead was sent` };
  }
  if (clickId === null && customerKey === null) {
    return { error: 'trackLead needs a click id (the visitor\'s cookie, or clickId) or a customerKey; no lead was sent' };
  }

  const programId = programIdOf(options.programId);
  if (programId === undefined) return { error: 'options.programId must be a program id (digits); no lead was sent' };

  return {
    body: {
      click_id: clickId,
      customer_key: customerKey,
      email: emailOf(input.email),
      click_ids: historyOf(jar.get(COOKIE.clickIds)),
      program_id: programId,
      page_url: nonEmpty(input.pageUrl),
      session_id: `server_${randomId()}`,
      has_attribution: clickId !== null,
      debug_mode: false,
      additional_data: input.testMode === true ? { test_mode: true, program_id: programId } : {},
    },
  };
}

/** A number, null when absent, undefined when it is not a program id. */
function programIdOf(value) {
  if (value === undefined || value === null || value === '') return null;
  const text = String(value).trim();
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** The trimmed email when it is plausibly an address (the tracker's rule), else null. */
function emailOf(value) {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const email = value.trim();
  const [local, domain, extra] = email.split('@');
  const plausible =
    extra === undefined && local && domain &&
    !/[\x00-\x20\x7f<>,;"()[\]\\]/.test(email) &&
    domain.includes('.') && domain.split('.').every((label) => label !== '');
  if (plausible) return email;
  console.warn('[Affitor] trackLead(): the email is not a valid address, sending the lead without it');
  return null;
}

function randomId() {
  const bytes = new Uint8Array(10);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('');
}

// ---- delivery with retries ----------------------------------------------------------------

/** Network failures, 408, 429 and 5xx are worth another try (CONTRACT.md §4); the rest is final. */
const retriable = (status) => status === 0 || status === 408 || status === 429 || status >= 500;

/**
 * POSTs `request` until the API answers for good, or `maxWaitMs` is spent. Waits grow from
 * `backoffMs` (doubling, capped, with jitter so many servers do not retry in step), or are what
 * the API's Retry-After says.
 */
async function deliver(request, { fetch: fetchImpl, timeoutMs, maxWaitMs, backoffMs }) {
  const deadline = Date.now() + maxWaitMs;
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(fetchImpl, request, Math.min(timeoutMs, Math.max(1, deadline - Date.now())));
    if (!retriable(outcome.status)) return resultOf(outcome, attempt);
    const wait = outcome.retryAfterMs ?? backoff(attempt, backoffMs);
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

/** Retry-After as delta-seconds or an HTTP date, in ms; null when absent or unreadable. */
function retryAfterMs(header) {
  if (header === null || header === undefined) return null;
  const value = header.trim();
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** Before attempt `attempt + 1`: backoffMs, 2×, 4× … capped, each × a random factor in [0.5, 1). */
function backoff(attempt, backoffMs) {
  const full = Math.min(BACKOFF_CAP_MS, backoffMs * 2 ** Math.min(attempt - 1, 15));
  return Math.round(full * (0.5 + Math.random() / 2));
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
  // A retry after an attempt that may have arrived: "already has a lead" means it did.
  if (attempt > 1 && status === 400 && /already|cannot be updated/i.test(error ?? '')) {
    return { ok: true, status, message: error };
  }
  const result = { ok: false, status, error: error ?? message ?? `the Affitor API answered ${status}` };
  if (message !== undefined && message !== result.error) result.message = message;
  return result;
}

/** Out of time with the API still failing: the lead was not recorded (a server keeps no outbox). */
function giveUp({ status, answer, why }, attempt) {
  const tries = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
  if (status === 0) return { ok: false, error: `the Affitor API could not be reached (${why}; ${tries})` };
  const said = typeof answer.error === 'string' ? `: ${answer.error}` : '';
  return { ok: false, status, error: `the Affitor API answered ${status}${said} (${tries})` };
}
