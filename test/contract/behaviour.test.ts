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
