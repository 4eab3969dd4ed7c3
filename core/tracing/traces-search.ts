/**
 * Trace search: MLflow 3's trace filter language over the catalog, through the same parser,
 * compiler, ordering and page tokens as every other search. Fields, as MLflow names them:
 * `trace.` (or `attributes.`, or no prefix) `trace_id`/`request_id`, `timestamp_ms`/`timestamp`,
 * `execution_time_ms`/`execution_time`, `status`/`state`, `client_request_id`, `name` (the
 * mlflow.traceName tag), `run_id` (the source run or a linked run); `tags.`, `metadata.` (or
 * `request_metadata.`); `span.name`, `span.type`, `span.status`. OR, NOT and parentheses as
 * elsewhere. Traces of deleted runs and experiments are out of every search.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { MethodParsedInput } from '#core/api/contract.ts';
import { invalid } from '#core/api/errors.ts';
import type { Db } from '#core/catalog/catalog.ts';
import type { Dialect } from '#core/catalog/migrations.ts';
import type { SearchTarget } from '#core/search/search-target.ts';
import { compileFilter } from '#core/search/compile-filter.ts';
import { parseFilter } from '#core/search/parse-filter.ts';
import { searchPage } from '#core/search/search.ts';

const TRACE_NAME_TAG = 'mlflow.traceName';
const SOURCE_RUN_METADATA = 'mlflow.sourceRun';

/** Traces as a search target. */
export const TRACES_TARGET: SearchTarget = {
  noun: 'trace',
  table: 'traces',
  idColumn: 'id',
  attributes: {
    trace_id: { column: 'trace_id', type: 'string' },
    request_id: { column: 'trace_id', type: 'string' },
    timestamp_ms: { column: 'request_time', type: 'number' },
    timestamp: { column: 'request_time', type: 'number' },
    execution_time_ms: { column: 'execution_duration', type: 'number', nullable: true },
    execution_time: { column: 'execution_duration', type: 'number', nullable: true },
    status: { column: 'state', type: 'string' },
    state: { column: 'state', type: 'string' },
    client_request_id: { column: 'client_request_id', type: 'string', nullable: true },
    experiment_id: { column: 'experiment_id', type: 'id' },
    total_tokens: { column: 'total_tokens', type: 'number', nullable: true },
  },
  keyed: {
    tag: { table: 'trace_tags', ownerColumn: 'trace_id', values: 'string' },
    metadata: { table: 'trace_metadata', ownerColumn: 'trace_id', values: 'string' },
  },
  prefixes: {
    trace: 'attribute',
    attribute: 'attribute',
    attributes: 'attribute',
    tag: 'tag',
    tags: 'tag',
    metadata: 'metadata',
    request_metadata: 'metadata',
    span: 'span',
  },
  spans: { table: 'trace_spans', ownerColumn: 'trace_id', columns: { name: 'name', type: 'span_type', status: 'status_code' } },
  derived: {
    name: [{ table: 'trace_tags', ownerColumn: 'trace_id', column: 'value', key: TRACE_NAME_TAG }],
    run_id: [
      { table: 'trace_metadata', ownerColumn: 'trace_id', column: 'value', key: SOURCE_RUN_METADATA },
      { table: 'trace_runs', ownerColumn: 'trace_id', column: 'run_uuid' },
    ],
  },
  datasets: false,
  walkInOrder: true,
  defaultOrderBy: ['timestamp_ms DESC'],
  tieBreakers: [{ attribute: 'trace_id', ascending: true }],
  maxResults: { default: 100, max: 500 },
};

/** The traces a request may see: its experiments (and run or logged model), none in the trash. */
function traceScope(input: { experimentIds: readonly string[]; runId?: string; modelId?: string }): { scope: RawBuilder<SqlBool>; experimentIds: number[] } {
  const experimentIds = input.experimentIds.map((id) => {
    if (!/^\d{1,15}$/.test(id)) throw invalid(`Invalid experiment id '${id}': experiment ids are made of digits`);
    return Number(id);
  });
  const conditions: RawBuilder<SqlBool>[] = [
    sql<SqlBool>`traces.experiment_id in (${sql.join(experimentIds)})`,
    // In the trash with their experiment or their run.
    sql<SqlBool>`traces.experiment_id in (select experiment_id from experiments where lifecycle_stage = 'active')`,
    sql<SqlBool>`(traces.source_run is null or traces.source_run not in (select run_uuid from runs where lifecycle_stage = 'deleted'))`,
  ];
  if (input.runId !== undefined) {
    conditions.push(sql<SqlBool>`(traces.source_run = ${input.runId} or traces.id in (select trace_id from trace_runs where run_uuid = ${input.runId}))`);
  }
  if (input.modelId !== undefined) conditions.push(sql<SqlBool>`traces.model_id = ${input.modelId}`);
  return { scope: sql<SqlBool>`${sql.join(conditions, sql` and `)}`, experimentIds };
}

/** One page of trace row ids matching a `traces.search` request, in result order. */
export async function searchTraceIds(
  db: Db,
  dialect: Dialect,
  input: MethodParsedInput<'traces.search'>,
): Promise<{ rows: number[]; nextPageToken?: string }> {
  const { scope, experimentIds } = traceScope(input);
  const page = await searchPage(db, dialect, TRACES_TARGET, input, {
    scope,
    scopeKey: { experimentIds, runId: input.runId, modelId: input.modelId },
  });
  return { rows: page.ids.map(Number), ...(page.nextPageToken && { nextPageToken: page.nextPageToken }) };
}

/** How many traces match a `traces.count` request: the same scope and filter as a search, counted whole. */
export async function countTraces(db: Db, dialect: Dialect, input: MethodParsedInput<'traces.count'>): Promise<number> {
  const { scope } = traceScope(input);
  const filter = compileFilter(parseFilter(input.filter, TRACES_TARGET.prefixes), TRACES_TARGET, dialect);
  const where = filter ? sql<SqlBool>`${scope} and ${filter}` : scope;
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from traces where ${where}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
