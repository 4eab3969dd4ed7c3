/**
 * Handlers of the runs-table contract methods (`runs.keys`, `runs.groups`, `runs.childCounts`):
 * aggregate SQL over a whole experiment, so the window never loads every run to learn what
 * columns exist, what a group's metrics are, or which runs have children.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Handlers } from '#core/api/contract.ts';
import { invalid } from '#core/api/errors.ts';
import { MAX_GROUPS, MAX_KEYS, type RunGroup } from '#core/api/runs-table-contract.ts';
import type { Catalog } from '#core/catalog/catalog.ts';
import { compileFilter } from '#core/search/compile-filter.ts';
import { parseFilter } from '#core/search/parse-filter.ts';
import { RUNS_TARGET } from '#core/search/search-target.ts';

export type RunsTableHandlers = Pick<Handlers, 'runs.keys' | 'runs.groups' | 'runs.childCounts'>;

/** The tag MLflow sets on a child run, naming its parent's run id. */
export const PARENT_TAG = 'mlflow.parentRunId';

type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** `runs` rows of the experiments in the view type, as one SQL condition over the `runs` table. */
function runScope(experimentIds: readonly string[], viewType: ViewType | undefined): RawBuilder<SqlBool> {
  const ids = experimentIds.map((id) => {
    if (!/^[0-9]{1,15}$/.test(id)) throw invalid(`Invalid experiment id '${id}': experiment ids are made of digits`);
    return Number(id);
  });
  const inExperiments = sql<SqlBool>`runs.experiment_id in (${sql.join(ids)})`;
  return lifecycle(viewType, inExperiments);
}

function lifecycle(viewType: ViewType | undefined, condition: RawBuilder<SqlBool>): RawBuilder<SqlBool> {
  if (viewType === 'ALL') return condition;
  return sql<SqlBool>`${condition} and runs.lifecycle_stage = ${viewType === 'DELETED_ONLY' ? 'deleted' : 'active'}`;
}

/** SQL hands back NULL where an aggregate of ±Infinity is undefined (inf + -inf); that is NaN. */
const numberOrNaN = (value: unknown) => (value === null || value === undefined ? Number.NaN : Number(value));

/** The runs-table handlers over a catalog. */
export function createRunsTableQueries(catalog: Catalog): RunsTableHandlers {
  const { db, dialect } = catalog;
  return {
    async 'runs.keys'({ experimentIds, viewType }) {
      const scope = runScope(experimentIds, viewType);
      // Distinct keys come from walking the (key, ...) index, then each is kept if some run in scope
      // has it: usually its first index entry does. Joining every row to its run instead reads
      // all 100,000 params of a 50,000-run experiment (about 200 ms) to learn a handful of keys.
      const keysOf = async (table: 'params' | 'metric_series' | 'run_tags') => {
        const { rows } = await sql<{ key: string }>`select k.key as key from (select distinct key from ${sql.table(table)}) as k
          where exists (select 1 from ${sql.table(table)} as v join runs on runs.id = v.run_id where v.key = k.key and ${scope})
          order by k.key limit ${MAX_KEYS}`.execute(db);
        return rows.map((r) => r.key);
      };
      return { params: await keysOf('params'), metrics: await keysOf('metric_series'), tags: await keysOf('run_tags') };
    },

    async 'runs.groups'({ experimentIds, param, filter, viewType, metrics }) {
      const compiled = compileFilter(parseFilter(filter), RUNS_TARGET, dialect);
      const where = compiled ? sql<SqlBool>`${runScope(experimentIds, viewType)} and ${compiled}` : runScope(experimentIds, viewType);
      const join = sql`left join params g on g.run_id = runs.id and g.key = ${param}`;
      // Missing values (runs without the param) form the last group, as in a sort.
      const { rows: counts } = await sql<{ value: string | null; n: number }>`select g.value as value, count(*) as n from runs ${join} where ${where}
        group by g.value order by case when g.value is null then 1 else 0 end, g.value limit ${MAX_GROUPS + 1}`.execute(db);
      const truncated = counts.length > MAX_GROUPS;
      const groups = new Map<string | null, RunGroup>();
      for (const row of counts.slice(0, MAX_GROUPS)) groups.set(row.value, { value: row.value, runCount: Number(row.n), metrics: [] });
      if (metrics?.length === 0) return { groups: [...groups.values()], truncated };

      const only = metrics ? sql` and m.key in (${sql.join(metrics)})` : sql``;
      const { rows } = await sql<{ value: string | null; key: string; mean: number | null; min: number | null; max: number | null; n: number }>`
        select g.value as value, m.key as key, avg(m.value) as mean, min(m.value) as min, max(m.value) as max, count(*) as n
        from runs ${join} join metric_series m on m.run_id = runs.id and m.is_nan = 0${only}
        where ${where} group by g.value, m.key order by m.key`.execute(db);
      for (const row of rows) {
        groups.get(row.value)?.metrics.push({ key: row.key, mean: numberOrNaN(row.mean), min: numberOrNaN(row.min), max: numberOrNaN(row.max), count: Number(row.n) });
      }
      return { groups: [...groups.values()], truncated };
    },

    async 'runs.childCounts'({ runIds, viewType }) {
      if (runIds.length === 0) return { counts: {} };
      const { rows } = await sql<{ parent: string; n: number }>`select t.value as parent, count(*) as n from run_tags t join runs on runs.id = t.run_id
        where t.key = ${PARENT_TAG} and t.value in (${sql.join(runIds)}) and ${lifecycle(viewType, sql<SqlBool>`1 = 1`)} group by t.value`.execute(db);
      return { counts: Object.fromEntries(rows.map((r) => [r.parent, Number(r.n)])) };
    },
  };
}
