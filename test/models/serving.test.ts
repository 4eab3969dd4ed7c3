import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '#core/api/client.ts';
import { startTestServer } from '../helpers/server.ts';
import { FlowdeskClient } from '#core/sdk/flowdesk-client.ts';
import { BIAS, expected, logLinearModels, WEIGHTS } from './model-fixture.ts';
import { linearOnnxModel } from './onnx-builder.ts';
import { allowExecution } from '#core/execution/execution-policy.ts';

/** These tests start projects and model servers, as a person who confirmed them would. */
const allowRuns = allowExecution('allowed by the test');

const ROWS = [
  [1, 2, 3],
  [0.5, -1, 4.25],
  [-3, 0, 0.125],
];
/** y as MLflow answers a tensor request: one row per input row. */
const Y = expected(ROWS);
/** y as records, as MLflow's onnx flavour answers a DataFrame. */
const RECORDS = Y.map(([y]) => ({ y }));

async function post(url: string, body: string, contentType = 'application/json') {
  const response = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
}

describe('serving an ONNX model logged from TypeScript, by alias', () => {
  let api: Client;
  let tensorUrl: string;
  let columnsUrl: string;

  beforeEach(async () => {
    const server = await startTestServer({ execution: allowRuns });
    api = server.api;
    const logged = await logLinearModels(server.url);
    tensorUrl = (await api.call('models.serve', { model: { uri: logged.tensorUri } })).server.url;
    columnsUrl = (await api.call('models.serve', { model: { uri: logged.columnsUri } })).server.url;
  });
  afterEach(async () => {
    for (const s of (await api.call('models.servers', {})).servers) await api.call('models.stopServing', { serverId: s.serverId });
  });

  it('answers ping, health and version', async () => {
    for (const path of ['/ping', '/health']) expect((await fetch(`${tensorUrl}${path}`)).status).toBe(200);
    expect(await (await fetch(`${tensorUrl}/version`)).text()).toMatch(/^flowdesk \d+\.\d+\.\d+/);
  });

  it('scores `inputs` as one tensor', async () => {
    expect(await post(tensorUrl, JSON.stringify({ inputs: ROWS }))).toEqual({ status: 200, body: { predictions: Y } });
  });

  it('scores `inputs` as named tensors', async () => {
    expect(await post(tensorUrl, JSON.stringify({ inputs: { x: ROWS } }))).toEqual({ status: 200, body: { predictions: Y } });
  });

  it('scores `instances`, as rows and as named rows', async () => {
    expect(await post(tensorUrl, JSON.stringify({ instances: ROWS }))).toEqual({ status: 200, body: { predictions: Y } });
    expect(await post(tensorUrl, JSON.stringify({ instances: ROWS.map((x) => ({ x })) }))).toEqual({ status: 200, body: { predictions: Y } });
  });

  it('scores `dataframe_split` and `dataframe_records` against a column signature', async () => {
    const split = { dataframe_split: { columns: ['a', 'b', 'c'], data: ROWS } };
    expect(await post(columnsUrl, JSON.stringify(split))).toEqual({ status: 200, body: { predictions: RECORDS } });
    const records = { dataframe_records: ROWS.map(([a, b, c]) => ({ c, a, b })) };
    expect(await post(columnsUrl, JSON.stringify(records))).toEqual({ status: 200, body: { predictions: RECORDS } });
  });

  it('takes the columns in the signature order, whatever order the request names them in', async () => {
    const split = { dataframe_split: { columns: ['c', 'b', 'a'], data: ROWS.map(([a, b, c]) => [c, b, a]) } };
    expect((await post(columnsUrl, JSON.stringify(split))).body).toEqual({ predictions: RECORDS });
  });

  it('scores CSV', async () => {
    const csv = `a,b,c\n${ROWS.map((r) => r.join(',')).join('\n')}\n`;
    expect(await post(columnsUrl, csv, 'text/csv')).toEqual({ status: 200, body: { predictions: RECORDS } });
  });

  it('scores a dataframe against a tensor signature as its matrix', async () => {
    const split = { dataframe_split: { columns: ['f0', 'f1', 'f2'], data: ROWS } };
    expect((await post(tensorUrl, JSON.stringify(split))).body).toEqual({ predictions: RECORDS });
  });

  it('scores a batch of 100 rows', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => [i, i / 2, -i]);
    expect((await post(tensorUrl, JSON.stringify({ inputs: rows }))).body).toEqual({ predictions: expected(rows) });
  });

  it('accepts params the signature declares and refuses others', async () => {
    const body = { dataframe_records: [{ a: 1, b: 2, c: 3 }] };
    expect((await post(columnsUrl, JSON.stringify({ ...body, params: { threshold: 0.9 } }))).status).toBe(200);
    const wrongType = await post(columnsUrl, JSON.stringify({ ...body, params: { threshold: 'high' } }));
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("Param 'threshold' expects type double") });
    const unknown = await post(columnsUrl, JSON.stringify({ ...body, params: { temperature: 1 } }));
    expect(unknown.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'temperature'") });
  });

  describe('signature violations answer 400 naming the column and the expected type', () => {
    it('a missing column', async () => {
      const { status, body } = await post(columnsUrl, JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] } }));
      expect(status).toBe(400);
      expect(body.error_code).toBe('BAD_REQUEST');
      expect(body.message).toContain("column 'c' (double)");
    });

    it('a value of the wrong type', async () => {
      const { status, body } = await post(columnsUrl, JSON.stringify({ dataframe_records: [{ a: 1, b: 'two', c: 3 }] }));
      expect(status).toBe(400);
      expect(body.message).toBe('Column \'b\' expects type double, but row 0 holds "two"');
    });

    it('a CSV cell that is not a number', async () => {
      const { status, body } = await post(columnsUrl, 'a,b,c\n1,2,three\n', 'text/csv');
      expect(status).toBe(400);
      expect(body.message).toContain("Column 'c' expects type double");
    });

    it('a tensor of the wrong shape', async () => {
      const { status, body } = await post(tensorUrl, JSON.stringify({ inputs: [[1, 2, 3, 4]] }));
      expect(status).toBe(400);
      expect(body.message).toBe("Input tensor 'x' has shape (1, 4) but the signature expects float32 of shape (-1, 3) (-1 is any size)");
    });

    it('a tensor of the wrong rank, and a ragged one', async () => {
      expect((await post(tensorUrl, JSON.stringify({ inputs: [1, 2, 3] }))).body.message).toContain('has shape (3,)');
      expect((await post(tensorUrl, JSON.stringify({ inputs: [[1, 2, 3], [4, 5]] }))).body.message).toContain('ragged');
    });

    it('a tensor element of the wrong type', async () => {
      const { status, body } = await post(tensorUrl, JSON.stringify({ inputs: [[1, true, 3]] }));
      expect(status).toBe(400);
      expect(body.message).toBe("Input tensor 'x' expects float32 values, but it holds true");
    });

    it('a tensor sent under another name', async () => {
      const { status, body } = await post(tensorUrl, JSON.stringify({ inputs: { features: ROWS } }));
      expect(status).toBe(400);
      expect(body.message).toContain("missing tensor 'x' (float32 of shape (-1, 3))");
    });
  });

  describe('malformed requests answer a clear 4xx and the server keeps serving', () => {
    const cases: [string, () => Promise<Response>, number, RegExp][] = [
      ['bad JSON', () => fetch(`${tensorUrl}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [[1, 2' }), 400, /Malformed JSON/],
      ['no format key', () => fetch(`${tensorUrl}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data": [[1, 2, 3]]}' }), 400, /exactly one of dataframe_split, dataframe_records, instances, inputs/],
      ['two format keys', () => fetch(`${tensorUrl}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [[1,2,3]], "instances": [[1,2,3]]}' }), 400, /it holds instances and inputs/],
      ['a JSON array', () => fetch(`${tensorUrl}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[[1, 2, 3]]' }), 400, /must be a JSON object/],
      ['a wrong content type', () => fetch(`${tensorUrl}/invocations`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '1,2,3' }), 415, /only supports the content types application\/json and text\/csv; got 'text\/plain'/],
      ['no body', () => fetch(`${tensorUrl}/invocations`, { method: 'POST' }), 400, /Send a body/],
      ['an oversized body', () => fetch(`${tensorUrl}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"inputs": [${'[1, 2, 3],'.repeat(4_000_000)}[1, 2, 3]]}` }), 413, /limit is 33554432 bytes/],
      ['ragged dataframe rows', () => fetch(`${columnsUrl}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"dataframe_split": {"columns": ["a","b","c"], "data": [[1,2]]}}' }), 400, /row 0 has 2 values but there are 3 columns/],
      ['an unknown route', () => fetch(`${tensorUrl}/predict`, { method: 'POST' }), 404, /POST \/invocations scores/],
    ];
    for (const [name, send, status, message] of cases) {
      it(`${name} → ${status}`, async () => {
        const response = await send();
        expect(response.status).toBe(status);
        const body = (await response.json()) as { error_code: string; message: string };
        expect(body.message).toMatch(message);
        expect((await fetch(`${tensorUrl}/ping`)).status).toBe(200);
        expect((await post(tensorUrl, JSON.stringify({ inputs: ROWS }))).body).toEqual({ predictions: Y });
      });
    }
  });

  it('refuses requests from another origin, as the tracking server does', async () => {
    const response = await fetch(`${tensorUrl}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ inputs: ROWS }) });
    expect(response.status).toBe(403);
  });
});

describe('serving an ONNX model without a signature', () => {
  it("feeds the model's own input types and reports what it cannot take", async () => {
    const { url, api } = await startTestServer({ execution: allowRuns });
    const run = await new FlowdeskClient(url).startRun({ runName: 'unsigned' });
    await run.logModel({ onnx: linearOnnxModel({ weights: WEIGHTS, bias: BIAS }) });
    const served = (await api.call('models.serve', { model: { runId: run.runId, path: 'model' } })).server;
    try {
      expect((await post(served.url, JSON.stringify({ inputs: ROWS }))).body).toEqual({ predictions: Y });
      expect((await post(served.url, JSON.stringify({ instances: ROWS.map((x) => ({ x })) }))).body).toEqual({ predictions: Y });
      const text = await post(served.url, JSON.stringify({ inputs: [['1', 2, 3]] }));
      expect(text).toEqual({ status: 400, body: { error_code: 'BAD_REQUEST', message: 'Model input \'x\' takes float32 values, but input holds "1"' } });
      const shape = await post(served.url, JSON.stringify({ inputs: [[1, 2]] }));
      expect(shape.status).toBe(400);
      expect(shape.body.message).toMatch(/^The model could not score this input: /);
      expect((await fetch(`${served.url}/ping`)).status).toBe(200);
    } finally {
      await api.call('models.stopServing', { serverId: served.serverId });
    }
  });
});
