// affitor-tracker/server: first-party mode and server-side leads (docs/contract.md §7).
//
//   import { createHandler, nodeMiddleware, trackLead } from 'affitor-tracker/server';
//
// - createHandler(options): fetch-style, (Request) => Promise<Response | undefined>, for Next.js
//   route handlers, Hono, Bun, Deno…; `undefined` for a path outside `basePath`.
// - nodeMiddleware(options): the same for Node's http, Express and Connect.
// - trackLead(input, options): a lead sent by the site's backend, with the program's API key.
//
// Under `basePath` the handler serves the tracker's own files and forwards the two track
// endpoints, and nothing else: it is not an open proxy. A click answered through it gets its
// cookies from the server's `Set-Cookie`, which Safari (ITP) and Brave do not cap at 7 days as
// they cap cookies written by scripts; and the tag, on the site's own origin, is not on the
// ad-blockers' lists of tracker hosts.
//
// No dependencies on purpose: Node >= 20's built-ins and the web-standard fetch/Request/Response,
// so the same code runs in any server and the package adds nothing to a site's supply chain.
// One module per concern, under server/:
//
//   server/fetch.js     the fetch-style adapter (createHandler)
//   server/node.js      the Node adapter (nodeMiddleware)
//   server/handler.js   what both adapters call: routing under basePath, errors as 500s
//   server/files.js     the tracker's files from dist/, with their caching
//   server/forward.js   the two track endpoints, forwarded to the API
//   server/cookies.js   the click cookies a successful click answer sets
//   server/lead.js      trackLead: its input, checked, as the §4 body
//   server/delivery.js  trackLead's attempts, retries and result
//   server/rules.js     the rules shared with the Rust tracker (tests/cases/rules.json)
//   server/options.js   the options, checked, with their defaults
//   server/http.js      small helpers the others share

import { trackLead as sendLead } from './server/lead.js';

export { createHandler } from './server/fetch.js';
export { nodeMiddleware } from './server/node.js';

// The package's version (tests hold it to package.json's), in trackLead's User-Agent.
const VERSION = '0.1.0';

/**
 * Sends a lead from the site's backend (Affitor's Lead API, docs/contract.md §4 body, Bearer
 * key). Resolves the same result object as the browser's `signup()`; never throws, never rejects.
 */
export function trackLead(input = {}, options = {}) {
  return sendLead(input, options, `affitor-tracker/${VERSION} (server)`);
}
