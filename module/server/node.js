// The Node adapter, for http.createServer, Express and Connect: the handler's request is built
// from an IncomingMessage, and its Response written back to the ServerResponse.

import { createCore } from './handler.js';
import { plainAddress } from './http.js';

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
  // Several Set-Cookie lines must stay separate lines: Node takes them as an array.
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  const body = head || response.body === null ? null : Buffer.from(await response.arrayBuffer());
  if (body && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body ?? undefined);
}
