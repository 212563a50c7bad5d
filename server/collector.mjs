// The local dev collector: a loopback stand-in for the Affitor tracking API (docs/contract.md §4–§6)
// that also serves the built tracker (/affitor/…) and the demo site (www/).
//
// Zero npm dependencies on purpose: `npm start` and the tests must work on a fresh clone with
// nothing but Node >= 20.
//
// Besides the public API it has a few /api/v1/dev/… endpoints for tests and demos: the event log,
// a log of every tracking request (with its headers), fault injection and a server-sent event
// stream. One module per concern, under dev/:
//
//   dev/api.mjs      the API: tracking endpoints (§4–§6), dev endpoints, request log
//   dev/store.mjs    the event store (events.jsonl) and what it derives
//   dev/faults.mjs   fault injection
//   dev/stream.mjs   the live stream (server-sent events)
//   dev/static.mjs   static files: the tracker under /affitor/, the demo site
//   dev/http.mjs     HTTP helpers shared by them

import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApi } from './dev/api.mjs';
import { createFaults } from './dev/faults.mjs';
import { HttpError, parseJsonObject, readLimitedBody, sendJson, createSleeper } from './dev/http.mjs';
import { createStatic } from './dev/static.mjs';
import { createEventStore } from './dev/store.mjs';
import { createSseHub } from './dev/stream.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function startCollector({
  port = 0,
  host = '127.0.0.1',
  dataDir = path.join(REPO_ROOT, '.affitor-dev'),
  wwwDir = path.join(REPO_ROOT, 'www'),
  distDir = path.join(REPO_ROOT, 'dist'),
  quiet = true,
  faults: initialFaults,
} = {}) {
  const log = (line) => {
    if (!quiet) console.log(line);
  };
  const warn = (line) => console.warn(`[collector] ${line}`);

  const store = createEventStore(dataDir, warn);
  const faults = createFaults();
  if (initialFaults) faults.add(initialFaults);
  const sse = createSseHub();
  const sleeper = createSleeper();
  const api = createApi({ store, faults, sse, sleeper, log });
  let baseUrl;
  const files = createStatic({ wwwDir, distDir, baseUrl: () => baseUrl });
  let signupCount = 0;
  // The demo's accounts, newest last, for tests (in-process only; the demo keeps no users).
  const demoSignups = [];

  /** The demo site's own backend: "create the account" and hand back the new user id. */
  async function demoSignup(req, res) {
    if (req.method !== 'POST') throw new HttpError(405, `Method ${req.method} not allowed`, { Allow: 'POST' });
    const body = parseJsonObject(req, await readLimitedBody(req));
    if (typeof body.email !== 'string' || body.email.trim() === '') throw new HttpError(400, 'email is required');
    // The time prefix keeps ids from repeating across restarts without persisting a counter.
    const userId = `user_${Date.now().toString(36)}_${++signupCount}`;
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    demoSignups.push({ userId, email: body.email.trim() });
    if (demoSignups.length > 100) demoSignups.shift();
    sendJson(res, 200, { userId, email: body.email.trim(), name });
  }

  async function route(req, res) {
    const url = new URL(req.url, 'http://collector.invalid');
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return api.handle(req, res, url);
    if (url.pathname === '/demo/api/signup') return demoSignup(req, res);
    return files.serve(req, res, url);
  }

  async function onRequest(req, res) {
    try {
      await route(req, res);
    } catch (err) {
      if (res.headersSent || res.destroyed) {
        // Nothing useful can be sent any more (e.g. the client aborted); just let it go.
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message }, err.headers);
      } else {
        console.error('[collector] handler failed:', err);
        sendJson(res, 500, { error: 'Internal server error' });
      }
    }
  }

  const server = http.createServer((req, res) => {
    onRequest(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  baseUrl = `http://${urlHost(host)}:${actualPort}`;

  let closing = null;
  return {
    server,
    port: actualPort,
    url: baseUrl,
    events: () => store.all(),
    /** The accounts the demo's backend created: `{ userId, email }`. */
    demoSignups: () => demoSignups.slice(),
    close() {
      closing ??= new Promise((resolve) => {
        sse.closeAll();
        sleeper.cancelAll();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** A host as it goes in a URL: IPv6 in brackets, "any address" as loopback. */
function urlHost(host) {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

// ---------------------------------------------------------------------------------------------
// `node server/collector.mjs`

async function main() {
  const port = Number(process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
    process.exit(1);
  }
  const host = process.env.HOST || '127.0.0.1';
  let faults;
  if (process.env.AFFITOR_FAULTS) {
    try {
      faults = JSON.parse(process.env.AFFITOR_FAULTS);
    } catch {
      console.error('AFFITOR_FAULTS must hold JSON like {"lead":[{"status":503}]}');
      process.exit(1);
    }
  }

  let collector;
  try {
    collector = await startCollector({
      port,
      host,
      dataDir: process.env.AFFITOR_DATA_DIR || path.join(REPO_ROOT, '.affitor-dev'),
      faults,
      quiet: false,
    });
  } catch (err) {
    console.error(`Could not start the collector on ${host}:${port}: ${err.message}`);
    process.exit(1);
  }

  const pageHost = ['127.0.0.1', '0.0.0.0', '::', '::1'].includes(host) ? 'localhost' : urlHost(host);
  console.log(`Affitor demo running: open http://${pageHost}:${collector.port}/`);
  console.log(`Collector API: ${collector.url}/api/v1/track/lead, ${collector.url}/api/v1/dev/events`);
  if (faults) console.log(`Injected faults queued: ${JSON.stringify(faults)}`);

  const stop = async () => {
    await collector.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main();
}
