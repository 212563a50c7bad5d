// The tracker's own files under the base path: the loader, the glue and the wasm from dist/,
// so the tag is on the site's origin and not on the ad-blockers' lists of tracker hosts.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

// The loader keeps its name across releases: cached briefly. The files it loads are asked for
// with `?v=<build hash>`, so those URLs never change content: cached for good.
const LOADER_FILE = 'affitor-tracker.js';
const SHORT_CACHE = 'public, max-age=300';
const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
// Names like the tracker's files only: no slash, backslash or percent sign can get through, so a
// name can never leave the dist directory.
const TRACKER_FILE = /^affitor[-_]tracker[A-Za-z0-9_.-]*\.(js|wasm)$/;
const CONTENT_TYPES = { js: 'text/javascript; charset=utf-8', wasm: 'application/wasm' };

/** `{ path, name }` of the tracker file that `rest` ("/affitor-tracker.js") names, or null. */
export async function trackerFile(distDir, rest) {
  const name = rest.slice(1);
  if (!TRACKER_FILE.test(name)) return null;
  const path = join(distDir, name);
  try {
    return (await stat(path)).isFile() ? { path, name } : null;
  } catch {
    return null;
  }
}

export async function fileResponse(file, req) {
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
