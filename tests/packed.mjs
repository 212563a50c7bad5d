// The npm package as a site's project gets it: `npm pack` of this repo (dist/ must be built;
// --ignore-scripts skips the prepack build, which npm test has just done),
// unpacked into <dir>/node_modules/affitor-tracker of a fresh temporary project. Tests that
// import, bundle or type-check 'affitor-tracker' from there use exactly the shipped files.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `npm pack --dry-run`: the files the package would ship, sorted. */
export function packList() {
  const [info] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  return info.files.map((f) => f.path).sort();
}

/**
 * A temporary project with the packed package installed, and `links` (names of this repo's
 * dev dependencies, e.g. 'react') linked into its node_modules. Call `remove()` when done.
 */
export async function consumer({ links = [] } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'affitor-consumer-'));
  const [info] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const pkg = join(dir, 'node_modules', 'affitor-tracker');
  await mkdir(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, info.filename), '-C', pkg, '--strip-components=1']);
  for (const name of links) await symlink(join(root, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'site', private: true, type: 'module' }));
  return { dir, pkg, remove: () => rm(dir, { recursive: true, force: true }) };
}
