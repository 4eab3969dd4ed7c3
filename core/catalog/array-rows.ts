/**
 * Selects whose rows come back as arrays of column values, in select order, instead of one object
 * per row. The large MLflow reads (a page of 1,000 full runs brings 25,000 param, tag and metric
 * rows; a history page 25,000 points) spent most of their time building those objects only to
 * copy them again. On SQLite the statement itself answers arrays (better-sqlite3's raw mode,
 * switched on by the statement cache in catalog.ts for SQL carrying `ARRAY_ROWS_MARK`); Kysely's
 * PostgreSQL driver cannot ask pg for `rowMode: 'array'`, so there the objects are turned into
 * arrays here and the answer is the same.
 */
import { sql, type Expression } from 'kysely';

/** The part of a Kysely select this needs. */
interface Select {
  modifyFront(modifier: Expression<unknown>): { execute(): Promise<unknown[]> };
}

/** The comment that marks a statement whose rows are arrays; never part of any other SQL we write. */
export const ARRAY_ROWS_MARK = '/* flowdesk: rows as arrays */';

/**
 * Runs a select and answers its rows as arrays of the selected columns, in select order. `T` is
 * the tuple type of one row, which the caller states to match its select list.
 */
export async function selectArrays<T extends unknown[]>(query: Select): Promise<T[]> {
  const rows = await query.modifyFront(sql.raw(ARRAY_ROWS_MARK)).execute();
  if (rows.length === 0 || Array.isArray(rows[0])) return rows as T[];
  return (rows as Record<string, unknown>[]).map((row) => Object.values(row) as T);
}
