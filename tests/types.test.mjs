// The TypeScript declarations, checked the way a site's TypeScript meets them.
// tests/types/ holds the documented usages (the snippets of README.md and docs/) and the calls that must be
// refused (each under `// @ts-expect-error`, so a declaration that accepts one fails tsc too).
// They are compiled with `tsc --noEmit` inside a project that has the packed package installed,
// under both the bundler and Node's own module resolution.
//
//   node --test tests/types.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { consumer, root } from './packed.mjs';

const TSC = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

let site;
before(async () => {
  site = await consumer();
  await cp(join(root, 'tests', 'types'), site.dir, { recursive: true });
});
after(() => site?.remove());

function tsc(project) {
  const r = spawnSync(process.execPath, [TSC, '--noEmit', '-p', join(site.dir, project)], {
    cwd: site.dir,
    encoding: 'utf8',
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('TypeScript declarations', () => {
  it('accept the documented usages and refuse the rest (moduleResolution: bundler)', () => {
    const { status, output } = tsc('tsconfig.json');
    assert.equal(status, 0, output);
  });

  it('accept the documented usages and refuse the rest (moduleResolution: nodenext)', () => {
    const { status, output } = tsc('tsconfig.nodenext.json');
    assert.equal(status, 0, output);
  });

  it('are tested against the calls the issue names', async () => {
    const invalid = await readFile(join(root, 'tests', 'types', 'invalid.ts'), 'utf8');
    for (const call of ['signup(123n);', 'signup();', 'window.affitor?.signup(123n);', 'window.affitor?.signup();']) {
      const line = invalid.split('\n').findIndex((l) => l === call);
      assert.ok(line > 0, `invalid.ts has the line ${call}`);
      assert.match(invalid.split('\n')[line - 1], /^\/\/ @ts-expect-error /, `${call} is expected to be an error`);
    }
  });
});
