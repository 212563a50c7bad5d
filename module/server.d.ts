// affitor-tracker/server: first-party mode and server-side leads. Node >= 20, no dependencies.
// `Request`, `Response` and `fetch` are the web-standard globals (lib "dom", or @types/node).
import type { AffitorResult } from '../types/tracker.js';

export type { AffitorResult } from '../types/tracker.js';

/** Options of `createHandler()` and `nodeMiddleware()`. */
export interface HandlerOptions {
  /** Where the two track endpoints are forwarded. Default: `https://api.affitor.com`. */
  apiBase?: string;
  /** The path the handler answers under, also the tag's `data-affitor-api-base` path. Default: `/affitor`. */
  basePath?: string;
  /**
   * The server sits behind a proxy you run (a load balancer, a CDN): its `X-Forwarded-For` is
   * kept (the visitor's address appended) and its `X-Forwarded-Proto: https` makes the cookies
   * `Secure`. Default `false`: the socket's address only, and `Secure` only for an https request URL.
   */
  trustProxy?: boolean;
  /** The `Domain` of the click cookies, e.g. `.example.com` to share them with `app.example.com`. Default: host-only. */
  cookieDomain?: string;
  /** How long the API may take to answer a forwarded request before the page gets a 504. Default: 10000. */
  timeoutMs?: number;
  /** Where the tracker's files are. Default: the package's `dist/`. */
  distDir?: string;
  /** The fetch used to reach the API. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/**
 * What `createHandler()`'s function may get as its second argument: the visitor's address as
 * `clientAddress`, or Deno's `info` (`remoteAddr.hostname`) or Bun's `server` (`requestIP()`).
 */
export interface HandlerContext {
  clientAddress?: string;
  remoteAddr?: { hostname?: string };
  requestIP?(request: Request): { address: string } | null;
}

/**
 * The JSON a successful click answer carries back to the page through the handler: the API's
 * answer plus `cookies_set_by_server: true`, which tells the tracker that the response's
 * `Set-Cookie` wrote the click cookies (with the program's full lifetime) and that it must
 * not rewrite them from JavaScript, where Safari and Brave would cap them at 7 days.
 */
export interface FirstPartyClickAnswer {
  success: true;
  click_id: string;
  partner_code?: string;
  cookie_window_days?: number;
  cookies_set_by_server: true;
  [field: string]: unknown;
}

/**
 * A fetch-style handler for Next.js route handlers, Hono, Bun, Deno…: serves the tracker's files
 * under `basePath` and forwards `POST {basePath}/api/v1/track/click` and `…/lead`. Resolves
 * `undefined` for a path outside `basePath`, so the caller can answer it; 404 for any other
 * path under it. A successful click answer sets the click cookies with `Set-Cookie` and carries
 * `cookies_set_by_server: true` (see `FirstPartyClickAnswer`). Throws a TypeError at once for
 * invalid options.
 */
export function createHandler(
  options?: HandlerOptions,
): (request: Request, context?: HandlerContext | object) => Promise<Response | undefined>;

/**
 * What the middleware uses of Node's `IncomingMessage` (Express's and Connect's requests are
 * ones): declared here so that the types need no `@types/node`.
 */
export interface NodeRequest {
  method?: string;
  url?: string;
  /** Express: the URL before a mount path was taken off `url`. */
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What the middleware uses of Node's `ServerResponse`. */
export interface NodeResponse {
  readonly headersSent: boolean;
  writeHead(...args: any[]): unknown;
  end(...args: any[]): unknown;
}

/**
 * The same as Node middleware, for `http.createServer`, Express and Connect: answers under
 * `basePath`, calls `next()` for every other path (answers 404 there without a `next`). Mount
 * it before body parsers (if one ran first, its `req.body` is used).
 */
export function nodeMiddleware(
  options?: HandlerOptions,
): (req: NodeRequest, res: NodeResponse, next?: (err?: unknown) => void) => void;

/** What the backend knows about the signup. */
export interface LeadInput {
  /** The visitor's `Cookie` header (`req.headers.cookie`): the click id and history are read from it. */
  cookie?: string | null;
  /** The click id, when the backend has it from elsewhere; wins over the cookie. */
  clickId?: string | null;
  /** Your id for this customer, the one later payments are sent with. */
  customerKey?: string | number | null;
  /** Optional; dropped (with a console warning) when it is not plausibly an address. */
  email?: string | null;
  /** The page the signup came from, if known; sent as `page_url` (else null). */
  pageUrl?: string | null;
  /** Mark the lead as a test (`additional_data.test_mode`). */
  testMode?: boolean;
}

export interface LeadOptions {
  /** The program's API key, sent as `Authorization: Bearer`. Never give it to a browser. */
  apiKey: string;
  /** Default: `https://api.affitor.com`. */
  apiBase?: string;
  /** Your program id (digits), sent as `program_id`. */
  programId?: string | number;
  /** How long one attempt may take. Default: 10000. */
  timeoutMs?: number;
  /** How long all attempts (retries of network errors, 408, 429, 5xx) may take together. Default: 30000. */
  maxWaitMs?: number;
  /** The first retry's wait, doubling after each failure (with jitter). Default: 1000. */
  backoffMs?: number;
  /** The fetch used to reach the API. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/**
 * Sends a lead from your backend (Affitor's Lead API), the click id read from the visitor's
 * cookie. Resolves the same result object as the browser's `signup()`; never throws, never
 * rejects. A missing `apiKey`, or neither a click id nor a `customerKey`: `{ ok: false, error }`
 * and nothing is sent. A server keeps no outbox: when the API stays unreachable past
 * `maxWaitMs`, the result is `ok: false` (never `queued`).
 */
export function trackLead(input: LeadInput, options: LeadOptions): Promise<AffitorResult>;
