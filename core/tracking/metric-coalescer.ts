/**
 * Merges metric-only writes that arrive together. A script logging one point per request, or
 * many scripts logging at once, would otherwise pay a full logBatch (run lookup, series lookup,
 * insert, summaries) per point; merged, the points of one run share one of each, inside one
 * group-committed transaction. Each caller still hears back only after the commit and its sync.
 *
 * Why this is not a second queue in front of the catalog's (issue 19, "one queue"): it holds no
 * writes back and has no timer of its own. The first point of a batch queues one ordinary
 * `catalog.write` at once; points arriving until that transaction actually starts join it, and
 * the transaction takes them all when it runs, so the catalog's group commit is the only place
 * where writes wait. What it adds is what the catalog cannot know: that points for the same run
 * can share one run lookup, one series lookup, one insert and one summary update. Folding it into
 * the catalog would mean teaching the generic writer to merge jobs by key (a run id) and to split
 * their outcome per caller, which is exactly this file moved; the bench shows no cost from the
 * layering (two savepoint statements per transaction when it holds more than one run).
 */
import { CompiledQuery } from 'kysely';
import type { Metric } from '#core/api/entities.ts';
import type { Catalog, Db } from '#core/catalog/catalog.ts';
import { isRetryable } from '#core/catalog/postgres-catalog.ts';

/** The savepoint statements around each run's points, built once (both dialects spell them alike). */
const SAVEPOINT = CompiledQuery.raw('savepoint merged_metrics');
const RELEASE = CompiledQuery.raw('release savepoint merged_metrics');
const ROLLBACK_TO_SAVEPOINT = CompiledQuery.raw('rollback to savepoint merged_metrics');

interface Waiter<R> {
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

interface Entry<R> {
  metrics: Metric[];
  waiters: Waiter<R>[];
}

/**
 * `write(trx, runId, metrics)` does the work for one run inside the transaction and returns what
 * callers receive. A failure (e.g. the run was deleted) rolls back that run's points only and is
 * reported to every caller that logged to it, exactly as separate calls would have failed.
 */
export function createMetricCoalescer<R>(catalog: Catalog, write: (trx: Db, runId: string, metrics: Metric[]) => Promise<R>) {
  let pending = new Map<string, Entry<R>>();
  let scheduled = false;

  /**
   * Writes what was taken when the transaction was scheduled. On PostgreSQL a transaction that
   * lost a race runs again, so taking the batch happens on the first run only.
   */
  function flush(taken: Map<string, Entry<R>>) {
    return async (trx: Db): Promise<Map<string, { ok: true; value: R } | { ok: false; error: unknown }>> => {
      // Take what arrived up to now; anything later schedules the next transaction.
      if (pending === taken) {
        pending = new Map();
        scheduled = false;
      }
      const results = new Map<string, { ok: true; value: R } | { ok: false; error: unknown }>();
      // Runs in one order in every process, so two transactions never lock each other's rows in a cycle.
      if (taken.size === 1) {
        // One run alone needs no savepoint: its failure fails the whole write, which rolls it
        // back and reaches every waiter, as the savepoint's outcome would have.
        const [runId, entry] = [...taken][0]!;
        results.set(runId, { ok: true, value: await write(trx, runId, entry.metrics) });
        return results;
      }
      for (const runId of [...taken.keys()].sort()) {
        await trx.executeQuery(SAVEPOINT);
        try {
          results.set(runId, { ok: true, value: await write(trx, runId, taken.get(runId)!.metrics) });
          await trx.executeQuery(RELEASE);
        } catch (error) {
          // A lost race is the whole transaction's to retry, not this run's failure.
          if (isRetryable(error)) throw error;
          await trx.executeQuery(ROLLBACK_TO_SAVEPOINT);
          await trx.executeQuery(RELEASE);
          results.set(runId, { ok: false, error });
        }
      }
      return results;
    };
  }

  return {
    /** Queues points for a run; resolves once they are committed. */
    submit(runId: string, metrics: Metric[]): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        let entry = pending.get(runId);
        if (!entry) pending.set(runId, (entry = { metrics: [], waiters: [] }));
        for (const m of metrics) entry.metrics.push(m);
        entry.waiters.push({ resolve, reject });
        if (scheduled) return;
        scheduled = true;
        const taken = pending;
        catalog.write(flush(taken)).then(
          (results) => {
            for (const [runId, result] of results) {
              for (const waiter of taken.get(runId)?.waiters ?? []) {
                if (result.ok) waiter.resolve(result.value);
                else waiter.reject(result.error);
              }
            }
          },
          // The transaction itself failed: none of the taken points landed.
          (error: unknown) => {
            if (pending === taken) {
              // The flush never ran (e.g. the catalog closed): let later submissions schedule anew.
              pending = new Map();
              scheduled = false;
            }
            for (const entry of taken.values()) for (const waiter of entry.waiters) waiter.reject(error);
          },
        );
      });
    },
  };
}
