/**
 * A schema version after this build's last one, for the tests of how a migration that stops
 * halfway leaves the catalog: it adds a column to `experiments` and creates a table, then calls
 * `midway` (which fails or kills the process) before its last statement. `probeState` reads
 * which of its changes a catalog holds.
 */
import { sql, type Kysely } from 'kysely';
import type { Db } from '#core/catalog/catalog.ts';
import type { Migration } from '#core/catalog/migrations.ts';

/** The probe version: two changes, then `midway`, then a third change. */
export function probeMigration(midway: (db: Kysely<unknown>) => Promise<void>): Migration {
  return {
    description: 'probe: a column, a table, then a stop midway',
    async up(db) {
      await db.schema.alterTable('experiments').addColumn('probe_flavour', 'text').execute();
      await db.schema.createTable('probe_table').addColumn('id', 'integer').execute();
      await midway(db);
      await db.schema.createIndex('probe_index').on('probe_table').column('id').execute();
    },
  };
}

/** A statement that fails in the database itself: an index on a table that does not exist. */
export async function failingStatement(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('probe_missing_index').on('probe_no_such_table').column('id').execute();
}

/** The catalog's schema version and which of the probe's changes it holds (on SQLite or PostgreSQL). */
export async function probeState(db: Db, dialect: 'sqlite' | 'postgres'): Promise<{ version: number; column: boolean; table: boolean }> {
  const version = await sql<{ value: string }>`select value from flowdesk_meta where key = 'schema_version'`.execute(db);
  const column =
    dialect === 'sqlite'
      ? await sql`select 1 from pragma_table_info('experiments') where name = 'probe_flavour'`.execute(db)
      : await sql`select 1 from information_schema.columns where table_name = 'experiments' and column_name = 'probe_flavour'`.execute(db);
  const table =
    dialect === 'sqlite'
      ? await sql`select 1 from sqlite_master where name = 'probe_table'`.execute(db)
      : await sql`select 1 from information_schema.tables where table_name = 'probe_table'`.execute(db);
  return { version: Number(version.rows[0]!.value), column: column.rows.length > 0, table: table.rows.length > 0 };
}
