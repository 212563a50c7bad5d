// The options of createHandler(), nodeMiddleware() and trackLead(), checked once: a site with a
// typo in its options hears it at startup (a TypeError), not from a visitor's lost click.

import { fileURLToPath } from 'node:url';

export const DEFAULT_API_BASE = 'https://api.affitor.com';
const DEFAULT_BASE_PATH = '/affitor';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_WAIT_MS = 30_000;
const DEFAULT_BACKOFF_MS = 1_000;
// The package's own build, beside module/.
const DIST_DIR = fileURLToPath(new URL('../../dist/', import.meta.url));

/** `apiBase` as an origin (plus an optional path), without a trailing slash; throws if invalid. */
export function apiBaseOption(value = DEFAULT_API_BASE) {
  let url;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError(`affitor-tracker/server: apiBase is not a URL: ${value}`);
  }
  // Credentials or a query in it would be sent to, or leak into, every forwarded request.
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

/** The first-party handler's options (both adapters), with their defaults. */
export function handlerOptions(options = {}) {
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

/** trackLead's delivery options, with their defaults. */
export function leadOptions(options) {
  return {
    apiBase: apiBaseOption(options.apiBase ?? DEFAULT_API_BASE),
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: positiveMs(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs'),
    maxWaitMs: positiveMs(options.maxWaitMs, DEFAULT_MAX_WAIT_MS, 'maxWaitMs'),
    backoffMs: positiveMs(options.backoffMs, DEFAULT_BACKOFF_MS, 'backoffMs'),
  };
}
