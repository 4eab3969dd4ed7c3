/**
 * Handlers of the runs-table contract methods (`runs.keys`, `runs.columnStats`, `runs.count`,
 * `runs.groups`, `runs.childCounts`, `runs.metricRanges` and the bulk changes): aggregate SQL over
 * a whole experiment, so the window never loads every run to learn what columns exist and which
 * matter, how many runs match, what a group's metrics are, or which runs have children; and one
 * transaction for a change to every run a filter matches, however many.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Handlers } from '#core/api/contract.ts';
import { invalid, notFound } from '#core/api/errors.ts';
import { MAX_NAMED_RUNS, type EventBus } from '#core/api/events.ts';
import { MAX_GROUPS, MAX_KEYS, type RunGroup, type RunSelection } from '#core/api/runs-table-contract.ts';
import type { Catalog, Db } from '#core/catalog/catalog.ts';
import type { Dialect } from '#core/catalog/migrations.ts';
import { compileFilter, numericValue } from '#core/search/compile-filter.ts';
import { parseFilter } from '#core/search/parse-filter.ts';
import { RUNS_TARGET } from '#core/search/search-target.ts';
import { LEVEL_WIDTHS } from '#core/tracking/metric-writer.ts';
import { validateKey, validateValue } from '#core/tracking/validation.ts';
import { createAggregateCache } from './aggregate-cache.ts';
import { cutRanges, rangeLabel } from './numeric-ranges.ts';

export type RunsTableHandlers = Pick<
  Handlers,
  | 'runs.keys'
  | 'runs.columnStats'
  | 'runs.count'
  | 'runs.groups'
  | 'runs.childCounts'
  | 'runs.metricRanges'
  | 'runs.deleteMany'
  | 'runs.restoreMany'
  | 'runs.setTagMany'
>;

/** Rows per statement when a bulk change touches runs by id: well under both databases' limit on bound parameters. */
const CHUNK = 5000;

/** The tag MLflow sets on a child run, naming its parent's run id. */
export const PARENT_TAG = 'mlflow.parentRunId';

type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** `runs` rows of the experiments in the view type, as one SQL condition over the `runs` table. */
function runScope(experimentIds: readonly string[], viewType: ViewType | undefined): RawBuilder<SqlBool> {
  const inExperiments = sql<SqlBool>`runs.experiment_id in (${sql.join(experimentNumbers(experimentIds))})`;
  return lifecycle(viewType, inExperiments);
}

/** The experiment ids as numbers; refuses an id that is not made of digits. */
function experimentNumbers(experimentIds: readonly string[]): number[] {
  return experimentIds.map((id) => {
    if (!/^[0-9]{1,15}$/.test(id)) throw invalid(`Invalid experiment id '${id}': experiment ids are made of digits`);
    return Number(id);
  });
}

function lifecycle(viewType: ViewType | undefined, condition: RawBuilder<SqlBool>): RawBuilder<SqlBool> {
  if (viewType === 'ALL') return condition;
  return sql<SqlBool>`${condition} and runs.lifecycle_stage = ${viewType === 'DELETED_ONLY' ? 'deleted' : 'active'}`;
}

/** SQL hands back NULL where an aggregate of ±Infinity is undefined (inf + -inf); that is NaN. */
const numberOrNaN = (value: unknown) => (value === null || value === undefined ? Number.NaN : Number(value));

/** The runs `selection` names in the lifecycle stage, with their experiment ids; refuses ids of runs that do not exist. */
async function selectedRuns(trx: Db, dialect: Dialect, selection: RunSelection, stage: 'active' | 'deleted') {
  type Row = { id: number; run_uuid: string; experiment_id: number; lifecycle_stage: string };
  if ('runIds' in selection) {
    const wanted = [...new Set(selection.runIds)];
    const rows: Row[] = [];
    for (let i = 0; i < wanted.length; i += CHUNK) {
      const chunk = wanted.slice(i, i + CHUNK);
      rows.push(...(await trx.selectFrom('runs').select(['id', 'run_uuid', 'experiment_id', 'lifecycle_stage']).where('run_uuid', 'in', chunk).execute()));
    }
    if (rows.length < wanted.length) {
      const found = new Set(rows.map((r) => r.run_uuid));
      throw notFound(`Run '${wanted.find((id) => !found.has(id))}' not found`);
    }
    return rows.filter((r) => r.lifecycle_stage === stage);
  }
  const compiled = compileFilter(parseFilter(selection.filter), RUNS_TARGET, dialect);
  const scope = runScope(selection.experimentIds, stage === 'active' ? 'ACTIVE_ONLY' : 'DELETED_ONLY');
  const where = compiled ? sql<SqlBool>`${scope} and ${compiled}` : scope;
  const { rows } = await sql<Row>`select runs.id as id, runs.run_uuid as run_uuid, runs.experiment_id as experiment_id, runs.lifecycle_stage as lifecycle_stage from runs where ${where}`.execute(trx);
  return rows.map((r) => ({ ...r, id: Number(r.id), experiment_id: Number(r.experiment_id) }));
}

/** Runs `update` on the ids in chunks. */
async function inChunks(ids: readonly number[], update: (chunk: number[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < ids.length; i += CHUNK) await update(ids.slice(i, i + CHUNK));
}

/** The runs-table handlers over a catalog; bulk changes announce themselves on `events`. */
export function createRunsTableQueries(catalog: Catalog, deps: { events: EventBus; now?: () => number }): RunsTableHandlers {
  const { db, dialect } = catalog;
  const now = deps.now ?? Date.now;
  // Whole-experiment aggregates without a filter are answered from the catalog's cache while
  // nothing they read changed; a filter can read any table (tags, datasets), so those are read each time.
  const aggregates = createAggregateCache(catalog, now);
  // A bulk change is one event of each kind per experiment it touched, not one per run: 50,000
  // run events would flood every window's stream for what each window reloads at once anyway.
  const announce = (rows: readonly { experiment_id: number; run_uuid: string }[]) => {
    const byExperiment = new Map<string, string[]>();
    for (const r of rows) {
      const ids = byExperiment.get(String(r.experiment_id)) ?? [];
      ids.push(r.run_uuid);
      byExperiment.set(String(r.experiment_id), ids);
    }
    for (const [experimentId, runs] of byExperiment) {
      deps.events.publish({ type: 'experiment.changed', experimentId });
      deps.events.publish({ type: 'runs.changed', experimentId, runIds: runs.length <= MAX_NAMED_RUNS ? runs : [] });
    }
  };
  /** Which params and metrics the runs in view have, how many values each param takes, and whether they are numbers: read from every run. */
  const columnStats = async (experimentIds: readonly string[], viewType: ViewType | undefined) => {
    const scope = runScope(experimentIds, viewType);
    const { rows: total } = await sql<{ n: number }>`select count(*) as n from runs where ${scope}`.execute(db);
    const { rows: params } = await sql<{ key: string; n: number; d: number; other: number }>`select p.key as key, count(*) as n, count(distinct p.value) as d,
        sum(case when ${numericValue(sql.ref('p.value'), dialect)} is null then 1 else 0 end) as other
      from params p join runs on runs.id = p.run_id where ${scope} group by p.key order by p.key limit ${MAX_KEYS}`.execute(db);
    // A metric varies when two runs' latest values differ; a NaN (stored with is_nan = 1) differs from any number.
    const { rows: metrics } = await sql<{ key: string; n: number; v: number }>`select m.key as key, count(*) as n,
        case when min(m.value) < max(m.value) or min(m.is_nan) < max(m.is_nan) then 1 else 0 end as v
      from metric_series m join runs on runs.id = m.run_id where ${scope} group by m.key order by m.key limit ${MAX_KEYS}`.execute(db);
    return {
      runCount: Number(total[0]?.n ?? 0),
      params: params.map((r) => ({ key: r.key, runCount: Number(r.n), distinctValues: Number(r.d), numeric: Number(r.other) === 0 })),
      metrics: metrics.map((r) => ({ key: r.key, runCount: Number(r.n), varies: Number(r.v) === 1 })),
    };
  };
  /** Runs grouped by a param's value (or its numeric ranges) with their metric summaries, read from every run in view. */
  const groups = async ({ experimentIds, param, filter, viewType, metrics, bins }: Parameters<Handlers['runs.groups']>[0]) => {
    const compiled = compileFilter(parseFilter(filter), RUNS_TARGET, dialect);
    const where = compiled ? sql<SqlBool>`${runScope(experimentIds, viewType)} and ${compiled}` : runScope(experimentIds, viewType);
    const join = sql`left join params g on g.run_id = runs.id and g.key = ${param}`;
    if (bins !== undefined) {
      const binned = await binnedGroups(db, dialect, { join, where, metrics, bins });
      if (binned) return binned;
    }
    // Missing values (runs without the param) form the last group, as in a sort.
    const { rows: counts } = await sql<{ value: string | null; n: number }>`select g.value as value, count(*) as n from runs ${join} where ${where}
      group by g.value order by case when g.value is null then 1 else 0 end, g.value limit ${MAX_GROUPS + 1}`.execute(db);
    const truncated = counts.length > MAX_GROUPS;
    const byValue = new Map<string | null, RunGroup>();
    for (const row of counts.slice(0, MAX_GROUPS)) byValue.set(row.value, { value: row.value, runCount: Number(row.n), metrics: [] });
    if (metrics?.length === 0) return { groups: [...byValue.values()], truncated };

    const only = metrics ? sql` and m.key in (${sql.join(metrics)})` : sql``;
    const { rows } = await sql<{ value: string | null; key: string; mean: number | null; min: number | null; max: number | null; n: number }>`
      select g.value as value, m.key as key, avg(m.value) as mean, min(m.value) as min, max(m.value) as max, count(*) as n
      from runs ${join} join metric_series m on m.run_id = runs.id and m.is_nan = 0${only}
      where ${where} group by g.value, m.key order by m.key`.execute(db);
    for (const row of rows) {
      byValue.get(row.value)?.metrics.push({ key: row.key, mean: numberOrNaN(row.mean), min: numberOrNaN(row.min), max: numberOrNaN(row.max), count: Number(row.n) });
    }
    return { groups: [...byValue.values()], truncated };
  };
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

    async 'runs.columnStats'({ experimentIds, viewType }) {
      // The answer's shape is part of the key: an answer stored before metrics said whether they vary is not served.
      const request = ['runs.columnStats', 'varies', [...experimentIds].sort(), viewType ?? 'ACTIVE_ONLY'];
      return aggregates.answer(request, experimentNumbers(experimentIds), () => columnStats(experimentIds, viewType));
    },


    async 'runs.count'({ experimentIds, filter, viewType }) {
      const compiled = compileFilter(parseFilter(filter), RUNS_TARGET, dialect);
      const scope = runScope(experimentIds, viewType);
      const { rows } = await sql<{ n: number }>`select count(*) as n from runs where ${compiled ? sql<SqlBool>`${scope} and ${compiled}` : scope}`.execute(db);
      return { count: Number(rows[0]?.n ?? 0) };
    },

    async 'runs.groups'(input) {
      const { experimentIds, param, filter, viewType, metrics, bins } = input;
      if (filter !== undefined && filter.trim() !== '') return groups(input);
      const request = ['runs.groups', [...experimentIds].sort(), viewType ?? 'ACTIVE_ONLY', param, metrics ?? null, bins ?? null];
      return aggregates.answer(request, experimentNumbers(experimentIds), () => groups(input));
    },

    async 'runs.metricRanges'({ runIds, keys }) {
      if (runIds.length === 0 || keys.length === 0) return { ranges: {} };
      // Every point is folded into every level, so the coarsest level's few buckets hold a series' extremes.
      const level = LEVEL_WIDTHS.length - 1;
      const { rows } = await sql<{ run: string; key: string; min: number | null; max: number | null }>`select runs.run_uuid as run, s.key as key, min(b.min) as min, max(b.max) as max
        from runs join metric_series s on s.run_id = runs.id join metric_buckets b on b.series_id = s.id and b.level = ${level}
        where runs.run_uuid in (${sql.join(runIds)}) and s.key in (${sql.join(keys)}) group by runs.run_uuid, s.key`.execute(db);
      const ranges: Record<string, Record<string, { min: number; max: number }>> = {};
      for (const row of rows) (ranges[row.run] ??= {})[row.key] = { min: numberOrNaN(row.min), max: numberOrNaN(row.max) };
      return { ranges };
    },

    async 'runs.deleteMany'({ selection }) {
      const rows = await catalog.write(async (trx) => {
        const runs = await selectedRuns(trx, dialect, selection, 'active');
        const t = now();
        await inChunks(runs.map((r) => r.id), (chunk) => trx.updateTable('runs').set({ lifecycle_stage: 'deleted', deleted_time: t }).where('id', 'in', chunk).execute());
        return runs;
      });
      announce(rows);
      return { runIds: rows.map((r) => r.run_uuid) };
    },

    async 'runs.restoreMany'({ selection }) {
      const rows = await catalog.write(async (trx) => {
        const runs = await selectedRuns(trx, dialect, selection, 'deleted');
        const experimentIds = [...new Set(runs.map((r) => r.experiment_id))];
        if (experimentIds.length > 0) {
          const gone = await trx.selectFrom('experiments').select('experiment_id').where('experiment_id', 'in', experimentIds).where('lifecycle_stage', '!=', 'active').executeTakeFirst();
          if (gone) throw invalid(`Cannot restore these runs: experiment ${gone.experiment_id} is deleted; restore the experiment first.`);
        }
        await inChunks(runs.map((r) => r.id), (chunk) => trx.updateTable('runs').set({ lifecycle_stage: 'active', deleted_time: null }).where('id', 'in', chunk).execute());
        return runs;
      });
      announce(rows);
      return { runIds: rows.map((r) => r.run_uuid) };
    },

    async 'runs.setTagMany'({ selection, key, value }) {
      validateKey('tag', key);
      validateValue('Tag', key, value);
      if (key.startsWith('mlflow.')) throw invalid(`Tag '${key}' is a system tag: set it on one run, where its meaning is kept`);
      const rows = await catalog.write(async (trx) => {
        const runs = await selectedRuns(trx, dialect, selection, 'active');
        await inChunks(runs.map((r) => r.id), (chunk) =>
          trx
            .insertInto('run_tags')
            .values(chunk.map((runId) => ({ run_id: runId, key, value })))
            .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet({ value }))
            .execute(),
        );
        return runs;
      });
      announce(rows);
      return { count: rows.length };
    },

    async 'runs.childCounts'({ runIds, viewType }) {
      if (runIds.length === 0) return { counts: {} };
      const { rows } = await sql<{ parent: string; n: number }>`select t.value as parent, count(*) as n from run_tags t join runs on runs.id = t.run_id
        where t.key = ${PARENT_TAG} and t.value in (${sql.join(runIds)}) and ${lifecycle(viewType, sql<SqlBool>`1 = 1`)} group by t.value`.execute(db);
      return { counts: Object.fromEntries(rows.map((r) => [r.parent, Number(r.n)])) };
    },
  };
}

/**
 * Groups by numeric ranges of the param: about `bins` ranges of round numbers over the values the
 * runs in view have, then the runs whose value is not a number, then those without the param.
 * Undefined when no value is a number (the caller groups by value then).
 */
async function binnedGroups(
  db: Db,
  dialect: Dialect,
  q: { join: RawBuilder<unknown>; where: RawBuilder<SqlBool>; metrics: readonly string[] | undefined; bins: number },
): Promise<{ groups: RunGroup[]; truncated: boolean; binning: { scale: 'linear' | 'log'; ranges: number } } | undefined> {
  // Each run's value is read as a number once, in a subquery, rather than once per range it is tested against.
  const runs = sql`select runs.id as run_id, g.value as v, ${numericValue(sql.ref('g.value'), dialect)} as x from runs ${q.join} where ${q.where}`;
  const { rows: extent } = await sql<{ lo: number | null; hi: number | null }>`select min(t.x) as lo, max(t.x) as hi from (${runs}) t`.execute(db);
  const lo = extent[0]?.lo;
  const hi = extent[0]?.hi;
  if (lo === null || lo === undefined || hi === null || hi === undefined) return undefined;
  const cut = cutRanges(Number(lo), Number(hi), q.bins);
  const edges = cut.edges;
  const whens = edges.slice(1, -1).map((edge, i) => sql`when t.x < ${edge} then ${sql.lit(i)}`);
  // -2: no param; -1: not a number; 0..: the range.
  const bin = sql`(case when t.v is null then -2 when t.x is null then -1 ${sql.join(whens, sql` `)} else ${sql.lit(edges.length - 2)} end)`;
  // Each run's range is worked out once, in materialized steps: inlined, SQLite would read the
  // value as a number again for every range tested, and again for every metric row joined.
  // Counts (key null) and metric summaries come from one statement over the same ranges.
  const only = q.metrics ? sql` and m.key in (${sql.join(q.metrics)})` : sql``;
  const metricRows =
    q.metrics?.length === 0
      ? sql``
      : sql` union all select b.bin as bin, m.key as key, avg(m.value) as mean, min(m.value) as min, max(m.value) as max, count(*) as n
          from b join metric_series m on m.run_id = b.run_id and m.is_nan = 0${only} group by b.bin, m.key`;
  const { rows } = await sql<{ bin: number; key: string | null; mean: number | null; min: number | null; max: number | null; n: number }>`
    with t as materialized (${runs}), b as materialized (select t.run_id as run_id, ${bin} as bin from t)
    select bin, key, mean, min, max, n from (
      select b.bin as bin, null as key, null as mean, null as min, null as max, count(*) as n from b group by b.bin${metricRows}
    ) r order by key`.execute(db);
  const groups = new Map<number, RunGroup>();
  // Ranges in order, then "not a number", then the missing value last, as in a sort.
  const place = (b: number) => (b >= 0 ? b : edges.length - b);
  const counts = rows.filter((r) => r.key === null);
  const ordered = counts.map((r) => ({ bin: Number(r.bin), n: Number(r.n) })).sort((a, b) => place(a.bin) - place(b.bin));
  for (const { bin: b, n } of ordered) {
    if (b >= 0) groups.set(b, { value: rangeLabel(edges[b]!, edges[b + 1]!), runCount: n, metrics: [], range: { low: edges[b]!, high: edges[b + 1]! } });
    else if (b === -1) groups.set(b, { value: 'not a number', runCount: n, metrics: [], notNumber: true });
    else groups.set(b, { value: null, runCount: n, metrics: [] });
  }
  const binning = { scale: cut.scale, ranges: edges.length - 1 };
  for (const row of rows) {
    if (row.key === null) continue;
    groups.get(Number(row.bin))?.metrics.push({ key: row.key, mean: numberOrNaN(row.mean), min: numberOrNaN(row.min), max: numberOrNaN(row.max), count: Number(row.n) });
  }
  return { groups: [...groups.values()], truncated: false, binning };
}
