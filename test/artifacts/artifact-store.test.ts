import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { createLocalArtifactStore } from '#core/artifacts/artifact-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { snapshotTree } from './snapshot-tree.ts';

function setup() {
  const root = join(tempDir(), 'artifacts');
  return { root, store: createLocalArtifactStore(root) };
}

/** The error code a promise rejects with, or 'resolved'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (err: unknown) => (err as { code?: string }).code ?? String(err),
  );
}

/** A body that yields `chunks` and then fails, like a client that disconnects midway. */
function failingBody(chunks: Buffer[], error = new Error('client went away')): Readable {
  return Readable.from(
    (async function* () {
      yield* chunks;
      throw error;
    })(),
  );
}

/** Files in a folder as the filesystem sees them, staging files included. */
function rawNames(dir: string): string[] {
  return readdirSync(dir).sort();
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('createLocalArtifactStore', () => {
  it('creates its root folder when missing', async () => {
    const { root, store } = setup();
    expect(readdirSync(root)).toEqual([]);
    expect(await store.list('')).toEqual([]);
  });

  it('follows a root given through a symbolic link', async () => {
    const { root } = setup();
    const alias = `${root}-alias`;
    symlinkSync(root, alias);
    const store = createLocalArtifactStore(alias);
    await store.write('x.txt', Buffer.from('via alias'));
    expect(readFileSync(join(root, 'x.txt'), 'utf8')).toBe('via alias');
  });
});

describe('write', () => {
  it('creates parent folders and reports the bytes written', async () => {
    const { root, store } = setup();
    const result = await store.write('1/0123abcd/artifacts/model/MLmodel', Buffer.from('flavors: {}\n'));
    expect(result).toEqual({ bytes: 12 });
    expect(readFileSync(join(root, '1/0123abcd/artifacts/model/MLmodel'), 'utf8')).toBe('flavors: {}\n');
  });

  it.each([['with space/file name.txt'], ['données/😀 x.txt'], ['a.b/.hidden'], ['日本語/ファイル.bin'], ["a+b&c=d,e'f/-rf"]])(
    'round-trips the odd but valid name %j',
    async (path) => {
      const { store } = setup();
      const body = Buffer.from(`content of ${path}`);
      await store.write(path, body);
      const { stream, bytes } = await store.read(path);
      expect(bytes).toBe(body.length);
      expect(await buffer(stream)).toEqual(body);
      const [dir, name] = path.split('/') as [string, string];
      expect(await store.list(dir)).toEqual([{ path: name, isDir: false, fileSize: body.length }]);
    },
  );

  it("stores a name holding '%' as written, never decoding it", async () => {
    const { root, store } = setup();
    await store.write('plots/loss%20curve 95%.png', Buffer.from('png'));
    expect(rawNames(join(root, 'plots'))).toEqual(['loss%20curve 95%.png']);
    expect(await store.stat('plots/loss%20curve 95%.png')).toEqual({ isDir: false, bytes: 3 });
    expect(await store.stat('plots/loss curve 95%.png')).toBeUndefined();
  });

  it('round-trips a streamed body of several MB byte for byte', async () => {
    const { store } = setup();
    const chunks = Array.from({ length: 80 }, () => randomBytes(64 * 1024 + 7));
    const whole = Buffer.concat(chunks);
    const result = await store.write('big/blob.bin', Readable.from(chunks), { expectedBytes: whole.length });
    expect(result.bytes).toBe(whole.length);
    const { stream, bytes } = await store.read('big/blob.bin');
    expect(bytes).toBe(whole.length);
    expect(sha256(await buffer(stream))).toBe(sha256(whole));
  });

  it('replaces an existing file', async () => {
    const { store } = setup();
    await store.write('a.txt', Buffer.from('old content'));
    await store.write('a.txt', Buffer.from('new'));
    expect((await buffer((await store.read('a.txt')).stream)).toString()).toBe('new');
  });

  it('leaves no file and no staging file when the body fails midway', async () => {
    const { root, store } = setup();
    const body = failingBody([randomBytes(300_000), randomBytes(300_000)]);
    await expect(store.write('runs/r/out.bin', body)).rejects.toThrow('client went away');
    expect(await store.stat('runs/r/out.bin')).toBeUndefined();
    expect(rawNames(join(root, 'runs/r'))).toEqual([]);
  });

  it('keeps the previous file intact when an overwrite fails midway', async () => {
    const { root, store } = setup();
    await store.write('model.pkl', Buffer.from('the good model'));
    await expect(store.write('model.pkl', failingBody([randomBytes(100_000)]))).rejects.toThrow('client went away');
    expect(readFileSync(join(root, 'model.pkl'), 'utf8')).toBe('the good model');
    expect(rawNames(root)).toEqual(['model.pkl']);
  });

  it('fails and leaves nothing when the body was destroyed without an error', async () => {
    const { root, store } = setup();
    const body = new PassThrough();
    const pending = store.write('cut.bin', body);
    body.write(randomBytes(1000));
    setImmediate(() => body.destroy());
    expect(await outcome(pending)).not.toBe('resolved');
    expect(rawNames(root)).toEqual([]);
  });

  it.each([
    ['shorter', 5],
    ['longer', 50],
  ])('fails when the body is %s than expectedBytes, keeping the old file', async (_, announced) => {
    const { root, store } = setup();
    await store.write('f.txt', Buffer.from('old'));
    expect(await outcome(store.write('f.txt', Readable.from([Buffer.from('0123456789')]), { expectedBytes: announced }))).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    expect(readFileSync(join(root, 'f.txt'), 'utf8')).toBe('old');
    expect(rawNames(root)).toEqual(['f.txt']);
  });

  it('stops reading a body as soon as it outgrows expectedBytes', async () => {
    const { root, store } = setup();
    let pushed = 0;
    const endless = new Readable({
      read() {
        pushed += 1;
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    expect(await outcome(store.write('endless.bin', endless, { expectedBytes: 100_000 }))).toBe('INVALID_PARAMETER_VALUE');
    expect(pushed).toBeLessThan(10);
    expect(rawNames(root)).toEqual([]);
  });

  it('accepts a body of exactly expectedBytes, including an empty one', async () => {
    const { store } = setup();
    expect(await store.write('ten.txt', Buffer.from('0123456789'), { expectedBytes: 10 })).toEqual({ bytes: 10 });
    expect(await store.write('empty.txt', Readable.from([]), { expectedBytes: 0 })).toEqual({ bytes: 0 });
    expect(await store.stat('empty.txt')).toEqual({ isDir: false, bytes: 0 });
  });

  it.each([[-1], [1.5], [Number.NaN]])('refuses expectedBytes %s', async (expectedBytes) => {
    const { root, store } = setup();
    expect(await outcome(store.write('x.txt', Buffer.from('x'), { expectedBytes }))).toBe('INVALID_PARAMETER_VALUE');
    expect(rawNames(root)).toEqual([]);
  });

  it('hides an in-flight write from list, stat and du until it completes', async () => {
    const { root, store } = setup();
    await store.write('d/done.txt', Buffer.from('done'));
    const body = new PassThrough();
    const pending = store.write('d/later.txt', body);
    body.write(Buffer.alloc(5000));
    while (rawNames(join(root, 'd')).length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(rawNames(join(root, 'd')).some((n) => n.endsWith('.staging'))).toBe(true);
    expect(await store.list('d')).toEqual([{ path: 'done.txt', isDir: false, fileSize: 4 }]);
    expect(await store.stat('d/later.txt')).toBeUndefined();
    expect(await store.du('d')).toBe(4);
    body.end();
    await pending;
    expect((await store.list('d')).map((e) => e.path)).toEqual(['done.txt', 'later.txt']);
    expect(rawNames(join(root, 'd'))).toEqual(['done.txt', 'later.txt']);
  });

  it('lets concurrent writes create the same new folders', async () => {
    const { store } = setup();
    const paths = Array.from({ length: 20 }, (_, i) => `1/run/artifacts/deep/folder/f${String(i).padStart(2, '0')}.txt`);
    await Promise.all(paths.map((p) => store.write(p, Buffer.from(p))));
    expect((await store.list('1/run/artifacts/deep/folder')).map((e) => `1/run/artifacts/deep/folder/${e.path}`)).toEqual(paths);
  });

  it('leaves one complete body and no staging files when writes to one path race', async () => {
    const { root, store } = setup();
    const bodies = Array.from({ length: 10 }, (_, i) => Buffer.alloc(10_000 + i, i));
    await Promise.all(bodies.map((b) => store.write('same.bin', Readable.from([b.subarray(0, 5000), b.subarray(5000)]))));
    const stored = readFileSync(join(root, 'same.bin'));
    expect(bodies.some((b) => b.equals(stored))).toBe(true);
    expect(rawNames(root)).toEqual(['same.bin']);
  });

  it('refuses paths using the staging name pattern', async () => {
    const { root, store } = setup();
    mkdirSync(join(root, 'd'));
    writeFileSync(join(root, 'd/.flowdesk-0123456789abcdef.staging'), 'leftover');
    expect(await outcome(store.write('d/.flowdesk-0123456789abcdef.staging', Buffer.from('x')))).toBe('INVALID_PARAMETER_VALUE');
    expect(await outcome(store.read('d/.flowdesk-0123456789abcdef.staging'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await outcome(store.delete('d/.flowdesk-0123456789abcdef.staging'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await store.list('d')).toEqual([]);
    expect(readFileSync(join(root, 'd/.flowdesk-0123456789abcdef.staging'), 'utf8')).toBe('leftover');
  });

  it('refuses to write the root, onto a folder or below a file, changing nothing', async () => {
    const { root, store } = setup();
    await store.write('dir/inner.txt', Buffer.from('inner'));
    await store.write('file.txt', Buffer.from('file'));
    const before = snapshotTree(root);
    for (const path of ['', '.', 'dir', 'dir/', 'file.txt/below.txt', 'file.txt/deeper/below.txt']) {
      expect(await outcome(store.write(path, Buffer.from('x')))).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(snapshotTree(root)).toEqual(before);
  });
});

describe('read', () => {
  it('reports missing files, folders and paths below a file as not existing', async () => {
    const { store } = setup();
    await store.write('dir/file.txt', Buffer.from('x'));
    for (const path of ['nope.txt', 'dir/nope.txt', 'dir', '', 'dir/file.txt/more']) {
      expect(await outcome(store.read(path))).toBe('RESOURCE_DOES_NOT_EXIST');
    }
  });

  it.each([
    [{ start: 2, end: 5 }, '2345', 4],
    [{ start: 7 }, '789', 3],
    [{ start: 8, end: 1000 }, '89', 2],
    [{ start: 0, end: 0 }, '0', 1],
  ])('streams the range %j', async (range, expected, bytes) => {
    const { store } = setup();
    await store.write('digits.txt', Buffer.from('0123456789'));
    const result = await store.read('digits.txt', range);
    expect(result.bytes).toBe(bytes);
    expect((await buffer(result.stream)).toString()).toBe(expected);
  });

  it.each([[{ start: 10 }], [{ start: 5, end: 4 }], [{ start: -1 }], [{ start: 1.5 }]])('refuses the range %j', async (range) => {
    const { store } = setup();
    await store.write('digits.txt', Buffer.from('0123456789'));
    expect(await outcome(store.read('digits.txt', range))).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('stat', () => {
  it('tells files, folders and missing paths apart', async () => {
    const { store } = setup();
    await store.write('d/f.txt', Buffer.from('12345'));
    expect(await store.stat('d/f.txt')).toEqual({ isDir: false, bytes: 5 });
    expect(await store.stat('d')).toEqual({ isDir: true, bytes: 0 });
    expect(await store.stat('')).toEqual({ isDir: true, bytes: 0 });
    expect(await store.stat('d/missing')).toBeUndefined();
    expect(await store.stat('d/f.txt/below')).toBeUndefined();
  });
});

describe('list', () => {
  it('lists immediate children by basename, sorted, folders without a size', async () => {
    const { store } = setup();
    for (const path of ['r/b.txt', 'r/a.txt', 'r/model/MLmodel', 'r/Z.txt', 'r/model/data/w.bin']) {
      await store.write(path, Buffer.from(path));
    }
    const entries = await store.list('r');
    expect(entries).toEqual([
      { path: 'Z.txt', isDir: false, fileSize: 7 },
      { path: 'a.txt', isDir: false, fileSize: 7 },
      { path: 'b.txt', isDir: false, fileSize: 7 },
      { path: 'model', isDir: true },
    ]);
    expect('fileSize' in entries[3]!).toBe(false);
    expect(await store.list('r/model/')).toEqual([
      { path: 'MLmodel', isDir: false, fileSize: 15 },
      { path: 'data', isDir: true },
    ]);
  });

  it('lists the root for an empty path', async () => {
    const { store } = setup();
    await store.write('0/x.txt', Buffer.from('x'));
    await store.write('1/y.txt', Buffer.from('y'));
    expect(await store.list('')).toEqual([
      { path: '0', isDir: true },
      { path: '1', isDir: true },
    ]);
  });

  it('gives an empty list for a missing folder or a file', async () => {
    const { store } = setup();
    await store.write('r/a.txt', Buffer.from('a'));
    expect(await store.list('nope')).toEqual([]);
    expect(await store.list('r/a.txt')).toEqual([]);
    expect(await store.list('r/a.txt/below')).toEqual([]);
  });
});

describe('delete', () => {
  it('deletes a file and leaves its siblings', async () => {
    const { store } = setup();
    await store.write('r/a.txt', Buffer.from('a'));
    await store.write('r/b.txt', Buffer.from('b'));
    await store.delete('r/a.txt');
    expect(await store.list('r')).toEqual([{ path: 'b.txt', isDir: false, fileSize: 1 }]);
  });

  it('deletes a whole folder tree', async () => {
    const { root, store } = setup();
    for (const path of ['1/run/artifacts/model/MLmodel', '1/run/artifacts/model/data/w.bin', '1/run/artifacts/plot.png']) {
      await store.write(path, Buffer.from(path));
    }
    await store.write('1/other/keep.txt', Buffer.from('keep'));
    await store.delete('1/run');
    expect(await store.stat('1/run')).toBeUndefined();
    expect(rawNames(join(root, '1'))).toEqual(['other']);
  });

  it('reports a missing path as not existing', async () => {
    const { store } = setup();
    await store.write('r/a.txt', Buffer.from('a'));
    expect(await outcome(store.delete('r/nope.txt'))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await outcome(store.delete('nope/a.txt'))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await outcome(store.delete('r/a.txt/below'))).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it.each([[''], ['.'], ['./'], ['//']])('refuses to delete the root given as %j', async (path) => {
    const { root, store } = setup();
    await store.write('r/a.txt', Buffer.from('a'));
    expect(await outcome(store.delete(path))).toBe('INVALID_PARAMETER_VALUE');
    expect(readFileSync(join(root, 'r/a.txt'), 'utf8')).toBe('a');
  });
});

describe('du', () => {
  it('totals the bytes of the files under a path', async () => {
    const { store } = setup();
    await store.write('1/run/a.bin', Buffer.alloc(1000));
    await store.write('1/run/model/b.bin', Buffer.alloc(234));
    await store.write('1/run/model/deep/c.bin', Buffer.alloc(66));
    await store.write('2/other.bin', Buffer.alloc(5));
    expect(await store.du('1/run')).toBe(1300);
    expect(await store.du('1/run/model')).toBe(300);
    expect(await store.du('1/run/a.bin')).toBe(1000);
    expect(await store.du('')).toBe(1305);
  });

  it('gives 0 for a missing path', async () => {
    const { store } = setup();
    expect(await store.du('nope')).toBe(0);
    expect(await store.du('')).toBe(0);
  });
});

describe('link', () => {
  it('makes a regular file appear in the store without copying it, and refuses a symbolic link or a hostile path', async () => {
    const { root, store } = setup();
    const outside = tempDir();
    writeFileSync(join(outside, 'weights.bin'), 'weights');
    symlinkSync(join(outside, 'weights.bin'), join(outside, 'alias.bin'));
    expect(await store.link!('1/run/artifacts/model/weights.bin', join(outside, 'weights.bin'))).toEqual({ bytes: 7 });
    expect(statSync(join(root, '1/run/artifacts/model/weights.bin')).ino).toBe(statSync(join(outside, 'weights.bin')).ino);
    expect(await outcome(store.link!('1/run/artifacts/alias.bin', join(outside, 'alias.bin')))).toBe('INVALID_PARAMETER_VALUE');
    expect(await outcome(store.link!('1/../../escape.bin', join(outside, 'weights.bin')))).toBe('INVALID_PARAMETER_VALUE');
    expect(readdirSync(join(root, '1/run/artifacts'))).toEqual(['model']);
  });
});
