// The docs' snippets are the ones the tests run: in README.md and in every guide of docs/, a
// fenced block right after a `<!-- same as: FILE, FILE -->` comment must appear in each named
// file (line by line, indentation aside), where the type check (tests/types/) or the examples
// suite runs it. Every relative link between them leads to a file, and to a heading of it.
//
//   node --test tests/readme.test.mjs
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { root } from './packed.mjs';

const docs = ['README.md', ...(await readdir(join(root, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = Object.fromEntries(await Promise.all(docs.map(async (d) => [d, await readFile(join(root, d), 'utf8')])));
const readme = text['README.md'];
const lines = (t) => t.split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
const MARKED = /<!-- same as: ([^>]+?) -->\s*\n\s*```\w*\n([\s\S]*?)\n\s*```/g;
const snippetsOf = (doc) => [...text[doc].matchAll(MARKED)].map(([, files, code]) => ({
  files: files.split(',').map((f) => f.trim()),
  code: lines(code),
}));

// GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`.
const anchor = (heading) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
const anchorsOf = (t) => new Set(t.replace(/```[\s\S]*?```/g, '').split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => anchor(l.replace(/^#+ /, ''))));

describe('README.md', () => {
  it('marks its snippets with the files that run them', () => {
    assert.ok(snippetsOf('README.md').length >= 3, `found ${snippetsOf('README.md').length} marked snippets`);
  });

  it('names every data-affitor-* attribute the tracker reads', async () => {
    const config = await readFile(join(root, 'src', 'config.rs'), 'utf8');
    const attrs = new Set(config.match(/data-affitor-[a-z-]+/g));
    for (const a of attrs) assert.ok(readme.includes(`\`${a}\``), `README.md documents ${a}`);
  });
});

for (const doc of docs) {
  describe(doc, () => {
    for (const { files, code } of snippetsOf(doc)) {
      for (const file of files) {
        it(`${code.split('\n')[0]} … is in ${file}`, async () => {
          const ran = lines(await readFile(join(root, file), 'utf8'));
          assert.ok(ran.includes(code), `${file} does not contain:\n${code}`);
        });
      }
    }

    it('links only to files and headings that exist', () => {
      const broken = [];
      for (const [, target] of text[doc].matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
        const [path, hash] = target.split('#');
        const file = path ? relative(root, join(root, dirname(doc), path)) : doc;
        if (!existsSync(join(root, file))) {
          broken.push(`${target}: no file ${file}`);
          continue;
        }
        if (hash && file.endsWith('.md') && !anchorsOf(text[file] ?? '').has(hash)) broken.push(`${target}: no heading #${hash} in ${file}`);
      }
      assert.deepEqual(broken, []);
    });
  });
}
