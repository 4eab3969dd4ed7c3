/**
 * The tracing service's queries: traces, their spans, tags, metadata, run links and assessments,
 * one function per statement (or per group of statements that always go together). Rules (what
 * must exist, how spans merge into a trace, which error a caller gets) live in traces-service.ts;
 * search is in traces-search.ts. The SQL these functions compile is kept as reviewed snapshots
 * for both dialects (test/catalog/repository-sql.test.ts).
 */
import { CompiledQuery, type Insertable, type Updateable } from 'kysely';
import type { Db } from '#core/catalog/catalog.ts';
import type { Database, TraceAssessmentsTable, TraceSpansTable } from '#core/catalog/schema.ts';

/** A trace's row as the service reads it. */
export type TraceRow = {
  id: number;
  trace_id: string;
  experiment_id: number;
  client_request_id: string | null;
  request_time: number;
  execution_duration: number | null;
  state: string;
  request_preview: string | null;
  response_preview: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  span_count: number;
};

/** The span columns of a catalog row, and the artifact file of its full attributes when large. */
export type SpanRow = Omit<TraceSpansTable, 'trace_id'>;

/** The trace with this id, if any. */
export function findTrace(db: Db, traceId: string): Promise<TraceRow | undefined> {
  return db.selectFrom('traces').selectAll().where('trace_id', '=', traceId).executeTakeFirst() as Promise<TraceRow | undefined>;
}

/** The traces with these trace ids, in no particular order. */
export function tracesByTraceIds(db: Db, traceIds: string[]): Promise<TraceRow[]> {
  return db.selectFrom('traces').selectAll().where('trace_id', 'in', traceIds).execute() as Promise<TraceRow[]>;
}

/** The traces with these internal ids, in no particular order. */
export function tracesByIds(db: Db, ids: number[]): Promise<TraceRow[]> {
  return db.selectFrom('traces').selectAll().where('id', 'in', ids).execute() as Promise<TraceRow[]>;
}

/** Which of these trace ids exist, with their internal ids and experiments. */
export function traceExperiments(db: Db, traceIds: string[]): Promise<{ id: number; trace_id: string; experiment_id: number }[]> {
  return db.selectFrom('traces').select(['id', 'trace_id', 'experiment_id']).where('trace_id', 'in', traceIds).execute();
}

/** One of these traces that belongs to another experiment than `experimentId`, if any. */
export function traceInOtherExperiment(db: Db, traceIds: string[], experimentId: number): Promise<{ trace_id: string; experiment_id: number } | undefined> {
  return db.selectFrom('traces').select(['trace_id', 'experiment_id']).where('trace_id', 'in', traceIds).where('experiment_id', '!=', experimentId).executeTakeFirst();
}

/** The tags, metadata, assessments (oldest first) and run links of these traces. */
export async function traceDetailRows(db: Db, ids: number[]) {
  const [tags, metadata, assessments, links] = await Promise.all([
    db.selectFrom('trace_tags').selectAll().where('trace_id', 'in', ids).execute(),
    db.selectFrom('trace_metadata').selectAll().where('trace_id', 'in', ids).execute(),
    db.selectFrom('trace_assessments').selectAll().where('trace_id', 'in', ids).orderBy('create_time').orderBy('assessment_id').execute(),
    db.selectFrom('trace_runs').selectAll().where('trace_id', 'in', ids).orderBy('run_uuid').execute(),
  ]);
  return { tags, metadata, assessments, links };
}

/** Inserts one trace and returns its internal id. */
export async function insertTrace(db: Db, values: Insertable<Database['traces']>): Promise<number> {
  return Number((await db.insertInto('traces').values(values).returning('id').executeTakeFirstOrThrow()).id);
}

/** Inserts traces and returns their internal and trace ids. */
export function insertTraces(db: Db, values: Insertable<Database['traces']>[]): Promise<{ id: number; trace_id: string }[]> {
  return db.insertInto('traces').values(values).returning(['id', 'trace_id']).execute();
}

/** Changes columns of one trace. */
export async function updateTrace(db: Db, id: number, changes: Updateable<Database['traces']>): Promise<void> {
  await db.updateTable('traces').set(changes).where('id', '=', id).execute();
}

/** The state and previews of one trace (which the caller knows exists). */
export function traceSummary(db: Db, id: number): Promise<{ state: string; request_preview: string | null; response_preview: string | null }> {
  return db.selectFrom('traces').select(['state', 'request_preview', 'response_preview']).where('id', '=', id).executeTakeFirstOrThrow();
}

/** The traces of an experiment a delete removes: by trace id or request time, oldest first, at most `limit`. */
export function tracesToDelete(db: Db, filter: { experimentId: number; traceIds?: string[]; maxTimestampMs?: number; limit?: number }): Promise<{ id: number; trace_id: string }[]> {
  let query = db.selectFrom('traces').select(['id', 'trace_id']).where('experiment_id', '=', filter.experimentId);
  if (filter.traceIds !== undefined) query = query.where('trace_id', 'in', filter.traceIds.length ? filter.traceIds : ['']);
  if (filter.maxTimestampMs !== undefined) query = query.where('request_time', '<=', filter.maxTimestampMs);
  query = query.orderBy('request_time').orderBy('id');
  if (filter.limit !== undefined) query = query.limit(filter.limit);
  return query.execute();
}

/** Deletes traces; their spans, tags, metadata, links and assessments cascade. */
export async function deleteTraces(db: Db, ids: number[]): Promise<void> {
  // 500 ids a statement keeps within SQLite's bound on parameters.
  for (let i = 0; i < ids.length; i += 500) await db.deleteFrom('traces').where('id', 'in', ids.slice(i, i + 500)).execute();
}

/** Sets key/value rows of a trace (tags or metadata), replacing values of keys it has. */
export async function putKeyValues(db: Db, table: 'trace_tags' | 'trace_metadata', traceRowId: number, values: Record<string, string>): Promise<void> {
  const rows = Object.entries(values).map(([key, value]) => ({ trace_id: traceRowId, key, value }));
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insertInto(table)
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.columns(['trace_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
      .execute();
  }
}

/** Inserts tags of new traces. */
export async function insertTraceTags(db: Db, rows: { trace_id: number; key: string; value: string }[]): Promise<void> {
  await db.insertInto('trace_tags').values(rows).execute();
}

/** Deletes one tag of a trace; returns how many rows went (0 or 1). */
export async function deleteTraceTag(db: Db, traceRowId: number, key: string): Promise<number> {
  return Number((await db.deleteFrom('trace_tags').where('trace_id', '=', traceRowId).where('key', '=', key).executeTakeFirst()).numDeletedRows);
}

/** Links traces to a run; links that exist stay. */
export async function linkTracesToRun(db: Db, traceRowIds: number[], runUuid: string): Promise<void> {
  await db
    .insertInto('trace_runs')
    .values(traceRowIds.map((id) => ({ trace_id: id, run_uuid: runUuid })))
    .onConflict((oc) => oc.columns(['trace_id', 'run_uuid']).doNothing())
    .execute();
}

/** The spans of one trace, in no particular order. */
export function spansOf(db: Db, traceRowId: number): Promise<SpanRow[]> {
  return db.selectFrom('trace_spans').selectAll().where('trace_id', '=', traceRowId).execute();
}

/** One span of a trace, if there. */
export function findSpan(db: Db, traceRowId: number, spanId: string): Promise<SpanRow | undefined> {
  return db.selectFrom('trace_spans').selectAll().where('trace_id', '=', traceRowId).where('span_id', '=', spanId).executeTakeFirst();
}

/** Which of these span ids these traces have, as (trace row id, span id) pairs. */
export function knownSpans(db: Db, traceRowIds: number[], spanIds: string[]): Promise<{ trace_id: number; span_id: string }[]> {
  return db.selectFrom('trace_spans').select(['trace_id', 'span_id']).where('trace_id', 'in', traceRowIds).where('span_id', 'in', spanIds).execute();
}

/** Deletes every span of one trace. */
export async function deleteSpans(db: Db, traceRowId: number): Promise<void> {
  await db.deleteFrom('trace_spans').where('trace_id', '=', traceRowId).execute();
}

/** trace_spans' columns in the order putSpansSql's rows list them. */
const SPAN_COLUMNS = ['trace_id', 'span_id', 'parent_span_id', 'name', 'span_type', 'start_time_ns', 'end_time_ns', 'status_code', 'status_message', 'attributes_json', 'events_json', 'attributes_path'] as const;
const SPAN_PLACEHOLDER_ROW = Object.fromEntries(SPAN_COLUMNS.map((c) => [c, c === 'trace_id' ? 0 : ''])) as unknown as SpanRow & { trace_id: number };
const putSpansSqlCache = new Map<string, string>();

/**
 * The upsert of `rows` span rows, compiled once per dialect and row count: building it through
 * the query builder for every request (200 rows × 12 values) cost more than running it.
 */
function putSpansSql(trx: Db, rows: number): string {
  // The compiled one-row form tells the dialects apart (placeholders and quoting differ).
  const key = `${trx.insertInto('trace_spans').values(SPAN_PLACEHOLDER_ROW).compile().sql}:${rows}`;
  let text = putSpansSqlCache.get(key);
  if (text === undefined) {
    text = trx
      .insertInto('trace_spans')
      .values(Array.from({ length: rows }, () => SPAN_PLACEHOLDER_ROW))
      .onConflict((oc) =>
        oc.columns(['trace_id', 'span_id']).doUpdateSet((eb) => ({
          parent_span_id: eb.ref('excluded.parent_span_id'),
          name: eb.ref('excluded.name'),
          span_type: eb.ref('excluded.span_type'),
          start_time_ns: eb.ref('excluded.start_time_ns'),
          end_time_ns: eb.ref('excluded.end_time_ns'),
          status_code: eb.ref('excluded.status_code'),
          status_message: eb.ref('excluded.status_message'),
          attributes_json: eb.ref('excluded.attributes_json'),
          events_json: eb.ref('excluded.events_json'),
          attributes_path: eb.ref('excluded.attributes_path'),
        })),
      )
      .compile().sql;
    // Row counts are at most 200 per dialect, so the cache stays small.
    putSpansSqlCache.set(key, text);
  }
  return text;
}

/** Inserts or replaces span rows (each names its trace row). */
export async function putSpans(db: Db, rows: (SpanRow & { trace_id: number })[]): Promise<void> {
  // 12 columns a row: 200 rows stay well within SQLite's bound on parameters per statement.
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const parameters: unknown[] = [];
    for (const row of chunk) for (const column of SPAN_COLUMNS) parameters.push(row[column]);
    await db.executeQuery(CompiledQuery.raw(putSpansSql(db, chunk.length), parameters));
  }
}

/** One assessment of a trace, if there. */
export function findAssessment(db: Db, traceRowId: number, assessmentId: string): Promise<TraceAssessmentsTable | undefined> {
  return db.selectFrom('trace_assessments').selectAll().where('trace_id', '=', traceRowId).where('assessment_id', '=', assessmentId).executeTakeFirst();
}

/** Inserts one assessment. */
export async function insertAssessment(db: Db, values: TraceAssessmentsTable): Promise<void> {
  await db.insertInto('trace_assessments').values(values).execute();
}

/** Changes columns of one assessment. */
export async function updateAssessment(db: Db, assessmentId: string, changes: Partial<TraceAssessmentsTable>): Promise<void> {
  await db.updateTable('trace_assessments').set(changes).where('assessment_id', '=', assessmentId).execute();
}

/** Marks one assessment of a trace valid or not (overridden); returns how many rows changed (0 or 1). */
export async function setAssessmentValid(db: Db, traceRowId: number, assessmentId: string, valid: boolean): Promise<number> {
  const result = await db.updateTable('trace_assessments').set({ valid: valid ? 1 : 0 }).where('trace_id', '=', traceRowId).where('assessment_id', '=', assessmentId).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Deletes one assessment. */
export async function deleteAssessment(db: Db, assessmentId: string): Promise<void> {
  await db.deleteFrom('trace_assessments').where('assessment_id', '=', assessmentId).execute();
}
