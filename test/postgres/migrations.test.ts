/**
 * The PostgreSQL side of test/catalog/migrations.test.ts: the whole upgrade is one transaction
 * (DDL is transactional here), so a schema version that fails after its first statement leaves
 * the catalog at the version before with none of its changes, and the catalog opens as before.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { migratePostgres, openPostgresCatalog } from '#core/catalog/postgres-catalog.ts';
import { MIGRATIONS, SCHEMA_VERSION } from '#core/catalog/migrations.ts';
import type { Database as Schema } from '#core/catalog/schema.ts';
import { freshPostgresDatabase } from '../helpers/postgres.ts';
import { failingStatement, probeMigration, probeState } from '../helpers/probe-migration.ts';

describe('a schema version that stops after its first statement, on PostgreSQL', () => {
  it('leaves the catalog at the version before with none of its changes', async () => {
    const url = await freshPostgresDatabase();
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
    onTestFinished(() => db.destroy());
    await expect(migratePostgres(db, 'the test database', [...MIGRATIONS, probeMigration(failingStatement)])).rejects.toThrow(/probe_no_such_table/);
    expect(await probeState(db, 'postgres')).toEqual({ version: SCHEMA_VERSION, column: false, table: false });
    const catalog = await openPostgresCatalog(url);
    try {
      await catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'after', value: 'written' }).execute());
      expect((await catalog.db.selectFrom('flowdesk_meta').select('value').where('key', '=', 'after').executeTakeFirst())?.value).toBe('written');
    } finally {
      await catalog.close();
    }
  });
});
