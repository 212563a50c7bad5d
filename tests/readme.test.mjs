// README.md's snippets are the ones the tests run: a fenced block right after a
// `<!-- same as: FILE, FILE -->` comment must appear in each named file (line by line,
// indentation aside), where the type check (tests/types/) or the examples suite runs it.
//
//   node --test tests/readme.test.mjs
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { root } from './packed.mjs';

const readme = await readFile(join(root, 'README.md'), 'utf8');
const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
const MARKED = /<!-- same as: ([^>]+?) -->\s*\n\s*```\w*\n([\s\S]*?)\n\s*```/g;
const snippets = [...readme.matchAll(MARKED)].map(([, files, code]) => ({
  files: files.split(',').map((f) => f.trim()),
  code: lines(code),
}));

describe('README.md', () => {
  it('marks its snippets with the files that run them', () => {
    assert.ok(snippets.length >= 3, `found ${snippets.length} marked snippets`);
  });

  for (const { files, code } of snippets) {
    for (const file of files) {
      it(`${code.split('\n')[0]} … is in ${file}`, async () => {
        const text = lines(await readFile(join(root, file), 'utf8'));
        assert.ok(text.includes(code), `${file} does not contain:\n${code}`);
      });
    }
  }

  it('names every data-affitor-* attribute the tracker reads', async () => {
    const config = await readFile(join(root, 'src', 'config.rs'), 'utf8');
    const attrs = new Set(config.match(/data-affitor-[a-z-]+/g));
    for (const a of attrs) assert.ok(readme.includes(`\`${a}\``), `README.md documents ${a}`);
  });
});
