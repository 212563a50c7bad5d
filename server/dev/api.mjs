// The API under /api/: the public tracking endpoints (docs/contract.md §4–§6) as the real API answers
// them, and the /api/v1/dev/… endpoints for tests and demos (the event log, the request log,
// fault injection and the live stream).
import {
  HttpError,
  isPlainObject,
  loggedBody,
  parseJsonObject,
  readLimitedBody,
  sendJson,
  setCorsHeaders,
} from './http.mjs';
import { customerKeyOf } from './store.mjs';

const COOKIE_WINDOW_DAYS = 60;
// Keeps a long demo session from growing memory without bound; tests reset long before this.
const REQUEST_LOG_LIMIT = 5000;
const PARTNER_CODE = /^[A-Za-z0-9_-]{1,64}$/;

/** A numeric program id from the body or the query, else the API's default program 1. */
function programIdFor(body, url) {
  for (const candidate of [body.program_id, url.searchParams.get('program_id')]) {
    if (candidate !== undefined && candidate !== null && /^\d{1,18}$/.test(String(candidate))) {
      return String(candidate);
    }
  }
  return '1';
}

/** `handle(req, res, url)` for every path under /api. */
export function createApi({ store, faults, sse, sleeper, log }) {
  let requestLog = [];
  // Bumped by a reset: a request stalled across it is dropped, not recorded into the new log.
  let generation = 0;

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
    // A hash-routed app's landing (`/#/signup?aff=X`) carries it in the fragment's query: the
    // tracker sends the full URL (docs/contract.md §5), as it does for any landing.
    const hashQuery = affiliateUrl.hash.split('?')[1] || '';
    const code = affiliateUrl.searchParams.get('aff') || new URLSearchParams(hashQuery).get('aff');
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
    const born = generation;
    const text = await readLimitedBody(req);
    record.body = loggedBody(text);

    const fault = faults.take(endpoint);
    if (fault) {
      record.fault = fault;
      if (fault.stallMs) await sleeper.sleep(fault.stallMs);
      if (fault.drop || born !== generation) {
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
    generation += 1;
    store.clear();
    faults.clear();
    requestLog = [];
    sse.send('reset', {});
    log('[collector] events, faults and request log reset');
    sendJson(res, 200, { success: true });
  }

  async function addFaults(req, res) {
    faults.add(parseJsonObject(req, await readLimitedBody(req)));
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
      aborted: false, // true once the connection closed without an answer (dropped, cancelled)
      at: Date.now(),
      origin: req.headers.origin ?? null,
      contentType: req.headers['content-type'] ?? null,
      // Every header as received (names in lower case): content-type, authorization,
      // user-agent, x-forwarded-for, origin… for tests of what a proxy or server forwards.
      headers: { ...req.headers },
      body: null,
      fault: null,
    };
    requestLog.push(record);
    if (requestLog.length > REQUEST_LOG_LIMIT) requestLog.shift();
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    res.on('close', () => {
      if (record.status === null) record.aborted = true;
    });
    return record;
  }

  // Path → method → handler. OPTIONS (the CORS preflight) is answered for every path here.
  const routes = {
    '/api/v1/track/lead': { POST: (req, res, url, record) => handleTrack(req, res, url, 'lead', record) },
    '/api/v1/track/click': { POST: (req, res, url, record) => handleTrack(req, res, url, 'click', record) },
    '/api/v1/dev/events': { GET: (req, res, url) => listEvents(res, url), DELETE: (req, res) => resetAll(res) },
    '/api/v1/dev/requests': { GET: (req, res) => sendJson(res, 200, requestLog) },
    '/api/v1/dev/faults': { GET: (req, res) => sendJson(res, 200, faults.snapshot()), POST: (req, res) => addFaults(req, res) },
    '/api/v1/dev/stream': { GET: (req, res) => sse.attach(res) },
  };

  return {
    async handle(req, res, url) {
      setCorsHeaders(req, res);
      const record = recordRequest(req, res, url);
      const route = routes[url.pathname];
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
    },
  };
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
