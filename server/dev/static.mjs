// Static files: the built tracker under /affitor/ (loadable from any origin, as a tag on another
// site loads it) and the demo site (www/), whose HTML gets this server's address filled in.
import fs from 'node:fs';
import path from 'node:path';
import { HttpError } from './http.mjs';

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

// The tracker's own files (text/javascript, application/wasm by CONTENT_TYPES), as a CDN would
// serve them to any site: a tag on another origin loads them, module scripts and wasm streaming
// included.
const TRACKER_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

/**
 * `serve(req, res, url)` for the non-API paths. `baseUrl()` is the server's own address, for
 * a Host header that cannot go into a page.
 */
export function createStatic({ wwwDir, distDir, baseUrl }) {
  async function serveSite(req, res, url) {
    const rel = url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname;
    // `/signup` → signup.html, `/docs` → docs/index.html, `/demo.css` → itself.
    for (const candidate of [rel, `${rel}.html`, `${rel}/index.html`]) {
      const file = await findFile(wwwDir, candidate);
      if (file) return sendFile(res, file, { host: req.headers.host, csp: url.searchParams.get('csp') });
    }
    throw new HttpError(404, 'Not found');
  }

  async function serveTracker(res, rel) {
    const file = await findFile(distDir, rel);
    if (!file) throw new HttpError(404, 'Not found', TRACKER_HEADERS);
    return sendFile(res, file, { headers: TRACKER_HEADERS });
  }

  /** The HTML placeholder's value: this server as the browser reached it. */
  function apiBaseFor(hostHeader) {
    // Only a plain host[:port] may go into the page; anything else could inject markup.
    if (typeof hostHeader === 'string' && /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(hostHeader)) {
      return `http://${hostHeader}`;
    }
    return baseUrl();
  }

  async function sendFile(res, file, { host, csp, headers: extra = {} }) {
    const ext = path.extname(file).toLowerCase();
    const headers = {
      'Content-Type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
      ...extra,
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

  return {
    async serve(req, res, url) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new HttpError(405, `Method ${req.method} not allowed`, { Allow: 'GET, HEAD' });
      }
      if (url.pathname.startsWith('/affitor/')) return serveTracker(res, url.pathname.slice('/affitor/'.length));
      return serveSite(req, res, url);
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
