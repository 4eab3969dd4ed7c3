/**
 * The catalog on PostgreSQL, for a team server: the same Kysely schema and queries as on SQLite,
 * through Kysely's PostgreSQL dialect over a `pg` pool. Several server processes may share one
 * database, so migrations run under an advisory lock and every write is its own transaction,
 * retried when PostgreSQL reports that it lost a race with another writer.
 */
import type Pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { FlowdeskError } from '#core/api/errors.ts';
import { redactUrl } from '#core/platform/catalog-url.ts';
import { migrate, type Catalog, type Db } from './catalog.ts';
import type { Database as Schema } from './schema.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';

/** Connections per process; the server's writes are short, reads are the bulk. */
const POOL_SIZE = 10;

/** How often a write that lost a race (serialization failure, deadlock, unique clash) is re-run. */
const MAX_ATTEMPTS = 8;

/** An arbitrary, fixed key: every Flowdesk process takes this advisory lock to migrate. */
const MIGRATION_LOCK = 7_318_463_251;

/**
 * SQLSTATEs after which re-running the whole transaction is the right answer: serialization
 * failure, deadlock, and a unique violation (a check-then-insert that raced another process;
 * the re-run sees the other row and answers as it would have without the race).
 */
const RETRYABLE = new Set(['40001', '40P01', '23505']);

/**
 * The `pg` package, imported by the first PostgreSQL connection rather than at start-up: a server
 * on SQLite never needs it, and loading it (with node:tls) costs a start ~150 ms.
 */
let pg: typeof Pg | undefined;

/** `pg`, loaded on first use. */
export async function loadPg(): Promise<typeof Pg> {
  pg ??= (await import('pg')).default;
  return pg;
}

/** True for an error that `write` resolves by running the transaction again. */
export function isRetryable(err: unknown): boolean {
  // No PostgreSQL error can exist before `pg` was loaded.
  return pg !== undefined && err instanceof pg.DatabaseError && RETRYABLE.has(err.code ?? '');
}

/**
 * int8 and numeric come back as strings from `pg` (they may exceed 2^53); the catalog's are ids,
 * counts, steps and epoch milliseconds, all well inside a double, and the code expects numbers.
 */
function typesOf(pg: typeof Pg): Pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) => {
      if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format as 'text');
    }) as Pg.CustomTypesConfig['getTypeParser'],
  };
}

/**
 * Brings the schema of the PostgreSQL catalog `db` up to date, holding the migration lock so one
 * process migrates at a time. DDL is transactional here: the whole upgrade commits at once or
 * not at all. `migrations` is this build's list; tests hand in one with a failing last version.
 */
export async function migratePostgres(db: Db, shown: string, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await migrate(trx, 'postgres', shown, (fn) => fn(trx), migrations);
  });
}

/** Opens the catalog in the PostgreSQL database at `url`, bringing its schema up to date. */
export async function openPostgresCatalog(url: string): Promise<Catalog> {
  const shown = redactUrl(url);
  const pg = await loadPg();
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, types: typesOf(pg) });
  // An idle connection that the server drops must not crash the process; the pool replaces it.
  pool.on('error', (err) => console.error(`Flowdesk: a PostgreSQL connection to ${shown} failed`, err));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migratePostgres(db, shown);
  } catch (err) {
    await db.destroy();
    if (err instanceof FlowdeskError) throw err;
    throw new FlowdeskError('INVALID_STATE', `Cannot open the catalog at ${shown}: ${(err as Error).message}`);
  }
  return createPostgresCatalog(db, shown);
}

function createPostgresCatalog(db: Db, shown: string): Catalog {
  let closed = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  async function attempt<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await db.transaction().execute(fn);
      } catch (err) {
        if (tries >= MAX_ATTEMPTS || !isRetryable(err)) throw err;
        // A little random wait, so writers that collided do not collide again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * tries));
      }
    }
  }

  return {
    db,
    dialect: 'postgres',
    path: shown,
    async write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
      if (closed) throw new FlowdeskError('INVALID_STATE', 'The catalog is closed');
      inFlight++;
      try {
        return await attempt(fn);
      } finally {
        inFlight--;
        if (inFlight === 0) drained?.();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      await db.destroy();
    },
  };
}
