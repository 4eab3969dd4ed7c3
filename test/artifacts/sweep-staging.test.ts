import { existsSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalArtifactStore } from '#core/artifacts/artifact-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const HOUR = 3_600_000;

/** A staging file as an interrupted write leaves it, last touched `ageMs` ago. */
function staging(dir: string, hex: string, bytes: number, ageMs: number): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `.flowdesk-${hex}.staging`);
  writeFileSync(path, Buffer.alloc(bytes));
  const when = (Date.now() - ageMs) / 1000;
  utimesSync(path, when, when);
  return path;
}

describe('sweeping files left by interrupted writes', () => {
  it('removes stale staging files anywhere in the store and keeps fresh ones and real files', async () => {
    const base = tempDir();
    const root = join(base, 'store');
    const store = createLocalArtifactStore(root);
    await store.write('1/run/artifacts/model.bin', Buffer.alloc(10));
    const old1 = staging(join(root, '1', 'run', 'artifacts'), '0'.repeat(16), 100, 2 * HOUR);
    const old2 = staging(join(root, '2'), '1'.repeat(16), 23, 3 * HOUR);
    const fresh = staging(join(root, '1'), '2'.repeat(16), 7, 60_000);
    expect(await store.sweepStaging(Date.now() - HOUR)).toBe(123);
    expect(existsSync(old1)).toBe(false);
    expect(existsSync(old2)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(await store.du('1/run/artifacts/model.bin')).toBe(10);
  });

  it('never follows a link out of the store', async () => {
    const base = tempDir();
    const outside = join(base, 'outside');
    const victim = staging(outside, '3'.repeat(16), 5, 5 * HOUR);
    const root = join(base, 'store');
    const store = createLocalArtifactStore(root);
    symlinkSync(outside, join(root, 'link'));
    expect(await store.sweepStaging(Date.now())).toBe(0);
    expect(existsSync(victim)).toBe(true);
  });
});
