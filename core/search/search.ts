/**
 * Search entry points: runs and experiments, and the generic page query the registry reuses with
 * its own targets. Each page is ONE statement:
 *
 *   select t.id, t.s0 .. t.sN from (
 *     select <id> as id, <sort columns> as s0 .. sN
 *     from <table> left join <sorted keyed values> where <scope> and <filter>
 *   ) as t
 *   where <after the page token's position>
 *   order by t.s0 .. t.sN limit <max_results + 1>
 *
 * Filters become `id in (select owner from <keyed table> where key = ? and ...)` subqueries: with
 * (key, value, owner) indexes a selective clause is an index range scan that drives the query,
 * instead of a probe per run of the experiment. The extra row fetched tells whether a next page
 * exists, so the last page carries no token.
 */
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { invalid } from '#core/api/errors.ts';
import type { Dialect } from '#core/catalog/migrations.ts';
import type { Database } from '#core/catalog/schema.ts';
import { compileFilter } from './compile-filter.ts';
import { compileOrderBy, type SortColumn } from './compile-order.ts';
import { decodePageToken, encodePageToken, queryFingerprint } from './page-token.ts';
import { parseFilter } from './parse-filter.ts';
import { parseOrderBy } from './parse-order-by.ts';
import { EXPERIMENTS_TARGET, RUNS_TARGET, type SearchTarget } from './search-target.ts';

export { parseFilter } from './parse-filter.ts';
export { parseOrderBy } from './parse-order-by.ts';

/** Which lifecycle stages a search sees. */
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** The query-language part of every search request. */
export interface SearchRequest {
  filter?: string;
  orderBy?: readonly string[];
  maxResults?: number;
  pageToken?: string;
}

/** A run search: the request plus the experiments to search and the lifecycle view. */
export interface SearchRunsQuery extends SearchRequest {
  /** Experiment ids as the API carries them (decimal strings). */
  experimentIds: readonly string[];
  viewType?: ViewType;
}

/** An experiment search: the request plus the lifecycle view. */
export interface SearchExperimentsQuery extends SearchRequest {
  viewType?: ViewType;
}

/** One page of ids of the target's table, in result order. */
export interface SearchPage {
  /** As the driver returns them: PostgreSQL returns bigint as a string; text ids are strings anyway. */
  ids: (number | string)[];
  /** Absent on the last page. */
  nextPageToken?: string;
}

/** The most experiments one run search spans; keeps the statement within the database's parameter limit. */
export const MAX_EXPERIMENT_IDS = 10_000;

/**
 * Finds runs of the given experiments: `runIds` are internal `runs.id` values in result order
 * (default order start_time DESC, run_id ASC). Throws INVALID_PARAMETER_VALUE for a malformed
 * filter, order_by, max_results, view type, experiment id or page token.
 */
export async function searchRuns(
  db: Kysely<Database>,
  dialect: Dialect,
  q: SearchRunsQuery,
): Promise<{ runIds: number[]; nextPageToken?: string }> {
  const experimentIds = [...new Set(q.experimentIds.map(parseExperimentId))].sort((a, b) => a - b);
  if (experimentIds.length > MAX_EXPERIMENT_IDS) {
    throw invalid(`A run search spans at most ${MAX_EXPERIMENT_IDS} experiments, got ${experimentIds.length}`);
  }
  const viewType = checkViewType(q.viewType);
  if (experimentIds.length === 0) return { runIds: [] };
  const inExperiments = sql<SqlBool>`runs.experiment_id in (${sql.join(experimentIds)})`;
  const stage = lifecycleCondition(sql.ref('runs.lifecycle_stage'), viewType);
  const scope = stage ? sql<SqlBool>`${inExperiments} and ${stage}` : inExperiments;
  const page = await searchPage(db, dialect, RUNS_TARGET, q, { scope, scopeKey: { experimentIds, viewType } });
  return { runIds: page.ids.map(Number), ...(page.nextPageToken && { nextPageToken: page.nextPageToken }) };
}

/**
 * Finds experiments: `experimentIds` in result order (default creation_time DESC, experiment_id
 * ASC). Throws INVALID_PARAMETER_VALUE like `searchRuns`.
 */
export async function searchExperiments(
  db: Kysely<Database>,
  dialect: Dialect,
  q: SearchExperimentsQuery,
): Promise<{ experimentIds: number[]; nextPageToken?: string }> {
  const viewType = checkViewType(q.viewType);
  const scope = lifecycleCondition(sql.ref('experiments.lifecycle_stage'), viewType);
  const page = await searchPage(db, dialect, EXPERIMENTS_TARGET, q, { scope, scopeKey: { viewType } });
  return { experimentIds: page.ids.map(Number), ...(page.nextPageToken && { nextPageToken: page.nextPageToken }) };
}

/**
 * One page of `target` rows matching `scope` (the caller's fixed conditions, such as experiments
 * and lifecycle) and the request's filter, in the request's order. `scopeKey` describes the scope
 * in the page-token fingerprint, so a token cannot move between scopes.
 */
export async function searchPage(
  db: Kysely<Database>,
  dialect: Dialect,
  target: SearchTarget,
  request: SearchRequest,
  options: { scope?: RawBuilder<SqlBool>; scopeKey: unknown },
): Promise<SearchPage> {
  const limit = checkMaxResults(request.maxResults, target);
  const filter = compileFilter(parseFilter(request.filter, target.prefixes), target, dialect);
  const orderBy = request.orderBy?.length ? request.orderBy : target.defaultOrderBy;
  const order = compileOrderBy(parseOrderBy(orderBy, target.prefixes), target, dialect);
  const fingerprint = queryFingerprint({ target: target.noun, scope: options.scopeKey, filter: request.filter ?? '', orderBy });
  const after =
    request.pageToken === undefined || request.pageToken === ''
      ? undefined
      : decodePageToken(request.pageToken, fingerprint, order.columns.map((c) => c.type));

  const conditions = [options.scope, filter].filter((c) => c !== undefined);
  const where = conditions.length ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
  const names = order.columns.map((_, i) => sql.ref(`t.s${i}`));
  const inner = sql`select ${sql.ref(`${target.table}.${target.idColumn}`)} as id, ${sql.join(
    order.columns.map((column, i) => sql`${column.expr} as ${sql.id(`s${i}`)}`),
  )} from ${sql.table(target.table)} ${sql.join(order.joins, sql` `)} ${where}`;
  const seek = after ? sql`where ${seekCondition(order.columns, names, after)}` : sql``;
  const orderList = sql.join(order.columns.map((column, i) => sql`${names[i]} ${sql.raw(column.ascending ? 'asc' : 'desc')}`));
  const statement = sql<Record<string, unknown>>`select t.id, ${sql.join(names)} from (${inner}) as t ${seek} order by ${orderList} limit ${limit + 1}`;
  const { rows } = await statement.execute(db);

  const ids = rows.slice(0, limit).map((row) => row.id as number | string);
  if (rows.length <= limit) return { ids };
  const last = rows[limit - 1]!;
  return { ids, nextPageToken: encodePageToken(fingerprint, order.columns.map((_, i) => last[`s${i}`])) };
}

/**
 * Rows strictly after `values` in the order of `columns`: (c0 after v0) or (c0 = v0 and (c1 after
 * v1 or (c1 = v1 and ...))). The columns never hold NULL and end in a unique one, so this is exact.
 */
function seekCondition(columns: readonly SortColumn[], names: readonly RawBuilder<unknown>[], values: readonly (string | number)[]) {
  let condition: RawBuilder<SqlBool> | undefined;
  for (let i = columns.length - 1; i >= 0; i--) {
    const after = sql<SqlBool>`${names[i]} ${sql.raw(columns[i]!.ascending ? '>' : '<')} ${values[i]}`;
    condition = condition ? sql<SqlBool>`(${after} or (${names[i]} = ${values[i]} and ${condition}))` : after;
  }
  return condition!;
}

function checkMaxResults(value: number | undefined, target: SearchTarget): number {
  const { default: fallback, max } = target.maxResults;
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(`Invalid value ${value} for max_results: ${target.noun} searches take a whole number from 1 to ${max}`);
  }
  return value;
}

function checkViewType(value: string | undefined): ViewType {
  if (value === undefined) return 'ACTIVE_ONLY';
  if (value !== 'ACTIVE_ONLY' && value !== 'DELETED_ONLY' && value !== 'ALL') {
    throw invalid(`Invalid view type '${value}': expected ACTIVE_ONLY, DELETED_ONLY or ALL`);
  }
  return value;
}

function lifecycleCondition(column: RawBuilder<unknown>, viewType: ViewType): RawBuilder<SqlBool> | undefined {
  if (viewType === 'ALL') return undefined;
  return sql<SqlBool>`${column} = ${viewType === 'ACTIVE_ONLY' ? 'active' : 'deleted'}`;
}

function parseExperimentId(id: string): number {
  if (!/^[0-9]{1,15}$/.test(id)) throw invalid(`Invalid experiment id '${id}': experiment ids are made of digits`);
  return Number(id);
}
