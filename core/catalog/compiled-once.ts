/**
 * Hot statements built by Kysely once and then run by their SQL text. Building a query through
 * the builder (operation nodes, then the compiler) cost more than running it on the write path:
 * 7–18% of the server's samples under log-metric load went to compiling the same few statements
 * again on every request. The text is kept per Kysely adapter, so each dialect gets its own
 * spelling, and SQLite's statement cache (catalog.ts) then finds the prepared statement by it.
 */
import { CompiledQuery, type Compilable } from 'kysely';
import type { Db } from './catalog.ts';

/** SQL texts by name, per adapter: a catalog's Kysely and its transactions share one adapter. */
const texts = new WeakMap<object, Map<string, string>>();
/** How many texts one adapter keeps. */
const MAX_TEXTS = 512;

/**
 * The SQL of the statement `build` makes, compiled for `db`'s dialect on the first call under
 * `name` and taken from the cache afterwards. `name` must identify the statement's shape
 * completely (include a list's length when the statement has one placeholder per item), since
 * the values `build` is given are never looked at again.
 */
export function compiledOnce(db: Db, name: string, build: (db: Db) => Compilable): string {
  const adapter = db.getExecutor().adapter;
  let byName = texts.get(adapter);
  if (!byName) texts.set(adapter, (byName = new Map()));
  let text = byName.get(name);
  if (text === undefined) {
    text = build(db).compile().sql;
    // Names that carry a list's length could grow without end; the oldest goes first.
    if (byName.size >= MAX_TEXTS) byName.delete(byName.keys().next().value!);
    byName.set(name, text);
  }
  return text;
}

/** Runs a statement from `compiledOnce` with its parameters, in the placeholders' order. */
export async function runCompiled<R>(db: Db, text: string, parameters: readonly unknown[]): Promise<R[]> {
  return (await db.executeQuery<R>(CompiledQuery.raw(text, [...parameters]))).rows;
}
