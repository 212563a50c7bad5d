// The fetch-style adapter: Next.js route handlers, Hono, Bun, Deno… give a web-standard
// Request and take a Response, so the handler's request is built from it as it is.

import { createCore } from './handler.js';
import { plainAddress } from './http.js';

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

// A Request carries no peer address: each runtime hands it over its own way, if at all.
function clientAddressOf(request, context) {
  try {
    const address =
      context?.clientAddress ?? context?.remoteAddr?.hostname ?? context?.requestIP?.(request)?.address ?? null;
    return typeof address === 'string' ? plainAddress(address) : null;
  } catch {
    return null;
  }
}

/** The body, read as a stream so that an oversized one is cut off at the limit, not buffered. */
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
