/**
 * What every artifact store does, whatever keeps the bytes: run on the local folder and, when
 * FLOWDESK_TEST_S3_URL is set, on S3. Checks go through the store's own methods; the local
 * store's filesystem details (staging files, links, fsync) are in artifact-store.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { openArtifactStore } from '#core/artifacts/open-artifact-store.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { artifactBackends, type ArtifactBackend } from '../helpers/s3.ts';

function open(backend: ArtifactBackend): ArtifactStore {
  const opened = openArtifactStore(backend.setting(), join(tempDir(), 'artifacts'));
  afterEach(() => opened.close());
  return opened.store;
}

/** The error code a promise rejects with, or 'resolved'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (err: unknown) => (err as { code?: string }).code ?? String(err),
  );
}

function failingBody(chunks: Buffer[]): Readable {
  return Readable.from(
    (async function* () {
      yield* chunks;
      throw new Error('client went away');
    })(),
  );
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const text = async (store: ArtifactStore, path: string) => (await buffer((await store.read(path)).stream)).toString();

describe.each(artifactBackends())('artifact store behaviour ($name)', (backend) => {
  it('refuses to create names Windows or macOS cannot hold, in any segment, and writes nothing', async () => {
    const store = open(backend);
    for (const path of ['run/CON', 'run/aux/x.txt', 'run/nul.txt', 'run/a:b', 'run/q|.txt', 'run/dir./x', 'run/x ']) {
      await expect(store.write(path, Buffer.from('x')), path).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('Windows or macOS cannot store') });
    }
    expect(await store.list('run')).toEqual([]);
  });

  it('writes into new folders and reads back what it wrote', async () => {
    const store = open(backend);
    expect(await store.write('1/0123abcd/artifacts/model/MLmodel', Buffer.from('flavors: {}\n'))).toEqual({ bytes: 12 });
    expect(await text(store, '1/0123abcd/artifacts/model/MLmodel')).toBe('flavors: {}\n');
  });

  it.each([['with space/file name.txt'], ['données/😀 x.txt'], ['a.b/.hidden'], ["a+b&c=d,e'f/-rf"]])('round-trips the odd but valid name %j', async (path) => {
    const store = open(backend);
    const body = Buffer.from(`content of ${path}`);
    await store.write(path, body);
    expect(await text(store, path)).toBe(body.toString());
    const [dir, name] = path.split('/') as [string, string];
    expect(await store.list(dir)).toEqual([{ path: name, isDir: false, fileSize: body.length }]);
  });

  it("stores a name holding '%' as written, never decoding it", async () => {
    const store = open(backend);
    await store.write('plots/loss%20curve 95%.png', Buffer.from('png'));
    expect(await store.list('plots')).toEqual([{ path: 'loss%20curve 95%.png', isDir: false, fileSize: 3 }]);
  });

  it('round-trips a streamed body of several MB byte for byte', async () => {
    const store = open(backend);
    const chunks = Array.from({ length: 80 }, () => randomBytes(64 * 1024 + 7));
    const whole = Buffer.concat(chunks);
    expect((await store.write('big/blob.bin', Readable.from(chunks), { expectedBytes: whole.length })).bytes).toBe(whole.length);
    const { stream, bytes } = await store.read('big/blob.bin');
    expect(bytes).toBe(whole.length);
    expect(sha256(await buffer(stream))).toBe(sha256(whole));
  });

  it('replaces a file, and keeps it intact when an overwrite fails midway', async () => {
    const store = open(backend);
    await store.write('model.pkl', Buffer.from('old content'));
    await store.write('model.pkl', Buffer.from('the good model'));
    await expect(store.write('model.pkl', failingBody([randomBytes(100_000)]))).rejects.toThrow('client went away');
    expect(await text(store, 'model.pkl')).toBe('the good model');
    expect(await store.list('')).toEqual([{ path: 'model.pkl', isDir: false, fileSize: 14 }]);
  });

  it('leaves nothing when the body fails midway or is destroyed without an error', async () => {
    const store = open(backend);
    await expect(store.write('runs/r/out.bin', failingBody([randomBytes(300_000), randomBytes(300_000)]))).rejects.toThrow('client went away');
    const body = new PassThrough();
    const pending = store.write('cut.bin', body);
    body.write(randomBytes(1000));
    setImmediate(() => body.destroy());
    expect(await outcome(pending)).not.toBe('resolved');
    expect(await store.stat('runs/r/out.bin')).toBeUndefined();
    expect(await store.stat('cut.bin')).toBeUndefined();
    expect(await store.du('')).toBe(0);
  });

  it.each([
    ['shorter', 5],
    ['longer', 50],
  ])('fails when the body is %s than expectedBytes, keeping the old file', async (_, announced) => {
    const store = open(backend);
    await store.write('f.txt', Buffer.from('old'));
    expect(await outcome(store.write('f.txt', Readable.from([Buffer.from('0123456789')]), { expectedBytes: announced }))).toBe('INVALID_PARAMETER_VALUE');
    expect(await text(store, 'f.txt')).toBe('old');
  });

  it('stops reading a body as soon as it outgrows expectedBytes', async () => {
    const store = open(backend);
    let pushed = 0;
    const endless = new Readable({
      read() {
        pushed += 1;
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    expect(await outcome(store.write('endless.bin', endless, { expectedBytes: 100_000 }))).toBe('INVALID_PARAMETER_VALUE');
    // A stream buffers a few chunks ahead (the S3 store pipes through a counter); never the whole body.
    expect(pushed).toBeLessThan(40);
    expect(await store.stat('endless.bin')).toBeUndefined();
  });

  it('accepts a body of exactly expectedBytes, an empty one included, and refuses bad sizes', async () => {
    const store = open(backend);
    expect(await store.write('ten.txt', Buffer.from('0123456789'), { expectedBytes: 10 })).toEqual({ bytes: 10 });
    expect(await store.write('empty.txt', Readable.from([]), { expectedBytes: 0 })).toEqual({ bytes: 0 });
    expect(await store.stat('empty.txt')).toEqual({ isDir: false, bytes: 0 });
    for (const expectedBytes of [-1, 1.5, Number.NaN]) {
      expect(await outcome(store.write('x.txt', Buffer.from('x'), { expectedBytes }))).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(await store.stat('x.txt')).toBeUndefined();
  });

  it('lets concurrent writes fill the same new folder', async () => {
    const store = open(backend);
    const paths = Array.from({ length: 20 }, (_, i) => `1/run/artifacts/deep/folder/f${String(i).padStart(2, '0')}.txt`);
    await Promise.all(paths.map((p) => store.write(p, Buffer.from(p))));
    expect((await store.list('1/run/artifacts/deep/folder')).map((e) => `1/run/artifacts/deep/folder/${e.path}`)).toEqual(paths);
  });

  it('refuses to write the root, onto a folder or below a file, changing nothing', async () => {
    const store = open(backend);
    await store.write('dir/inner.txt', Buffer.from('inner'));
    await store.write('file.txt', Buffer.from('file'));
    for (const path of ['', '.', 'dir', 'dir/', 'file.txt/below.txt', 'file.txt/deeper/below.txt']) {
      expect(await outcome(store.write(path, Buffer.from('x')))).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(await store.list('')).toEqual([
      { path: 'dir', isDir: true },
      { path: 'file.txt', isDir: false, fileSize: 4 },
    ]);
    expect(await store.du('')).toBe(9);
  });

  it('reports missing files, folders and paths below a file as not existing when read', async () => {
    const store = open(backend);
    await store.write('dir/file.txt', Buffer.from('x'));
    for (const path of ['nope.txt', 'dir/nope.txt', 'dir', '', 'dir/file.txt/more']) {
      expect(await outcome(store.read(path))).toBe('RESOURCE_DOES_NOT_EXIST');
    }
  });

  it('streams byte ranges and refuses ranges outside the file', async () => {
    const store = open(backend);
    await store.write('digits.txt', Buffer.from('0123456789'));
    for (const [range, expected] of [
      [{ start: 2, end: 5 }, '2345'],
      [{ start: 7 }, '789'],
      [{ start: 8, end: 1000 }, '89'],
      [{ start: 0, end: 0 }, '0'],
    ] as const) {
      const result = await store.read('digits.txt', range);
      expect(result.bytes).toBe(expected.length);
      expect((await buffer(result.stream)).toString()).toBe(expected);
    }
    for (const range of [{ start: 10 }, { start: 5, end: 4 }, { start: -1 }, { start: 1.5 }]) {
      expect(await outcome(store.read('digits.txt', range))).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it('tells files, folders and missing paths apart', async () => {
    const store = open(backend);
    await store.write('d/f.txt', Buffer.from('12345'));
    expect(await store.stat('d/f.txt')).toEqual({ isDir: false, bytes: 5 });
    expect(await store.stat('d')).toEqual({ isDir: true, bytes: 0 });
    expect(await store.stat('')).toEqual({ isDir: true, bytes: 0 });
    expect(await store.stat('d/missing')).toBeUndefined();
    expect(await store.stat('d/f.txt/below')).toBeUndefined();
  });

  it('lists immediate children by basename, sorted, folders without a size', async () => {
    const store = open(backend);
    for (const path of ['r/b.txt', 'r/a.txt', 'r/model/MLmodel', 'r/Z.txt', 'r/model/data/w.bin', 's/x.txt']) {
      await store.write(path, Buffer.from(path));
    }
    expect(await store.list('r')).toEqual([
      { path: 'Z.txt', isDir: false, fileSize: 7 },
      { path: 'a.txt', isDir: false, fileSize: 7 },
      { path: 'b.txt', isDir: false, fileSize: 7 },
      { path: 'model', isDir: true },
    ]);
    expect(await store.list('r/model/')).toEqual([
      { path: 'MLmodel', isDir: false, fileSize: 15 },
      { path: 'data', isDir: true },
    ]);
    expect(await store.list('')).toEqual([
      { path: 'r', isDir: true },
      { path: 's', isDir: true },
    ]);
    expect(await store.list('nope')).toEqual([]);
    expect(await store.list('r/a.txt')).toEqual([]);
  });

  it('deletes a file or a whole tree, leaving siblings, and reports missing paths', async () => {
    const store = open(backend);
    for (const path of ['1/run/artifacts/model/MLmodel', '1/run/artifacts/model/data/w.bin', '1/run/artifacts/plot.png', '1/other/keep.txt', '1/a.txt']) {
      await store.write(path, Buffer.from(path));
    }
    await store.delete('1/a.txt');
    await store.delete('1/run');
    expect(await store.stat('1/run')).toBeUndefined();
    expect(await store.list('1')).toEqual([{ path: 'other', isDir: true }]);
    expect(await outcome(store.delete('1/nope.txt'))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await outcome(store.delete('1/other/keep.txt/below'))).toBe('RESOURCE_DOES_NOT_EXIST');
    for (const root of ['', '.', './', '//']) expect(await outcome(store.delete(root))).toBe('INVALID_PARAMETER_VALUE');
    expect(await text(store, '1/other/keep.txt')).toBe('1/other/keep.txt');
  });

  it('totals the bytes under a path, 0 when missing', async () => {
    const store = open(backend);
    expect(await store.du('')).toBe(0);
    await store.write('1/run/a.bin', Buffer.alloc(1000));
    await store.write('1/run/model/b.bin', Buffer.alloc(234));
    await store.write('1/run/model/deep/c.bin', Buffer.alloc(66));
    await store.write('2/other.bin', Buffer.alloc(5));
    expect(await store.du('1/run')).toBe(1300);
    expect(await store.du('1/run/model')).toBe(300);
    expect(await store.du('1/run/a.bin')).toBe(1000);
    expect(await store.du('')).toBe(1305);
    expect(await store.du('nope')).toBe(0);
  });
});
