/**
 * The behaviour suites run twice: on SQLite, and in the vitest project "postgres" (see
 * vitest.config.ts), which sets FLOWDESK_TEST_CATALOG=postgres and needs FLOWDESK_TEST_POSTGRES_URL
 * (.ci/run starts a PostgreSQL and sets it). There every test gets a database of its own, copied
 * from a migrated template, so tests stay as independent as with their own SQLite files.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, onTestFinished } from 'vitest';
import { openCatalog, type Catalog } from '#core/catalog/catalog.ts';
import { openPostgresCatalog } from '#core/catalog/postgres-catalog.ts';

/** True inside the "postgres" vitest project. */
export const ON_POSTGRES = process.env.FLOWDESK_TEST_CATALOG === 'postgres';

/** The server URL the tests use (any database on it; tests create their own). */
export function postgresServerUrl(): string {
  const url = process.env.FLOWDESK_TEST_POSTGRES_URL;
  if (!url) throw new Error('FLOWDESK_TEST_POSTGRES_URL is not set: the PostgreSQL suites need a server (.ci/run starts one)');
  return url;
}

/** The URL of database `name` on the test server. */
export function databaseUrl(name: string): string {
  const url = new URL(postgresServerUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The template's name changes with the migrations' source, so a template left by an older
 * build on a long-lived server is never used.
 */
const TEMPLATE = `flowdesk_template_${createHash('sha256')
  .update(readFileSync(new URL('../../core/catalog/migrations.ts', import.meta.url)))
  .digest('hex')
  .slice(0, 12)}`;

/** Any two processes may create the template at once; this advisory lock lets one do it. */
const TEMPLATE_LOCK = 7_318_463_252;

let admin: pg.Client | undefined;
let templateReady: Promise<void> | undefined;
let counter = 0;
/** Databases this test file created and has not dropped yet. */
const created = new Set<string>();
/**
 * Databases of tests that have finished. They are dropped when the next test asks for one (or
 * when the file ends), not when its own test finishes: cleanups of one test may run in any order,
 * and the engine that used a database must be closed before it goes.
 */
const finished: string[] = [];

async function adminClient(): Promise<pg.Client> {
  if (!admin) {
    admin = new pg.Client({ connectionString: postgresServerUrl() });
    await admin.connect();
  }
  return admin;
}

async function drop(name: string): Promise<void> {
  // FORCE ends connections a test left open (a server still closing), so the drop never hangs.
  // It can still be refused (an autovacuum worker the test role may not end): the database is
  // then left for the file's end, where the drop is tried again, rather than failing a test.
  try {
    await admin?.query(`drop database if exists ${name} with (force)`);
    created.delete(name);
  } catch (err) {
    console.warn(`Could not drop the test database ${name} yet: ${(err as Error).message}`);
  }
}

// Registered when a test file imports this helper: whatever a file created goes with it.
afterAll(async () => {
  for (const name of created) await drop(name);
  await admin?.end();
  admin = undefined;
});

async function ensureTemplate(client: pg.Client): Promise<void> {
  await client.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK]);
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [TEMPLATE]);
    if (found.rowCount) return;
    const building = `${TEMPLATE}_building_${process.pid}`;
    await client.query(`drop database if exists ${building}`);
    await client.query(`create database ${building}`);
    const catalog = await openPostgresCatalog(databaseUrl(building));
    await catalog.close();
    // Renamed only once complete, so a crash mid-build never leaves a half-migrated template.
    await client.query(`alter database ${building} rename to ${TEMPLATE}`);
  } finally {
    await client.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
  }
}

/**
 * A fresh, migrated, empty database; returns its URL. Dropped after the test, or with
 * `keep: 'file'` (a fixture shared by a file's tests) after the file.
 */
export async function freshPostgresDatabase(keep: 'test' | 'file' = 'test'): Promise<string> {
  const client = await adminClient();
  for (const done of finished.splice(0)) await drop(done);
  templateReady ??= ensureTemplate(client);
  await templateReady;
  const name = `flowdesk_t_${process.pid}_${Date.now()}_${counter++}`;
  await client.query(`create database ${name} template ${TEMPLATE}`);
  created.add(name);
  if (keep === 'test') onTestFinished(() => void finished.push(name));
  return databaseUrl(name);
}

/** The `catalog` option of openFlowdesk for a test (or a whole file): a fresh PostgreSQL database in the postgres project, the default SQLite file otherwise. */
export async function testCatalogOption(keep: 'test' | 'file' = 'test'): Promise<string | undefined> {
  return ON_POSTGRES ? freshPostgresDatabase(keep) : undefined;
}

/** A catalog for tests that work below openFlowdesk: PostgreSQL in the postgres project, `catalog.sqlite` in `dir` otherwise. */
export async function openTestCatalog(dir: string, keep: 'test' | 'file' = 'test'): Promise<Catalog> {
  return ON_POSTGRES ? openPostgresCatalog(await freshPostgresDatabase(keep)) : openCatalog(join(dir, 'catalog.sqlite'));
}
