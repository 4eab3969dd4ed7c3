import { describe, expect, it } from 'vitest';
import type { MetricBucket } from '#core/api/entities.ts';
import { alignRuns, bucketsForWidth, bucketsToPoints, ema, formatRelative, forLogScale, needsRawPoints, pointsAsBuckets, stepRangeFor, valueNear, xOf } from '../../renderer/src/lib/chart-data.ts';

/** A bucket of one point at `step`, logged at 1000 + step * 10 ms. */
const point = (step: number, value: number): MetricBucket => ({
  startStep: step, endStep: step, count: 1, min: value, max: value, first: value, last: value, firstStep: step, lastStep: step, firstTimestamp: 1000 + step * 10, lastTimestamp: 1000 + step * 10,
});

const bucket = (startStep: number, endStep: number, b: Partial<MetricBucket>): MetricBucket => ({
  startStep, endStep, count: 10, min: 0, max: 0, first: 0, last: 0, firstStep: startStep, lastStep: endStep, firstTimestamp: 1000 + startStep * 10, lastTimestamp: 1000 + endStep * 10, ...b,
});

describe('buckets to points', () => {
  it('draws a one-point bucket as that exact point', () => {
    const p = bucketsToPoints([point(0, 1.5), point(1, 2.25)], 'step', 0);
    expect(p.xs).toEqual([0, 1]);
    expect(p.ys).toEqual([1.5, 2.25]);
    expect(p.steps).toEqual([0, 1]);
  });

  it("sweeps a many-point bucket through its first value, both extremes and its last value, so a spike's max is drawn", () => {
    const p = bucketsToPoints([bucket(0, 99, { first: 1, min: 0.5, max: 1e6, last: 2 })], 'step', 0);
    expect(p.ys).toEqual([1, 0.5, 1e6, 2]);
    expect(p.xs).toEqual([0, 33, 66, 99]);
    expect(Math.max(...p.ys.map(Number))).toBe(1e6);
  });

  it('visits the max first in a falling bucket, so the line ends near the last value', () => {
    const p = bucketsToPoints([bucket(0, 9, { first: 5, min: -1, max: 9, last: 0 })], 'step', 0);
    expect(p.ys).toEqual([5, 9, -1, 0]);
  });

  it('draws a two-point bucket as its two points', () => {
    const p = bucketsToPoints([bucket(4, 5, { count: 2, first: 3, min: 3, max: 7, last: 7 })], 'step', 0);
    expect(p.ys).toEqual([3, 7]);
    expect(p.xs).toEqual([4, 5]);
  });

  it('puts wall time (seconds) or time since the run started on x', () => {
    expect(bucketsToPoints([point(3, 1)], 'wall', 0).xs).toEqual([1.03]);
    expect(bucketsToPoints([point(3, 1)], 'relative', 500).xs).toEqual([0.53]);
    expect(xOf('relative', 0, 61_000, 1_000)).toBe(60);
  });

  it('orders points by time when steps were logged out of time order', () => {
    const late = { ...point(0, 1), firstTimestamp: 9000, lastTimestamp: 9000 };
    const p = bucketsToPoints([late, point(1, 2)], 'wall', 0);
    expect(p.xs).toEqual([1.01, 9]);
    expect(p.ys).toEqual([2, 1]);
    expect(p.steps).toEqual([1, 0]);
  });

  it('leaves ±∞ as gaps, never as 0, and counts them (exactly when each is its own bucket)', () => {
    const exact = bucketsToPoints([point(0, 1), point(1, Number.POSITIVE_INFINITY), point(2, Number.NEGATIVE_INFINITY), point(3, 2)], 'step', 0);
    expect(exact.ys).toEqual([1, null, null, 2]);
    expect(exact.infinite).toBe(2);
    expect(exact.infiniteExact).toBe(true);
    const summarised = bucketsToPoints([bucket(0, 9, { first: 1, min: 1, max: Number.POSITIVE_INFINITY, last: 3 })], 'step', 0);
    expect(summarised.ys).toEqual([1, 1, null, 3]);
    expect(summarised.infinite).toBe(1);
    expect(summarised.infiniteExact).toBe(false);
  });
});

describe('aligning runs on one x axis', () => {
  it('merges x values and leaves gaps where a run has no point', () => {
    const a = { xs: [0, 2, 4], ys: [1, 2, 3] };
    const b = { xs: [1, 2, 5], ys: [10, 20, 30] };
    expect(alignRuns([a, b])).toEqual({ x: [0, 1, 2, 4, 5], ys: [[1, null, 2, 3, null], [null, 10, 20, null, 30]] });
  });

  it('keeps several values at one x from one run', () => {
    const a = { xs: [0, 1, 1, 2], ys: [1, 5, 6, 2] };
    const b = { xs: [1], ys: [7] };
    const aligned = alignRuns([a, b]);
    expect(aligned.x).toEqual([0, 1, 1, 2]);
    expect(aligned.ys).toEqual([[1, 5, 6, 2], [null, 7, null, null]]);
  });

  it('aligns nothing to nothing', () => {
    expect(alignRuns([])).toEqual({ x: [], ys: [] });
    expect(alignRuns([{ xs: [], ys: [] }])).toEqual({ x: [], ys: [[]] });
  });
});

describe('EMA smoothing', () => {
  it('is the raw line at weight 0', () => {
    expect(ema([1, null, 3], 0)).toEqual([1, null, 3]);
  });

  it('starts at the first value (debiased) and follows TensorBoard’s formula', () => {
    const out = ema([10, 20, 30], 0.5);
    expect(out[0]).toBeCloseTo(10);
    // last = 0.5*5 + 0.5*20 = 12.5; debias 1 - 0.25 = 0.75
    expect(out[1]).toBeCloseTo(12.5 / 0.75);
    // last = 0.5*12.5 + 15 = 21.25; debias 1 - 0.125
    expect(out[2]).toBeCloseTo(21.25 / 0.875);
  });

  it('keeps gaps and does not let them reset the average', () => {
    expect(ema([10, null, 20], 0.5)).toEqual(ema([10, 20], 0.5).flatMap((v, i) => (i === 0 ? [v, null] : [v])));
  });

  it('flattens noise at a high weight', () => {
    const noisy = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const smooth = ema(noisy, 0.95) as number[];
    expect(Math.max(...smooth.slice(100).map(Math.abs))).toBeLessThan(0.1);
  });
});

describe('the log scale', () => {
  it('hides zero and negative values and counts them', () => {
    expect(forLogScale([1, 0, -2, null, 5])).toEqual({ values: [1, null, null, null, 5], hidden: 2 });
  });
});

describe('zoomed step ranges', () => {
  it('is the x range itself in step mode', () => {
    expect(stepRangeFor({ xs: [], steps: [] }, 'step', 10.4, 99.2)).toEqual({ startStep: 10, endStep: 100 });
  });

  it('covers the points inside a time range plus a neighbour on each side', () => {
    const run = { xs: [0, 1, 2, 3, 4, 5], steps: [0, 10, 20, 30, 40, 50] };
    expect(stepRangeFor(run, 'wall', 1.5, 3.5)).toEqual({ startStep: 10, endStep: 40 });
    expect(stepRangeFor(run, 'relative', 4.5, 9)).toEqual({ startStep: 40, endStep: 50 });
  });

  it('is undefined for a run with no points near the range', () => {
    expect(stepRangeFor({ xs: [0, 1], steps: [0, 1] }, 'wall', 5, 6)).toBeUndefined();
  });
});

describe('small helpers', () => {
  it('asks for one bucket per pixel, within bounds', () => {
    expect(bucketsForWidth(612.4)).toBe(612);
    expect(bucketsForWidth(3)).toBe(32);
    expect(bucketsForWidth(20_000)).toBe(4000);
  });

  it('finds the nearest value of a run around the cursor', () => {
    expect(valueNear([null, null, 3, null], 0)).toEqual({ value: 3, index: 2 });
    expect(valueNear([1, null, null, null, 4], 3)).toEqual({ value: 4, index: 4 });
    expect(valueNear([null, null], 0)).toBeUndefined();
  });

  it('writes relative times briefly', () => {
    expect(formatRelative(42)).toBe('42 s');
    expect(formatRelative(200)).toBe('3 min 20 s');
    expect(formatRelative(7500)).toBe('2 h 5 min');
  });
});

describe('series logged at one step', () => {
  const sameStep = { startStep: 0, endStep: 0, count: 5, min: 1, max: 9, first: 1, last: 9, firstStep: 0, lastStep: 0, firstTimestamp: 0, lastTimestamp: 4000 };

  it('are read whole when several points share a step and the series is short', () => {
    expect(needsRawPoints([sameStep], 5, 10_000)).toBe(true);
    expect(needsRawPoints([sameStep], 50_000, 10_000)).toBe(false);
    expect(needsRawPoints([{ ...sameStep, lastStep: 9, endStep: 9 }], 5, 10_000)).toBe(false);
  });

  it('draw each raw point at its own time', () => {
    const buckets = pointsAsBuckets([{ value: 1, timestamp: 0, step: 0 }, { value: Number.NaN, timestamp: 500, step: 0 }, { value: 3, timestamp: 1000, step: 0 }, { value: 9, timestamp: 4000, step: 0 }]);
    expect(buckets.map((b) => b.count)).toEqual([1, 1, 1]);
    expect(bucketsToPoints(buckets, 'wall', 0)).toMatchObject({ xs: [0, 1, 4], ys: [1, 3, 9] });
  });
});
