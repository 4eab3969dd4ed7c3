/**
 * Disk usage per experiment: what each experiment's artifact folder takes, and its share of the
 * catalog (its runs, params, tags, metric points and traces), so people can see where their disk went
 * before emptying the trash. A million metric points live in the catalog, not in artifacts.
 *
 * The catalog share is an estimate: each table's bytes on disk (SQLite's dbstat, read by a worker
 * thread so the server keeps answering while it walks every page; PostgreSQL's
 * pg_total_relation_size; both counting indexes) divided among the experiments by how many of
 * its rows each owns. Row counts come from grouped queries; metric points are counted from the
 * series' own point counts, never by scanning millions of rows.
 */
import { sql } from 'kysely';
import type { Handlers } from '#core/api/contract.ts';
import type { ExperimentDiskUsage } from '#core/api/entities.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import type { Db } from '#core/catalog/catalog.ts';
import { dialectSql } from '#core/catalog/dialect-sql.ts';
import type { Dialect } from '#core/catalog/migrations.ts';

export type DiskUsageHandlers = Pick<Handlers, 'experiments.diskUsage'>;

/** Rows of one table per experiment id. */
export type RowCounts = Map<number, number>;

/** Tables whose rows belong to one experiment, and how to count each one's rows per experiment. */
const OWNED_TABLES = [
  'experiments',
  'experiment_tags',
  'runs',
  'run_tags',
  'params',
  'metric_series',
  'metrics',
  'metric_buckets',
  'datasets',
  'run_inputs',
  'run_model_outputs',
  'run_model_inputs',
  'logged_models',
  'logged_model_params',
  'logged_model_tags',
  'logged_model_metrics',
  'traces',
  'trace_tags',
  'trace_metadata',
  'trace_runs',
  'trace_spans',
  'trace_assessments',
] as const;
type OwnedTable = (typeof OWNED_TABLES)[number];

function toCounts(rows: readonly { experiment_id: number | string | bigint; n: number | string | bigint | null }[]): RowCounts {
  return new Map(rows.map((r) => [Number(r.experiment_id), Number(r.n ?? 0)]));
}

/** Rows per experiment of every owned table. */
async function countRows(db: Db): Promise<Record<OwnedTable, RowCounts>> {
  const n = sql<number>`count(*)`.as('n');
  const byRun = (table: 'run_tags' | 'params' | 'metric_series' | 'run_inputs' | 'run_model_outputs' | 'run_model_inputs') =>
    db.selectFrom(table).innerJoin('runs', 'runs.id', `${table}.run_id`).select(['runs.experiment_id', n]).groupBy('runs.experiment_id').execute().then(toCounts);
  const byModel = (table: 'logged_model_params' | 'logged_model_tags' | 'logged_model_metrics') =>
    db.selectFrom(table).innerJoin('logged_models', 'logged_models.model_id', `${table}.model_id`).select(['logged_models.experiment_id', n]).groupBy('logged_models.experiment_id').execute().then(toCounts);
  const byTrace = (table: 'trace_tags' | 'trace_metadata' | 'trace_runs' | 'trace_spans' | 'trace_assessments') =>
    db.selectFrom(table).innerJoin('traces', 'traces.id', `${table}.trace_id`).select(['traces.experiment_id', n]).groupBy('traces.experiment_id').execute().then(toCounts);
  const [experiments, experimentTags, runs, runTags, params, series, points, buckets, datasets, runInputs, outputs, inputs, models, modelParams, modelTags, modelMetrics, traces, traceTags, traceMetadata, traceRuns, spans, assessments] = await Promise.all([
    db.selectFrom('experiments').select(['experiment_id', sql<number>`1`.as('n')]).execute().then(toCounts),
    db.selectFrom('experiment_tags').select(['experiment_id', n]).groupBy('experiment_id').execute().then(toCounts),
    db.selectFrom('runs').select(['experiment_id', n]).groupBy('experiment_id').execute().then(toCounts),
    byRun('run_tags'),
    byRun('params'),
    byRun('metric_series'),
    // Every point is counted in its series' point_count: the sum reads one row per series.
    db.selectFrom('metric_series').innerJoin('runs', 'runs.id', 'metric_series.run_id').select(['runs.experiment_id', sql<number>`sum(metric_series.point_count)`.as('n')]).groupBy('runs.experiment_id').execute().then(toCounts),
    db
      .selectFrom('metric_buckets')
      .innerJoin('metric_series', 'metric_series.id', 'metric_buckets.series_id')
      .innerJoin('runs', 'runs.id', 'metric_series.run_id')
      .select(['runs.experiment_id', n])
      .groupBy('runs.experiment_id')
      .execute()
      .then(toCounts),
    db.selectFrom('datasets').select(['experiment_id', n]).groupBy('experiment_id').execute().then(toCounts),
    byRun('run_inputs'),
    byRun('run_model_outputs'),
    byRun('run_model_inputs'),
    db.selectFrom('logged_models').select(['experiment_id', n]).groupBy('experiment_id').execute().then(toCounts),
    byModel('logged_model_params'),
    byModel('logged_model_tags'),
    byModel('logged_model_metrics'),
    db.selectFrom('traces').select(['experiment_id', n]).groupBy('experiment_id').execute().then(toCounts),
    byTrace('trace_tags'),
    byTrace('trace_metadata'),
    byTrace('trace_runs'),
    byTrace('trace_spans'),
    byTrace('trace_assessments'),
  ]);
  return {
    experiments,
    experiment_tags: experimentTags,
    runs,
    run_tags: runTags,
    params,
    metric_series: series,
    metrics: points,
    metric_buckets: buckets,
    datasets,
    run_inputs: runInputs,
    run_model_outputs: outputs,
    run_model_inputs: inputs,
    logged_models: models,
    logged_model_params: modelParams,
    logged_model_tags: modelTags,
    logged_model_metrics: modelMetrics,
    traces,
    trace_tags: traceTags,
    trace_metadata: traceMetadata,
    trace_runs: traceRuns,
    trace_spans: spans,
    trace_assessments: assessments,
  };
}

/**
 * Each experiment's share of the catalog: for every table, its bytes split in proportion to the
 * rows each experiment owns. The shares add up to the tables' bytes (an empty table's pages
 * belong to no one).
 */
export function catalogShares(counts: Readonly<Record<string, RowCounts>>, bytes: ReadonlyMap<string, number>): Map<number, number> {
  const shares = new Map<number, number>();
  for (const [table, perExperiment] of Object.entries(counts)) {
    const total = [...perExperiment.values()].reduce((a, b) => a + b, 0);
    const size = bytes.get(table) ?? 0;
    if (total === 0 || size === 0) continue;
    for (const [experimentId, rows] of perExperiment) shares.set(experimentId, (shares.get(experimentId) ?? 0) + (size * rows) / total);
  }
  for (const [id, share] of shares) shares.set(id, Math.round(share));
  return shares;
}

/** The `experiments.diskUsage` handler over a catalog and its artifact store. */
export function createDiskUsage(deps: { db: Db; dialect: Dialect; catalogPath: string; artifacts: ArtifactStore }): DiskUsageHandlers {
  const { db, dialect, catalogPath, artifacts } = deps;
  return {
    async 'experiments.diskUsage'() {
      const rows = await db.selectFrom('experiments').select(['experiment_id', 'name', 'lifecycle_stage']).execute();
      const shares = catalogShares(await countRows(db), await dialectSql(dialect).tableBytes({ db, path: catalogPath }, OWNED_TABLES));
      const experiments: ExperimentDiskUsage[] = [];
      // One experiment at a time: a walk of every folder at once would open too many handles.
      for (const row of rows) {
        const artifactBytes = await artifacts.du(String(row.experiment_id));
        const catalogBytes = shares.get(Number(row.experiment_id)) ?? 0;
        experiments.push({
          experimentId: String(row.experiment_id),
          name: row.name,
          lifecycleStage: row.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
          bytes: artifactBytes + catalogBytes,
          artifactBytes,
          catalogBytes,
        });
      }
      // Largest first; ties by name so the order is stable between refreshes.
      experiments.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
      const sum = (pick: (e: ExperimentDiskUsage) => number) => experiments.reduce((total, e) => total + pick(e), 0);
      return { experiments, totalBytes: sum((e) => e.bytes), artifactBytes: sum((e) => e.artifactBytes), catalogBytes: sum((e) => e.catalogBytes) };
    },
  };
}
