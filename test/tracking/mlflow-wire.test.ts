/**
 * The MLflow routes' large reads written straight from rows (core/tracking/mlflow-wire.ts) must be
 * the very text the contract's entities give through the MLflow mappers and the wire encoder.
 */
import { describe, expect, it } from 'vitest';
import { toWireJson } from '#core/api/http-transport.ts';
import { toMlflowMetric, toMlflowRun } from '#core/server/mlflow-mappers.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

describe('MLflow wire reads', () => {
  it('writes a runs/search page byte for byte as the entities through the MLflow mappers', async () => {
    const { fd, api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'wire' });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { run } = await api.call('runs.create', { experimentId, runName: `run "${i}" é`, startTime: 1000 + i });
      ids.push(run.info.runId);
    }
    const [a, b, c] = ids as [string, string, string];
    await api.call('runs.logBatch', {
      runId: a,
      params: [{ key: 'lr', value: '0.1' }, { key: 'quote', value: 'say "hi"\n' }],
      tags: [{ key: 'note', value: 'tab\there' }],
      metrics: [
        { key: 'nan', value: Number.NaN, timestamp: 1, step: 0 },
        { key: 'inf', value: Number.POSITIVE_INFINITY, timestamp: 2, step: 1 },
        { key: 'ninf', value: Number.NEGATIVE_INFINITY, timestamp: 3, step: 2 },
        { key: 'negzero', value: -0, timestamp: 4, step: 3 },
        { key: 'small', value: 1e-7, timestamp: 5, step: 4 },
      ],
    });
    await api.call('runs.logInputs', {
      runId: b,
      datasets: [
        { tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset: { name: 'd', digest: 'x1', sourceType: 'local', source: '/d', schema: '{}', profile: '{"rows":3}' } },
        { tags: [], dataset: { name: 'e', digest: 'x2', sourceType: 'local', source: '/e' } },
      ],
    });
    const { model } = await api.call('loggedModels.create', { experimentId, sourceRunId: c });
    await api.call('runs.logModelInputs', { runId: b, models: [{ modelId: model.info.modelId }] });
    await api.call('runs.logBatch', { runId: c, metrics: [{ key: 'acc', value: 0.5, timestamp: 9, step: 7 }], modelMetrics: [{ modelId: model.info.modelId, metrics: [{ key: 'acc', value: 0.5, timestamp: 9, step: 7, runId: c }] }] });
    await api.call('runs.update', { runId: c, status: 'FINISHED', endTime: 5000 });

    for (const input of [{ experimentIds: [experimentId] }, { experimentIds: [experimentId], maxResults: 2 }, { experimentIds: [experimentId], filter: "params.lr = '0.1'" }]) {
      const page = await api.call('runs.search', input);
      const expected: { runs?: object[]; next_page_token?: string } = {};
      if (page.runs.length > 0) expected.runs = page.runs.map(toMlflowRun);
      if (page.nextPageToken) expected.next_page_token = page.nextPageToken;
      expect(await fd.mlflowWire.searchRuns(input)).toBe(toWireJson(expected));
    }
    const all = await fd.mlflowWire.searchRuns({ experimentIds: [experimentId] });
    expect(all).toContain('"model_inputs"');
    expect(all).toContain('"dataset_inputs"');
    expect(all).toContain('"value":-0.0');
    expect(all).toContain('"value":"NaN"');
  });

  it('writes history pages byte for byte as the entities through the MLflow mapper', async () => {
    const { fd, api } = await testFlowdesk();
    const { run } = await api.call('runs.create', {});
    const values = [0.5, Number.NaN, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21, -3.25];
    await api.call('runs.logBatch', { runId: run.info.runId, metrics: values.map((value, i) => ({ key: 'm', value, timestamp: 100 + i, step: i })) });
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const input = { runId: run.info.runId, key: 'm', maxResults: 3, pageToken };
      const page = await api.call('metrics.history', input);
      const expected: { metrics?: object[]; next_page_token?: string } = { metrics: page.metrics.map((m) => toMlflowMetric(m)) };
      if (page.nextPageToken) expected.next_page_token = page.nextPageToken;
      expect(await fd.mlflowWire.history(input)).toBe(toWireJson(expected));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    expect(pages).toBe(3);
    const whole = JSON.parse(await fd.mlflowWire.history({ runId: run.info.runId, key: 'm' }, { whole: true })) as { metrics: { value: unknown }[] };
    expect(whole.metrics.map((m) => m.value)).toEqual([0.5, 'NaN', -0, 'Infinity', '-Infinity', 1e21, -3.25]);
    expect(await fd.mlflowWire.history({ runId: run.info.runId, key: 'never' })).toBe('{}');
  });
});
