/**
 * The min/max summary of a run of metric points: what a stored bucket holds and what a chart
 * bucket reports. Shared by the writer, which keeps the stored levels, and the reader, which
 * folds stored buckets and raw points into chart buckets.
 */
import type { Selectable } from 'kysely';
import type { Db } from '#core/catalog/catalog.ts';
import type { MetricBucketsTable } from '#core/catalog/schema.ts';

/** A summary with its values as logged (-0 included); `toStoredSummary` gives its stored columns. */
export type Summary = Omit<Selectable<MetricBucketsTable>, 'series_id' | 'level' | 'bucket' | 'negative_zeros'>;

/** The summary values that may be -0, each with its bit in `negative_zeros`. */
const SIGNED = [
  ['min', 1],
  ['max', 2],
  ['first_value', 4],
  ['last_value', 8],
] as const;

/** The stored columns of a summary: a -0 value is stored as 0 with its bit set (SQLite keeps no sign on a zero). */
export function toStoredSummary(s: Summary): Summary & { negative_zeros: number } {
  let negativeZeros = 0;
  for (const [column, bit] of SIGNED) if (Object.is(s[column], -0)) negativeZeros |= bit;
  return { ...s, negative_zeros: negativeZeros };
}

/** The summary of a single point. */
export function pointSummary(step: number, timestamp: number, value: number): Summary {
  return {
    count: 1,
    min: value,
    max: value,
    first_step: step,
    first_timestamp: timestamp,
    first_value: value,
    last_step: step,
    last_timestamp: timestamp,
    last_value: value,
  };
}

/** Folds `s` into `target`: counts add, extremes widen, first and last go by step then timestamp. */
export function mergeSummary(target: Summary, s: Summary): void {
  target.count += s.count;
  // Math.min and Math.max order -0 below 0, so the result does not depend on the merge order.
  target.min = Math.min(target.min, s.min);
  target.max = Math.max(target.max, s.max);
  if (s.first_step < target.first_step || (s.first_step === target.first_step && s.first_timestamp < target.first_timestamp)) {
    target.first_step = s.first_step;
    target.first_timestamp = s.first_timestamp;
    target.first_value = s.first_value;
  }
  if (s.last_step > target.last_step || (s.last_step === target.last_step && s.last_timestamp > target.last_timestamp)) {
    target.last_step = s.last_step;
    target.last_timestamp = s.last_timestamp;
    target.last_value = s.last_value;
  }
}

/**
 * Folds one point into `target`, as `mergeSummary(target, pointSummary(step, timestamp, value))`
 * would, without building the point's summary: the writer folds every logged point into four levels.
 */
export function mergePoint(target: Summary, step: number, timestamp: number, value: number): void {
  target.count += 1;
  target.min = Math.min(target.min, value);
  target.max = Math.max(target.max, value);
  if (step < target.first_step || (step === target.first_step && timestamp < target.first_timestamp)) {
    target.first_step = step;
    target.first_timestamp = timestamp;
    target.first_value = value;
  }
  if (step > target.last_step || (step === target.last_step && timestamp > target.last_timestamp)) {
    target.last_step = step;
    target.last_timestamp = timestamp;
    target.last_value = value;
  }
}

/** The stored buckets of one series at one level whose numbers lie in [first, last], with their -0 values restored. */
export async function readBuckets(db: Db, seriesId: number, level: number, first: number, last: number): Promise<(Summary & { bucket: number })[]> {
  const rows = await db
    .selectFrom('metric_buckets')
    .selectAll()
    .where('series_id', '=', seriesId)
    .where('level', '=', level)
    .where('bucket', '>=', first)
    .where('bucket', '<=', last)
    .execute();
  return rows.map(({ series_id: _series, level: _level, negative_zeros: negativeZeros, ...summary }) => {
    for (const [column, bit] of SIGNED) if (negativeZeros & bit) summary[column] = -0;
    return summary;
  });
}
