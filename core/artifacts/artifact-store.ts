/**
 * The artifact store: files under relative paths like `1/<run uuid>/artifacts/model/MLmodel`.
 * `ArtifactStore` is storage-neutral (relative paths in, no filesystem types out) so an S3 store
 * can stand behind it; `createLocalArtifactStore` keeps the files in a folder on this machine.
 *
 * Local safety rests on two checks: `checkArtifactPath` refuses hostile path text, and every
 * method re-checks containment on the real path where it opens, creates or deletes, so a
 * symbolic link planted inside the store cannot lead out of it.
 */
import { randomBytes } from 'node:crypto';
import { constants, mkdirSync, realpathSync, type Stats } from 'node:fs';
import { link, lstat, mkdir, open, readdir, realpath, rename, rm, stat, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { FlowdeskError, invalid, notFound } from '#core/api/errors.ts';
import { checkArtifactPath, checkNewArtifactPath, invalidPath } from '#core/api/artifact-path.ts';

/** One child of a listed folder. */
export interface ArtifactEntry {
  /** The basename: the MLflow client joins it onto the folder it asked for. */
  path: string;
  isDir: boolean;
  /** Bytes of a file; absent for folders. */
  fileSize?: number;
}

/** What `stat` knows about a path. */
export interface ArtifactStat {
  isDir: boolean;
  /** Bytes of a file; 0 for a folder (`du` totals a tree). */
  bytes: number;
}

/** A byte range of a file, both ends inclusive as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  /** Last byte wanted; past the end of the file (or absent) means up to the end. */
  end?: number;
}

/** Options of `ArtifactStore.write`. */
export interface WriteOptions {
  /** The size the caller announced (e.g. Content-Length); any other size fails the write. */
  expectedBytes?: number;
}

/**
 * Files under relative POSIX paths ('' is the root). Every method checks its path with
 * `checkArtifactPath` first, so callers may pass what a client sent; `write` also with
 * `checkNewArtifactPath`, so no store creates a name Windows or macOS could not hold.
 */
export interface ArtifactStore {
  /**
   * Stores `body` at `path`, creating parent folders and replacing an existing file. Resolves
   * only once the file is durable under its final name; on any failure nothing is left at
   * `path` and a file previously there is untouched.
   */
  write(path: string, body: Readable | Uint8Array, options?: WriteOptions): Promise<{ bytes: number }>;
  /**
   * Opens a file for reading; `bytes` is the length the stream will deliver. The caller must
   * consume or destroy the stream. RESOURCE_DOES_NOT_EXIST when missing or a folder.
   */
  read(path: string, range?: ByteRange): Promise<{ stream: Readable; bytes: number }>;
  /** Whether `path` is a file or a folder, or undefined when nothing is there. */
  stat(path: string): Promise<ArtifactStat | undefined>;
  /** Immediate children of a folder, sorted by name; `[]` for a missing folder or a file. */
  list(dir: string): Promise<ArtifactEntry[]>;
  /** Deletes a file or a whole folder tree. RESOURCE_DOES_NOT_EXIST when missing. */
  delete(path: string): Promise<void>;
  /** Total bytes of the files under `path` (the file's own size for a file; 0 when missing). */
  du(path: string): Promise<number>;
  /**
   * Removes what writes interrupted by a crash left behind (staging files last touched before
   * `before`, ms since the epoch) anywhere in the store; returns the bytes freed.
   */
  sweepStaging(before: number): Promise<number>;
  /**
   * Bytes this process may still write where the files live, when the store sits on a disk of
   * this machine; undefined for object storage, whose space is not this machine's to watch.
   */
  freeBytes(): Promise<number | undefined>;
  /**
   * Makes the regular file `localFile` (on this machine, never a link) appear at `path` without
   * copying its bytes: a hard link, so the file stays where it lies and takes no second space.
   * Only a store on this machine's disk has it; it throws (EXDEV) when the file lies on another
   * filesystem, and the caller copies instead.
   */
  link?(path: string, localFile: string): Promise<{ bytes: number }>;
}

/**
 * In-flight writes live next to their target under this name, so the final rename is atomic
 * (same folder, same filesystem). The name does not embed the target's name: that one may
 * already use all 255 bytes a name can have.
 */
const STAGING_NAME = /^\.flowdesk-[0-9a-f]{16}\.staging$/;

/** O_NOFOLLOW does not exist on Windows; there the real-path checks stand alone. */
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** Keeps opening a FIFO planted in the store from blocking a read forever. */
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/**
 * A store keeping its files under `root` (created if missing). The root is resolved to its real
 * path once, here; every later containment check compares against that real path.
 */
export function createLocalArtifactStore(root: string): ArtifactStore {
  mkdirSync(root, { recursive: true });
  const realRoot = realpathSync.native(root);

  /** Checks the path text (as a new file's when `creating`), then refuses names the store reserves for itself. */
  function check(input: string, creating = false): string[] {
    const rel = creating ? checkNewArtifactPath(input) : checkArtifactPath(input);
    const segments = rel === '' ? [] : rel.split('/');
    if (segments.some((s) => STAGING_NAME.test(s))) throw invalidPath(input, 'it uses a name reserved for files being written');
    return segments;
  }

  function isInside(real: string): boolean {
    return real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
  }

  function requireInside(real: string, input: string): string {
    if (!isInside(real)) throw invalidPath(input, 'it leads outside the artifact store through a symbolic link');
    return real;
  }

  /**
   * The real path of `segments` when it exists and lies inside the store, undefined when it does
   * not exist (or a parent is a file). A path leading out through a link throws.
   */
  async function resolveExisting(segments: string[], input: string): Promise<string | undefined> {
    try {
      return requireInside(await realpath(join(realRoot, ...segments)), input);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw loopError(err, input);
    }
  }

  /**
   * Walks `segments` from the root, creating missing folders one level at a time (mkdir never
   * follows a link), and following a link only after checking that its real target is inside.
   * Returns the folder's real path and the folders whose entries changed and need an fsync.
   */
  async function ensureFolder(segments: string[], input: string): Promise<{ real: string; changed: string[] }> {
    let real = realRoot;
    const changed: string[] = [];
    for (const segment of segments) {
      const next = join(real, segment);
      let info = await lstatOrUndefined(next);
      if (!info) {
        try {
          await mkdir(next);
          changed.push(real);
        } catch (err) {
          // Another write created it in between: fine, it is checked like any existing folder.
          if (errorCode(err) !== 'EEXIST') throw err;
        }
        info = await lstat(next);
      }
      if (info.isSymbolicLink()) {
        const target = await realpath(next).catch((err: unknown) => {
          if (isMissing(err)) throw invalidPath(input, `'${segment}' is a symbolic link to nothing`);
          throw loopError(err, input);
        });
        real = requireInside(target, input);
        info = await stat(real);
      } else {
        real = next;
      }
      if (!info.isDirectory()) throw invalidPath(input, `'${segment}' is a file, not a folder`);
    }
    return { real, changed };
  }

  return {
    async write(path, body, options = {}) {
      const segments = check(path, true);
      const rel = segments.join('/');
      const name = segments.pop();
      if (name === undefined) throw invalidPath(path, 'the root is a folder, not a file');
      const { expectedBytes } = options;
      if (expectedBytes !== undefined && !(Number.isSafeInteger(expectedBytes) && expectedBytes >= 0)) {
        throw invalid(`Artifact '${rel}': expected size ${expectedBytes} is not a byte count`);
      }

      const { real: folder, changed } = await ensureFolder(segments, path);
      const target = join(folder, name);
      const existing = await lstatOrUndefined(target);
      if (existing?.isSymbolicLink()) {
        // Renaming would only replace the link, but a link leading out is refused outright.
        const linked = await realpath(target).catch(() => undefined);
        if (linked === undefined || !isInside(linked)) {
          throw invalidPath(path, 'it is a symbolic link leading outside the artifact store');
        }
      }
      if (existing?.isDirectory()) throw invalidPath(path, 'it is a folder, not a file');

      const staging = join(folder, `.flowdesk-${randomBytes(8).toString('hex')}.staging`);
      // O_EXCL: create a fresh file, never open whatever (a link, say) sits under that name.
      const handle = await open(staging, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o644);
      let closed = false;
      let bytes: number;
      try {
        bytes = await writeBody(handle, body, expectedBytes, rel);
        await handle.sync();
        await handle.close();
        closed = true;
        await rename(staging, target);
      } catch (err) {
        if (!closed) await handle.close().catch(() => undefined);
        await unlink(staging).catch(() => undefined);
        throw renameError(err, path);
      }
      // The rename and any new folders are durable only once their folders' entries are.
      for (const dir of new Set([folder, ...changed])) await fsyncFolder(dir);
      return { bytes };
    },

    async link(path, localFile) {
      const segments = check(path, true);
      const name = segments.pop();
      if (name === undefined) throw invalidPath(path, 'the root is a folder, not a file');
      const source = await lstat(localFile);
      if (!source.isFile()) throw invalid(`Cannot link '${localFile}' into the store: it is not a regular file`);
      const { real: folder, changed } = await ensureFolder(segments, path);
      const target = join(folder, name);
      const existing = await lstatOrUndefined(target);
      if (existing?.isDirectory() || existing?.isSymbolicLink()) throw invalidPath(path, 'something other than a file is already there');
      // Linked under a staging name first, then renamed over: the target is whole or absent, as with write.
      const staging = join(folder, `.flowdesk-${randomBytes(8).toString('hex')}.staging`);
      await link(localFile, staging);
      try {
        await rename(staging, target);
      } catch (err) {
        await unlink(staging).catch(() => undefined);
        throw renameError(err, path);
      }
      for (const dir of new Set([folder, ...changed])) await fsyncFolder(dir);
      return { bytes: source.size };
    },

    async read(path, range) {
      const segments = check(path);
      const real = await resolveExisting(segments, path);
      const info = real === undefined ? undefined : await statOrUndefined(real);
      if (real === undefined || !info?.isFile()) throw notFound(`No artifact file at '${segments.join('/')}'`);

      const handle = await open(real, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      try {
        // Checked again on the open handle: the path could have been swapped since the stat.
        const opened = await handle.stat();
        if (!opened.isFile()) throw notFound(`No artifact file at '${segments.join('/')}'`);
        if (range === undefined) return { stream: handle.createReadStream(), bytes: opened.size };
        const { start, end } = checkRange(range, opened.size, segments.join('/'));
        return { stream: handle.createReadStream({ start, end }), bytes: end - start + 1 };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },

    async stat(path) {
      const real = await resolveExisting(check(path), path);
      const info = real === undefined ? undefined : await statOrUndefined(real);
      if (info?.isDirectory()) return { isDir: true, bytes: 0 };
      if (info?.isFile()) return { isDir: false, bytes: info.size };
      return undefined;
    },

    async list(dir) {
      const real = await resolveExisting(check(dir), dir);
      const info = real === undefined ? undefined : await statOrUndefined(real);
      if (real === undefined || !info?.isDirectory()) return [];

      const names = (await readdir(real)).filter((n) => !STAGING_NAME.test(n));
      const entries = await Promise.all(names.map((n) => describeChild(join(real, n), n)));
      return entries.filter((e) => e !== undefined).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },

    async delete(path) {
      const segments = check(path);
      const name = segments.pop();
      if (name === undefined) throw invalidPath(path, 'the artifact store root cannot be deleted');
      const folder = await resolveExisting(segments, path);
      const info = folder === undefined ? undefined : await lstatOrUndefined(join(folder, name));
      if (folder === undefined || !info) throw notFound(`No artifact at '${[...segments, name].join('/')}'`);
      // lstat above and rm below never follow a link: a link is removed, never what it points at.
      const target = join(folder, name);
      if (info.isDirectory()) await rm(target, { recursive: true });
      else await unlink(target);
      await fsyncFolder(folder);
    },

    async du(path) {
      const real = await resolveExisting(check(path), path);
      return real === undefined ? 0 : treeBytes(real);
    },

    sweepStaging: (before) => sweepStagingUnder(realRoot, before),

    async freeBytes() {
      const info = await statfs(realRoot);
      return info.bavail * info.bsize;
    },
  };

  /**
   * One listing entry. A link is shown as what it points at only when that is inside the store;
   * a link leading out (or nowhere) is left out, as are FIFOs, sockets and devices.
   */
  async function describeChild(abs: string, name: string): Promise<ArtifactEntry | undefined> {
    let info = await lstatOrUndefined(abs);
    if (info?.isSymbolicLink()) {
      const target = await realpath(abs).catch(() => undefined);
      info = target !== undefined && isInside(target) ? await statOrUndefined(target) : undefined;
    }
    if (info?.isDirectory()) return { path: name, isDir: true };
    if (info?.isFile()) return { path: name, isDir: false, fileSize: info.size };
    return undefined;
  }
}

/**
 * Copies `body` into the open staging file, counting bytes. Stops as soon as the body outgrows
 * `expectedBytes`, so a lying client cannot fill the disk past what it announced.
 */
async function writeBody(handle: FileHandle, body: Readable | Uint8Array, expectedBytes: number | undefined, rel: string): Promise<number> {
  let bytes = 0;
  const chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array> = body instanceof Uint8Array ? [body] : body;
  for await (const chunk of chunks) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += data.byteLength;
    if (expectedBytes !== undefined && bytes > expectedBytes) {
      throw invalid(`Artifact '${rel}': the body is larger than the announced ${expectedBytes} bytes`);
    }
    for (let offset = 0; offset < data.byteLength; ) {
      offset += (await handle.write(data, offset, data.byteLength - offset)).bytesWritten;
    }
  }
  if (expectedBytes !== undefined && bytes !== expectedBytes) {
    throw invalid(`Artifact '${rel}': the body has ${bytes} bytes, ${expectedBytes} were announced`);
  }
  return bytes;
}

/**
 * A rename that lost a race to a folder created at the target reads as a refusal, not a crash; a
 * full disk or quota reads as no room (507), which clients do not retry, rather than a 500, which they do.
 */
function renameError(err: unknown, path: string): unknown {
  const code = errorCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') return new FlowdeskError('QUOTA_EXCEEDED', `No room to store '${path}': the disk holding the artifacts is full`);
  return code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST' ? invalidPath(path, 'it is a folder, not a file') : err;
}

/** The inclusive byte range to stream, refusing ranges that are not within the file. */
function checkRange(range: ByteRange, size: number, rel: string): { start: number; end: number } {
  const end = Math.min(range.end ?? size - 1, size - 1);
  const valid = Number.isSafeInteger(range.start) && range.start >= 0 && (range.end === undefined || Number.isSafeInteger(range.end));
  if (!valid || range.start > end) {
    throw invalid(`Artifact '${rel}': range ${range.start}-${range.end ?? ''} is not within its ${size} bytes`);
  }
  return { start: range.start, end };
}

/** Bytes of the regular files under `abs`; links are not followed and staging files not counted. */
async function treeBytes(abs: string): Promise<number> {
  const info = await lstatOrUndefined(abs);
  if (info?.isFile()) return info.size;
  if (!info?.isDirectory()) return 0;
  const names = (await readdir(abs)).filter((n) => !STAGING_NAME.test(n));
  const sizes = await Promise.all(names.map((n) => treeBytes(join(abs, n))));
  return sizes.reduce((sum, n) => sum + n, 0);
}

/** Deletes stale staging files under `abs`; links are not followed, so nothing outside is touched. */
async function sweepStagingUnder(abs: string, before: number): Promise<number> {
  let freed = 0;
  for (const entry of await readdir(abs, { withFileTypes: true })) {
    const path = join(abs, entry.name);
    if (entry.isDirectory()) freed += await sweepStagingUnder(path, before);
    else if (entry.isFile() && STAGING_NAME.test(entry.name)) {
      const info = await lstatOrUndefined(path);
      if (info && info.mtimeMs < before) {
        await unlink(path).catch((err: unknown) => (isMissing(err) ? undefined : Promise.reject(err)));
        freed += info.size;
      }
    }
  }
  return freed;
}

/**
 * Flushes a folder's entries (a rename, a new child) to disk. Windows cannot open a folder as a
 * file, and NTFS journals its metadata, so there this step does not exist.
 */
async function fsyncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function lstatOrUndefined(abs: string): Promise<Stats | undefined> {
  return lstat(abs).catch((err: unknown) => {
    if (isMissing(err)) return undefined;
    throw err;
  });
}

async function statOrUndefined(abs: string): Promise<Stats | undefined> {
  return stat(abs).catch((err: unknown) => {
    if (isMissing(err)) return undefined;
    throw err;
  });
}

/**
 * Links that lead round in a circle (or too deep) name nothing a client can have: a 400 that
 * says so, not an internal error. Other errors pass through unchanged.
 */
function loopError(err: unknown, input: string): unknown {
  return errorCode(err) === 'ELOOP' ? invalidPath(input, 'it goes through a loop of symbolic links in the artifact folder') : err;
}

/** ENOTDIR counts as missing: `a.txt/b` does not exist when `a.txt` is a file. */
function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
