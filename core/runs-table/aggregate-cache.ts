/**
 * Answers of the runs table's whole-experiment aggregates (`runs.columnStats`, `runs.groups`),
 * kept in the catalog so that asking again costs a lookup instead of a read of every run. Each
 * answer is stored with the epochs its experiments had when it was read; triggers (see the
 * migration that made `aggregate_epochs`) advance an experiment's epoch on any change to its runs,
 * their params or their latest metrics, so an answer is served only while nothing it read changed.
 */
import type { Catalog } from '#core/catalog/catalog.ts';
import { dialectSql } from '#core/catalog/dialect-sql.ts';

/** Answers kept at most; the oldest go first. A groups answer is a few hundred KB at worst. */
const MAX_ENTRIES = 256;

/** JSON has no NaN or ±Infinity, and aggregates answer them (a mean over inf and -inf is NaN). */
const NON_FINITE = '$nonFinite';

function encode(answer: unknown): string {
  return JSON.stringify(answer, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? { [NON_FINITE]: String(value) } : value));
}

function decode<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && NON_FINITE in value ? Number((value as Record<string, string>)[NON_FINITE]) : value,
  ) as T;
}

/** The answers of aggregate requests over a catalog, read again only after something they depend on changed. */
export interface AggregateCache {
  /**
   * The answer to `request` (a method name and its input, which must say everything the answer
   * depends on) over `experimentIds`: the stored one while their epochs are unchanged, else
   * `read()`'s, stored for next time.
   */
  answer<T>(request: unknown, experimentIds: readonly number[], read: () => Promise<T>): Promise<T>;
}

/** An aggregate cache over the catalog's `aggregate_cache` and `aggregate_epochs` tables. */
export function createAggregateCache(catalog: Catalog, now: () => number): AggregateCache {
  const { db } = catalog;
  const dialectOf = dialectSql(catalog.dialect);
  const epochsOf = async (ids: readonly number[]) => {
    const rows = await db.selectFrom('aggregate_epochs').select(['experiment_id', 'epoch', 'valid']).where('experiment_id', 'in', ids).orderBy('experiment_id').execute();
    if (rows.length < ids.length || rows.some((r) => Number(r.valid) !== 1)) return undefined;
    return JSON.stringify(rows.map((r) => [Number(r.experiment_id), Number(r.epoch)]));
  };
  return {
    async answer<T>(request: unknown, experimentIds: readonly number[], read: () => Promise<T>): Promise<T> {
      const ids = [...new Set(experimentIds)].sort((a, b) => a - b);
      const key = JSON.stringify(request);
      const stored = await db.selectFrom('aggregate_cache').select(['epochs', 'answer']).where('request', '=', key).executeTakeFirst();
      if (stored && stored.epochs === (await epochsOf(ids))) return decode<T>(stored.answer);

      // From here on, any change to these experiments advances their epochs. On PostgreSQL a
      // writer already past its trigger (it saw valid = 0 and advanced nothing) may not have
      // committed yet, and the read below would miss its change: the share lock is taken only when
      // no writer holds those tables (NOWAIT), else the answer is read and not stored, as it
      // would be stale at once anyway. Waiting for the lock instead could deadlock with a writer
      // that holds one of the tables and wants another. SQLite has one writer at a time, so its
      // triggers and commits cannot interleave with this.
      const epochs = await catalog.write(async (trx) => {
        if (!(await dialectOf.holdOffWriters(trx, ['runs', 'params', 'metric_series']))) return undefined;
        await trx
          .insertInto('aggregate_epochs')
          .values(ids.map((id) => ({ experiment_id: id, epoch: 0, valid: 1 })))
          .onConflict((oc) => oc.column('experiment_id').doUpdateSet({ valid: 1 }))
          .execute();
        const rows = await trx.selectFrom('aggregate_epochs').select(['experiment_id', 'epoch']).where('experiment_id', 'in', ids).orderBy('experiment_id').execute();
        return JSON.stringify(rows.map((r) => [Number(r.experiment_id), Number(r.epoch)]));
      });
      if (epochs === undefined) return read();
      const answer = await read();
      // Stored even if a change came in during the read: its epochs then no longer match, so it is never served.
      const row = { request: key, epochs, answer: encode(answer), filled_at: now() };
      await catalog.write(async (trx) => {
        await trx
          .insertInto('aggregate_cache')
          .values(row)
          .onConflict((oc) => oc.column('request').doUpdateSet({ epochs: row.epochs, answer: row.answer, filled_at: row.filled_at }))
          .execute();
        const oldest = await trx.selectFrom('aggregate_cache').select('filled_at').orderBy('filled_at', 'desc').limit(1).offset(MAX_ENTRIES - 1).executeTakeFirst();
        if (oldest) await trx.deleteFrom('aggregate_cache').where('filled_at', '<', oldest.filled_at).execute();
      });
      return answer;
    },
  };
}
