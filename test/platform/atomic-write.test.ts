/**
 * The engine's one atomic write (core/platform/atomic-write.ts), on real files: whole contents
 * replaced, the declared mode kept private, an existing file's mode and a symlink kept, and no
 * staging file left behind when the write fails.
 */
import { chmodSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '#core/platform/atomic-write.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('writeFileAtomic', () => {
  it('replaces the whole contents and leaves only the target in the folder', () => {
    const dir = tempDir();
    const path = join(dir, 'settings.json');
    writeFileSync(path, 'old contents that are longer than the new');
    writeFileAtomic(path, 'new');
    expect({ text: readFileSync(path, 'utf8'), files: readdirSync(dir) }).toEqual({ text: 'new', files: ['settings.json'] });
  });

  it('gives a new file the declared private mode', () => {
    const path = join(tempDir(), 'secret.json');
    writeFileAtomic(path, '{}', 0o600);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('keeps the mode of an existing file when none is declared', () => {
    const path = join(tempDir(), 'location.json');
    writeFileSync(path, 'a');
    chmodSync(path, 0o640);
    writeFileAtomic(path, 'b');
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('writes through a symlink to its target and keeps the link', () => {
    const dir = tempDir();
    const target = join(dir, 'real.json');
    writeFileSync(target, 'a');
    symlinkSync(target, join(dir, 'link.json'));
    writeFileAtomic(join(dir, 'link.json'), 'b');
    expect({ link: readlinkSync(join(dir, 'link.json')), text: readFileSync(target, 'utf8') }).toEqual({ link: target, text: 'b' });
  });

  it('leaves the old file and no staging file when the rename fails', () => {
    const dir = tempDir();
    // A folder in the target's place: the staging file is written, the rename over it fails.
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'inside'), 'kept');
    expect(() => writeFileAtomic(join(dir, 'taken'), 'new')).toThrow();
    expect({ files: readdirSync(dir), inside: readFileSync(join(dir, 'taken', 'inside'), 'utf8') }).toEqual({ files: ['taken'], inside: 'kept' });
  });
});
