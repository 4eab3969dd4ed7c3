/**
 * The catalog: Kysely over one SQLite file, opened with the settings that keep it durable
 * (WAL, foreign keys, busy timeout), checked on open and migrated in code.
 * Writes go through `write`, which groups writes that arrive together into one transaction.
 * A team server keeps the same catalog in PostgreSQL instead (postgres-catalog.ts).
 *
 * Durability without blocking: SQLite runs with synchronous=NORMAL, so a commit only writes the
 * WAL, and the catalog itself fdatasyncs the -wal file on libuv's thread pool before any write is
 * acknowledged. One sync covers every commit made before it started (group commit across
 * transactions), and the event loop keeps serving and committing while the disk flushes; with
 * synchronous=FULL each commit's fsync ran on the event loop (36% of the server's samples under
 * log-metric load). Why this stays as durable as FULL:
 * - Our connection stays open until close, so SQLite never deletes or replaces the -wal file
 *   while we hold its descriptor; a WAL restart after a checkpoint rewrites the same file from
 *   its start, and our next sync covers the rewritten header and frames alike.
 * - A checkpoint (automatic, at a commit, or on close) syncs the WAL before copying it into the
 *   main file and syncs the main file afterwards under NORMAL too, so frames it moves out of the
 *   WAL are durable in the main file before the WAL is reused.
 * - The -wal file's directory entry is synced with the first sync (SQLite syncs it only on its
 *   own first sync of the file, which NORMAL defers to the first checkpoint).
 * - A failed sync may have dropped the unsynced pages (Linux marks them clean), so a later sync
 *   could succeed without them: the catalog then refuses further writes until reopened.
 * A reader may see a commit whose sync is still in flight (a few milliseconds); only its
 * acknowledgement waits.
 */
import { chmodSync, closeSync, existsSync, fdatasync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { FlowdeskError } from '#core/api/errors.ts';
import { ARRAY_ROWS_MARK } from './array-rows.ts';
import { isReadOnlyError, readOnlyError, requireWritable } from './data-folder-lock.ts';
import { MIGRATIONS, type Dialect, type Migration } from './migrations.ts';
import type { Database as Schema } from './schema.ts';

export type Db = Kysely<Schema>;

export interface Catalog {
  /** For reads. Writes must go through `write`. */
  readonly db: Db;
  readonly dialect: Dialect;
  readonly path: string;
  /**
   * Runs `fn` inside a write transaction and resolves after that transaction committed. Writes
   * queued while a commit is in flight share the next transaction (group commit); in a group of
   * several, each runs in its own savepoint, so one that throws rolls back alone and the others
   * still commit (a write alone in its group that throws rolls back the transaction).
   * On PostgreSQL (postgres-catalog.ts) each write is its own transaction, run again when it
   * loses a race with another process, so `fn` must do nothing outside the transaction.
   */
  write<T>(fn: (trx: Db) => Promise<T>): Promise<T>;
  /** Checkpoints the WAL into the main file and closes. */
  close(): Promise<void>;
}

/** How long a write waits for a lock held by another connection (another process) before failing. */
const BUSY_TIMEOUT_MS = 5000;

interface PendingWrite {
  fn: (trx: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * The group commit's statements, built once: a `sql` template is compiled again on every
 * execution, and a single log-metric request ran five of them.
 */
const BEGIN = CompiledQuery.raw('begin immediate');
const SAVEPOINT = CompiledQuery.raw('savepoint w');
const RELEASE = CompiledQuery.raw('release savepoint w');
const ROLLBACK_TO_SAVEPOINT = CompiledQuery.raw('rollback to savepoint w');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/** The most writes one group commit takes; bounds how long a single transaction holds the lock. */
const MAX_GROUP = 256;

/**
 * Makes the catalog file private (0600) before SQLite opens it: SQLite gives its -wal and -shm
 * files the mode of the database file, so they follow. A file or folder this process may not
 * write is reported as read-only up front, never later as a damaged catalog.
 */
function prepareCatalogFile(path: string): void {
  requireWritable('The folder of the catalog', dirname(path));
  if (!existsSync(path)) {
    closeSync(openSync(path, 'wx', 0o600));
    return;
  }
  requireWritable('The catalog', path);
  // Files of an older build (or left by a crash) are made private too, when they are ours to change.
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (stat && (stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) chmodSync(file, 0o600);
  }
}

/** Flushes one file's data to the disk; the real one is fs.fdatasync on libuv's thread pool. */
export type FileSync = (fd: number) => Promise<void>;

const fdatasyncOnThreadPool: FileSync = (fd) => new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));

/** How the catalog reaches the disk; tests replace the sync at the process's edge. */
export interface CatalogOptions {
  fileSync?: FileSync;
}

/** Opens (creating if needed) the catalog file, verifies it and brings its schema up to date. */
export async function openCatalog(path: string, options: CatalogOptions = {}): Promise<Catalog> {
  let raw: Database.Database;
  try {
    prepareCatalogFile(path);
    raw = new Database(path);
  } catch (err) {
    if (err instanceof FlowdeskError) throw err;
    if (isReadOnlyError(err)) throw readOnlyError('The catalog', path);
    throw new FlowdeskError('INVALID_STATE', `Cannot open the catalog at ${path}: ${(err as Error).message}`);
  }
  try {
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
    // MLflow's LIKE is case-sensitive; ILIKE is compiled to lower() LIKE lower().
    raw.pragma('case_sensitive_like = ON');
    // About 5 ms per MB: a damaged file is refused up front instead of failing mid-write. A file
    // untouched since Flowdesk closed it cleanly was whole then and needs no check, which keeps
    // starting on a catalog of gigabytes quick.
    if (!closedCleanly(path)) {
      const rows = raw.pragma('quick_check') as { quick_check: string }[];
      if (rows.length !== 1 || rows[0]!.quick_check !== 'ok') {
        throw damaged(path, rows.map((r) => r.quick_check).slice(0, 3).join('; '));
      }
    }
  } catch (err) {
    raw.close();
    if (err instanceof FlowdeskError) throw err;
    if (isReadOnlyError(err)) throw readOnlyError('The catalog', path);
    throw damaged(path, (err as Error).message);
  }

  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  let walFd: number;
  try {
    // Migrations commit with synchronous=FULL; only the group-committed writes below sync themselves.
    await migrate(db, 'sqlite', path);
    // SQLite created the -wal file on the connection's first read; it lives as long as the connection.
    walFd = openSync(`${path}-wal`, 'r+');
    raw.pragma('synchronous = NORMAL');
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const fileSync = options.fileSync ?? fdatasyncOnThreadPool;
  let folderSynced: Promise<void> | undefined;
  return createCatalog(
    db,
    'sqlite',
    path,
    () => {
      raw.pragma('wal_checkpoint(TRUNCATE)');
      closeSync(walFd);
    },
    () => markClosedCleanly(path),
    async () => {
      await fileSync(walFd);
      await (folderSynced ??= syncFolder(path));
    },
  );
}

/**
 * Syncs the catalog's folder so the -wal file's own entry survives a power loss before the first
 * checkpoint. Done with the first sync, off the event loop, so opening stays quick.
 */
async function syncFolder(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Group commit for syncs: `afterCommit()` resolves once a sync that started after the call has
 * finished, so it covers the commit just made. A sync in flight when it is called cannot cover
 * that commit; the callers arriving meanwhile share the one sync that starts when it ends.
 */
function createSyncGroup(sync: () => Promise<void>): { afterCommit: () => Promise<void>; idle: () => Promise<void>; failure: () => FlowdeskError | undefined } {
  let inFlight: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let failure: FlowdeskError | undefined;
  const start = (): Promise<void> => {
    const running: Promise<void> = sync().then(
      () => {
        if (inFlight === running) inFlight = undefined;
      },
      (err: unknown) => {
        if (inFlight === running) inFlight = undefined;
        failure ??= syncFailed(err);
        throw failure;
      },
    );
    inFlight = running;
    return running;
  };
  return {
    afterCommit() {
      if (failure) return Promise.reject(failure);
      if (queued) return queued;
      if (!inFlight) return start();
      queued = inFlight.then(
        () => undefined,
        () => undefined,
      ).then(() => {
        queued = undefined;
        if (failure) throw failure;
        return start();
      });
      return queued;
    },
    async idle() {
      while (inFlight || queued) await (queued ?? inFlight)!.catch(() => undefined);
    },
    failure: () => failure,
  };
}

function syncFailed(err: unknown): FlowdeskError {
  return new FlowdeskError(
    'INVALID_STATE',
    `The catalog could not flush its writes to the disk (${(err as Error).message}); writes since the last good flush may be lost. Restart Flowdesk to check the catalog and write again.`,
  );
}

/** The file a clean close leaves beside the catalog: the catalog file's identity and times then. */
const cleanMarker = (path: string) => `${path}-closed-cleanly`;

/**
 * What changes whenever anything writes the file: size, times (ctime cannot be set back by any
 * tool) and identity.
 */
function fileState(path: string): string | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat && JSON.stringify([stat.dev, stat.ino, stat.size, stat.mtimeMs, stat.ctimeMs]);
}

/**
 * Whether the catalog is as this process's predecessor left it on a clean close: the marker
 * matches the file and no write-ahead log holds later writes. The marker is consumed, so a crash
 * from now on leaves none and the next start checks the file.
 */
function closedCleanly(path: string): boolean {
  let marker: string | undefined;
  try {
    marker = readFileSync(cleanMarker(path), 'utf8');
    rmSync(cleanMarker(path), { force: true });
  } catch {
    return false;
  }
  const wal = statSync(`${path}-wal`, { throwIfNoEntry: false });
  return marker === fileState(path) && (wal === undefined || wal.size === 0);
}

/** Records a clean close; a folder that cannot take the marker only costs the next start its check. */
function markClosedCleanly(path: string): void {
  const state = fileState(path);
  if (state === undefined) return;
  try {
    writeFileSync(cleanMarker(path), state, { mode: 0o600 });
  } catch {
    // Read-only or full: the next open checks the file, as after a crash.
  }
}

/** How many prepared statements to keep; the hot paths use a handful of distinct SQL texts. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs as much as running a
 * 1,000-row insert. This keeps the most recently used statements by SQL text. Reuse is safe
 * because Kysely runs one query at a time on its single connection and never streams here.
 */
function withStatementCache(raw: Database.Database): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => raw.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = raw.prepare(text);
        if (text.includes(ARRAY_ROWS_MARK)) statement.raw(true);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, statement);
      return statement as unknown as SqliteStatement;
    },
  };
}

function damaged(path: string, detail: string): FlowdeskError {
  return new FlowdeskError(
    'INVALID_STATE',
    `The catalog at ${path} is damaged (${detail}). Move it aside and restore a backup, or move it aside to start with an empty catalog.`,
  );
}

/** Runs one migration step (or the whole migration) in a transaction. */
export type InTransaction = (fn: (trx: Db) => Promise<void>) => Promise<void>;

/**
 * Applies the migrations this catalog lacks; refuses a catalog written by a newer build. Each
 * version and its version bump run through `inTransaction` (their own transaction on SQLite;
 * PostgreSQL runs the whole migration in one transaction that holds an advisory lock), so a
 * failure or a crash mid-version leaves the catalog at the version before, with none of its
 * changes. `migrations` is this build's list; tests hand in one with a failing last version.
 */
export async function migrate(
  db: Db,
  dialect: Dialect,
  path: string,
  inTransaction: InTransaction = (fn) => db.transaction().execute(fn),
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  await db.schema
    .createTable('flowdesk_meta')
    .ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  const row = await db.selectFrom('flowdesk_meta').select('value').where('key', '=', 'schema_version').executeTakeFirst();
  const current = row ? Number(row.value) : 0;
  if (current > migrations.length) {
    throw new FlowdeskError(
      'INVALID_STATE',
      `The catalog at ${path} has schema version ${current}, written by a newer Flowdesk; this build reads up to version ${migrations.length}. Upgrade Flowdesk to open it.`,
    );
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    const migration = migrations[version - 1]!;
    await inTransaction(async (trx) => {
      await migration.up(trx as unknown as Kysely<unknown>, dialect);
      await trx
        .insertInto('flowdesk_meta')
        .values({ key: 'schema_version', value: String(version) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(version) }))
        .execute();
    });
  }
}

/**
 * Wraps a migrated Kysely instance with the group-commit writer. With `sync`, a commit is
 * acknowledged only after a sync that started after it (see createSyncGroup); without it, the
 * commit itself is durable.
 */
export function createCatalog(
  db: Db,
  dialect: Dialect,
  path: string,
  beforeClose: () => void,
  afterClose: () => void = () => undefined,
  sync?: () => Promise<void>,
): Catalog {
  const syncs = sync && createSyncGroup(sync);
  const queue: PendingWrite[] = [];
  let flushing: Promise<void> | undefined;
  let closed = false;

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      const group = queue.splice(0, MAX_GROUP);
      const results: { ok: boolean; value: unknown }[] = [];
      try {
        await db.connection().execute(async (conn) => {
          await conn.executeQuery(BEGIN);
          try {
            if (group.length === 1) {
              // A lone write needs no savepoint: if it throws, the whole transaction goes.
              let value: unknown;
              try {
                value = await group[0]!.fn(conn);
              } catch (err) {
                await conn.executeQuery(ROLLBACK);
                results.push({ ok: false, value: err });
                return;
              }
              results.push({ ok: true, value });
            } else {
              for (const job of group) {
                await conn.executeQuery(SAVEPOINT);
                try {
                  results.push({ ok: true, value: await job.fn(conn) });
                  await conn.executeQuery(RELEASE);
                } catch (err) {
                  await conn.executeQuery(ROLLBACK_TO_SAVEPOINT);
                  await conn.executeQuery(RELEASE);
                  results.push({ ok: false, value: err });
                }
              }
            }
            await conn.executeQuery(COMMIT);
          } catch (err) {
            await conn.executeQuery(ROLLBACK).catch(() => undefined);
            throw err;
          }
        });
      } catch (err) {
        // The transaction itself failed (e.g. disk full at commit): nothing of the group landed.
        for (const job of group) job.reject(err);
        continue;
      }
      const settle = () => group.forEach((job, i) => (results[i]!.ok ? job.resolve(results[i]!.value) : job.reject(results[i]!.value)));
      if (!syncs) {
        settle();
        continue;
      }
      // The next group commits while this one's sync runs on the thread pool. A failed sync fails
      // every write of the group, including those that threw: the caller hears of the disk first.
      syncs.afterCommit().then(settle, (err: unknown) => {
        for (const job of group) job.reject(err);
      });
    }
  }

  function kick(): void {
    if (flushing) return;
    // better-sqlite3 is synchronous, so a flush started right away would run to its commit
    // inside the current callback, before other requests already received in this turn of the
    // event loop had queued their writes. Waiting for the check phase lets them join the group.
    flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(flush).finally(() => {
      flushing = undefined;
      // A write queued between the loop's last check and this callback still needs a flush.
      if (queue.length > 0) kick();
    });
  }

  return {
    db,
    dialect,
    path,
    write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(new FlowdeskError('INVALID_STATE', 'The catalog is closed'));
      const failure = syncs?.failure();
      if (failure) return Promise.reject(failure);
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        kick();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      while (flushing) await flushing;
      await syncs?.idle();
      beforeClose();
      await db.destroy();
      afterClose();
    },
  };
}
