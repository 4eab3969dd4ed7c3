/**
 * A Kysely over no database that records the SQL it is asked to run, compiled for SQLite or
 * PostgreSQL exactly as the real catalogs compile it (same adapters and compilers, no plugins).
 * Every statement returns one empty row, so repository functions run to the end without a
 * server; the repository SQL snapshots (test/catalog/repository-sql.test.ts) are built from it.
 */
import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import type { Dialect } from '#core/catalog/migrations.ts';
import type { Database } from '#core/catalog/schema.ts';

/** A catalog-typed Kysely whose statements land in `statements` instead of a database. */
export interface RecordingDb {
  db: Kysely<Database>;
  statements: CompiledQuery[];
}

class RecordingConnection implements DatabaseConnection {
  constructor(private readonly statements: CompiledQuery[]) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.statements.push(query);
    return { rows: [{} as R] };
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('The recording database does not stream');
  }
}

class RecordingDriver implements Driver {
  private readonly connection: RecordingConnection;

  constructor(statements: CompiledQuery[]) {
    this.connection = new RecordingConnection(statements);
  }

  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }
  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

/** A recording Kysely that compiles for `dialect`. */
export function recordingDb(dialect: Dialect): RecordingDb {
  const statements: CompiledQuery[] = [];
  const kyselyDialect: KyselyDialect =
    dialect === 'postgres'
      ? {
          createAdapter: () => new PostgresAdapter(),
          createDriver: () => new RecordingDriver(statements),
          createIntrospector: (db) => new PostgresIntrospector(db),
          createQueryCompiler: () => new PostgresQueryCompiler(),
        }
      : {
          createAdapter: () => new SqliteAdapter(),
          createDriver: () => new RecordingDriver(statements),
          createIntrospector: (db) => new SqliteIntrospector(db),
          createQueryCompiler: () => new SqliteQueryCompiler(),
        };
  return { db: new Kysely<Database>({ dialect: kyselyDialect }), statements };
}
