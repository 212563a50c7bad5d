// The npm package. `npm pack` ships the built tracker, the module entry and
// the declarations, and nothing else; the module entry imported on Node (server-side
// rendering) does nothing, touches no `window` or `document`, and every function is a no-op.
//
//   node --test tests/package.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { consumer, packList, root } from './packed.mjs';

const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

describe('npm pack', () => {
  it('ships dist/, the module entry and the loader code it shares, the declarations, README and LICENSE, and nothing else', async () => {
    const dist = (await readdir(join(root, 'dist'))).map((f) => `dist/${f}`);
    assert.ok(dist.includes('dist/affitor-tracker.js') && dist.includes('dist/affitor_tracker_bg.wasm'), 'dist/ is built');
    const expected = [
      ...dist,
      'LICENSE',
      'README.md',
      'bin/affitor-tracker.mjs',
      'loader/guest.js',
      'loader/install.js',
      'loader/landings.js',
      'loader/leaving.js',
      'loader/loading.js',
      'loader/queue.js',
      'loader/settings.js',
      'loader/work.js',
      'module/index.d.ts',
      'module/index.js',
      'module/react.d.ts',
      'module/react.js',
      'module/server.d.ts',
      'module/server.js',
      'module/server/cookies.js',
      'module/server/delivery.js',
      'module/server/fetch.js',
      'module/server/files.js',
      'module/server/forward.js',
      'module/server/handler.js',
      'module/server/http.js',
      'module/server/lead.js',
      'module/server/node.js',
      'module/server/options.js',
      'module/server/rules.js',
      'package.json',
      'types/global.d.ts',
      'types/tracker.d.ts',
    ].sort();
    assert.deepEqual(packList(), expected);
    assert.ok(dist.includes('dist/affitor-tracker-diagnose.js'), "diagnose()'s module is built and shipped");
  });

  it('points every entry of package.json at a shipped file', () => {
    const shipped = new Set(packList());
    const targets = [pkg.main, pkg.module, pkg.types, pkg.exports['.'].default, pkg.exports['.'].types, pkg.exports['./global'].types, pkg.exports['./react'].default, pkg.exports['./react'].types];
    for (const t of targets) assert.ok(shipped.has(t.replace(/^\.\//, '')), `${t} is in the package`);
  });

  it('the module entry names the package version', async () => {
    const src = await readFile(join(root, 'module', 'index.js'), 'utf8');
    assert.match(src, new RegExp(`const VERSION = '${pkg.version.replaceAll('.', '\\.')}';`));
  });
});

describe('the module entry on Node (no DOM)', () => {
  let site;
  before(async () => {
    site = await consumer();
  });
  after(() => site?.remove());

  it('imports without side effects, and every function is a harmless no-op', () => {
    // A fresh process, as a server renders: the package resolved from node_modules.
    const script = `
      const before = Object.getOwnPropertyNames(globalThis).sort().join();
      const m = await import('affitor-tracker');
      const added = Object.getOwnPropertyNames(globalThis).sort().join() === before ? [] : ['globals changed'];
      const out = {
        exports: Object.keys(m).sort(),
        init: await m.init({ programId: 42 }),
        ready: await m.ready(),
        signup: await m.signup('user_123', 'user@example.com'),
        trackClick: await m.trackClick(),
        forget: await m.forget(),
        getClickId: m.getClickId(),
        getData: m.getData(),
        diagnose: await m.diagnose(),
        window: typeof window,
        document: typeof document,
        added,
      };
      console.log(JSON.stringify(out));
    `;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: site.dir, encoding: 'utf8' }),
    );
    assert.deepEqual(out.exports, ['diagnose', 'forget', 'getClickId', 'getData', 'init', 'ready', 'signup', 'trackClick']);
    assert.equal(out.init, undefined);
    assert.equal(out.ready, undefined);
    assert.deepEqual(out.signup, { ok: false, error: 'not in a browser' });
    assert.deepEqual(out.trackClick, { ok: false, error: 'not in a browser' });
    assert.deepEqual(out.forget, { ok: false, error: 'not in a browser' });
    assert.equal(out.getClickId, null);
    assert.deepEqual(out.getData, { clickId: null, programId: null, hasAttribution: false, affiliateUrl: null });
    assert.equal(out.diagnose.ok, false);
    assert.match(out.diagnose.checks[0].message, /not in a browser/);
    assert.equal(out.window, 'undefined');
    assert.equal(out.document, 'undefined');
    assert.deepEqual(out.added, []);
  });
});
