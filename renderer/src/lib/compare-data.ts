/**
 * The pure half of the compare view: params side by side and which differ, the metrics summary
 * (best value per metric, by a guessed direction the person can flip), the fields (params and
 * latest metrics) a scatter or parallel-coordinates axis can show, how an axis places values
 * (numbers on a linear or log scale, anything else as ordered categories), and which runs a
 * brushed range keeps.
 */

/** What the compare view needs of a run. */
export interface CompareRun {
  runId: string;
  experimentId: string;
  name: string;
  startTime: number;
  params: Record<string, string>;
  metrics: Record<string, number>;
}

/** One param across the compared runs; `undefined` where a run did not log it. */
export interface ParamRow {
  key: string;
  values: (string | undefined)[];
  /** True when the values are not all equal; a param missing in some run differs. */
  differs: boolean;
}

/** Every param any run logged, sorted by key, with whether the runs disagree on it. */
export function diffParams(runs: readonly Pick<CompareRun, 'params'>[]): ParamRow[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort((a, b) => a.localeCompare(b));
  return keys.map((key) => {
    const values = runs.map((r) => (Object.hasOwn(r.params, key) ? r.params[key] : undefined));
    return { key, values, differs: values.some((v) => v !== values[0]) };
  });
}

/** A param or a latest metric, as a scatter or parallel-coordinates axis shows it. */
export interface Field {
  kind: 'param' | 'metric';
  key: string;
}

/** A field as text for the URL and for `<select>` values: `param:lr`, `metric:loss`. */
export function fieldId(field: Field): string {
  return `${field.kind}:${field.key}`;
}

/** The field a `fieldId` names, or undefined for anything else. */
export function parseFieldId(id: string): Field | undefined {
  const match = /^(param|metric):(.+)$/s.exec(id);
  return match ? { kind: match[1] as Field['kind'], key: match[2]! } : undefined;
}

/** The fields the runs have: their params, then their metrics, each sorted by key. */
export function fieldsOf(runs: readonly Pick<CompareRun, 'params' | 'metrics'>[]): Field[] {
  const keys = (pick: (r: Pick<CompareRun, 'params' | 'metrics'>) => object) => [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort((a, b) => a.localeCompare(b));
  return [...keys((r) => r.params).map((key) => ({ kind: 'param' as const, key })), ...keys((r) => r.metrics).map((key) => ({ kind: 'metric' as const, key }))];
}

/** A run's value of a field: a metric's latest value, a param's text; undefined when missing. */
export function fieldValue(run: Pick<CompareRun, 'params' | 'metrics'>, field: Field): string | number | undefined {
  if (field.kind === 'metric') return Object.hasOwn(run.metrics, field.key) ? run.metrics[field.key] : undefined;
  return Object.hasOwn(run.params, field.key) ? run.params[field.key] : undefined;
}

/** How an axis places values in [0, 1]; undefined for a value it cannot show (missing, NaN, ±∞). */
export interface Axis {
  kind: 'numeric' | 'categorical';
  /** For a numeric axis: linear, or log (only when every value is positive). */
  scale: 'linear' | 'log';
  position(value: string | number | undefined): number | undefined;
  ticks: { position: number; label: string }[];
}

/** A number as a short tick label. */
function tickLabel(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(4)));
}

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  return ticks;
}

/** Reads a value as a number when it is one (a param "0.01" is); undefined otherwise. */
function asNumber(value: string | number | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isNaN(n) ? undefined : n;
}

/** A ratio of largest to smallest value from which a positive numeric field reads better on a log axis. */
const LOG_SPAN = 30;

/** The finite numbers of a field's values, or undefined when some present value is not a number. */
function numericValues(values: readonly (string | number | undefined)[]): number[] | undefined {
  const numbers = values.filter((v): v is string | number => v !== undefined).map(asNumber);
  return numbers.every((n) => n !== undefined) ? (numbers as number[]).filter(Number.isFinite) : undefined;
}

/**
 * Whether a log axis suits these values: all positive numbers spanning about one and a half
 * decades or more (a learning rate swept over 1e-4…1e-2); a linear axis would crowd the small ones.
 */
export function prefersLog(values: readonly (string | number | undefined)[]): boolean {
  const numbers = numericValues(values);
  if (!numbers || numbers.length < 2 || numbers.some((n) => n <= 0)) return false;
  return Math.max(...numbers) / Math.min(...numbers) >= LOG_SPAN;
}

/** Whether a log axis can show these values at all (every present value a positive number). */
export function allowsLog(values: readonly (string | number | undefined)[]): boolean {
  const numbers = numericValues(values);
  return numbers !== undefined && numbers.length > 0 && numbers.every((n) => n > 0);
}

/** Ticks of a log axis: the powers of ten in range, or round values when the range is under a decade. */
function logTicks(min: number, max: number): number[] {
  const powers: number[] = [];
  for (let e = Math.ceil(Math.log10(min) - 1e-9); e <= Math.floor(Math.log10(max) + 1e-9); e++) powers.push(Number((10 ** e).toPrecision(12)));
  if (powers.length >= 2) return powers;
  return [...new Set([min, ...niceTicks(min, max, 3).filter((t) => t > 0), max].map((t) => Number(t.toPrecision(3))))];
}

/**
 * The axis for a set of values. When every present value reads as a number the axis is linear
 * over their finite range (padded when they are all equal), or log when asked and every value is
 * positive; otherwise the distinct values are ordered categories, evenly spaced, numbers-in-text
 * sorted numerically.
 */
export function makeAxis(values: readonly (string | number | undefined)[], scale: 'linear' | 'log' = 'linear'): Axis {
  const present = values.filter((v): v is string | number => v !== undefined);
  const numbers = present.map(asNumber);
  if (numbers.every((n) => n !== undefined)) {
    const finite = (numbers as number[]).filter(Number.isFinite);
    if (scale === 'log' && allowsLog(values)) {
      let lo = Math.log10(Math.min(...finite));
      let hi = Math.log10(Math.max(...finite));
      if (lo === hi) {
        lo -= 0.5;
        hi += 0.5;
      }
      const at = (n: number) => (Math.log10(n) - lo) / (hi - lo);
      return {
        kind: 'numeric',
        scale: 'log',
        position(value) {
          const n = asNumber(value);
          return n === undefined || !Number.isFinite(n) || n <= 0 ? undefined : at(n);
        },
        ticks: logTicks(10 ** lo, 10 ** hi).map((t) => ({ position: at(t), label: tickLabel(t) })),
      };
    }
    let min = Math.min(...finite);
    let max = Math.max(...finite);
    if (finite.length === 0) {
      min = 0;
      max = 1;
    } else if (min === max) {
      const pad = Math.abs(min) * 0.1 || 1;
      min -= pad;
      max += pad;
    }
    return {
      kind: 'numeric',
      scale: 'linear',
      position(value) {
        const n = asNumber(value);
        return n === undefined || !Number.isFinite(n) ? undefined : (n - min) / (max - min);
      },
      ticks: niceTicks(min, max).map((t) => ({ position: (t - min) / (max - min), label: tickLabel(t) })),
    };
  }
  const categories = [...new Set(present.map(String))].sort((a, b) => {
    const [x, y] = [asNumber(a), asNumber(b)];
    return x !== undefined && y !== undefined ? x - y : a.localeCompare(b);
  });
  const place = (i: number) => (categories.length === 1 ? 0.5 : i / (categories.length - 1));
  return {
    kind: 'categorical',
    scale: 'linear',
    position(value) {
      if (value === undefined) return undefined;
      const i = categories.indexOf(String(value));
      return i < 0 ? undefined : place(i);
    },
    ticks: categories.map((c, i) => ({ position: place(i), label: c })),
  };
}

/** The fields parallel coordinates start with: params that differ, then metrics that vary, a few of each. */
export function defaultAxes(runs: readonly Pick<CompareRun, 'params' | 'metrics'>[], limit = 4): Field[] {
  const differing = diffParams(runs).filter((r) => r.differs).slice(0, limit).map((r) => ({ kind: 'param' as const, key: r.key }));
  const metrics = varyingMetrics(runs).slice(0, limit);
  return [...differing, ...metrics];
}

/** The metric fields whose values are not the same in every run that has them. */
export function varyingMetrics(runs: readonly Pick<CompareRun, 'params' | 'metrics'>[]): Field[] {
  const metrics = fieldsOf(runs).filter((f) => f.kind === 'metric');
  const constant = new Set(constantFields(runs, metrics).map((c) => c.field.key));
  return metrics.filter((f) => !constant.has(f.key));
}

/**
 * Fields every run that has them agrees on (one distinct value): an axis would draw them as a
 * lone point at an arbitrary height, so the view states them as values instead.
 */
export function constantFields(runs: readonly Pick<CompareRun, 'params' | 'metrics'>[], fields: readonly Field[]): { field: Field; value: string | number; runs: number }[] {
  return fields.flatMap((field) => {
    const present = runs.map((r) => fieldValue(r, field)).filter((v): v is string | number => v !== undefined);
    if (present.length === 0) return [];
    const first = present[0]!;
    return present.every((v) => Object.is(v, first)) ? [{ field, value: first, runs: present.length }] : [];
  });
}

/** A range of an axis, in its [0, 1] positions. */
export interface Brush {
  lo: number;
  hi: number;
}

/**
 * The runs a set of brushes keeps: those whose value on every brushed axis is placed inside its
 * range. A run without a value on a brushed axis is left out, as it is not in the range.
 */
export function brushedRuns<R extends Pick<CompareRun, 'runId' | 'params' | 'metrics'>>(
  runs: readonly R[],
  brushes: readonly { field: Field; axis: Pick<Axis, 'position'>; brush: Brush }[],
): Set<string> {
  const kept = new Set<string>();
  for (const run of runs) {
    const inside = brushes.every(({ field, axis, brush }) => {
      const p = axis.position(fieldValue(run, field));
      return p !== undefined && p >= brush.lo - 1e-9 && p <= brush.hi + 1e-9;
    });
    if (inside) kept.add(run.runId);
  }
  return kept;
}

/** Whether a smaller or a larger value of a metric is better. */
export type Direction = 'lower' | 'higher';

/** Names of metrics where less is better: losses, errors, distances, costs and times. */
const LOWER_IS_BETTER = /(loss|err|error|mse|mae|rmse|mape|nll|perplexity|ppl|wer|cer|fpr|fnr|regret|cost|distance|divergence|kl|latency|duration|time|runtime|memory|bpd|bpc)(?![a-z])/i;
const HIGHER_WORDS = /(acc|accuracy|auc|f1|precision|recall|score|reward|return|iou|map|bleu|rouge|r2|throughput|fps)(?![a-z])/i;

/** A guess at a metric's direction from its name (`val/loss` lower, `val/acc` higher); higher when unsure. */
export function guessDirection(key: string): Direction {
  const name = key.split('/').pop() ?? key;
  if (HIGHER_WORDS.test(name)) return 'higher';
  return LOWER_IS_BETTER.test(name) ? 'lower' : 'higher';
}

/** One metric across the compared runs, with which of them holds the best value. */
export interface MetricRow {
  key: string;
  /** The latest value per run, in the order of the runs; undefined where a run did not log it. */
  values: (number | undefined)[];
  direction: Direction;
  /** The best finite value, and every run index that has it (ties are all best); none when all values are equal. */
  best: number | undefined;
  bestIndexes: number[];
}

/**
 * Every metric any run logged, sorted by key, with its best value by its direction: the guess
 * from the name unless `overrides` says otherwise. NaN and ±∞ are never best.
 */
export function summarizeMetrics(runs: readonly Pick<CompareRun, 'metrics'>[], overrides: Readonly<Record<string, Direction>> = {}): MetricRow[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort((a, b) => a.localeCompare(b));
  return keys.map((key) => {
    const values = runs.map((r) => (Object.hasOwn(r.metrics, key) ? r.metrics[key] : undefined));
    const direction = Object.hasOwn(overrides, key) ? overrides[key]! : guessDirection(key);
    let best: number | undefined;
    for (const v of values) {
      if (v === undefined || !Number.isFinite(v)) continue;
      if (best === undefined || (direction === 'lower' ? v < best : v > best)) best = v;
    }
    // With fewer than two distinct values no run is better than another: nothing is marked.
    const finite = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (finite.every((v) => v === finite[0])) best = undefined;
    const bestIndexes = best === undefined ? [] : values.flatMap((v, i) => (v === best ? [i] : []));
    return { key, values, direction, best, bestIndexes };
  });
}
