// A server-rendered site using the tracker's npm package: `node www/examples/ssr/server.mjs`,
// with the dev collector running (`npm start`), then open http://localhost:3000/.
// (PORT and AFFITOR_API_BASE change its port and the API, http://127.0.0.1:8080 by default.)
//
// The signup form posts to the server, which creates the account and renders the welcome page
// (page.mjs) with the new customer's id; in the browser, that page records the signup.
// The browser loads the package's files unbundled, through an import map: /affitor-tracker/ is
// the installed package (module/ and dist/).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { render } from './page.mjs';

const PACKAGE = new URL('..', import.meta.resolve('affitor-tracker')); // …/affitor-tracker/
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

const FORM = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign up: Affitor tracker SSR example</title></head>
<body>
  <h1>Create your account</h1>
  <form method="post" action="/signup">
    <label>Email <input name="email" type="email" required></label>
    <button>Sign up</button>
  </form>
</body>
</html>`;

/** The files the browser may fetch: this page's module and the package's module/ and dist/. */
function staticFile(path) {
  if (path === '/page.mjs') return new URL('./page.mjs', import.meta.url);
  const m = /^\/affitor-tracker\/(module\/index\.js|loader\/[a-z]+\.js|dist\/[\w.-]+)$/.exec(path);
  return m && new URL(m[1], PACKAGE);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

/** Starts the example site; `apiBase` is the tracking API the pages send to. */
export async function start({ port = 3000, host = '127.0.0.1', apiBase = 'http://127.0.0.1:8080' } = {}) {
  const server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    try {
      if (req.method === 'POST' && pathname === '/signup') {
        const email = (await readForm(req)).get('email') || '';
        // Create the account: its id is the customer key, the id payments will name later too.
        const user = { id: `user_${randomUUID().slice(0, 8)}`, email };
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        return res.end(render({ user, apiBase }));
      }
      if (pathname === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        return res.end(FORM);
      }
      const file = staticFile(pathname);
      if (file) {
        const body = await readFile(file);
        res.writeHead(200, { 'Content-Type': TYPES[file.pathname.match(/\.\w+$/)[0]] ?? 'application/octet-stream' });
        return res.end(body);
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Not found');
    } catch (err) {
      res.writeHead(err.code === 'ENOENT' ? 404 : 500, { 'Content-Type': 'text/plain' });
      res.end(String(err.message));
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const site = await start({ port: Number(process.env.PORT) || 3000, apiBase: process.env.AFFITOR_API_BASE });
  console.log(`SSR example running: open http://localhost:${site.port}/`);
}
