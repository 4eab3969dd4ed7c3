/**
 * The min/max summary of a run of metric points: what a stored bucket holds and what a chart
 * bucket reports. Shared by the writer, which keeps the stored levels, and the reader, which
 * folds stored buckets and raw points into chart buckets.
 */
import type { Selectable } from 'kysely';
import type { Db } from '#core/catalog/catalog.ts';
import type { MetricBucketsTable } from '#core/catalog/schema.ts';

export type Summary = Omit<Selectable<MetricBucketsTable>, 'series_id' | 'level' | 'bucket'>;

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
  if (s.min < target.min) target.min = s.min;
  if (s.max > target.max) target.max = s.max;
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

/** The stored buckets of one series at one level whose numbers lie in [first, last]. */
export function readBuckets(db: Db, seriesId: number, level: number, first: number, last: number) {
  return db
    .selectFrom('metric_buckets')
    .selectAll()
    .where('series_id', '=', seriesId)
    .where('level', '=', level)
    .where('bucket', '>=', first)
    .where('bucket', '<=', last)
    .execute();
}
