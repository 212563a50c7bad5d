// The local dev collector: a loopback stand-in for the Affitor tracking API (CONTRACT.md §4–§6)
// that also serves the built tracker (/affitor/…) and the demo site (www/).
//
// Zero npm dependencies on purpose: `npm start` and the tests must work on a fresh clone with
// nothing but Node >= 20.
//
// Besides the public API it has a few /api/v1/dev/… endpoints for tests and demos: the event log,
// a log of every tracking request, fault injection and a server-sent event stream.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const BODY_LIMIT_BYTES = 64 * 1024;
const COOKIE_WINDOW_DAYS = 60;
const SSE_PING_MS = 15_000;
// Keeps a long demo session from growing memory without bound; tests reset long before this.
const REQUEST_LOG_LIMIT = 5000;
const LOGGED_TEXT_LIMIT = 1024;
const PARTNER_CODE = /^[A-Za-z0-9_-]{1,64}$/;
const API_BASE_PLACEHOLDER = /%AFFITOR_API_BASE%/g;

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

const FAULT_KEYS = new Set(['status', 'retryAfter', 'stallMs', 'drop']);

/** An error that becomes a JSON `{"error": message}` answer with this status. */
class HttpError extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

const isPlainObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Event log: JSON Lines on disk, mirrored in memory, plus the state derived from it (issued click
// ids, customers that already have a lead) so that a restart changes nothing.

function createEventStore(dataDir, warn) {
  const file = path.join(dataDir, 'events.jsonl');
  fs.mkdirSync(dataDir, { recursive: true });

  let entries = [];
  let issuedClickIds = new Set();
  let leadCustomers = new Set();
  let lastClickMillis = 0;
  let seq = 0;

  function index(entry) {
    if (entry.type === 'click' && typeof entry.response?.click_id === 'string') {
      issuedClickIds.add(entry.response.click_id);
      const millis = Number(entry.response.click_id.split('_').pop());
      if (Number.isFinite(millis)) lastClickMillis = Math.max(lastClickMillis, millis);
    }
    if (entry.type === 'lead' && !entry.test_mode) {
      const key = leadKey(entry.body);
      if (key) leadCustomers.add(key);
    }
  }

  function load() {
    if (!fs.existsSync(file)) return;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        warn(`events.jsonl line ${i + 1} is not JSON; skipped`);
        return;
      }
      if (!isPlainObject(entry) || !['lead', 'click'].includes(entry.type) || !isPlainObject(entry.body)) {
        warn(`events.jsonl line ${i + 1} is not an event; skipped`);
        return;
      }
      entries.push(entry);
      index(entry);
    });
    seq = entries.length;
  }

  load();

  return {
    all: () => entries.slice(),
    newId: () => `evt_${Date.now().toString(36)}_${(++seq).toString(36)}`,
    isIssuedClickId: (id) => issuedClickIds.has(id),
    hasLead: (body) => leadCustomers.has(leadKey(body)),
    /** A click id in the API's `cust_<program>_<millis>` form, unique even within a millisecond. */
    nextClickId(program) {
      lastClickMillis = Math.max(Date.now(), lastClickMillis + 1);
      return `cust_${program}_${lastClickMillis}`;
    },
    append(entry) {
      // Synchronous on purpose: the line is on disk before the client hears "success", and
      // appends never interleave with a reset's truncation.
      fs.appendFileSync(file, JSON.stringify(entry) + '\n');
      entries.push(entry);
      index(entry);
    },
    clear() {
      fs.writeFileSync(file, '');
      entries = [];
      issuedClickIds = new Set();
      leadCustomers = new Set();
    },
  };
}

/** "Already has a lead" is per customer within a program; no customer_key means no such rule. */
function leadKey(body) {
  const customer = customerKeyOf(body);
  if (customer === null) return null;
  return `${body.program_id ?? ''}\u0000${customer}`;
}

/** The customer_key as the API sees it: a string (a number counts), or null when absent/empty. */
function customerKeyOf(body) {
  const key = body.customer_key;
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  if (typeof key === 'string' && key.trim() !== '') return key;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Fault injection: per-endpoint FIFO queues, each lead/click POST consumes one fault.

function parseFault(fault, where) {
  const bad = (why) => new HttpError(400, `${where}: ${why}`);
  if (!isPlainObject(fault)) throw bad('each fault must be an object');
  const keys = Object.keys(fault);
  if (keys.length === 0 || keys.some((k) => !FAULT_KEYS.has(k))) {
    throw bad('a fault has one or more of status, retryAfter, stallMs, drop');
  }
  if ('status' in fault && !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599)) {
    throw bad('status must be an integer from 400 to 599');
  }
  if ('retryAfter' in fault && !(Number.isInteger(fault.retryAfter) && fault.retryAfter >= 0 && 'status' in fault)) {
    throw bad('retryAfter must be a non-negative integer, given with a status');
  }
  if ('stallMs' in fault && !(Number.isFinite(fault.stallMs) && fault.stallMs >= 0)) {
    throw bad('stallMs must be a non-negative number');
  }
  if ('drop' in fault && fault.drop !== true) throw bad('drop must be true');
  if ('drop' in fault && 'status' in fault) throw bad('a fault cannot both drop and answer a status');
  return { ...fault };
}

function createFaults() {
  const queues = { lead: [], click: [] };
  let preflightDelayMs = 0;

  return {
    snapshot: () => ({ lead: queues.lead.slice(), click: queues.click.slice(), preflightDelayMs }),
    take: (endpoint) => queues[endpoint].shift() ?? null,
    get preflightDelayMs() {
      return preflightDelayMs;
    },
    /** Validates everything first, so a bad request queues nothing. */
    add(spec) {
      if (!isPlainObject(spec)) throw new HttpError(400, 'Faults must be a JSON object');
      const unknown = Object.keys(spec).filter((k) => !['lead', 'click', 'preflightDelayMs'].includes(k));
      if (unknown.length) throw new HttpError(400, `Unknown fault keys: ${unknown.join(', ')}`);
      const parsed = {};
      for (const endpoint of ['lead', 'click']) {
        if (spec[endpoint] === undefined) continue;
        if (!Array.isArray(spec[endpoint])) throw new HttpError(400, `${endpoint} must be an array of faults`);
        parsed[endpoint] = spec[endpoint].map((f, i) => parseFault(f, `${endpoint}[${i}]`));
      }
      const delay = spec.preflightDelayMs;
      if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0)) {
        throw new HttpError(400, 'preflightDelayMs must be a non-negative number');
      }
      for (const endpoint of Object.keys(parsed)) queues[endpoint].push(...parsed[endpoint]);
      if (delay !== undefined) preflightDelayMs = delay;
    },
    clear() {
      queues.lead = [];
      queues.click = [];
      preflightDelayMs = 0;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Server-sent events for the demo's live panel.

function createSseHub() {
  const clients = new Set();
  const ping = setInterval(() => broadcastRaw(': ping\n\n'), SSE_PING_MS);
  ping.unref();

  function broadcastRaw(text) {
    for (const res of clients) res.write(text);
  }

  return {
    attach(res) {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write('retry: 2000\n\n');
      clients.add(res);
      res.on('close', () => clients.delete(res));
    },
    send: (event, data) => broadcastRaw(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    closeAll() {
      clearInterval(ping);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers.

function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function setCorsHeaders(req, res) {
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin || '*');
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
  // 0 so that a browser preflights every request and tests see (and can delay) each preflight.
  res.setHeader('Access-Control-Max-Age', '0');
  res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
}

/**
 * Reads the body up to `limit` bytes. Past the limit it stops keeping data and resolves
 * `{ tooLarge: true }`; the rest of the upload is drained and discarded, so the client still
 * reads the 413 instead of a connection reset, and memory stays bounded.
 */
function readBody(req, limit = BODY_LIMIT_BYTES) {
  if (Number(req.headers['content-length']) > limit) {
    req.resume();
    return Promise.resolve({ tooLarge: true, text: null });
  }
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let done = false;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      fn(value);
    };
    const onData = (chunk) => {
      size += chunk.length;
      if (size > limit) {
        finish(resolve, { tooLarge: true, text: null });
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => finish(resolve, { tooLarge: false, text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', (err) => finish(reject, err));
    // 'close' before 'end' means the client went away mid-upload.
    req.on('close', () => finish(reject, new Error('client aborted the request')));
  });
}

function isJsonContentType(req) {
  const type = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  return type === 'application/json';
}

/** The body as a JSON object, or the API's 4xx error for why it is not one. */
function parseJsonObject(req, text) {
  if (!isJsonContentType(req)) throw new HttpError(415, 'Content-Type must be application/json');
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Invalid JSON body');
  }
  if (!isPlainObject(value)) throw new HttpError(400, 'Invalid JSON body: expected a JSON object');
  return value;
}

const LOGGED_HEADERS = ['authorization', 'cookie', 'user-agent', 'x-forwarded-for'];

/** The request log's headers: those of LOGGED_HEADERS the request has. */
function loggedHeaders(req) {
  const out = {};
  for (const name of LOGGED_HEADERS) if (req.headers[name] !== undefined) out[name] = req.headers[name];
  return out;
}

/** What the request log keeps of a body: the JSON value, else the start of the text. */
function loggedBody(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, LOGGED_TEXT_LIMIT);
  }
}

function createSleeper() {
  const timers = new Set();
  return {
    sleep: (ms) =>
      new Promise((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms);
        timers.add(t);
      }),
    // On close: a stalled request's socket is destroyed anyway; don't keep the process alive.
    cancelAll() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

/** A numeric program id from the body or the query, else the API's default program 1. */
function programIdFor(body, url) {
  for (const candidate of [body.program_id, url.searchParams.get('program_id')]) {
    if (candidate !== undefined && candidate !== null && /^\d{1,18}$/.test(String(candidate))) {
      return String(candidate);
    }
  }
  return '1';
}

// ---------------------------------------------------------------------------------------------
// The collector.

export async function startCollector({
  port = 0,
  host = '127.0.0.1',
  dataDir = path.join(REPO_ROOT, '.affitor-dev'),
  wwwDir = path.join(REPO_ROOT, 'www'),
  distDir = path.join(REPO_ROOT, 'dist'),
  quiet = true,
  faults: initialFaults,
} = {}) {
  const log = (line) => {
    if (!quiet) console.log(line);
  };
  const warn = (line) => console.warn(`[collector] ${line}`);

  const store = createEventStore(dataDir, warn);
  const faults = createFaults();
  if (initialFaults) faults.add(initialFaults);
  const sse = createSseHub();
  const sleeper = createSleeper();
  let requestLog = [];
  let signupCount = 0;

  function accept(type, req, body, response, testMode) {
    const entry = {
      type,
      received_at: new Date().toISOString(),
      id: response.data?.eventId ?? store.newId(),
      test_mode: testMode,
      origin: req.headers.origin ?? null,
      body,
      response,
    };
    store.append(entry);
    sse.send('tracked', entry);
    log(describe(entry));
    return entry;
  }

  // ---- tracking endpoints --------------------------------------------------------------------

  function trackLead(req, body) {
    const additional = isPlainObject(body.additional_data) ? body.additional_data : {};
    if (additional.test_mode === true) {
      const eventId = store.newId();
      const response = {
        success: true,
        message: 'Test lead event tracked successfully',
        data: { eventId, programId: additional.program_id ?? body.program_id ?? null, test_mode: true },
      };
      accept('lead', req, body, response, true);
      return response;
    }

    const clickId = typeof body.click_id === 'string' && body.click_id.trim() !== '' ? body.click_id : null;
    const customerKey = customerKeyOf(body);
    if (clickId === null && customerKey === null) {
      throw new HttpError(400, 'click_id or customer_key is required');
    }
    if (customerKey !== null && store.hasLead(body)) {
      throw new HttpError(400, `Customer ${customerKey} already has a lead event and cannot be updated to lead`);
    }
    const response = { success: true, message: 'Lead event tracked successfully' };
    // Like the API: a lead without a click this server handed out is kept, but only provisionally.
    if (clickId === null || !store.isIssuedClickId(clickId)) response.provisional = true;
    accept('lead', req, body, response, false);
    return response;
  }

  function trackClick(req, body, url) {
    if (typeof body.affiliate_url !== 'string' || body.affiliate_url.trim() === '') {
      throw new HttpError(400, 'affiliate_url is required');
    }
    let affiliateUrl;
    try {
      affiliateUrl = new URL(body.affiliate_url);
    } catch {
      throw new HttpError(400, 'affiliate_url is not a valid URL');
    }
    const code = affiliateUrl.searchParams.get('aff');
    if (!code) throw new HttpError(400, 'affiliate_url has no aff parameter');
    if (!PARTNER_CODE.test(code)) throw new HttpError(400, 'affiliate_url has an invalid aff parameter');
    // Rejected links are answered but not logged as events: the log holds accepted events only.
    if (code.startsWith('INACTIVE')) return { success: false, message: 'Affiliate link is inactive' };

    const response = {
      success: true,
      click_id: store.nextClickId(programIdFor(body, url)),
      partner_code: code,
      cookie_window_days: COOKIE_WINDOW_DAYS,
    };
    accept('click', req, body, response, false);
    return response;
  }

  /** Shared by lead and click: body limit, then an injected fault if one is queued, then JSON. */
  async function handleTrack(req, res, url, endpoint, record) {
    const { tooLarge, text } = await readBody(req);
    if (tooLarge) throw new HttpError(413, `Request body exceeds ${BODY_LIMIT_BYTES} bytes`);
    record.body = loggedBody(text);

    const fault = faults.take(endpoint);
    if (fault) {
      record.fault = fault;
      if (fault.stallMs) await sleeper.sleep(fault.stallMs);
      if (fault.drop) {
        // No answer at all: the browser sees a network error.
        req.socket.destroy();
        return;
      }
      if (fault.status) {
        const headers = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
        throw new HttpError(fault.status, 'Injected failure', headers);
      }
    }

    const body = parseJsonObject(req, text);
    const response = endpoint === 'lead' ? trackLead(req, body) : trackClick(req, body, url);
    sendJson(res, 200, response);
  }

  // ---- dev endpoints -------------------------------------------------------------------------

  function listEvents(res, url) {
    const type = url.searchParams.get('type');
    if (type !== null && type !== 'lead' && type !== 'click') {
      throw new HttpError(400, 'type must be lead or click');
    }
    let events = store.all();
    const since = url.searchParams.get('since');
    if (since) {
      // An unknown id (e.g. from before a reset) returns everything, so a poller catches up.
      const at = events.findIndex((e) => e.id === since);
      if (at >= 0) events = events.slice(at + 1);
    }
    if (type) events = events.filter((e) => e.type === type);
    sendJson(res, 200, events);
  }

  function resetAll(res) {
    store.clear();
    faults.clear();
    requestLog = [];
    sse.send('reset', {});
    log('[collector] events, faults and request log reset');
    sendJson(res, 200, { success: true });
  }

  async function addFaults(req, res) {
    const { tooLarge, text } = await readBody(req);
    if (tooLarge) throw new HttpError(413, `Request body exceeds ${BODY_LIMIT_BYTES} bytes`);
    faults.add(parseJsonObject(req, text));
    sendJson(res, 200, faults.snapshot());
  }

  // ---- routing -------------------------------------------------------------------------------

  /** Logs a request to the tracking API (not to the dev endpoints, which would drown it out). */
  function recordRequest(req, res, url) {
    if (url.pathname.startsWith('/api/v1/dev/')) return null;
    const record = {
      method: req.method,
      path: url.pathname + url.search,
      status: null, // stays null when the request was dropped or is still in flight
      at: Date.now(),
      origin: req.headers.origin ?? null,
      contentType: req.headers['content-type'] ?? null,
      // What a first-party proxy must pass on (or hold back), and a server-side lead's key.
      headers: loggedHeaders(req),
      body: null,
      fault: null,
    };
    requestLog.push(record);
    if (requestLog.length > REQUEST_LOG_LIMIT) requestLog.shift();
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    return record;
  }

  // Path → method → handler. OPTIONS (the CORS preflight) is answered for every path here.
  const apiRoutes = {
    '/api/v1/track/lead': { POST: (req, res, url, record) => handleTrack(req, res, url, 'lead', record) },
    '/api/v1/track/click': { POST: (req, res, url, record) => handleTrack(req, res, url, 'click', record) },
    '/api/v1/dev/events': { GET: (req, res, url) => listEvents(res, url), DELETE: (req, res) => resetAll(res) },
    '/api/v1/dev/requests': { GET: (req, res) => sendJson(res, 200, requestLog) },
    '/api/v1/dev/faults': { GET: (req, res) => sendJson(res, 200, faults.snapshot()), POST: (req, res) => addFaults(req, res) },
    '/api/v1/dev/stream': { GET: (req, res) => sse.attach(res) },
  };

  async function handleApi(req, res, url) {
    setCorsHeaders(req, res);
    const record = recordRequest(req, res, url);
    const route = apiRoutes[url.pathname];
    if (!route) throw new HttpError(404, `No API endpoint ${url.pathname}`);

    if (req.method === 'OPTIONS') {
      const delay = faults.preflightDelayMs;
      if (delay > 0) {
        if (record) record.fault = { preflightDelayMs: delay };
        await sleeper.sleep(delay);
      }
      res.writeHead(204);
      res.end();
      return;
    }
    if (!Object.hasOwn(route, req.method)) {
      throw new HttpError(405, `Method ${req.method} not allowed`, { Allow: [...Object.keys(route), 'OPTIONS'].join(', ') });
    }
    return route[req.method](req, res, url, record);
  }

  /** The demo site's own backend: "create the account" and hand back the new user id. */
  async function demoSignup(req, res) {
    if (req.method !== 'POST') throw new HttpError(405, `Method ${req.method} not allowed`, { Allow: 'POST' });
    const { tooLarge, text } = await readBody(req);
    if (tooLarge) throw new HttpError(413, `Request body exceeds ${BODY_LIMIT_BYTES} bytes`);
    const body = parseJsonObject(req, text);
    if (typeof body.email !== 'string' || body.email.trim() === '') throw new HttpError(400, 'email is required');
    // The time prefix keeps ids from repeating across restarts without persisting a counter.
    const userId = `user_${Date.now().toString(36)}_${++signupCount}`;
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    sendJson(res, 200, { userId, email: body.email.trim(), name });
  }

  async function route(req, res) {
    const url = new URL(req.url, 'http://collector.invalid');
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return handleApi(req, res, url);
    if (url.pathname === '/demo/api/signup') return demoSignup(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, `Method ${req.method} not allowed`, { Allow: 'GET, HEAD' });
    }
    if (url.pathname.startsWith('/affitor/')) {
      return serveFile(res, distDir, url.pathname.slice('/affitor/'.length));
    }
    return serveSite(req, res, url);
  }

  async function onRequest(req, res) {
    try {
      await route(req, res);
    } catch (err) {
      if (res.headersSent || res.destroyed) {
        // Nothing useful can be sent any more (e.g. the client aborted); just let it go.
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message }, err.headers);
      } else {
        console.error('[collector] handler failed:', err);
        sendJson(res, 500, { error: 'Internal server error' });
      }
    }
  }

  // ---- static files --------------------------------------------------------------------------

  async function serveSite(req, res, url) {
    const rel = url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname;
    // `/signup` → signup.html, `/docs` → docs/index.html, `/demo.css` → itself.
    for (const candidate of [rel, `${rel}.html`, `${rel}/index.html`]) {
      const file = await findFile(wwwDir, candidate);
      if (file) return sendFile(res, file, { host: req.headers.host, csp: url.searchParams.get('csp') });
    }
    throw new HttpError(404, 'Not found');
  }

  async function serveFile(res, root, rel) {
    const file = await findFile(root, rel);
    if (!file) throw new HttpError(404, 'Not found');
    return sendFile(res, file, {});
  }

  /** The HTML placeholder's value: this server as the browser reached it. */
  function apiBaseFor(hostHeader) {
    // Only a plain host[:port] may go into the page; anything else could inject markup.
    if (typeof hostHeader === 'string' && /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(hostHeader)) {
      return `http://${hostHeader}`;
    }
    return baseUrl;
  }

  async function sendFile(res, file, { host, csp }) {
    const ext = path.extname(file).toLowerCase();
    const headers = {
      'Content-Type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
    };
    let body = await fs.promises.readFile(file);
    if (ext === '.html') {
      body = Buffer.from(body.toString('utf8').replace(API_BASE_PLACEHOLDER, apiBaseFor(host)));
      // Test hook: `?csp=` puts that policy on the page.
      if (csp !== null && csp !== undefined) {
        if (/[^\x20-\x7e]/.test(csp)) throw new HttpError(400, 'csp must be printable ASCII');
        headers['Content-Security-Policy'] = csp;
      }
    }
    headers['Content-Length'] = body.length;
    res.writeHead(200, headers);
    res.end(body);
  }

  // ---- start ---------------------------------------------------------------------------------

  const server = http.createServer((req, res) => {
    onRequest(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  const baseUrl = `http://${urlHost(host)}:${actualPort}`;

  let closing = null;
  return {
    server,
    port: actualPort,
    url: baseUrl,
    events: () => store.all(),
    close() {
      closing ??= new Promise((resolve) => {
        sse.closeAll();
        sleeper.cancelAll();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * The file under `root` that the URL path `rel` names, or null. Resolving and then checking the
 * prefix makes `..`, encoded slashes and absolute paths unable to leave `root`.
 */
async function findFile(root, rel) {
  let decoded;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const base = path.resolve(root);
  const file = path.resolve(base, `.${path.sep}${decoded}`);
  if (!file.startsWith(base + path.sep)) return null;
  try {
    return (await fs.promises.stat(file)).isFile() ? file : null;
  } catch {
    return null;
  }
}

/** A host as it goes in a URL: IPv6 in brackets, "any address" as loopback. */
function urlHost(host) {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** One console line per accepted event. */
function describe(entry) {
  const b = entry.body;
  if (entry.type === 'click') {
    return `[collector] click  partner=${entry.response.partner_code} click_id=${entry.response.click_id} url=${b.affiliate_url}`;
  }
  const flags = [entry.test_mode && 'test mode', entry.response.provisional && 'provisional'].filter(Boolean);
  return (
    `[collector] lead   customer_key=${b.customer_key ?? '-'} email=${b.email ?? '-'} click_id=${b.click_id ?? '-'}` +
    (flags.length ? ` (${flags.join(', ')})` : '')
  );
}

// ---------------------------------------------------------------------------------------------
// `node server/collector.mjs`

async function main() {
  const port = Number(process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
    process.exit(1);
  }
  const host = process.env.HOST || '127.0.0.1';
  let faults;
  if (process.env.AFFITOR_FAULTS) {
    try {
      faults = JSON.parse(process.env.AFFITOR_FAULTS);
    } catch {
      console.error('AFFITOR_FAULTS must hold JSON like {"lead":[{"status":503}]}');
      process.exit(1);
    }
  }

  let collector;
  try {
    collector = await startCollector({
      port,
      host,
      dataDir: process.env.AFFITOR_DATA_DIR || path.join(REPO_ROOT, '.affitor-dev'),
      faults,
      quiet: false,
    });
  } catch (err) {
    console.error(`Could not start the collector on ${host}:${port}: ${err.message}`);
    process.exit(1);
  }

  const pageHost = ['127.0.0.1', '0.0.0.0', '::', '::1'].includes(host) ? 'localhost' : urlHost(host);
  console.log(`Affitor demo running: open http://${pageHost}:${collector.port}/`);
  console.log(`Collector API: ${collector.url}/api/v1/track/lead, ${collector.url}/api/v1/dev/events`);
  if (faults) console.log(`Injected faults queued: ${JSON.stringify(faults)}`);

  const stop = async () => {
    await collector.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main();
}
