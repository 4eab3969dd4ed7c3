/**
 * One owner per data folder. The process that opens a data folder (the app, `flowdesk serve`,
 * `gc`, a private `flowdesk run`, ...) holds an exclusive OS lock on `flowdesk.lock` for as long
 * as it has the folder open; another process asking for the folder is refused with a message that
 * names the owner (pid, and its URL when it serves). The lock is SQLite's own file lock (fcntl on
 * POSIX, LockFileEx on Windows) taken by `begin exclusive` on an empty database and never
 * committed: the kernel drops it when the process ends, however it ends, so a folder left by a
 * process killed with `kill -9` is taken over at once and without a race. A lock file with a
 * pid and a liveness check (proper-lockfile and the like) would need a staleness guess instead.
 *
 * The lock file stays empty and is never opened by anything but SQLite: on POSIX, closing any
 * other descriptor of it would silently drop this process's lock.
 */
import { accessSync, closeSync, constants, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FlowdeskError } from '#core/api/errors.ts';
import { writeFileAtomic } from '#core/platform/atomic-write.ts';

const LOCK_FILE = 'flowdesk.lock';
/** Who holds the lock: written by the holder, read by those it refuses. */
const OWNER_FILE = 'owner.json';
const SERVER_FILE = 'server.json';

export interface DataFolderLock {
  /** Lets the folder go (idempotent). */
  release(): void;
}

/** Errors of the file system and of SQLite that mean "not writable here". */
const READ_ONLY_CODES = new Set(['EROFS', 'EACCES', 'EPERM']);

/** Whether `err` says a file or folder cannot be written (permissions, a read-only mount). */
export function isReadOnlyError(err: unknown): boolean {
  const code = String((err as { code?: unknown } | undefined)?.code ?? '');
  return READ_ONLY_CODES.has(code) || code.startsWith('SQLITE_READONLY');
}

/** The error that says plainly which path cannot be written, instead of a stack or "damaged". */
export function readOnlyError(what: string, path: string): FlowdeskError {
  return new FlowdeskError('INVALID_STATE', `${what} ${path} is read-only: Flowdesk needs to write there. Make it writable, or choose another data folder (--data-dir).`);
}

/** Throws the read-only error when this process may not write `path` (a folder or a file). */
export function requireWritable(what: string, path: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (err) {
    if (isReadOnlyError(err)) throw readOnlyError(what, path);
    throw err;
  }
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** "A Flowdesk server (pid 12, http://127.0.0.1:5000)" or "A Flowdesk process (pid 12)", as far as the owner told. */
function describeOwner(dataDir: string): string {
  const owner = readJson(join(dataDir, OWNER_FILE));
  const server = readJson(join(dataDir, SERVER_FILE));
  const pid = typeof owner?.pid === 'number' ? owner.pid : undefined;
  if (server && typeof server.url === 'string' && (pid === undefined || server.pid === pid)) return `A Flowdesk server (pid ${String(server.pid)}, ${server.url})`;
  return pid === undefined ? 'Another Flowdesk process' : `A Flowdesk process (pid ${pid})`;
}

/** Writes a small JSON file atomically with mode 0600 (staging name, fsync, rename). */
export function writePrivateJson(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2), 0o600);
}

/** What a refused process is told to do unless its caller knows better. */
const DEFAULT_ADVICE = 'one Flowdesk process at a time may open a data folder: use that one, or stop it first';

/**
 * Takes `dataDir` for this process, or throws INVALID_STATE naming the process that has it:
 * "<owner, pid and URL> has <dataDir> open; <advice>".
 */
export function lockDataFolder(dataDir: string, advice = DEFAULT_ADVICE): DataFolderLock {
  requireWritable('The data folder', dataDir);
  const path = join(dataDir, LOCK_FILE);
  try {
    // Created 0600 here (SQLite would use 0644); an existing file is left unopened, see above.
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw isReadOnlyError(err) ? readOnlyError('The data folder', dataDir) : err;
  }
  let opened: Database.Database | undefined;
  try {
    opened = new Database(path, { timeout: 0 });
    opened.exec('begin exclusive');
  } catch (err) {
    opened?.close();
    if (String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY')) {
      throw new FlowdeskError('INVALID_STATE', `${describeOwner(dataDir)} has ${dataDir} open; ${advice}`);
    }
    if (isReadOnlyError(err)) throw readOnlyError('The data folder', dataDir);
    throw err;
  }
  const db = opened;
  const ownerPath = join(dataDir, OWNER_FILE);
  writePrivateJson(ownerPath, { pid: process.pid, since: Date.now() });
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      rmSync(ownerPath, { force: true });
      db.exec('rollback');
      db.close();
    },
  };
}
