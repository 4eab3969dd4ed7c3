/**
 * Reading metric series: the full history in pages, and a downsampled view for charts that
 * keeps each bucket's min and max (so spikes survive) and answers from the coarsest summary
 * level that still gives enough buckets, scanning raw points only where it must.
 */
import { invalid } from '#core/api/errors.ts';
import type { MetricBucket } from '#core/api/entities.ts';
import { selectArrays } from '#core/catalog/array-rows.ts';
import type { Db } from '#core/catalog/catalog.ts';
import { fromStoredValue } from './mappers.ts';
import { mergeSummary, pointSummary, readBuckets, type Summary } from './metric-summary.ts';
import { LEVEL_WIDTHS } from './metric-writer.ts';

export interface HistoryPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

interface Cursor {
  s: number;
  t: number;
  v: number;
  n: number;
}

/**
 * A stored value can be ±Infinity, which JSON writes as null: the cursor carries it as the
 * string "Infinity" or "-Infinity", or a page ending on such a point gave a token its next
 * request refused. Finite values keep the form earlier tokens have.
 */
function encodeCursor(c: Cursor): string {
  const v = Number.isFinite(c.v) ? c.v : String(c.v);
  return Buffer.from(JSON.stringify({ ...c, v })).toString('base64url');
}

function decodeCursor(token: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Omit<Cursor, 'v'> & { v: unknown };
    const v = c.v === 'Infinity' ? Number.POSITIVE_INFINITY : c.v === '-Infinity' ? Number.NEGATIVE_INFINITY : c.v;
    if ([c.s, c.t, c.n].every((x) => typeof x === 'number' && Number.isFinite(x)) && typeof v === 'number' && !Number.isNaN(v)) return { ...c, v };
  } catch {
    // fall through to the error below
  }
  throw invalid(`Invalid page token '${token.slice(0, 40)}'`);
}

/** One stored point as an array row: step, timestamp, value, is_nan, negative_zero. */
export type HistoryRow = [step: number, timestamp: number, value: number, isNan: number, negativeZero: number];

/**
 * One page of a series' history in storage order (step, timestamp, value) as array rows, for
 * callers that write them out directly (the MLflow history route). The page token is the last
 * point's key, so pages stay correct while new points arrive.
 */
export async function readHistoryRows(db: Db, seriesId: number, maxResults: number, pageToken?: string): Promise<{ rows: HistoryRow[]; nextPageToken?: string }> {
  let query = db
    .selectFrom('metrics')
    .select(['step', 'timestamp', 'value', 'is_nan', 'negative_zero'])
    .where('series_id', '=', seriesId)
    .orderBy('step')
    .orderBy('timestamp')
    .orderBy('value')
    .orderBy('is_nan')
    .limit(maxResults + 1);
  if (pageToken) {
    const c = decodeCursor(pageToken);
    // A row-value comparison, which both SQLite and PostgreSQL turn into a seek on the primary
    // key; the equivalent OR of four conditions made SQLite scan the series from its first point,
    // so each later page cost more than the one before.
    query = query.where((eb) => eb(eb.refTuple('step', 'timestamp', 'value', 'is_nan'), '>', eb.tuple(c.s, c.t, c.v, c.n)));
  }
  const rows = await selectArrays<HistoryRow>(query);
  if (rows.length <= maxResults) return { rows };
  rows.length = maxResults;
  const [s, t, v, n] = rows[maxResults - 1]!;
  return { rows, nextPageToken: encodeCursor({ s, t, v, n }) };
}

/** One page of a series' history in storage order (step, timestamp, value), as metric points. */
export async function readHistory(
  db: Db,
  seriesId: number,
  key: string,
  maxResults: number,
  pageToken?: string,
): Promise<{ metrics: HistoryPoint[]; nextPageToken?: string }> {
  const { rows, nextPageToken } = await readHistoryRows(db, seriesId, maxResults, pageToken);
  return {
    metrics: rows.map(([step, timestamp, value, isNan, negativeZero]) => ({ key, value: fromStoredValue({ value, is_nan: isNan, negative_zero: negativeZero }), timestamp, step })),
    nextPageToken,
  };
}

export interface SampleRange {
  /** The whole series' step range, from its series row. */
  minStep: number;
  maxStep: number;
  startStep?: number;
  endStep?: number;
  buckets: number;
}

/**
 * Downsamples a series to at most about `buckets` buckets over [startStep, endStep]. Bucket
 * edges are aligned to multiples of the bucket width, so a zoomed view refines the same grid.
 */
export async function readSampled(db: Db, seriesId: number, range: SampleRange): Promise<MetricBucket[]> {
  const a = Math.max(range.startStep ?? range.minStep, range.minStep);
  const b = Math.min(range.endStep ?? range.maxStep, range.maxStep);
  if (a > b) return [];
  const span = b - a + 1;
  const wanted = Math.max(1, range.buckets);
  const rawWidth = Math.max(1, Math.ceil(span / Math.max(1, wanted - 1)));
  // The coarsest summary level whose buckets are no wider than an output bucket.
  let level = -1;
  for (let l = LEVEL_WIDTHS.length - 1; l >= 0; l--) {
    if (LEVEL_WIDTHS[l]! <= rawWidth) {
      level = l;
      break;
    }
  }
  const levelWidth = level >= 0 ? LEVEL_WIDTHS[level]! : 1;
  const width = Math.ceil(rawWidth / levelWidth) * levelWidth;
  const out = new Map<number, Summary>();
  const add = (step: number, s: Summary) => {
    const index = Math.floor(step / width);
    const existing = out.get(index);
    if (existing) mergeSummary(existing, s);
    else out.set(index, { ...s });
  };
  const scanRaw = async (lo: number, hi: number) => {
    if (lo > hi) return;
    const rows = await db
      .selectFrom('metrics')
      .select(['step', 'timestamp', 'value', 'is_nan', 'negative_zero'])
      .where('series_id', '=', seriesId)
      .where('step', '>=', lo)
      .where('step', '<=', hi)
      .where('is_nan', '=', 0)
      .execute();
    for (const r of rows) {
      add(r.step, pointSummary(r.step, r.timestamp, fromStoredValue(r)));
    }
  };

  if (level < 0) {
    await scanRaw(a, b);
  } else {
    // Summary buckets wholly inside [a, b] come from the summary table; the partial ones at
    // either edge are rebuilt from raw points so the edges are exact.
    const firstWhole = Math.ceil(a / levelWidth);
    const lastWhole = Math.floor((b + 1) / levelWidth) - 1;
    if (firstWhole > lastWhole) {
      await scanRaw(a, b);
    } else {
      await scanRaw(a, firstWhole * levelWidth - 1);
      await scanRaw((lastWhole + 1) * levelWidth, b);
      for (const r of await readBuckets(db, seriesId, level, firstWhole, lastWhole)) add(r.bucket * levelWidth, r);
    }
  }
  return [...out.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([index, s]) => ({
      startStep: Math.max(index * width, a),
      endStep: Math.min((index + 1) * width - 1, b),
      count: s.count,
      min: s.min,
      max: s.max,
      first: s.first_value,
      last: s.last_value,
      firstStep: s.first_step,
      lastStep: s.last_step,
      firstTimestamp: s.first_timestamp,
      lastTimestamp: s.last_timestamp,
    }));
}
