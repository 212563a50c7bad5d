// HTTP helpers of the dev collector: JSON answers, bounded bodies, CORS, cancellable sleeps.

export const BODY_LIMIT_BYTES = 64 * 1024;
const LOGGED_TEXT_LIMIT = 1024;

/** An error that becomes a JSON `{"error": message}` answer with this status. */
export class HttpError extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export const isPlainObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

export function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

export function setCorsHeaders(req, res) {
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
export function readBody(req, limit = BODY_LIMIT_BYTES) {
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

/** The body's text, or the 413 when it is over the limit. */
export async function readLimitedBody(req) {
  const { tooLarge, text } = await readBody(req);
  if (tooLarge) throw new HttpError(413, `Request body exceeds ${BODY_LIMIT_BYTES} bytes`);
  return text;
}

// JSON, or the `text/plain` a beacon carries (docs/contract.md §4: an unloading page cannot make the
// preflight an application/json request needs), whose text is the same JSON.
function isJsonContentType(req) {
  const type = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  return type === 'application/json' || type === 'text/plain';
}

/** The body as a JSON object, or the API's 4xx error for why it is not one. */
export function parseJsonObject(req, text) {
  if (!isJsonContentType(req)) throw new HttpError(415, 'Content-Type must be application/json (or text/plain, from a beacon)');
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Invalid JSON body');
  }
  if (!isPlainObject(value)) throw new HttpError(400, 'Invalid JSON body: expected a JSON object');
  return value;
}

/** What the request log keeps of a body: the JSON value, else the start of the text. */
export function loggedBody(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, LOGGED_TEXT_LIMIT);
  }
}

export function createSleeper() {
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
