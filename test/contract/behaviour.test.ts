import { describe, expect, it } from 'vitest';
import { clientOver, TRANSPORTS } from '../helpers/transports.ts';

/** One behaviour suite, run against the core directly, over HTTP and over an IPC pair. */
describe.each(TRANSPORTS)('the contract over %s', (transport) => {
  it('creates an experiment and a run, logs a batch and reads it back', async () => {
    const { api } = await clientOver(transport);
    const { experimentId } = await api.call('experiments.create', { name: 'suite', tags: [{ key: 'k', value: 'v' }] });
    const { run } = await api.call('runs.create', { experimentId, runName: 'r' });
    await api.call('runs.logBatch', {
      runId: run.info.runId,
      metrics: [{ key: 'loss', value: 0.5, timestamp: 10, step: 1 }],
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'team', value: 'ml' }],
    });
    const { run: got } = await api.call('runs.get', { runId: run.info.runId });
    expect(got.data.metrics).toEqual([{ key: 'loss', value: 0.5, timestamp: 10, step: 1 }]);
    expect(got.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(got.data.tags).toContainEqual({ key: 'team', value: 'ml' });
    expect((await api.call('experiments.get', { experimentId })).experiment.tags).toEqual([{ key: 'k', value: 'v' }]);
  });

  it('keeps NaN and both infinities', async () => {
    const { api } = await clientOver(transport);
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await api.call('runs.logBatch', {
      runId,
      metrics: [
        { key: 'a', value: Number.NaN, timestamp: 1, step: 0 },
        { key: 'b', value: Number.POSITIVE_INFINITY, timestamp: 1, step: 0 },
        { key: 'c', value: Number.NEGATIVE_INFINITY, timestamp: 1, step: 0 },
      ],
    });
    const values = (await api.call('runs.get', { runId })).run.data.metrics.map((m) => m.value);
    expect(values[0]).toBeNaN();
    expect(values.slice(1)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it('keeps the sign of -0 in the latest value and the history', async () => {
    const { api } = await clientOver(transport);
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await api.call('runs.logBatch', {
      runId,
      metrics: [
        { key: 'z', value: 0, timestamp: 1, step: 0 },
        { key: 'z', value: -0, timestamp: 1, step: 1 },
      ],
    });
    const [latest] = (await api.call('runs.get', { runId })).run.data.metrics;
    expect(Object.is(latest?.value, -0)).toBe(true);
    const { metrics } = await api.call('metrics.history', { runId, key: 'z' });
    expect(metrics.map((m) => (Object.is(m.value, -0) ? '-0' : String(m.value)))).toEqual(['0', '-0']);
  });

  it('keeps the sign of -0 in chart buckets, from summaries and raw points alike', async () => {
    const { api } = await clientOver(transport);
    const runId = (await api.call('runs.create', {})).run.info.runId;
    // 64 steps of -0 and then 0: one bucket over all of it is folded from stored summaries,
    // 128 buckets come from raw points. -0 orders below 0, as Math.min and Math.max order them.
    const metrics = Array.from({ length: 128 }, (_, step) => ({ key: 'z', value: step < 64 ? -0 : 0, timestamp: step, step }));
    await api.call('runs.logBatch', { runId, metrics });
    const signs = (b: { min: number; max: number; first: number; last: number }) => [b.min, b.max, b.first, b.last].map((v) => (Object.is(v, -0) ? '-0' : String(v)));
    const coarse = (await api.call('metrics.sampled', { runId, key: 'z', buckets: 2 })).buckets;
    expect(coarse.map(signs)).toEqual([['-0', '0', '-0', '0']]);
    const fine = (await api.call('metrics.sampled', { runId, key: 'z', buckets: 128 })).buckets;
    expect(signs(fine[0]!)).toEqual(['-0', '-0', '-0', '-0']);
    expect(signs(fine.at(-1)!)).toEqual(['0', '0', '0', '0']);
  });

  it('finds and orders a -0 metric as 0', async () => {
    const { api } = await clientOver(transport);
    for (const [runName, value] of [['minus-zero', -0], ['zero', 0], ['minus-one', -1]] as const) {
      const runId = (await api.call('runs.create', { runName })).run.info.runId;
      await api.call('runs.logMetric', { runId, key: 'z', value, timestamp: 1 });
    }
    const names = async (filter: string) =>
      (await api.call('runs.search', { experimentIds: ['0'], filter, orderBy: ['metrics.z ASC', 'attributes.run_name ASC'] })).runs.map((r) => r.info.runName);
    expect(await names('metrics.z = 0')).toEqual(['minus-zero', 'zero']);
    expect(await names('metrics.z < 0')).toEqual(['minus-one']);
    expect(await names('metrics.z >= -0.5')).toEqual(['minus-zero', 'zero']);
  });

  it("keeps the sign of -0 in a logged model's metrics", async () => {
    const { api } = await clientOver(transport);
    const { model } = await api.call('loggedModels.create', { experimentId: '0' });
    await api.call('loggedModels.logMetrics', { modelId: model.info.modelId, metrics: [{ key: 'z', value: -0, timestamp: 1, step: 0 }] });
    const [metric] = (await api.call('loggedModels.get', { modelId: model.info.modelId })).model.data.metrics;
    expect(Object.is(metric?.value, -0)).toBe(true);
  });

  it.each([
    ['an unknown run', 'runs.get', { runId: 'f'.repeat(32) }, 'RESOURCE_DOES_NOT_EXIST'],
    ['a duplicate experiment name', 'experiments.create', { name: 'Default' }, 'RESOURCE_ALREADY_EXISTS'],
    ['input of the wrong type', 'experiments.create', { name: 7 }, 'INVALID_PARAMETER_VALUE'],
    ['a malformed filter', 'runs.search', { experimentIds: ['0'], filter: 'metrics.x >' }, 'INVALID_PARAMETER_VALUE'],
  ] as const)('answers %s with its error code', async (_label, method, input, code) => {
    const { api } = await clientOver(transport);
    await expect(api.call(method, input as never)).rejects.toMatchObject({ code });
  });

  it('finds runs with the query language, sorted and paged', async () => {
    const { api } = await clientOver(transport);
    for (let i = 0; i < 5; i++) {
      const runId = (await api.call('runs.create', { runName: `r${i}` })).run.info.runId;
      await api.call('runs.logMetric', { runId, key: 'acc', value: i / 10, timestamp: 1 });
    }
    const first = await api.call('runs.search', { experimentIds: ['0'], filter: 'metrics.acc >= 0.2', orderBy: ['metrics.acc DESC'], maxResults: 2 });
    expect(first.runs.map((r) => r.info.runName)).toEqual(['r4', 'r3']);
    const second = await api.call('runs.search', { experimentIds: ['0'], filter: 'metrics.acc >= 0.2', orderBy: ['metrics.acc DESC'], maxResults: 2, pageToken: first.nextPageToken });
    expect(second.runs.map((r) => r.info.runName)).toEqual(['r2']);
    expect(second.nextPageToken).toBeUndefined();
  });

  it('moves a run to the trash, restores it, and purges it', async () => {
    const { api } = await clientOver(transport);
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await api.call('runs.delete', { runId });
    expect((await api.call('trash.list', {})).entries.map((e) => e.id)).toEqual([runId]);
    await api.call('runs.restore', { runId });
    expect((await api.call('trash.list', {})).entries).toEqual([]);
    await api.call('runs.delete', { runId });
    expect(await api.call('trash.purge', { runIds: [runId] })).toEqual({ experimentsPurged: 0, runsPurged: 1, bytesReclaimed: 0, kept: [] });
    await expect(api.call('runs.get', { runId })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('downsamples a metric keeping its spike', async () => {
    const { api } = await clientOver(transport);
    const runId = (await api.call('runs.create', {})).run.info.runId;
    const metrics = Array.from({ length: 1000 }, (_, step) => ({ key: 'm', value: step === 500 ? 99 : 1, timestamp: step, step }));
    await api.call('runs.logBatch', { runId, metrics });
    const { buckets } = await api.call('metrics.sampled', { runId, key: 'm', buckets: 10 });
    expect(Math.max(...buckets.map((b) => b.max))).toBe(99);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(1000);
  });
});
