/**
 * The renderer's shape, as renderer/README.md describes it: rune stores live in state/, and lib/
 * holds pure functions that unit tests import directly (lint keeps lib/ free of state, DOM helpers
 * and components; this test keeps stores out of it and every helper in it tested).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const libFiles = readdirSync('renderer/src/lib').map((name) => `renderer/src/lib/${name}`);
const testSources = filesUnder('test')
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

describe('renderer shape', () => {
  it('keeps only the named folders under renderer/src', () => {
    const folders = readdirSync('renderer/src', { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.sort()).toEqual(['components', 'dom', 'lib', 'state', 'views']);
  });

  it('keeps rune stores out of lib/', () => {
    expect(libFiles.filter((f) => f.endsWith('.svelte.ts') || f.endsWith('.svelte'))).toEqual([]);
  });

  it.each(libFiles)('unit-tests %s', (file) => {
    const asAlias = file.replace('renderer/src/', '#renderer/');
    expect(testSources.includes(file) || testSources.includes(asAlias)).toBe(true);
  });
});
