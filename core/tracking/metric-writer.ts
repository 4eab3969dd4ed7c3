/**
 * The metric half of logBatch: appends points to the history, keeps the latest value per key
 * and the min/max bucket summaries that charts read, all inside the caller's transaction.
 */
import { CompiledQuery, sql, type RawBuilder } from 'kysely';
import type { Metric } from '#core/api/entities.ts';
import type { Db } from '#core/catalog/catalog.ts';
import { compiledOnce, runCompiled } from '#core/catalog/compiled-once.ts';
import { dialectSql } from '#core/catalog/dialect-sql.ts';
import type { Dialect } from '#core/catalog/migrations.ts';
import { fromStoredValue, toStoredValue, type StoredValue } from './mappers.ts';
import { mergePoint, pointSummary, toStoredSummary, type Summary } from './metric-summary.ts';

/** Step widths of the summary levels: each level's buckets cover 16 times the steps of the one below. */
export const LEVEL_WIDTHS = [16, 256, 4096, 65536] as const;

/** Rows per INSERT statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const INSERT_CHUNK = 1000;

interface StoredPoint extends StoredValue {
  step: number;
  timestamp: number;
}

interface SeriesRow extends StoredValue {
  id: number;
  timestamp: number;
  step: number;
  min_step: number;
  max_step: number;
}

const SERIES_COLUMNS = ['id', 'key', 'value', 'is_nan', 'negative_zero', 'timestamp', 'step', 'min_step', 'max_step'] as const;

type Bucket = Summary & { level: number; bucket: number };

/** Orders points as MLflow picks the latest one: by step, then timestamp, then value (NaN lowest). */
function compareLatest(a: StoredPoint, b: StoredPoint): number {
  return a.step - b.step || a.timestamp - b.timestamp || (a.is_nan ? -Infinity : a.value) - (b.is_nan ? -Infinity : b.value) || 0;
}

function toStored(m: Metric): StoredPoint {
  return { step: m.step, timestamp: m.timestamp, ...toStoredValue(m.value) };
}

/**
 * Appends metric points of one run. Exact duplicates (key, step, timestamp, value) are ignored,
 * so a retried request is harmless; only points actually inserted count toward the summaries.
 * On PostgreSQL, where other processes write at the same time, the series rows are locked first
 * (see `lockSeries`), so the read-merge-write of the latest value loses nothing; the summaries
 * merge inside their upsert (see `upsertBucketsSql`) and need no read.
 */
export async function writeMetrics(trx: Db, runId: number, metrics: Metric[], dialect: Dialect): Promise<void> {
  const byKey = new Map<string, StoredPoint[]>();
  for (const m of metrics) {
    let list = byKey.get(m.key);
    if (!list) byKey.set(m.key, (list = []));
    list.push(toStored(m));
  }
  const series = dialectSql(dialect).concurrentWriters ? await lockSeries(trx, runId, byKey) : await ensureSeries(trx, runId, byKey);
  const touched: SeriesBuckets[] = [];
  for (const [key, points] of byKey) {
    const row = series.get(key)!;
    const inserted = await insertPoints(trx, row, points, dialect);
    if (inserted.length === 0) continue;
    await updateSeries(trx, row, inserted, dialect);
    const levels = foldBuckets(inserted);
    if (levels) touched.push({ seriesId: row.id, levels });
  }
  if (touched.length > 0) await upsertBuckets(trx, touched, dialect);
}

/** Finds or creates the series row of each key. */
async function ensureSeries(trx: Db, runId: number, byKey: Map<string, StoredPoint[]>): Promise<Map<string, SeriesRow>> {
  const keys = [...byKey.keys()];
  const found = new Map<string, SeriesRow>();
  for (let i = 0; i < keys.length; i += INSERT_CHUNK) {
    const chunk = keys.slice(i, i + INSERT_CHUNK);
    // Every write looks its series up: compiled once per key count (compiled-once.ts).
    const text = compiledOnce(trx, `ensureSeries:${chunk.length}`, (b) =>
      b.selectFrom('metric_series').select(SERIES_COLUMNS).where('run_id', '=', 0).where('key', 'in', chunk),
    );
    for (const r of await runCompiled<SeriesRow & { key: string }>(trx, text, [runId, ...chunk])) found.set(r.key, r);
  }
  const missing = keys.filter((k) => !found.has(k));
  if (missing.length > 0) {
    const created = await trx
      .insertInto('metric_series')
      .values(missing.map((key) => placeholderSeries(runId, key)))
      .returning(SERIES_COLUMNS)
      .execute();
    for (const r of created) found.set(r.key, r);
  }
  return found;
}

/**
 * Creates the missing series rows (a concurrent creator wins harmlessly) and then locks every
 * series row of this batch with FOR UPDATE, in key order so that two writers never wait on each
 * other in a cycle. Under READ COMMITTED the locked read returns the newest committed row, so
 * the latest value, counts and buckets are merged from what the previous writer left.
 */
async function lockSeries(trx: Db, runId: number, byKey: Map<string, StoredPoint[]>): Promise<Map<string, SeriesRow>> {
  const keys = [...byKey.keys()].sort();
  const existing = new Set<string>();
  for (let i = 0; i < keys.length; i += INSERT_CHUNK) {
    const chunk = keys.slice(i, i + INSERT_CHUNK);
    // Both lookups run on every write: compiled once per key count (compiled-once.ts).
    const text = compiledOnce(trx, `lockSeries.existing:${chunk.length}`, (b) => b.selectFrom('metric_series').select('key').where('run_id', '=', 0).where('key', 'in', chunk));
    for (const r of await runCompiled<{ key: string }>(trx, text, [runId, ...chunk])) existing.add(r.key);
  }
  const missing = keys.filter((k) => !existing.has(k));
  for (let i = 0; i < missing.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('metric_series')
      .values(missing.slice(i, i + INSERT_CHUNK).map((key) => placeholderSeries(runId, key)))
      .onConflict((oc) => oc.columns(['run_id', 'key']).doNothing())
      .execute();
  }
  const locked = new Map<string, SeriesRow>();
  for (let i = 0; i < keys.length; i += INSERT_CHUNK) {
    const chunk = keys.slice(i, i + INSERT_CHUNK);
    const text = compiledOnce(trx, `lockSeries.lock:${chunk.length}`, (b) =>
      b.selectFrom('metric_series').select(SERIES_COLUMNS).where('run_id', '=', 0).where('key', 'in', chunk).orderBy('key').forUpdate(),
    );
    for (const r of await runCompiled<SeriesRow & { key: string }>(trx, text, [runId, ...chunk])) locked.set(r.key, r);
  }
  return locked;
}

/** A new series starts from a placeholder "latest" below any real point; updateSeries fixes it. */
function placeholderSeries(runId: number, key: string) {
  return {
    run_id: runId,
    key,
    value: 0,
    is_nan: 1,
    negative_zero: 0,
    timestamp: Number.MIN_SAFE_INTEGER,
    step: Number.MIN_SAFE_INTEGER,
    point_count: 0,
    nan_count: 0,
    min_step: Number.MAX_SAFE_INTEGER,
    max_step: Number.MIN_SAFE_INTEGER,
  };
}

/** Compiled insert statements by dialect, row count and RETURNING; see `insertSql`. */
const insertSqlCache = new Map<string, string>();
const INSERT_SQL_CACHE_SIZE = 64;
const ZERO_ROW = { series_id: 0, step: 0, timestamp: 0, value: 0, is_nan: 0, negative_zero: 0 };
/** Columns per row of insertSql's statements. */
const ROW_WIDTH = Object.keys(ZERO_ROW).length;

/**
 * The SQL of a multi-row point insert, built by Kysely for this connection's dialect once per row
 * count. Building a 1,000-row insert through the query builder costs more than running it, and
 * the hot path logs batches of the same size again and again.
 */
function insertSql(trx: Db, dialect: Dialect, rows: number, returning: boolean): string {
  const key = `${dialect}:${rows}:${returning}`;
  let text = insertSqlCache.get(key);
  if (text === undefined) {
    const insert = trx
      .insertInto('metrics')
      .values(Array.from({ length: rows }, () => ZERO_ROW))
      .onConflict((oc) => oc.doNothing());
    text = returning ? insert.returning(['step', 'timestamp', 'value', 'is_nan', 'negative_zero']).compile().sql : insert.compile().sql;
    if (insertSqlCache.size >= INSERT_SQL_CACHE_SIZE) insertSqlCache.delete(insertSqlCache.keys().next().value!);
    insertSqlCache.set(key, text);
  }
  return text;
}

/** Drops repeats of the same (step, timestamp, value) within one batch. */
function dedupe(points: StoredPoint[]): StoredPoint[] {
  const seen = new Set<string>();
  return points.filter((p) => {
    const id = `${p.step}:${p.timestamp}:${p.value}:${p.is_nan}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Inserts points and returns those that were new. When every step lies beyond the series' last
 * step (the usual case: a script logging forward), none can be a duplicate, so the insert skips
 * RETURNING, which halves SQLite's insert rate; otherwise the database reports what it kept.
 */
async function insertPoints(trx: Db, row: SeriesRow, points: StoredPoint[], dialect: Dialect): Promise<StoredPoint[]> {
  // Steps that only grow, all past the stored ones: nothing can repeat, nothing to look for.
  let fresh = points.length === 0 || points[0]!.step > row.max_step;
  for (let i = 1; fresh && i < points.length; i++) fresh = points[i]!.step > points[i - 1]!.step;
  const unique = fresh ? points : dedupe(points);
  const inserted: StoredPoint[] = [];
  for (let i = 0; i < unique.length; i += INSERT_CHUNK) {
    const chunk = unique.slice(i, i + INSERT_CHUNK);
    // Parameters in the column order of insertSql's rows.
    const parameters: number[] = new Array(chunk.length * ROW_WIDTH);
    chunk.forEach((p, j) => {
      parameters[j * ROW_WIDTH] = row.id;
      parameters[j * ROW_WIDTH + 1] = p.step;
      parameters[j * ROW_WIDTH + 2] = p.timestamp;
      parameters[j * ROW_WIDTH + 3] = p.value;
      parameters[j * ROW_WIDTH + 4] = p.is_nan;
      parameters[j * ROW_WIDTH + 5] = p.negative_zero;
    });
    const result = await trx.executeQuery<StoredPoint>(CompiledQuery.raw(insertSql(trx, dialect, chunk.length, !fresh), parameters));
    if (!fresh) inserted.push(...result.rows);
    else if (Number(result.numAffectedRows ?? chunk.length) !== chunk.length) {
      throw new Error(`Metric insert kept ${result.numAffectedRows} of ${chunk.length} new points`);
    } else inserted.push(...chunk);
  }
  return inserted;
}

/** The series update's SQL by dialect; its parameters are in the order of `updateSeries`'s call. */
const updateSeriesSqlCache = new Map<Dialect, string>();

/** The SQL of updateSeries's statement, built by Kysely once per dialect (see `insertSql` for why). */
function updateSeriesSql(trx: Db, dialect: Dialect): string {
  let text = updateSeriesSqlCache.get(dialect);
  if (text === undefined) {
    text = trx
      .updateTable('metric_series')
      .set((eb) => ({
        value: 0,
        is_nan: 0,
        negative_zero: 0,
        timestamp: 0,
        step: 0,
        point_count: eb('point_count', '+', 0),
        nan_count: eb('nan_count', '+', 0),
        min_step: 0,
        max_step: 0,
      }))
      .where('id', '=', 0)
      .compile().sql;
    updateSeriesSqlCache.set(dialect, text);
  }
  return text;
}

async function updateSeries(trx: Db, row: SeriesRow, inserted: StoredPoint[], dialect: Dialect): Promise<void> {
  let latest: StoredPoint = row;
  let minStep = row.min_step;
  let maxStep = row.max_step;
  let nans = 0;
  for (const p of inserted) {
    if (compareLatest(p, latest) > 0) latest = p;
    if (p.step < minStep) minStep = p.step;
    if (p.step > maxStep) maxStep = p.step;
    nans += p.is_nan;
  }
  await trx.executeQuery(
    CompiledQuery.raw(updateSeriesSql(trx, dialect), [latest.value, latest.is_nan, latest.negative_zero, latest.timestamp, latest.step, inserted.length, nans, minStep, maxStep, row.id]),
  );
  Object.assign(row, { value: latest.value, is_nan: latest.is_nan, negative_zero: latest.negative_zero, timestamp: latest.timestamp, step: latest.step, min_step: minStep, max_step: maxStep });
}

/** The buckets one write touches in one series, by level and bucket number. */
interface SeriesBuckets {
  seriesId: number;
  levels: Map<number, Bucket>[];
}

/**
 * Folds the inserted points into one map of buckets per level, by bucket number (NaN points are
 * not summarised); undefined when no point counts. A 1,000-point batch touches 1,000 × 4 (level,
 * bucket) pairs, and a point is folded into a bucket in place; only a bucket's first point makes an object.
 */
function foldBuckets(inserted: StoredPoint[]): Map<number, Bucket>[] | undefined {
  const levels: Map<number, Bucket>[] = LEVEL_WIDTHS.map(() => new Map());
  for (const p of inserted) {
    if (p.is_nan) continue;
    const value = fromStoredValue(p);
    for (let level = 0; level < LEVEL_WIDTHS.length; level++) {
      const bucket = Math.floor(p.step / LEVEL_WIDTHS[level]!);
      const existing = levels[level]!.get(bucket);
      if (existing) mergePoint(existing, p.step, p.timestamp, value);
      else levels[level]!.set(bucket, { level, bucket, ...pointSummary(p.step, p.timestamp, value) });
    }
  }
  return levels[0]!.size === 0 ? undefined : levels;
}

/**
 * Writes the touched buckets of every series of a write in one upsert (per chunk of rows); the
 * database merges each with the bucket already stored (see `upsertBucketsSql`), so nothing is
 * read first: reading every level of every series cost more than the upsert itself.
 */
async function upsertBuckets(trx: Db, touched: SeriesBuckets[], dialect: Dialect): Promise<void> {
  const rows = touched.flatMap(({ seriesId, levels }) => levels.flatMap((byBucket) => [...byBucket.values()].map((b) => ({ seriesId, b }))));
  for (let i = 0; i < rows.length; i += BUCKET_CHUNK) {
    const chunk = rows.slice(i, i + BUCKET_CHUNK);
    // Parameters in the column order of ZERO_BUCKET, which upsertBucketsSql's rows follow.
    const parameters: number[] = [];
    for (const { seriesId, b: { level, bucket, ...summary } } of chunk) {
      const row = toStoredSummary(summary);
      // Zeros go in unsigned (`+ 0` turns -0 into 0): the bits carry the sign, and a signed zero
      // in a column would come back from PostgreSQL as -0 where the merged bucket holds 0.
      parameters.push(
        seriesId,
        level,
        bucket,
        row.count,
        row.min + 0,
        row.max + 0,
        row.first_step,
        row.first_timestamp,
        row.first_value + 0,
        row.last_step,
        row.last_timestamp,
        row.last_value + 0,
        row.negative_zeros,
      );
    }
    await trx.executeQuery(CompiledQuery.raw(upsertBucketsSql(trx, dialect, chunk.length), parameters));
  }
}

/** Bucket rows per upsert statement (13 parameters each). */
const BUCKET_CHUNK = INSERT_CHUNK / 4;
const ZERO_BUCKET = {
  series_id: 0,
  level: 0,
  bucket: 0,
  count: 0,
  min: 0,
  max: 0,
  first_step: 0,
  first_timestamp: 0,
  first_value: 0,
  last_step: 0,
  last_timestamp: 0,
  last_value: 0,
  negative_zeros: 0,
};
/** Compiled bucket upserts by dialect and row count; a batch's bucket count varies a little. */
const upsertSqlCache = new Map<string, string>();

/** A column of the stored bucket (the row the upsert conflicts with). */
const stored = (column: string) => sql.ref(`metric_buckets.${column}`);
/** A column of the bucket this write proposes. */
const proposed = (column: string) => sql.ref(`excluded.${column}`);

/**
 * The stored bucket's first point is kept when it lies strictly before the proposed one's (by
 * step, then timestamp), and its last when strictly after: on a tie the proposed one wins, as in
 * mergeSummary with the proposed bucket as its target.
 */
const STORED_FIRST = sql<boolean>`(${stored('first_step')} < ${proposed('first_step')} or (${stored('first_step')} = ${proposed('first_step')} and ${stored('first_timestamp')} < ${proposed('first_timestamp')}))`;
const STORED_LAST = sql<boolean>`(${stored('last_step')} > ${proposed('last_step')} or (${stored('last_step')} = ${proposed('last_step')} and ${stored('last_timestamp')} > ${proposed('last_timestamp')}))`;

/**
 * The merged `negative_zeros` bits (see toStoredSummary: 1 min, 2 max, 4 first, 8 last), each
 * taken from the side its value comes from. Equal extremes are both zero or the same number:
 * the minimum of -0 and 0 is -0 (either bit), the maximum is 0 (both bits), as Math.min and
 * Math.max order them in mergeSummary.
 */
const MERGED_NEGATIVE_ZEROS = sql<number>`(case when ${proposed('min')} < ${stored('min')} then ${proposed('negative_zeros')} & 1 when ${proposed('min')} > ${stored('min')} then ${stored('negative_zeros')} & 1 else (${proposed('negative_zeros')} | ${stored('negative_zeros')}) & 1 end)
  + (case when ${proposed('max')} > ${stored('max')} then ${proposed('negative_zeros')} & 2 when ${proposed('max')} < ${stored('max')} then ${stored('negative_zeros')} & 2 else ${proposed('negative_zeros')} & ${stored('negative_zeros')} & 2 end)
  + (case when ${STORED_FIRST} then ${stored('negative_zeros')} & 4 else ${proposed('negative_zeros')} & 4 end)
  + (case when ${STORED_LAST} then ${stored('negative_zeros')} & 8 else ${proposed('negative_zeros')} & 8 end)`;

/** The proposed value of a column, or the stored one when `keepStored` holds. */
const pick = (keepStored: RawBuilder<boolean>, column: string) => sql<number>`case when ${keepStored} then ${stored(column)} else ${proposed(column)} end`;

/**
 * The SQL of a multi-row bucket upsert, built by Kysely once per dialect and row count (building
 * it per batch cost more than the statement itself). A bucket already stored is merged with the
 * proposed one in the database, as mergeSummary would: counts add, extremes widen, the first and
 * last points go by step then timestamp. Every assignment reads the stored row as it was before
 * the update, in SQLite and PostgreSQL alike, and both spell these expressions the same way.
 */
function upsertBucketsSql(trx: Db, dialect: Dialect, rows: number): string {
  const key = `${dialect}:${rows}`;
  let text = upsertSqlCache.get(key);
  if (text === undefined) {
    text = trx
      .insertInto('metric_buckets')
      .values(Array.from({ length: rows }, () => ZERO_BUCKET))
      .onConflict((oc) =>
        oc.columns(['series_id', 'level', 'bucket']).doUpdateSet({
          count: sql<number>`${stored('count')} + ${proposed('count')}`,
          // On equal extremes the proposed (unsigned) zero goes in; an older build stored -0 itself.
          min: sql<number>`case when ${proposed('min')} <= ${stored('min')} then ${proposed('min')} else ${stored('min')} end`,
          max: sql<number>`case when ${proposed('max')} >= ${stored('max')} then ${proposed('max')} else ${stored('max')} end`,
          first_step: pick(STORED_FIRST, 'first_step'),
          first_timestamp: pick(STORED_FIRST, 'first_timestamp'),
          first_value: pick(STORED_FIRST, 'first_value'),
          last_step: pick(STORED_LAST, 'last_step'),
          last_timestamp: pick(STORED_LAST, 'last_timestamp'),
          last_value: pick(STORED_LAST, 'last_value'),
          negative_zeros: MERGED_NEGATIVE_ZEROS,
        }),
      )
      .compile().sql;
    if (upsertSqlCache.size >= INSERT_SQL_CACHE_SIZE) upsertSqlCache.delete(upsertSqlCache.keys().next().value!);
    upsertSqlCache.set(key, text);
  }
  return text;
}
