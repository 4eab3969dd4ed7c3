import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { createLocalArtifactStore, type ArtifactStore } from '#core/artifacts/artifact-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { HOSTILE_PATHS } from './hostile-paths.ts';
import { snapshotTree } from './snapshot-tree.ts';

/**
 * A store at `<base>/store` beside a `<base>/canary` folder holding files an escape would read,
 * overwrite or delete. Tests compare snapshots of the whole base folder before and after.
 */
function setup() {
  const base = tempDir();
  const canary = join(base, 'canary');
  mkdirSync(join(canary, 'sub'), { recursive: true });
  writeFileSync(join(canary, 'secret.txt'), 'secret');
  writeFileSync(join(canary, 'passwd'), 'root:x:0:0');
  writeFileSync(join(canary, 'sub', 'deep.txt'), 'deep');
  const root = join(base, 'store');
  const store = createLocalArtifactStore(root);
  mkdirSync(join(root, 'a'));
  writeFileSync(join(root, 'a', 'inside.txt'), 'inside');
  return { base, canary, root, store };
}

/** The error code a promise rejects with, or 'resolved'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (err: unknown) => (err as { code?: string }).code ?? String(err),
  );
}

/** Every store method applied to `path`, each settled to its outcome. */
async function everyMethod(store: ArtifactStore, path: string): Promise<Record<string, string>> {
  return {
    writeBytes: await outcome(store.write(path, Buffer.from('pwned'))),
    writeStream: await outcome(store.write(path, Readable.from([Buffer.from('pwned')]))),
    read: await outcome(store.read(path)),
    stat: await outcome(store.stat(path)),
    list: await outcome(store.list(path)),
    delete: await outcome(store.delete(path)),
    du: await outcome(store.du(path)),
  };
}

const refusedEverywhere = {
  writeBytes: 'INVALID_PARAMETER_VALUE',
  writeStream: 'INVALID_PARAMETER_VALUE',
  read: 'INVALID_PARAMETER_VALUE',
  stat: 'INVALID_PARAMETER_VALUE',
  list: 'INVALID_PARAMETER_VALUE',
  delete: 'INVALID_PARAMETER_VALUE',
  du: 'INVALID_PARAMETER_VALUE',
};

describe('hostile paths', () => {
  it.each(HOSTILE_PATHS.map((p) => [p]))('%j is refused by every method and changes nothing', async (form) => {
    const { base, canary, store } = setup();
    const path = form.replaceAll('{abs}', canary.replace(/^\//, ''));
    const before = snapshotTree(base);
    expect(await everyMethod(store, path)).toEqual(refusedEverywhere);
    expect(snapshotTree(base)).toEqual(before);
  });
});

// Creating symbolic links on Windows needs privileges CI machines rarely grant.
describe.skipIf(process.platform === 'win32')('symbolic links planted in the store', () => {
  function withLinks() {
    const s = setup();
    symlinkSync(s.canary, join(s.root, 'out-dir'));
    symlinkSync(join(s.canary, 'secret.txt'), join(s.root, 'out-file'));
    symlinkSync('../canary', join(s.root, 'out-rel'));
    return s;
  }

  it('cannot be read, stat-ed, listed or sized through', async () => {
    const { store } = withLinks();
    for (const path of ['out-dir/secret.txt', 'out-dir/sub/deep.txt', 'out-file', 'out-rel/passwd']) {
      expect(await outcome(store.read(path))).toBe('INVALID_PARAMETER_VALUE');
      expect(await outcome(store.stat(path))).toBe('INVALID_PARAMETER_VALUE');
      expect(await outcome(store.du(path))).toBe('INVALID_PARAMETER_VALUE');
    }
    for (const path of ['out-dir', 'out-dir/sub', 'out-rel']) {
      expect(await outcome(store.list(path))).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it('are left out of listings and sizes of the folder holding them', async () => {
    const { store } = withLinks();
    expect(await store.list('')).toEqual([{ path: 'a', isDir: true }]);
    expect(await store.du('')).toBe('inside'.length);
  });

  it('cannot be written through, not even to create folders, and outside stays untouched', async () => {
    const { base, store } = withLinks();
    const before = snapshotTree(base);
    for (const path of ['out-dir/new.txt', 'out-dir/secret.txt', 'out-dir/sub/deep.txt', 'out-dir/made/new.txt', 'out-file', 'out-rel/new.txt']) {
      expect(await outcome(store.write(path, Buffer.from('pwned')))).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(snapshotTree(base)).toEqual(before);
  });

  it('refuses a write through a link to a folder that does not exist yet', async () => {
    const { base, canary, root, store } = setup();
    symlinkSync(join(canary, 'not-yet'), join(root, 'dangling'));
    const before = snapshotTree(base);
    expect(await outcome(store.write('dangling/x.txt', Buffer.from('pwned')))).toBe('INVALID_PARAMETER_VALUE');
    expect(await outcome(store.write('dangling/deeper/x.txt', Buffer.from('pwned')))).toBe('INVALID_PARAMETER_VALUE');
    expect(snapshotTree(base)).toEqual(before);
  });

  it('refuses a link deep in the parent chain', async () => {
    const { base, canary, root, store } = setup();
    symlinkSync(canary, join(root, 'a', 'b'));
    const before = snapshotTree(base);
    expect(await outcome(store.write('a/b/sub/new.txt', Buffer.from('pwned')))).toBe('INVALID_PARAMETER_VALUE');
    expect(await outcome(store.read('a/b/sub/deep.txt'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await outcome(store.delete('a/b/sub/deep.txt'))).toBe('INVALID_PARAMETER_VALUE');
    expect(snapshotTree(base)).toEqual(before);
  });

  it('cannot delete anything outside through a link', async () => {
    const { canary, store } = withLinks();
    const before = snapshotTree(canary);
    for (const path of ['out-dir/secret.txt', 'out-dir/sub', 'out-rel/passwd']) {
      expect(await outcome(store.delete(path))).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(snapshotTree(canary)).toEqual(before);
  });

  it('deleting a link removes the link only', async () => {
    const { canary, root, store } = withLinks();
    const before = snapshotTree(canary);
    await store.delete('out-dir');
    await store.delete('out-file');
    await store.delete('out-rel');
    expect(Object.keys(snapshotTree(root))).toEqual(['a', 'a/inside.txt']);
    expect(snapshotTree(canary)).toEqual(before);
  });

  it('deleting a folder tree holding links removes the links, not their targets', async () => {
    const { canary, root, store } = setup();
    symlinkSync(canary, join(root, 'a', 'to-dir'));
    symlinkSync(join(canary, 'secret.txt'), join(root, 'a', 'to-file'));
    const before = snapshotTree(canary);
    expect(await store.du('a')).toBe('inside'.length);
    await store.delete('a');
    expect(await store.list('')).toEqual([]);
    expect(snapshotTree(canary)).toEqual(before);
  });

  it('are followed when they stay inside the store', async () => {
    const { root, store } = setup();
    symlinkSync(join(root, 'a'), join(root, 'alias'));
    symlinkSync('inside.txt', join(root, 'a', 'same.txt'));
    expect((await buffer((await store.read('alias/inside.txt')).stream)).toString()).toBe('inside');
    expect((await buffer((await store.read('a/same.txt')).stream)).toString()).toBe('inside');
    expect(await store.list('alias')).toEqual([
      { path: 'inside.txt', isDir: false, fileSize: 6 },
      { path: 'same.txt', isDir: false, fileSize: 6 },
    ]);
    await store.write('alias/new.txt', Buffer.from('new'));
    expect(readFileSync(join(root, 'a', 'new.txt'), 'utf8')).toBe('new');
  });
});
