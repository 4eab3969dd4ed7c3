import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';

describe('the contract over HTTP', () => {
  it('serves contract calls with typed results and NaN/Infinity intact', async () => {
    const { api } = await startTestServer();
    const { experimentId } = await api.call('experiments.create', { name: 'over-http' });
    const runId = (await api.call('runs.create', { experimentId })).run.info.runId;
    await api.call('runs.logBatch', { runId, metrics: [{ key: 'n', value: Number.NaN, timestamp: 1, step: 0 }, { key: 'i', value: -Infinity, timestamp: 1, step: 0 }] });
    const { run } = await api.call('runs.get', { runId });
    const values = new Map(run.data.metrics.map((m) => [m.key, m.value]));
    expect(values.get('n')).toBeNaN();
    expect(values.get('i')).toBe(-Infinity);
  });

  it('carries contract errors as data with their code and HTTP status', async () => {
    const { api, url } = await startTestServer();
    await expect(api.call('experiments.get', { experimentId: '404' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    const response = await fetch(`${url}/api/flowdesk/v1/call/experiments.get`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"experimentId":"404"}' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('answers an unknown method with ENDPOINT_NOT_FOUND as JSON', async () => {
    const { url } = await startTestServer();
    const response = await fetch(`${url}/api/flowdesk/v1/call/nope.nothing`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
  });

  it('pushes events over Server-Sent Events while a client logs', async () => {
    const { api, url } = await startTestServer();
    const controller = new AbortController();
    const response = await fetch(`${url}/api/flowdesk/v1/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await api.call('runs.logMetric', { runId, key: 'loss', value: 1, timestamp: 1 });
    let text = '';
    while (!text.includes('metrics.logged')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain('event: run.created');
    expect(text).toContain(`"runId":"${runId}"`);
    expect(text).toContain('event: metrics.logged');
  });
});
