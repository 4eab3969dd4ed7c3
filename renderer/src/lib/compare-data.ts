/**
 * The pure half of the compare view: params side by side and which differ, the fields (params and
 * latest metrics) a scatter or parallel-coordinates axis can show, and how an axis places values
 * (numbers on a linear scale, anything else as ordered categories).
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

/**
 * The axis for a set of values. When every present value reads as a number the axis is linear
 * over their finite range (padded when they are all equal); otherwise the distinct values are
 * ordered categories, evenly spaced, numbers-in-text sorted numerically.
 */
export function makeAxis(values: readonly (string | number | undefined)[]): Axis {
  const present = values.filter((v): v is string | number => v !== undefined);
  const numbers = present.map(asNumber);
  if (numbers.every((n) => n !== undefined)) {
    const finite = (numbers as number[]).filter(Number.isFinite);
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
    position(value) {
      if (value === undefined) return undefined;
      const i = categories.indexOf(String(value));
      return i < 0 ? undefined : place(i);
    },
    ticks: categories.map((c, i) => ({ position: place(i), label: c })),
  };
}

/** The fields parallel coordinates start with: params that differ, then metrics, a few of each. */
export function defaultAxes(runs: readonly Pick<CompareRun, 'params' | 'metrics'>[], limit = 4): Field[] {
  const differing = diffParams(runs).filter((r) => r.differs).slice(0, limit).map((r) => ({ kind: 'param' as const, key: r.key }));
  const metrics = fieldsOf(runs).filter((f) => f.kind === 'metric').slice(0, limit);
  return [...differing, ...metrics];
}
