import { describe, expect, it } from 'vitest';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import type { Client } from '#core/api/client.ts';
import { pointSummary, mergePoint, toStoredSummary, type Summary } from '#core/tracking/metric-summary.ts';
import { LEVEL_WIDTHS } from '#core/tracking/metric-writer.ts';

/** Logs `values[i]` at step `steps[i]` in batches of 1,000. */
async function logSeries(api: Client, runId: string, key: string, steps: number[], values: number[]) {
  for (let i = 0; i < steps.length; i += 1000) {
    const metrics = steps.slice(i, i + 1000).map((step, j) => ({ key, value: values[i + j]!, timestamp: 1_000 + i + j, step }));
    await api.call('runs.logBatch', { runId, metrics });
  }
}

/** The reference answer: min, max and count of finite points per [lo, hi] range, by brute force. */
function bruteForce(steps: number[], values: number[], lo: number, hi: number) {
  let min = Infinity;
  let max = -Infinity;
  let count = 0;
  steps.forEach((s, i) => {
    if (s < lo || s > hi || Number.isNaN(values[i])) return;
    count++;
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  });
  return { min, max, count };
}

describe('metric history', () => {
  it('pages through the full history with tokens, in step order', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    const steps = Array.from({ length: 2500 }, (_, i) => 2499 - i);
    await logSeries(api, runId, 'acc', steps, steps.map((s) => s / 10));
    const seen: number[] = [];
    let pageToken: string | undefined;
    do {
      const page = await api.call('metrics.history', { runId, key: 'acc', maxResults: 700, pageToken });
      seen.push(...page.metrics.map((m) => m.step));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(Array.from({ length: 2500 }, (_, i) => i));
  });

  it('pages through points that share a step, a timestamp or a value, each exactly once', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    const points = [];
    for (const step of [0, 1])
      for (const timestamp of [5, 6]) for (const value of [Number.NaN, 0.5, 0, -1]) points.push({ key: 'm', value, timestamp, step });
    await api.call('runs.logBatch', { runId, metrics: points });
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await api.call('metrics.history', { runId, key: 'm', maxResults: 3, pageToken });
      seen.push(...page.metrics.map((m) => `${m.step}/${m.timestamp}/${m.value}`));
      pageToken = page.nextPageToken;
    } while (pageToken);
    // Storage order: NaN is stored as 0 and sorts after a real 0, on the is_nan flag.
    const expected = [0, 1].flatMap((step) => [5, 6].flatMap((timestamp) => [-1, 0, Number.NaN, 0.5].map((value) => `${step}/${timestamp}/${value}`)));
    expect(seen).toEqual(expected);
  });

  it('pages past a page that ends on an infinite value', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    const values = [Number.NEGATIVE_INFINITY, 2, Number.POSITIVE_INFINITY];
    await api.call('runs.logBatch', { runId, metrics: [0, 1].flatMap((step) => values.map((value, i) => ({ key: 'm', value, timestamp: i, step }))) });
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await api.call('metrics.history', { runId, key: 'm', maxResults: 1, pageToken });
      seen.push(...page.metrics.map((m) => `${m.step}/${m.value}`));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(['0/-Infinity', '0/2', '0/Infinity', '1/-Infinity', '1/2', '1/Infinity']);
  });

  it('keeps the position of a page token while new points arrive', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await logSeries(api, runId, 'm', [0, 2, 4, 6], [0, 2, 4, 6]);
    const first = await api.call('metrics.history', { runId, key: 'm', maxResults: 2 });
    await logSeries(api, runId, 'm', [1, 5, 8], [1, 5, 8]);
    const second = await api.call('metrics.history', { runId, key: 'm', maxResults: 10, pageToken: first.nextPageToken });
    expect(first.metrics.map((m) => m.step)).toEqual([0, 2]);
    expect(second.metrics.map((m) => m.step)).toEqual([4, 5, 6, 8]);
  });

  it('rejects a forged page token', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await logSeries(api, runId, 'm', [0], [0]);
    await expect(api.call('metrics.history', { runId, key: 'm', pageToken: "x' or 1=1 --" })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('returns an empty history for a key the run never logged, and 404 for an unknown run', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    expect((await api.call('metrics.history', { runId, key: 'nothing' })).metrics).toEqual([]);
    await expect(api.call('metrics.history', { runId: 'a'.repeat(32), key: 'm' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});

describe('downsampled metrics', () => {
  it('keeps a single-step spike in a long series', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    const steps = Array.from({ length: 50_000 }, (_, i) => i);
    const values = steps.map((s) => (s === 31_337 ? 1e6 : Math.sin(s / 100)));
    await logSeries(api, runId, 'loss', steps, values);
    const { buckets, pointCount } = await api.call('metrics.sampled', { runId, key: 'loss', buckets: 100 });
    expect(pointCount).toBe(50_000);
    expect(buckets.length).toBeLessThanOrEqual(101);
    expect(buckets.length).toBeGreaterThan(50);
    expect(Math.max(...buckets.map((b) => b.max))).toBe(1e6);
    const spike = buckets.find((b) => b.max === 1e6)!;
    expect(spike.startStep).toBeLessThanOrEqual(31_337);
    expect(spike.endStep).toBeGreaterThanOrEqual(31_337);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(50_000);
  });

  it('matches a brute-force computation for random ranges over irregular steps', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const steps: number[] = [];
    for (let s = -500; steps.length < 20_000; s += 1 + Math.floor(rand() * 5)) steps.push(s);
    const values = steps.map((_, i) => (i % 997 === 0 ? Number.NaN : rand() * 100 - 50));
    await logSeries(api, runId, 'v', steps, values);
    for (const [startStep, endStep, n] of [[-500, 70_000, 50], [1234, 5678, 37], [10_001, 10_100, 500], [-3, 40_000, 1000], [999, 999, 5]] as const) {
      const { buckets } = await api.call('metrics.sampled', { runId, key: 'v', startStep, endStep, buckets: n });
      let previousEnd = startStep - 1;
      for (const b of buckets) {
        expect(b.startStep).toBeGreaterThan(previousEnd);
        previousEnd = b.endStep;
        const expected = bruteForce(steps, values, b.startStep, b.endStep);
        expect({ min: b.min, max: b.max, count: b.count }).toEqual(expected);
      }
      expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(bruteForce(steps, values, startStep, endStep).count);
    }
  });

  it('summarises several keys logged together in overlapping batches as a brute-force computation does', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    const keys = ['a', 'b', 'c'];
    const logged = new Map(keys.map((k) => [k, { steps: [] as number[], values: [] as number[] }]));
    // Each batch mixes the keys and reaches back into buckets earlier batches filled, so the
    // stored summaries of every level of every key are read, merged and written back together.
    for (let batch = 0; batch < 6; batch++) {
      const metrics = [];
      for (let i = 0; i < 900; i++) {
        const key = keys[i % 3]!;
        const step = batch * 250 + (i >> 1) - 100 * (batch % 2);
        const value = Math.sin(batch * 1000 + i) * (i % 3 === 1 ? 10 : 1);
        metrics.push({ key, value, timestamp: 1_000 + batch * 1000 + i, step });
        logged.get(key)!.steps.push(step);
        logged.get(key)!.values.push(value);
      }
      await api.call('runs.logBatch', { runId, metrics });
    }
    for (const key of keys) {
      const { steps, values } = logged.get(key)!;
      const { buckets } = await api.call('metrics.sampled', { runId, key, startStep: -100, endStep: 2_000, buckets: 7 });
      for (const b of buckets) expect({ min: b.min, max: b.max, count: b.count }).toEqual(bruteForce(steps, values, b.startStep, b.endStep));
      expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(steps.length);
    }
  });

  it('stores the buckets of every level as the fold of their points, across batches in any order, with -0, 0 and ±Infinity', async () => {
    const { api, fd } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const special = [-0, 0, -0, 0, 1, -1, Infinity, -Infinity, Number.NaN];
    // Steps out of order and up to level 3's width, repeated across batches and keys; every
    // timestamp differs, so which point is a bucket's first or last never depends on the order.
    for (let batch = 0, t = 0; batch < 8; batch++) {
      const metrics = Array.from({ length: 300 }, (_, i) => ({
        key: i % 2 ? 'a' : 'b',
        value: rand() < 0.6 ? special[Math.floor(rand() * special.length)]! : rand() * 10 - 5,
        timestamp: 10_000 - (t++ * 7919) % 10_000,
        step: rand() < 0.5 ? Math.floor(rand() * 40) : Math.floor(rand() * 70_000),
      }));
      await api.call('runs.logBatch', { runId, metrics });
    }
    const unsigned = (row: Record<string, number>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === 0 ? 0 : v]));
    const points = await fd.catalog.db.selectFrom('metrics').selectAll().where('is_nan', '=', 0).execute();
    const expected = new Map<string, Summary>();
    for (const p of points) {
      const value = p.negative_zero ? -0 : p.value;
      LEVEL_WIDTHS.forEach((width, level) => {
        const id = `${p.series_id}:${level}:${Math.floor(p.step / width)}`;
        const bucket = expected.get(id);
        if (bucket) mergePoint(bucket, p.step, p.timestamp, value);
        else expected.set(id, pointSummary(p.step, p.timestamp, value));
      });
    }
    const stored = await fd.catalog.db.selectFrom('metric_buckets').selectAll().execute();
    expect(stored).toHaveLength(expected.size);
    for (const { series_id: seriesId, level, bucket, ...summary } of stored) {
      expect(unsigned(summary)).toEqual(unsigned(toStoredSummary(expected.get(`${seriesId}:${level}:${bucket}`)!)));
    }
  });

  it('reports when the first and last point of each bucket were logged, from summaries and raw edges alike', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    const steps = Array.from({ length: 30_000 }, (_, i) => i);
    await logSeries(api, runId, 't', steps, steps.map((s) => s % 7));
    // logSeries logs step i at timestamp 1000 + i, so each bucket's times follow from its steps.
    for (const [startStep, endStep, n] of [[undefined, undefined, 40], [123, 20_456, 9], [500, 530, 100]] as const) {
      const { buckets } = await api.call('metrics.sampled', { runId, key: 't', startStep, endStep, buckets: n });
      expect(buckets.length).toBeGreaterThan(0);
      for (const b of buckets) {
        expect(b.firstTimestamp).toBe(1_000 + b.firstStep);
        expect(b.lastTimestamp).toBe(1_000 + b.lastStep);
      }
    }
  });

  it('returns every point of a short series as its own bucket', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await logSeries(api, runId, 'm', [0, 1, 2, 3], [4, 3, 2, 1]);
    const { buckets } = await api.call('metrics.sampled', { runId, key: 'm', buckets: 1000 });
    expect(buckets.map((b) => [b.startStep, b.min, b.max, b.count])).toEqual([[0, 4, 4, 1], [1, 3, 3, 1], [2, 2, 2, 1], [3, 1, 1, 1]]);
  });

  it('rejects an inverted step range', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await expect(api.call('metrics.sampled', { runId, key: 'm', startStep: 10, endStep: 1 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});
