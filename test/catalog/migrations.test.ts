/**
 * The property the catalog's own migration runner rests on (rather than Kysely's Migrator, which
 * runs each SQLite migration outside a transaction): a schema version and its version bump commit
 * together, so a version that fails or crashes after its first statement leaves the catalog at the
 * version before with none of its changes, and the catalog opens as before. On a real SQLite file;
 * test/postgres/migrations.test.ts shows the same on PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { migrate, openCatalog, type Db, type InTransaction } from '#core/catalog/catalog.ts';
import { MIGRATIONS, SCHEMA_VERSION } from '#core/catalog/migrations.ts';
import type { Database as Schema } from '#core/catalog/schema.ts';
import { failingStatement, probeMigration, probeState } from '../helpers/probe-migration.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** A catalog file at this build's version, and a plain Kysely on it (no catalog around it). */
async function catalogAtCurrentVersion(): Promise<{ path: string; db: Db }> {
  const path = join(tempDir(), 'catalog.sqlite');
  await (await openCatalog(path)).close();
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: new Database(path) }) });
  onTestFinished(() => db.destroy());
  return { path, db };
}

/** The catalog opens again and takes a write: nothing of the stopped version is in its way. */
async function opensAndWrites(path: string): Promise<void> {
  const catalog = await openCatalog(path);
  try {
    await catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'after', value: 'written' }).execute());
    const row = await catalog.db.selectFrom('flowdesk_meta').select('value').where('key', '=', 'after').executeTakeFirst();
    expect(row?.value).toBe('written');
  } finally {
    await catalog.close();
  }
}

describe('a schema version that stops after its first statement', () => {
  it('leaves the catalog at the version before with none of its changes when a statement fails', async () => {
    const { path, db } = await catalogAtCurrentVersion();
    await expect(migrate(db, 'sqlite', path, undefined, [...MIGRATIONS, probeMigration(failingStatement)])).rejects.toThrow(/probe_no_such_table/);
    expect(await probeState(db, 'sqlite')).toEqual({ version: SCHEMA_VERSION, column: false, table: false });
    await db.destroy();
    await opensAndWrites(path);
  });

  it('leaves the catalog at the version before with none of its changes when the process is killed', async () => {
    const { path, db } = await catalogAtCurrentVersion();
    const signal = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['bin/run-ts.js', 'test/fixtures/migration-crash.ts', path], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('close', (_code, killedBy) => resolve(killedBy));
    });
    expect(signal).toBe('SIGKILL');
    expect(await probeState(db, 'sqlite')).toEqual({ version: SCHEMA_VERSION, column: false, table: false });
    await db.destroy();
    await opensAndWrites(path);
  });

  it('would leave half of it behind without the transaction, as a migrator without transactional DDL runs it', async () => {
    const { path, db } = await catalogAtCurrentVersion();
    const withoutTransaction: InTransaction = (fn) => fn(db);
    await expect(migrate(db, 'sqlite', path, withoutTransaction, [...MIGRATIONS, probeMigration(failingStatement)])).rejects.toThrow(/probe_no_such_table/);
    expect(await probeState(db, 'sqlite')).toEqual({ version: SCHEMA_VERSION, column: true, table: true });
  });
});
