/**
 * Searching logged models (reference §7.5): the shared filter parser and compiler over the
 * logged-model tables, MLflow's structured order_by (attributes, or a metric's latest value, with
 * models lacking it last), and offset page tokens bound to the query they were issued for.
 */
import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { MethodParsedInput } from '#core/api/contract.ts';
import type { LoggedModelOrder } from '#core/api/entities.ts';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import type { Db } from '#core/catalog/catalog.ts';
import type { Dialect } from '#core/catalog/migrations.ts';
import { compileFilter, resolveAttribute } from '#core/search/compile-filter.ts';
import { parseFilter, Parser, type FilterNode, type Literal } from '#core/search/parse-filter.ts';
import type { SearchTarget } from '#core/search/search-target.ts';
import { describeToken, orderBySource } from '#core/search/tokenize.ts';

/** Logged models as the search compiler sees them: MLflow's attributes, and metrics, params and tags. */
const LOGGED_MODELS_TARGET: SearchTarget = {
  noun: 'logged model',
  table: 'logged_models',
  idColumn: 'model_id',
  attributes: {
    model_id: { column: 'model_id', type: 'string' },
    name: { column: 'name', type: 'string' },
    model_type: { column: 'model_type', type: 'string', nullable: true },
    status: { column: 'status', type: 'string' },
    source_run_id: { column: 'source_run_id', type: 'string', nullable: true },
    creation_timestamp: { column: 'creation_time', type: 'number' },
    creation_time: { column: 'creation_time', type: 'number' },
    last_updated_timestamp: { column: 'last_updated_time', type: 'number' },
  },
  keyed: {
    metric: { table: 'logged_model_metrics', ownerColumn: 'model_id', values: 'metric' },
    param: { table: 'logged_model_params', ownerColumn: 'model_id', values: 'string' },
    tag: { table: 'logged_model_tags', ownerColumn: 'model_id', values: 'string' },
  },
  datasets: false,
  defaultOrderBy: ['creation_timestamp DESC'],
  tieBreakers: [
    { attribute: 'creation_timestamp', ascending: false },
    { attribute: 'model_id', ascending: true },
  ],
  maxResults: { default: 100, max: 50_000 },
};

/** What a page token carries: where the next page starts, and which query it belongs to. */
interface PageToken {
  offset: number;
  query: string;
}

type SearchInput = MethodParsedInput<'loggedModels.search'>;

/** Finds the ids of the live logged models matching a search, in order, one page of them. */
export async function searchLoggedModels(db: Db, dialect: Dialect, input: SearchInput): Promise<{ modelIds: string[]; nextPageToken?: string }> {
  if (input.datasets?.length) {
    throw new FlowdeskError('NOT_IMPLEMENTED', 'Searching logged models with `datasets` is not supported; filter on metrics without it');
  }
  const { max, default: fallback } = LOGGED_MODELS_TARGET.maxResults;
  const maxResults = input.maxResults ?? fallback;
  if (maxResults > max) throw invalid(`Invalid value ${maxResults} for parameter 'max_results': it must be at most ${max}`);
  const query = queryFingerprint(input);
  const offset = input.pageToken ? readPageToken(input.pageToken, query) : 0;

  const experimentIds = input.experimentIds.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
  if (experimentIds.length === 0) return { modelIds: [] };
  const where = compileFilter(withStatusNames(parseFilter(input.filter)), LOGGED_MODELS_TARGET, dialect);
  let select = db
    .selectFrom('logged_models')
    .select('logged_models.model_id')
    .where('logged_models.experiment_id', 'in', experimentIds)
    .where('logged_models.lifecycle_stage', '=', 'active');
  if (where) select = select.where(where);
  for (const term of orderTerms(input.orderBy ?? [])) select = select.orderBy(term);
  const rows = await select.limit(maxResults + 1).offset(offset).execute();
  const modelIds = rows.slice(0, maxResults).map((r) => r.model_id);
  return rows.length > maxResults ? { modelIds, nextPageToken: writePageToken({ offset: offset + maxResults, query }) } : { modelIds };
}

/**
 * MLflow's clients filter on `status = 'READY'` as well as on the enum's full name; the catalog
 * stores full names, so bare names in status comparisons are completed before compiling.
 */
function withStatusNames(node: FilterNode | undefined): FilterNode | undefined {
  if (!node) return node;
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, items: node.items.map((item) => withStatusNames(item)!) };
    case 'not':
      return { kind: 'not', item: withStatusNames(node.item)! };
    case 'compare': {
      if (node.field.entity !== 'attribute' || node.field.key !== 'status' || !['=', '!=', 'IN', 'NOT IN'].includes(node.op)) return node;
      const full = (v: Literal): Literal =>
        v.kind === 'string' && ['PENDING', 'READY', 'UPLOAD_FAILED'].includes(v.value.toUpperCase()) ? { ...v, value: `LOGGED_MODEL_${v.value.toUpperCase()}` } : v;
      return { ...node, values: node.values.map(full) };
    }
  }
}

/**
 * The ORDER BY terms: the requested keys, then the tie-breakers (newest first, then model id),
 * which make the order total so an offset names the same place on every page.
 */
function orderTerms(orderBy: readonly LoggedModelOrder[]): RawBuilder<unknown>[] {
  const terms = orderBy.map(orderTerm);
  for (const { attribute, ascending } of LOGGED_MODELS_TARGET.tieBreakers) {
    const spec = LOGGED_MODELS_TARGET.attributes[attribute]!;
    terms.push(sql`${sql.ref(`logged_models.${spec.column}`)} ${sql.raw(ascending ? 'asc' : 'desc')}`);
  }
  return terms;
}

function orderTerm(order: LoggedModelOrder): RawBuilder<unknown> {
  const source = orderBySource(order.fieldName);
  const parser = new Parser(source);
  const field = parser.field();
  const end = parser.next();
  if (end.kind !== 'end') parser.fail(end, `expected the end of the field name, found ${describeToken(end)}; the direction goes in 'ascending'`);
  const direction = sql.raw(order.ascending ? 'asc' : 'desc');
  if (field.entity === 'attribute') {
    const spec = resolveAttribute(LOGGED_MODELS_TARGET, field.key, field.position, source.error);
    return sql`${sql.ref(`logged_models.${spec.column}`)} ${direction} nulls last`;
  }
  if (field.entity !== 'metric') throw source.error(field.position, 'logged models are ordered by an attribute or metrics.<key>');
  // A model's value for a metric is its latest point (greatest step, then timestamp), restricted
  // to a dataset when one is named. A NaN latest point has no place in an order, like a missing one.
  const dataset = [
    order.datasetName !== undefined ? sql` and m.dataset_name = ${order.datasetName}` : sql``,
    order.datasetDigest !== undefined ? sql` and m.dataset_digest = ${order.datasetDigest}` : sql``,
  ];
  const latest = sql`(select case when m.is_nan = 1 then null else m.value end from logged_model_metrics as m
    where m.model_id = logged_models.model_id and m.key = ${field.key}${dataset[0]}${dataset[1]}
    order by m.step desc, m.timestamp desc limit 1)`;
  return sql`${latest} ${direction} nulls last`;
}

/**
 * Identifies a query, so a page token is refused when it is sent with a different one. The page
 * size is left out: a client may ask for just the remainder on its last page.
 */
function queryFingerprint(input: SearchInput): string {
  const identity = JSON.stringify([input.experimentIds, input.filter ?? '', input.orderBy ?? []]);
  return createHash('sha256').update(identity).digest('base64url').slice(0, 22);
}

function writePageToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function readPageToken(text: string, query: string): number {
  let token: Partial<PageToken> | undefined;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<PageToken>;
  } catch {
    token = undefined;
  }
  if (!token || !Number.isSafeInteger(token.offset) || token.offset! < 0 || typeof token.query !== 'string') {
    throw invalid(`Invalid page_token '${text.slice(0, 80)}'`);
  }
  if (token.query !== query) throw invalid('Invalid page_token: it belongs to a different search; repeat the original query to use it');
  return token.offset!;
}
