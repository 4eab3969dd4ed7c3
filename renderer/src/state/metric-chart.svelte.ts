/**
 * A metric chart's state: the settings a grid of charts shares (x mode, smoothing, log scale) and,
 * per chart, the min/max buckets of each run over the visible range, fetched from the core with
 * `metrics.sampledMany` (all runs in one call) at one bucket per pixel. Zooming asks again for the zoomed range only, so
 * detail grows with zoom down to every raw point.
 */
import type { MetricBucket } from '#core/api/entities.ts';
import { MAX_BATCH_BUCKETS, MAX_BATCH_RUNS } from '#core/api/batched-reads-contract.ts';
import { api } from './api.ts';
import { needsRawPoints, pointsAsBuckets, stepRangeFor, type RunPoints, type XMode } from '#renderer/lib/chart-data.ts';
import { reportError } from './toasts.svelte.ts';

/** Up to this many points, a series whose steps repeat is drawn from its raw points. */
const RAW_LIMIT = 10_000;

/** A run as a chart draws it. */
export interface ChartRun {
  runId: string;
  name: string;
  /** The run's start (ms), from which relative time counts. */
  startTime: number;
  /** Its place in the palette, so a run keeps one colour across every chart of a view. */
  colorIndex: number;
}

/** How the charts of a grid are drawn; changing it redraws them all. */
export class ChartSettings {
  xMode = $state<XMode>('step');
  /** EMA weight, 0 (raw) to 0.99. */
  smoothing = $state(0);
  logScale = $state(false);
}

/** The x range a chart is zoomed to, in the units of the x mode it was chosen in. */
export interface Zoom {
  lo: number;
  hi: number;
  mode: XMode;
}

export class MetricChartData {
  /** Buckets per run, in the order of `runs`. */
  buckets = $state.raw<MetricBucket[][]>([]);
  /** NaN points per run (never drawn: the core counts them). */
  nanCounts = $state.raw<number[]>([]);
  pointCounts = $state.raw<number[]>([]);
  zoom = $state.raw<Zoom | undefined>(undefined);
  loading = $state(false);
  loaded = $state(false);
  error = $state<string | undefined>(undefined);
  /** Answers to superseded requests (a zoom overtaken by another) are dropped. */
  #request = 0;

  constructor(
    readonly runs: readonly ChartRun[],
    readonly key: string,
  ) {}

  /** Fetches every run's buckets, over `ranges[i]` for run i when zoomed (undefined: nothing near the range). */
  async load(buckets: number, zoom?: Zoom, ranges?: readonly ({ startStep: number; endStep: number } | undefined)[]): Promise<void> {
    const request = ++this.#request;
    this.loading = true;
    try {
      const results = await this.#sampledAll(buckets, ranges);
      if (request !== this.#request) return;
      this.buckets = results.map((r) => r.buckets);
      this.nanCounts = results.map((r) => r.nanCount);
      this.pointCounts = results.map((r) => r.pointCount);
      this.zoom = zoom;
      this.error = undefined;
      this.loaded = true;
    } catch (err) {
      if (request !== this.#request) return;
      this.error = err instanceof Error ? err.message : String(err);
      reportError(`Loading the chart of “${this.key}”`, err);
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }

  /**
   * Every run's buckets, in the order of `runs`, from as few `metrics.sampledMany` calls as its
   * cap allows (hundreds of runs compared cost a handful of calls, not one each); a short series
   * with several points per step comes whole (see `needsRawPoints`).
   */
  async #sampledAll(buckets: number, ranges?: readonly ({ startStep: number; endStep: number } | undefined)[]) {
    const empty = { buckets: [], nanCount: 0, pointCount: 0 };
    const results: { buckets: MetricBucket[]; nanCount: number; pointCount: number }[] = this.runs.map(() => empty);
    const wanted = this.runs.flatMap((run, i) => (ranges && !ranges[i] ? [] : [{ i, runId: run.runId, ...ranges?.[i] }]));
    const perCall = Math.max(1, Math.min(MAX_BATCH_RUNS, Math.floor(MAX_BATCH_BUCKETS / buckets)));
    const calls = [];
    for (let first = 0; first < wanted.length; first += perCall) {
      const part = wanted.slice(first, first + perCall);
      calls.push(
        api.call('metrics.sampledMany', { key: this.key, buckets, series: part.map(({ runId, startStep, endStep }) => ({ runId, startStep, endStep })) }).then(({ series }) => {
          series.forEach((answer, j) => (results[part[j]!.i] = answer));
        }),
      );
    }
    await Promise.all(calls);
    if (!ranges) {
      await Promise.all(
        this.runs.map(async (run, i) => {
          const sampled = results[i]!;
          if (!needsRawPoints(sampled.buckets, sampled.pointCount, RAW_LIMIT)) return;
          const { metrics } = await api.call('metrics.history', { runId: run.runId, key: this.key, maxResults: RAW_LIMIT });
          results[i] = { ...sampled, buckets: pointsAsBuckets(metrics) };
        }),
      );
    }
    return results;
  }

  /** Zooms to the x range [lo, hi] of the points on screen, fetching finer buckets for it. */
  zoomTo(lo: number, hi: number, mode: XMode, points: readonly RunPoints[], buckets: number): Promise<void> {
    return this.load(buckets, { lo, hi, mode }, points.map((p) => stepRangeFor(p, mode, lo, hi)));
  }

  /** Back to the whole series. */
  reset(buckets: number): Promise<void> {
    return this.load(buckets);
  }
}
