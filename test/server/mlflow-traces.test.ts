/**
 * Tracing's HTTP routes with hand-written requests: OTLP/HTTP in JSON, the trace data file on the
 * artifact proxy, MLflow's trace RPCs, and the refusals of bad input (a 4xx naming what is wrong,
 * nothing stored).
 */
import { describe, expect, it } from 'vitest';
import { JSON_BODY_LIMIT } from '#core/platform/http-body.ts';
import { serverForFile } from '../helpers/server.ts';

const server = serverForFile();
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** An OTLP JSON export of spans of one trace. */
function otlpJson(traceHex: string, spans: { id: number; parent?: number; name: string; attributes?: { key: string; value: Record<string, unknown> }[] }[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: spans.map((s) => ({
              traceId: traceHex,
              spanId: hex(s.id, 16),
              ...(s.parent !== undefined && { parentSpanId: hex(s.parent, 16) }),
              name: s.name,
              kind: 1,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000500000000',
              attributes: s.attributes ?? [],
              status: { code: 1 },
            })),
          },
        ],
      },
    ],
  };
}

async function postOtlp(body: string | Uint8Array, headers: Record<string, string>) {
  const response = await fetch(`${server().url}/v1/traces`, { method: 'POST', body, headers });
  return { status: response.status, text: await response.text() };
}

async function newExperiment(name: string): Promise<string> {
  return (await server().api.call('experiments.create', { name })).experimentId;
}

describe('OTLP/HTTP at /v1/traces', () => {
  it('logs spans sent as OTLP JSON, and spans of one trace sent in two requests join it', async () => {
    const experimentId = await newExperiment('otlp-json');
    const traceHex = hex(0xabc, 32);
    const headers = { 'content-type': 'application/json', 'x-mlflow-experiment-id': experimentId };
    const child = otlpJson(traceHex, [{ id: 2, parent: 1, name: 'child', attributes: [{ key: 'n', value: { intValue: '7' } }, { key: 'ok', value: { boolValue: true } }] }]);
    expect((await postOtlp(JSON.stringify(child), headers)).status).toBe(200);
    expect((await postOtlp(JSON.stringify(otlpJson(traceHex, [{ id: 1, name: 'root' }])), headers)).status).toBe(200);
    const { spans } = await server().api.call('traces.spans', { traceId: `tr-${traceHex}` });
    expect(spans.map((s) => s.name)).toEqual(['root', 'child']);
    expect(spans[1]!.attributes).toEqual({ n: '7', ok: 'true' });
    expect((await server().api.call('traces.get', { traceId: `tr-${traceHex}` })).trace).toMatchObject({ state: 'OK', spanCount: 2, experimentId });
  });

  it('refuses a malformed protobuf body with a 400 that says so', async () => {
    const experimentId = await newExperiment('otlp-bad-proto');
    const { status, text } = await postOtlp(new Uint8Array([0x0a, 0xff, 0x01]), { 'content-type': 'application/x-protobuf', 'x-mlflow-experiment-id': experimentId });
    expect(status).toBe(400);
    expect(text).toMatch(/Malformed OTLP protobuf body/);
  });

  it('refuses spans without the experiment header', async () => {
    const { status, text } = await postOtlp(JSON.stringify(otlpJson(hex(1, 32), [{ id: 1, name: 'x' }])), { 'content-type': 'application/json' });
    expect(status).toBe(400);
    expect(text).toMatch(/x-mlflow-experiment-id/);
  });

  it('answers 404 for spans sent to an experiment that does not exist', async () => {
    const { status } = await postOtlp(JSON.stringify(otlpJson(hex(2, 32), [{ id: 1, name: 'x' }])), { 'content-type': 'application/json', 'x-mlflow-experiment-id': '987654' });
    expect(status).toBe(404);
  });

  it('refuses a body over the size limit with 413', async () => {
    const experimentId = await newExperiment('otlp-big');
    const { status } = await postOtlp(new Uint8Array(JSON_BODY_LIMIT + 1), { 'content-type': 'application/x-protobuf', 'x-mlflow-experiment-id': experimentId });
    expect(status).toBe(413);
  });

  it('refuses a content type OTLP does not use', async () => {
    const experimentId = await newExperiment('otlp-type');
    const { status, text } = await postOtlp('spans', { 'content-type': 'text/plain', 'x-mlflow-experiment-id': experimentId });
    expect(status).toBe(400);
    expect(text).toMatch(/application\/x-protobuf or application\/json/);
  });

  it('stores none of a request whose last span is malformed', async () => {
    const experimentId = await newExperiment('otlp-atomic');
    const body = otlpJson(hex(3, 32), [{ id: 1, name: 'fine' }]);
    body.resourceSpans[0]!.scopeSpans[0]!.spans.push({ ...body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!, traceId: hex(4, 32), spanId: 'nothex' });
    const { status } = await postOtlp(JSON.stringify(body), { 'content-type': 'application/json', 'x-mlflow-experiment-id': experimentId });
    expect(status).toBe(400);
    expect((await server().api.call('traces.search', { experimentIds: [experimentId] })).traces).toEqual([]);
  });
});

describe('the trace data file on the artifact proxy', () => {
  async function startTrace(experimentId: string, n: number): Promise<string> {
    const traceId = `tr-${hex(n, 32)}`;
    const response = await fetch(`${server().url}/api/3.0/mlflow/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        trace: {
          trace_info: {
            trace_id: traceId,
            trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
            request_time: '2024-05-01T10:00:00.250Z',
            execution_duration: '1.500s',
            state: 'OK',
            trace_metadata: { 'mlflow.sourceRun': 'r1' },
            tags: { 'mlflow.traceName': 'ask' },
          },
        },
      }),
    });
    const body = (await response.json()) as { trace: { trace_info: Record<string, unknown> } };
    expect(body.trace.trace_info).toMatchObject({ trace_id: traceId, request_time: '2024-05-01T10:00:00.250Z', execution_duration: '1.500s', trace_metadata: { 'mlflow.sourceRun': 'r1' } });
    return traceId;
  }

  it('refuses malformed trace data with a 400 and indexes nothing', async () => {
    const experimentId = await newExperiment('data-bad');
    const traceId = await startTrace(experimentId, 10);
    const path = `${server().url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/traces/${traceId}/artifacts/traces.json`;
    const response = await fetch(path, { method: 'PUT', body: '{"spans": "no"}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/'spans' must be a list/);
    expect((await server().api.call('traces.spans', { traceId })).spans).toEqual([]);
    expect(await server().fd.artifacts.stat(`${experimentId}/traces/${traceId}/artifacts/traces.json`)).toBeUndefined();
  });

  it("refuses a data file put under another experiment's folder", async () => {
    const experimentId = await newExperiment('data-elsewhere');
    const traceId = await startTrace(experimentId, 11);
    const response = await fetch(`${server().url}/api/2.0/mlflow-artifacts/artifacts/0/traces/${traceId}/artifacts/traces.json`, { method: 'PUT', body: '{"spans": []}' });
    expect(response.status).toBe(400);
  });

  it('leaves other files under a trace folder to the ordinary artifact proxy', async () => {
    const experimentId = await newExperiment('data-other');
    const traceId = await startTrace(experimentId, 12);
    const path = `${server().url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/traces/${traceId}/artifacts/notes.txt`;
    expect((await fetch(path, { method: 'PUT', body: 'hello' })).status).toBe(200);
    expect(await (await fetch(path)).text()).toBe('hello');
  });

  it('serves the trace data it indexed as an attachment named traces.json', async () => {
    const experimentId = await newExperiment('data-download');
    const traceId = await startTrace(experimentId, 14);
    const path = `${server().url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/traces/${traceId}/artifacts/traces.json`;
    expect((await fetch(path, { method: 'PUT', body: '{"spans": []}' })).status).toBe(200);
    const response = await fetch(path);
    expect([response.status, response.headers.get('content-disposition')]).toEqual([200, 'attachment; filename=traces.json']);
    expect(JSON.parse(await response.text())).toEqual({ spans: [] });
  });

  it('answers a trace by its old and new names, and 404 for one that does not exist', async () => {
    const experimentId = await newExperiment('rpc');
    const traceId = await startTrace(experimentId, 13);
    const v2 = (await (await fetch(`${server().url}/api/2.0/mlflow/traces/${traceId}/info`)).json()) as { trace_info: Record<string, unknown> };
    expect(v2.trace_info).toMatchObject({ request_id: traceId, experiment_id: experimentId, timestamp_ms: Date.parse('2024-05-01T10:00:00.250Z'), execution_time_ms: 1500, status: 'OK' });
    const missing = await fetch(`${server().url}/api/3.0/mlflow/traces/tr-${hex(999, 32)}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error_code: string }).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const search = await fetch(`${server().url}/api/3.0/mlflow/traces/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }], filter: "trace.name = 'ask' AND trace.run_id = 'r1'" }),
    });
    expect(((await search.json()) as { traces: { trace_id: string }[] }).traces.map((t) => t.trace_id)).toEqual([traceId]);
  });
});
