import { describe, expect, it } from 'vitest';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import type { Client } from '#core/api/client.ts';
import type { Flowdesk } from '#core/flowdesk.ts';

async function counts(fd: Flowdesk) {
  const db = fd.catalog.db;
  const one = async (table: 'metrics' | 'params' | 'run_tags' | 'metric_series' | 'metric_buckets') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { metrics: await one('metrics'), params: await one('params'), tags: await one('run_tags'), series: await one('metric_series'), buckets: await one('metric_buckets') };
}

async function newRun(api: Client) {
  return (await api.call('runs.create', {})).run.info.runId;
}

describe('logBatch', () => {
  it('stores a 1,000-entry batch of metrics in full', async () => {
    const { api } = await testFlowdesk();
    const runId = await newRun(api);
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), timestamp: 1000 + i, step: i }));
    await api.call('runs.logBatch', { runId, metrics });
    const { metrics: history } = await api.call('metrics.history', { runId, key: 'loss', maxResults: 5000 });
    expect(history).toHaveLength(1000);
    expect(history[999]).toEqual({ key: 'loss', value: 1 / 1000, timestamp: 1999, step: 999 });
    const { run } = await api.call('runs.get', { runId });
    expect(run.data.metrics).toEqual([{ key: 'loss', value: 1 / 1000, timestamp: 1999, step: 999 }]);
  });

  it('stores a mixed batch of 1,000 entries (metrics, params, tags) in one call', async () => {
    const { api } = await testFlowdesk();
    const runId = await newRun(api);
    await api.call('runs.logBatch', {
      runId,
      metrics: Array.from({ length: 800 }, (_, i) => ({ key: `m${i % 10}`, value: i, timestamp: i, step: i })),
      params: Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: String(i) })),
      tags: Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: String(i) })),
    });
    const { run } = await api.call('runs.get', { runId });
    expect(run.data.metrics).toHaveLength(10);
    expect(run.data.params).toHaveLength(100);
    expect(run.data.tags.filter((t) => t.key.startsWith('t'))).toHaveLength(100);
  });

  it.each([
    ['an invalid metric key', { metrics: [{ key: 'ok', value: 1, timestamp: 1 }, { key: '../bad', value: 2, timestamp: 1 }] }],
    ['a param that changes a logged value', { params: [{ key: 'fresh', value: '1' }, { key: 'lr', value: '0.5' }] }],
    ['a tag value over 1 MiB', { tags: [{ key: 'ok', value: 'v' }, { key: 'long', value: 'x'.repeat(1024 * 1024 + 1) }] }],
    ['a negative timestamp', { metrics: [{ key: 'ok', value: 1, timestamp: 1 }, { key: 'ok', value: 1, timestamp: -1 }] }],
    ['a value of the wrong type', { metrics: [{ key: 'ok', value: 1, timestamp: 1 }, { key: 'ok', value: 'high', timestamp: 1 }] }],
    ['too many params', { params: Array.from({ length: 101 }, (_, i) => ({ key: `q${i}`, value: '1' })) }],
    ['too many entries in total', { metrics: Array.from({ length: 1000 }, (_, i) => ({ key: 'ok', value: i, timestamp: i })), tags: [{ key: 'x', value: 'y' }] }],
    ['duplicate param keys', { params: [{ key: 'dup', value: '1' }, { key: 'dup', value: '1' }] }],
  ])('changes nothing when the batch holds %s', async (_label, batch) => {
    const { api, fd } = await testFlowdesk();
    const runId = await newRun(api);
    await api.call('runs.logParam', { runId, key: 'lr', value: '0.1' });
    await api.call('runs.logMetric', { runId, key: 'ok', value: 0, timestamp: 0 });
    const before = await counts(fd);
    const runBefore = (await api.call('runs.get', { runId })).run;
    await expect(api.call('runs.logBatch', { runId, ...batch } as never)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect(await counts(fd)).toEqual(before);
    expect((await api.call('runs.get', { runId })).run).toEqual(runBefore);
  });

  it('accepts re-logging a param with the same value and refuses another value', async () => {
    const { api } = await testFlowdesk();
    const runId = await newRun(api);
    await api.call('runs.logParam', { runId, key: 'lr', value: '0.1' });
    await api.call('runs.logParam', { runId, key: 'lr', value: '0.1' });
    await expect(api.call('runs.logParam', { runId, key: 'lr', value: '0.2' })).rejects.toThrow(/Changing param values is not allowed/);
    expect((await api.call('runs.get', { runId })).run.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
  });

  it('round-trips NaN, +Infinity and -Infinity faithfully, in history and latest values', async () => {
    const { api } = await testFlowdesk();
    const runId = await newRun(api);
    const metrics = [
      { key: 'nan', value: Number.NaN, timestamp: 5, step: 1 },
      { key: 'pinf', value: Number.POSITIVE_INFINITY, timestamp: 5, step: 1 },
      { key: 'ninf', value: Number.NEGATIVE_INFINITY, timestamp: 5, step: 1 },
      { key: 'max', value: Number.MAX_VALUE, timestamp: 5, step: 1 },
    ];
    await api.call('runs.logBatch', { runId, metrics });
    for (const m of metrics) {
      const { metrics: history } = await api.call('metrics.history', { runId, key: m.key });
      expect(history).toEqual([m]);
    }
    const latest = new Map((await api.call('runs.get', { runId })).run.data.metrics.map((m) => [m.key, m.value]));
    expect(latest.get('nan')).toBeNaN();
    expect(latest.get('pinf')).toBe(Number.POSITIVE_INFINITY);
    expect(latest.get('ninf')).toBe(Number.NEGATIVE_INFINITY);
    expect(latest.get('max')).toBe(Number.MAX_VALUE);
  });

  it('treats an exact duplicate point as a no-op so retried requests are harmless', async () => {
    const { api } = await testFlowdesk();
    const runId = await newRun(api);
    const batch = { runId, metrics: [{ key: 'm', value: 1.5, timestamp: 10, step: 3 }] };
    await api.call('runs.logBatch', batch);
    await api.call('runs.logBatch', batch);
    const { metrics } = await api.call('metrics.history', { runId, key: 'm' });
    expect(metrics).toHaveLength(1);
    const sampled = await api.call('metrics.sampled', { runId, key: 'm' });
    expect(sampled.pointCount).toBe(1);
  });

  it('counts each point once when batches overlap or repeat points within a batch', async () => {
    const { api } = await testFlowdesk();
    const runId = await newRun(api);
    const point = (step: number) => ({ key: 'm', value: step * 2, timestamp: 1000 + step, step });
    await api.call('runs.logBatch', { runId, metrics: Array.from({ length: 100 }, (_, i) => point(i)) });
    await api.call('runs.logBatch', { runId, metrics: Array.from({ length: 100 }, (_, i) => point(i + 50)) });
    await api.call('runs.logBatch', { runId, metrics: [point(500), point(500), point(501)] });
    const sampled = await api.call('metrics.sampled', { runId, key: 'm', buckets: 10 });
    expect(sampled.pointCount).toBe(152);
    expect(sampled.buckets.reduce((n, b) => n + b.count, 0)).toBe(152);
    expect((await api.call('metrics.history', { runId, key: 'm', maxResults: 1000 })).metrics).toHaveLength(152);
  });

  it('picks the latest value by step, then timestamp, whatever the arrival order', async () => {
    const { api } = await testFlowdesk();
    const runId = await newRun(api);
    await api.call('runs.logBatch', { runId, metrics: [{ key: 'm', value: 5, timestamp: 100, step: 9 }] });
    await api.call('runs.logBatch', { runId, metrics: [{ key: 'm', value: 1, timestamp: 200, step: 2 }] });
    await api.call('runs.logBatch', { runId, metrics: [{ key: 'm', value: 7, timestamp: 50, step: 9 }] });
    expect((await api.call('runs.get', { runId })).run.data.metrics).toEqual([{ key: 'm', value: 5, timestamp: 100, step: 9 }]);
  });

  it('fails only the writes to a deleted run when writes to several runs are merged', async () => {
    const { api } = await testFlowdesk();
    const live = await newRun(api);
    const doomed = await newRun(api);
    await api.call('runs.delete', { runId: doomed });
    const calls = Array.from({ length: 20 }, (_, i) =>
      api.call('runs.logMetric', { runId: i % 2 ? doomed : live, key: 'm', value: i, timestamp: i, step: i }),
    );
    const results = await Promise.allSettled(calls);
    results.forEach((r, i) => expect(r.status).toBe(i % 2 ? 'rejected' : 'fulfilled'));
    expect((await api.call('metrics.history', { runId: live, key: 'm' })).metrics).toHaveLength(10);
    await api.call('runs.restore', { runId: doomed });
    expect((await api.call('metrics.history', { runId: doomed, key: 'm' })).metrics).toHaveLength(0);
  });

  it('loses nothing when many async writers log at once', async () => {
    const { api, fd } = await testFlowdesk();
    const runs = await Promise.all(Array.from({ length: 8 }, () => newRun(api)));
    const shared = runs[0]!;
    const writes: Promise<unknown>[] = [];
    for (let w = 0; w < 40; w++) {
      const own = runs[w % runs.length]!;
      for (let b = 0; b < 10; b++) {
        const metrics = Array.from({ length: 25 }, (_, i) => ({ key: `w${w}`, value: b * 25 + i, timestamp: 1, step: b * 25 + i }));
        writes.push(api.call('runs.logBatch', { runId: own, metrics }));
        writes.push(api.call('runs.logBatch', { runId: shared, metrics: metrics.map((m) => ({ ...m, key: 'shared', step: w * 1000 + m.step })) }));
        writes.push(api.call('runs.logParam', { runId: own, key: `p${w}-${b}`, value: String(w) }));
      }
    }
    await Promise.all(writes);
    for (let w = 0; w < 40; w++) {
      const { metrics } = await api.call('metrics.history', { runId: runs[w % runs.length]!, key: `w${w}` });
      expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    }
    const shared_ = await api.call('metrics.history', { runId: shared, key: 'shared', maxResults: 100_000 });
    expect(shared_.metrics).toHaveLength(40 * 250);
    const params = await fd.catalog.db.selectFrom('params').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(params.n)).toBe(400);
  });
});
