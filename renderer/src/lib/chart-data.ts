/**
 * The pure half of the metric charts: min/max buckets from `metrics.sampled` turned into points
 * to draw, several runs aligned on one x axis for uPlot, EMA smoothing, the log-scale filter and
 * the step ranges a zoomed view asks the core for. No DOM, no uPlot: unit-tested on its own.
 */
import type { MetricBucket } from '#core/api/entities.ts';

/** What x means: the step, the wall-clock time, or the time since the run started. */
export type XMode = 'step' | 'wall' | 'relative';

export const X_MODES: readonly { value: XMode; label: string }[] = [
  { value: 'step', label: 'Step' },
  { value: 'wall', label: 'Wall time' },
  { value: 'relative', label: 'Relative time' },
];

/** A run's series as points to draw, in x order; `steps` says which step each point stands for. */
export interface RunPoints {
  xs: number[];
  ys: (number | null)[];
  steps: number[];
  /** Buckets holding ±∞ (not drawn); `infiniteExact` is false when such a bucket summarises several points. */
  infinite: number;
  infiniteExact: boolean;
}

/**
 * The x of a point. Times are in seconds (uPlot's time axis unit); relative time counts from
 * the run's start.
 */
export function xOf(mode: XMode, step: number, timestamp: number, runStart: number): number {
  if (mode === 'step') return step;
  if (mode === 'wall') return timestamp / 1000;
  return (timestamp - runStart) / 1000;
}

/**
 * The points that draw a run's buckets. A bucket of one point is that point. A bucket of many is
 * drawn through its first value, its two extremes and its last value, so at one bucket per pixel
 * the line sweeps the bucket's whole min–max span and no spike is lost. Where the extremes lie
 * inside the bucket is not known; they are placed between the first and last point, the one the
 * line reaches last nearer the last value. Non-finite values become gaps and are counted.
 */
export function bucketsToPoints(buckets: readonly MetricBucket[], mode: XMode, runStart: number): RunPoints {
  const points: { x: number; y: number | null; step: number }[] = [];
  let infinite = 0;
  let infiniteExact = true;
  const push = (step: number, timestamp: number, value: number) => {
    points.push({ x: xOf(mode, step, timestamp, runStart), y: Number.isFinite(value) ? value : null, step });
  };
  for (const b of buckets) {
    if (!Number.isFinite(b.min) || !Number.isFinite(b.max)) {
      infinite++;
      if (b.count > 1) infiniteExact = false;
    }
    if (b.count === 1) {
      push(b.firstStep, b.firstTimestamp, b.first);
      continue;
    }
    push(b.firstStep, b.firstTimestamp, b.first);
    if (b.count > 2) {
      const at = (f: number) => [b.firstStep + (b.lastStep - b.firstStep) * f, b.firstTimestamp + (b.lastTimestamp - b.firstTimestamp) * f] as const;
      const [earlier, later] = b.last >= b.first ? [b.min, b.max] : [b.max, b.min];
      const [s1, t1] = at(1 / 3);
      const [s2, t2] = at(2 / 3);
      push(s1, t1, earlier);
      push(s2, t2, later);
    }
    push(b.lastStep, b.lastTimestamp, b.last);
  }
  // Steps only grow within a series, but times need not (a script may log steps out of order).
  for (let i = 1; i < points.length; i++) {
    if (points[i]!.x < points[i - 1]!.x) {
      points.sort((a, b) => a.x - b.x);
      break;
    }
  }
  return { xs: points.map((p) => p.x), ys: points.map((p) => p.y), steps: points.map((p) => p.step), infinite, infiniteExact };
}

/**
 * Buckets are cut by step, so points logged at one step (MLflow's default step is 0) share a
 * bucket however far apart in time they are, and a wall-time chart could not tell them apart.
 * A short series like that is read whole instead (`metrics.history`): this says when.
 */
export function needsRawPoints(buckets: readonly MetricBucket[], pointCount: number, limit: number): boolean {
  return pointCount <= limit && buckets.some((b) => b.count > 1 && b.firstStep === b.lastStep);
}

/** Raw points as one-point buckets, so they draw exactly like a fully zoomed series. NaN is left out, as the core does. */
export function pointsAsBuckets(points: readonly { value: number; timestamp: number; step: number }[]): MetricBucket[] {
  return points
    .filter((p) => !Number.isNaN(p.value))
    .map((p) => ({ startStep: p.step, endStep: p.step, count: 1, min: p.value, max: p.value, first: p.value, last: p.value, firstStep: p.step, lastStep: p.step, firstTimestamp: p.timestamp, lastTimestamp: p.timestamp }));
}

/** Several runs on one shared x array (uPlot's aligned data): `ys[r][i]` is null where run r has no point at `x[i]`. */
export interface AlignedSeries {
  x: number[];
  ys: (number | null)[][];
}

/**
 * Merges the runs' x values into one ascending array. An x that a run has k times (several values
 * at one step) appears as often as the run that has it most, so no point is dropped.
 */
export function alignRuns(runs: readonly Pick<RunPoints, 'xs' | 'ys'>[]): AlignedSeries {
  const x: number[] = [];
  const ys: (number | null)[][] = runs.map(() => []);
  const next = runs.map(() => 0);
  for (;;) {
    let lowest = Number.POSITIVE_INFINITY;
    for (let r = 0; r < runs.length; r++) {
      const value = runs[r]!.xs[next[r]!];
      if (value !== undefined && value < lowest) lowest = value;
    }
    if (lowest === Number.POSITIVE_INFINITY) break;
    x.push(lowest);
    for (let r = 0; r < runs.length; r++) {
      const i = next[r]!;
      if (runs[r]!.xs[i] === lowest) {
        ys[r]!.push(runs[r]!.ys[i]!);
        next[r] = i + 1;
      } else {
        ys[r]!.push(null);
      }
    }
  }
  return { x, ys };
}

/**
 * Exponential moving average as TensorBoard draws it: weight 0 is the raw line, 0.99 very smooth;
 * debiased, so the line starts at the first value instead of climbing from zero. Gaps stay gaps
 * and do not reset the average.
 */
export function ema(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...values];
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (v === null) return null;
    last = last * weight + (1 - weight) * v;
    count++;
    return last / (1 - weight ** count);
  });
}

/** Values a log axis can show: zero and negatives become gaps, and are counted. */
export function forLogScale(values: readonly (number | null)[]): { values: (number | null)[]; hidden: number } {
  let hidden = 0;
  const out = values.map((v) => {
    if (v !== null && v <= 0) {
      hidden++;
      return null;
    }
    return v;
  });
  return { values: out, hidden };
}

/**
 * The step range of a run that covers the x range [lo, hi] of a zoomed view, from the points on
 * screen: in step mode the range itself; in time modes the steps of the points inside it plus
 * one neighbour on each side, so the refined line still reaches the edges. Undefined when the
 * run has no points near the range.
 */
export function stepRangeFor(run: Pick<RunPoints, 'xs' | 'steps'>, mode: XMode, lo: number, hi: number): { startStep: number; endStep: number } | undefined {
  if (mode === 'step') return { startStep: Math.floor(lo), endStep: Math.ceil(hi) };
  let first = -1;
  let last = -1;
  for (let i = 0; i < run.xs.length; i++) {
    const x = run.xs[i]!;
    if (x >= lo && first < 0) first = i;
    if (x <= hi) last = i;
  }
  if (first < 0 || last < 0) return undefined;
  const from = Math.max(0, Math.min(first, last) - 1);
  const to = Math.min(run.xs.length - 1, Math.max(first, last) + 1);
  let startStep = Number.POSITIVE_INFINITY;
  let endStep = Number.NEGATIVE_INFINITY;
  for (let i = from; i <= to; i++) {
    startStep = Math.min(startStep, run.steps[i]!);
    endStep = Math.max(endStep, run.steps[i]!);
  }
  return { startStep: Math.floor(startStep), endStep: Math.ceil(endStep) };
}

/** How many buckets to ask for: one per pixel of plot width, within what the contract allows. */
export function bucketsForWidth(pixels: number): number {
  return Math.min(4000, Math.max(32, Math.round(pixels)));
}

/** The value of a run nearest to index `idx` of the aligned array (runs rarely share every x). */
export function valueNear(values: readonly (number | null)[], idx: number, reach = 64): { value: number; index: number } | undefined {
  for (let d = 0; d <= reach; d++) {
    const left = values[idx - d];
    if (left !== undefined && left !== null) return { value: left, index: idx - d };
    const right = values[idx + d];
    if (right !== undefined && right !== null) return { value: right, index: idx + d };
  }
  return undefined;
}

/** Seconds as a short relative time: "45 s", "3 min 20 s", "2 h 5 min". */
export function formatRelative(seconds: number): string {
  const sign = seconds < 0 ? '−' : '';
  const s = Math.abs(seconds);
  if (s < 60) return `${sign}${Number(s.toPrecision(3))} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${sign}${minutes} min${s % 60 >= 1 ? ` ${Math.floor(s % 60)} s` : ''}`;
  const hours = Math.floor(minutes / 60);
  return `${sign}${hours} h${minutes % 60 > 0 ? ` ${minutes % 60} min` : ''}`;
}
