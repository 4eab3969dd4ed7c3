/**
 * The writer folds each point into its buckets in place (mergePoint); the reader folds summaries
 * (mergeSummary). Both must give the same bucket for the same points, in any order.
 */
import { describe, expect, it } from 'vitest';
import { mergePoint, mergeSummary, pointSummary, type Summary } from '#core/tracking/metric-summary.ts';

/** [step, timestamp, value]: out of order, a repeated step with earlier and later times, -0 and 0, ±Infinity. */
const POINTS: [number, number, number][] = [
  [5, 50, 0.5],
  [2, 20, -0],
  [2, 10, 3],
  [9, 90, 0],
  [9, 95, Infinity],
  [1, 15, -Infinity],
  [1, 15, 7],
  [9, 80, -2],
];

const signed = (s: Summary) => Object.entries(s).map(([k, v]) => `${k}=${Object.is(v, -0) ? '-0' : String(v)}`);

describe('bucket summaries', () => {
  it('folds points in place to the same summary as merging their point summaries, in either order', () => {
    for (const points of [POINTS, [...POINTS].reverse()]) {
      const [first, ...rest] = points;
      const byPoint = pointSummary(...first!);
      const bySummary = pointSummary(...first!);
      for (const p of rest) {
        mergePoint(byPoint, ...p);
        mergeSummary(bySummary, pointSummary(...p));
      }
      expect(signed(byPoint)).toEqual(signed(bySummary));
      expect(byPoint).toMatchObject({ count: 8, min: -Infinity, max: Infinity, first_step: 1, last_step: 9, last_timestamp: 95 });
    }
  });
});
