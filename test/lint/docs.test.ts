/**
 * The docs stay true: the root README's Layout table names every top-level folder of the
 * repository, and every link in a Markdown file leads to a file or folder inside the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
const markdown = tracked.filter((file) => file.endsWith('.md'));

/** The folder names a Layout table row's first cell holds in backticks (`core/api` names `core`). */
function layoutNames(readme: string): Set<string> {
  const section = readme.slice(readme.indexOf('\n## Layout\n'));
  const table = section.split('\n').filter((line) => line.startsWith('|'));
  const names = new Set<string>();
  for (const row of table) {
    for (const [, name] of (row.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)) names.add(name!.split('/')[0]!);
  }
  return names;
}

/** Link targets of a Markdown text: `[text](target)`, without any `#anchor`. */
function linkTargets(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map(([, target]) => target!);
}

/** Why a link of `file` does not stay inside the repository, or undefined when it does. */
function badLink(file: string, target: string): string | undefined {
  if (target.startsWith('#')) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return 'it leaves the repository';
  const path = resolve(root, dirname(file), target.split('#')[0]!);
  if (relative(root, path).startsWith('..')) return 'it points outside the repository';
  return existsSync(path) ? undefined : 'nothing is there';
}

describe('docs', () => {
  it('name every top-level folder in the Layout table of README.md', () => {
    const folders = [...new Set(tracked.filter((file) => file.includes('/') && !file.startsWith('.')).map((file) => file.split('/')[0]!))];
    const named = layoutNames(readFileSync(resolve(root, 'README.md'), 'utf8'));
    expect(folders.filter((folder) => !named.has(folder))).toEqual([]);
  });

  it('link only to files and folders inside the repository', () => {
    const bad = markdown.flatMap((file) =>
      linkTargets(readFileSync(resolve(root, file), 'utf8')).flatMap((target) => {
        const why = badLink(file, target);
        return why ? [`${file}: ${target} (${why})`] : [];
      }),
    );
    expect(markdown.length).toBeGreaterThan(0);
    expect(bad).toEqual([]);
  });

  it('refuses a link outside the repository, to a missing file, or to the web', () => {
    expect(badLink('README.md', '../shared/design.md')).toBe('it points outside the repository');
    expect(badLink('core/README.md', 'missing.md')).toBe('nothing is there');
    expect(badLink('README.md', 'https://example.com/')).toBe('it leaves the repository');
    expect(badLink('core/README.md', '../ARCHITECTURE.md#the-layers')).toBeUndefined();
  });

  it('sees a folder missing from a Layout table', () => {
    const names = layoutNames('# x\n\n## Layout\n\n| folder | what |\n|---|---|\n| `core/api` | the contract |\n| `test/`, `bench/` | suites |\n');
    expect([...names].sort()).toEqual(['bench', 'core', 'test']);
  });
});
