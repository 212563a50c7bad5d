// The first-party handler, behind both adapters (node.js, fetch.js). It sees a request either
// adapter describes the same way:
//   { method, url: URL, headers: Headers, clientAddress, encrypted, readBody(limit) }
// where `readBody` resolves `{ tooLarge: true }` past the limit, else `{ bytes: Uint8Array }`;
// and it resolves a web-standard Response, or undefined for a path outside `basePath`.

import { fileResponse, trackerFile } from './files.js';
import { TRACK_PATHS, trackEndpoint } from './forward.js';
import { json } from './http.js';
import { handlerOptions } from './options.js';

export function createCore(options) {
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
      // Nothing else under the base path: this is not an open proxy.
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
