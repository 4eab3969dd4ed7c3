/**
 * Every difference between the catalog's two databases that code outside core/catalog needs,
 * in one place: SQL fragments that are spelled differently on SQLite and PostgreSQL, and the few
 * things one of them does that the other does not. Services, the filter compiler and the rest
 * ask `dialectSql(catalog.dialect)` instead of testing the dialect's name (lint refuses such
 * tests outside this folder).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Db } from './catalog.ts';
import type { Dialect } from './migrations.ts';
import { sqliteTableBytes } from './sqlite-table-bytes.ts';

export interface DialectSql {
  /**
   * The owner id of a filter's subquery as the outer query compares it. On SQLite a unary `+`
   * keeps the planner walking the owner table in its order rather than through an index, which
   * the targets that ask for it (`walkInOrder`) need; PostgreSQL plans these well as they are.
   */
  walkInOrder(expr: RawBuilder<unknown>): RawBuilder<unknown>;
  /**
   * Follows a LIKE pattern: PostgreSQL treats a backslash as an escape unless told otherwise;
   * SQLite has no escape character by default. Both match MLflow on SQLite this way.
   */
  readonly likeEscape: RawBuilder<unknown>;
  /**
   * Text that sorts by its bytes. PostgreSQL sorts by the database's locale; "C" gives the byte
   * order SQLite uses, so a page token means the same position on both.
   */
  bytewise(expr: RawBuilder<unknown>): RawBuilder<unknown>;
  /**
   * The number a text value spells, or NULL when it spells none. JSON's number syntax is the
   * definition on both databases; SQLite checks it with its JSON functions, PostgreSQL with the
   * equivalent regular expression. CASE keeps the cast from ever seeing a non-number.
   */
  numericValue(expr: RawBuilder<unknown>): RawBuilder<number | null>;
  /**
   * A join that unnests a JSON array of `{key, value}` objects held as text in `column`, as the
   * alias `je`, with the key and value of each element (unnesting JSON has no portable syntax).
   */
  jsonKeyValues(column: string): { from: RawBuilder<unknown>; key: RawBuilder<unknown>; value: RawBuilder<unknown> };
  /**
   * Whether a read-merge-write must lock the rows it reads first. SQLite runs one write
   * transaction at a time (its write lock serializes every process); PostgreSQL runs them side by
   * side, so a writer must lock what it is about to merge into.
   */
  readonly concurrentWriters: boolean;
  /**
   * Bytes on disk of tables (at least those named), each with its indexes. On SQLite the catalog
   * file at `path` is read by a worker thread (see sqlite-table-bytes.ts); PostgreSQL answers
   * from its statistics through `db`.
   */
  tableBytes(catalog: { db: Db; path: string }, tables: readonly string[]): Promise<Map<string, number>>;
  /**
   * Tells every other process on the catalog about `payload` on `channel` when `trx` commits.
   * Only PostgreSQL has other listening processes (servers sharing the database); on SQLite it
   * does nothing.
   */
  notify(trx: Db, channel: string, payload: string): Promise<void>;
  /**
   * Keeps writers of `tables` from committing under `trx` until it ends, without waiting: true
   * when held, false when a writer holds one of them now. On PostgreSQL writers run side by side
   * with `trx`, so a share lock taken NOWAIT (waiting could deadlock with a writer that holds one
   * table and wants another); SQLite runs one write transaction at a time, so `trx` already has it.
   */
  holdOffWriters(trx: Db, tables: readonly string[]): Promise<boolean>;
  /**
   * Orders text as an ORDER BY on a text column does, for code that builds an answer without
   * reading it back; undefined where code cannot: PostgreSQL sorts by the database's locale.
   */
  readonly textOrder?: (a: string, b: string) => number;
}

/** SQLite's BINARY collation: by UTF-8 bytes, which is code point order, not UTF-16's. */
function byCodePoints(a: string, b: string): number {
  // Surrogates (U+D800–DFFF) encode code points above U+FFFF: move them past U+E000–FFFF.
  const rank = (unit: number) => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit);
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

const SQLITE: DialectSql = {
  walkInOrder: (expr) => sql`+${expr}`,
  likeEscape: sql``,
  bytewise: (expr) => expr,
  numericValue: (expr) => sql<number | null>`(case when json_valid(${expr}) then case when json_type(${expr}) in ('integer', 'real') then cast(${expr} as real) end end)`,
  jsonKeyValues: (column) => ({
    from: sql`cross join json_each(${sql.ref(column)}) as je`,
    key: sql`json_extract(je.value, '$.key')`,
    value: sql`json_extract(je.value, '$.value')`,
  }),
  concurrentWriters: false,
  async tableBytes(catalog) {
    const sizes = new Map<string, number>();
    for (const r of await sqliteTableBytes(catalog.path)) sizes.set(r.table, Number(r.bytes));
    return sizes;
  },
  async notify() {},
  async holdOffWriters() {
    return true;
  },
  textOrder: byCodePoints,
};

// PostgreSQL's SQLSTATE for a lock NOWAIT could not take.
const LOCK_NOT_AVAILABLE = '55P03';

const POSTGRES: DialectSql = {
  walkInOrder: (expr) => expr,
  likeEscape: sql` escape ''`,
  bytewise: (expr) => sql`${expr} collate "C"`,
  numericValue: (expr) =>
    sql<number | null>`(case when ${expr} ~ '^[[:space:]]*-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?[[:space:]]*$' then cast(${expr} as double precision) end)`,
  jsonKeyValues: (column) => ({
    from: sql`cross join lateral jsonb_array_elements(cast(${sql.ref(column)} as jsonb)) as je(tag)`,
    key: sql`je.tag ->> 'key'`,
    value: sql`je.tag ->> 'value'`,
  }),
  concurrentWriters: true,
  async tableBytes({ db }, tables) {
    const sizes = new Map<string, number>();
    const names = sql.join(tables.map((t) => sql.lit(t)));
    const { rows } = await sql<{ name: string; bytes: string | number }>`select t.name, pg_total_relation_size(to_regclass(t.name)) as bytes from unnest(array[${names}]::text[]) as t(name)`.execute(db);
    for (const r of rows) sizes.set(r.name, Number(r.bytes ?? 0));
    return sizes;
  },
  async notify(trx, channel, payload) {
    await sql`select pg_notify(${channel}, ${payload})`.execute(trx);
  },
  async holdOffWriters(trx, tables) {
    try {
      await sql`lock table ${sql.join(tables.map((t) => sql.table(t)))} in share mode nowait`.execute(trx);
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return false;
      throw err;
    }
  },
};


/** The SQL differences of `dialect`. */
export function dialectSql(dialect: Dialect): DialectSql {
  return dialect === 'postgres' ? POSTGRES : SQLITE;
}
