/**
 * Values are not silently altered: a body that is not UTF-8, holds a lone surrogate or gives a key
 * twice is refused; numeric fields take decimal numbers only; Python's bare NaN and Infinity
 * tokens (what `json.dumps` writes) are read as MLflow's server reads them; -0 keeps its sign.
 */
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';

const API = '/api/2.0/mlflow';

/** POSTs a body given as exact bytes or text, and returns the status and the raw answer. */
async function post(url: string, path: string, body: string | Buffer): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}${API}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, text: await response.text() };
}

async function newRun(url: string): Promise<string> {
  const { text } = await post(url, '/runs/create', '{"experiment_id":"0"}');
  return (JSON.parse(text) as { run: { info: { run_id: string } } }).run.info.run_id;
}

async function history(url: string, runId: string, key: string): Promise<string> {
  return (await fetch(`${url}${API}/metrics/get-history?run_id=${runId}&metric_key=${encodeURIComponent(key)}`)).text();
}

describe('a JSON body that is not plain Unicode JSON', () => {
  it('is refused with 400 when it is not valid UTF-8, and nothing is created', async () => {
    const { url, api } = await startTestServer();
    const body = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const { status, text } = await post(url, '/experiments/create', body);
    expect(status).toBe(400);
    expect(JSON.parse(text)).toEqual({ error_code: 'BAD_REQUEST', message: 'Malformed JSON body: it is not valid UTF-8' });
    expect((await api.call('experiments.search', { viewType: 'ALL' })).experiments).toHaveLength(1);
  });

  it('is refused with 400 when an escape makes a lone surrogate, in a value or a key', async () => {
    const { url, api } = await startTestServer();
    for (const body of ['{"name":"a\\ud800"}', '{"name":"a\\udfffb"}', '{"name":"x","tags":[{"key":"\\ud83d","value":"v"}]}']) {
      const { status, text } = await post(url, '/experiments/create', body);
      expect({ body, status }).toEqual({ body, status: 400 });
      expect(JSON.parse(text).message).toMatch(/unpaired surrogate/);
    }
    expect((await api.call('experiments.search', { viewType: 'ALL' })).experiments).toHaveLength(1);
  });

  it('accepts escaped surrogate pairs, which are ordinary characters', async () => {
    const { url, api } = await startTestServer();
    expect((await post(url, '/experiments/create', '{"name":"smile \\ud83d\\ude00"}')).status).toBe(200);
    expect((await api.call('experiments.search', { viewType: 'ALL' })).experiments.map((e) => e.name)).toContain('smile 😀');
  });

  it('is refused with 400 when an object gives a key twice, however the key is spelled', async () => {
    const { url, api } = await startTestServer();
    for (const body of ['{"name":"a","name":"b"}', '{"name":"a","n\\u0061me":"b"}', '{"name":"x","tags":[{"key":"k","value":"1","value":"2"}]}']) {
      const { status, text } = await post(url, '/experiments/create', body);
      expect({ body, status }).toEqual({ body, status: 400 });
      expect(JSON.parse(text).message).toMatch(/appears twice in one object/);
    }
    expect((await api.call('experiments.search', { viewType: 'ALL' })).experiments).toHaveLength(1);
  });

  it('accepts the same key in different objects', async () => {
    const { url } = await startTestServer();
    const body = '{"name":"twins","tags":[{"key":"a","value":"1"},{"key":"b","value":"2"}]}';
    expect((await post(url, '/experiments/create', body)).status).toBe(200);
  });

  it("keeps a nested object's keys apart from its parent's, before and after it", async () => {
    const { url } = await startTestServer();
    const body = '{"extra":{"name":"inner","tags":{"tags":1}},"tags":[{"extra":{"key":1},"key":"k","value":"v"}],"name":"nested"}';
    expect((await post(url, '/experiments/create', body)).status).toBe(200);
    const { status, text } = await post(url, '/experiments/create', '{"extra":{"name":"inner"},"name":"a","extra":2}');
    expect(status).toBe(400);
    expect(JSON.parse(text).message).toMatch(/'extra' appears twice/);
  });

  it('is refused with 400 when a key repeats in an object of many keys', async () => {
    const { url, api } = await startTestServer();
    const many = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',');
    const { status, text } = await post(url, '/experiments/create', `{"name":"many",${many},"k7":0}`);
    expect(status).toBe(400);
    expect(JSON.parse(text).message).toMatch(/'k7' appears twice in one object/);
    expect((await api.call('experiments.search', { viewType: 'ALL' })).experiments).toHaveLength(1);
  });

  it('reads UTF-8 text beyond ASCII, with or without a byte-order mark', async () => {
    const { url, api } = await startTestServer();
    expect((await post(url, '/experiments/create', Buffer.from('{"name":"café ☕ 😀"}'))).status).toBe(200);
    expect((await post(url, '/experiments/create', Buffer.from('\ufeff{"name":"marked é"}'))).status).toBe(200);
    expect((await api.call('experiments.search', { viewType: 'ALL' })).experiments.map((e) => e.name)).toEqual(expect.arrayContaining(['café ☕ 😀', 'marked é']));
  });
});

describe('numbers', () => {
  it.each(['"0x10"', '"0b11"', '"0o7"', '"1e"', '" 12 "', '""', '"1_000"', '"12abc"', 'true'])('refuses the metric value %s with 400', async (value) => {
    const { url } = await startTestServer();
    const runId = await newRun(url);
    const { status, text } = await post(url, '/runs/log-metric', `{"run_id":"${runId}","key":"m","value":${value},"timestamp":1}`);
    expect(status).toBe(400);
    expect(JSON.parse(text).error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(JSON.parse(await history(url, runId, 'm'))).toEqual({});
  });

  it.each(['"0x10"', '"0b11"', '" 12 "', '""', '"1e3"', '"12.5"', '"+1"'])('refuses the integer timestamp and step %s with 400', async (value) => {
    const { url } = await startTestServer();
    const runId = await newRun(url);
    for (const field of ['timestamp', 'step']) {
      const fields = { run_id: `"${runId}"`, key: '"m"', value: '1', timestamp: '1', step: '0', [field]: value };
      const body = `{${Object.entries(fields)
        .map(([k, v]) => `"${k}":${v}`)
        .join(',')}}`;
      const { status } = await post(url, '/runs/log-metric', body);
      expect({ field, status }).toEqual({ field, status: 400 });
    }
  });

  it('accepts decimal strings, as protobuf JSON allows quoted numbers', async () => {
    const { url } = await startTestServer();
    const runId = await newRun(url);
    for (const [value, step] of [['"12"', '"1"'], ['"1.5e3"', '2'], ['"-0.25"', '"3"']]) {
      expect((await post(url, '/runs/log-metric', `{"run_id":"${runId}","key":"m","value":${value},"timestamp":"7","step":${step}}`)).status).toBe(200);
    }
    const { metrics } = JSON.parse(await history(url, runId, 'm')) as { metrics: { value: number; step: number }[] };
    expect(metrics.map((m) => [m.step, m.value])).toEqual([
      [1, 12],
      [2, 1500],
      [3, -0.25],
    ]);
  });

  it("reads Python's bare NaN, Infinity and -Infinity tokens as MLflow's server does", async () => {
    const { url } = await startTestServer();
    const runId = await newRun(url);
    // What Python's json.dumps writes for float('nan') and float('inf').
    const body = `{"run_id": "${runId}", "metrics": [{"key": "a", "value": NaN, "timestamp": 1, "step": 0}, {"key": "b", "value": Infinity, "timestamp": 1, "step": 0}, {"key": "c", "value": -Infinity, "timestamp": 1, "step": 0}], "params": [{"key": "p", "value": "NaN stays text"}]}`;
    expect((await post(url, '/runs/log-batch', body)).status).toBe(200);
    const values = await Promise.all(['a', 'b', 'c'].map(async (key) => (JSON.parse(await history(url, runId, key)) as { metrics: { value: unknown }[] }).metrics[0]!.value));
    expect(values).toEqual(['NaN', 'Infinity', '-Infinity']);
    const run = (await (await fetch(`${url}${API}/runs/get?run_id=${runId}`)).json()) as { run: { data: { params: { value: string }[] } } };
    expect(run.run.data.params[0]!.value).toBe('NaN stays text');
  });

  it('keeps -0 sent as a number or a quoted decimal, and writes it back as -0.0', async () => {
    const { url } = await startTestServer();
    const runId = await newRun(url);
    expect((await post(url, '/runs/log-metric', `{"run_id":"${runId}","key":"z","value":-0,"timestamp":1,"step":0}`)).status).toBe(200);
    expect((await post(url, '/runs/log-metric', `{"run_id":"${runId}","key":"z","value":"-0","timestamp":1,"step":1}`)).status).toBe(200);
    const batch = `{"run_id":"${runId}","metrics":[{"key":"z","value":-0.0,"timestamp":1,"step":2},{"key":"y","value":-0.0,"timestamp":1,"step":0}]}`;
    expect((await post(url, '/runs/log-batch', batch)).status).toBe(200);
    // Python's json reads -0.0 as the float -0.0 but -0 as the integer 0, so the text matters.
    const text = await history(url, runId, 'z');
    expect(text.match(/"value":[^,}]*/g)).toEqual(['"value":-0.0', '"value":-0.0', '"value":-0.0']);
    const run = await (await fetch(`${url}${API}/runs/get?run_id=${runId}`)).text();
    expect(run.match(/"value":-?0(\.0)?(?=[,}])/g)).toEqual(['"value":-0.0', '"value":-0.0']);
  });

  it('refuses bare NaN where an integer belongs, and misspelled tokens as malformed JSON', async () => {
    const { url } = await startTestServer();
    const runId = await newRun(url);
    expect((await post(url, '/runs/log-metric', `{"run_id":"${runId}","key":"m","value":1,"timestamp":NaN}`)).status).toBe(400);
    for (const token of ['nan', 'Inf', 'NaNa', '+Infinity']) {
      const { status, text } = await post(url, '/runs/log-metric', `{"run_id":"${runId}","key":"m","value":${token},"timestamp":1}`);
      expect({ token, status }).toEqual({ token, status: 400 });
      expect(JSON.parse(text).message).toMatch(/^Malformed JSON body/);
    }
  });
});

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('a Python script posting json.dumps output with requests', () => {
  it('logs NaN and infinities as json.dumps writes them, and reads them back through MLflow', async () => {
    const { url } = await startTestServer();
    const out = await runPython<{ status: number; body: string; values: string[] }>(
      '2.12.2',
      url,
      `
import json, os, requests, mlflow
base = os.environ["MLFLOW_TRACKING_URI"]
run = mlflow.MlflowClient().create_run("0")
metrics = [{"key": k, "value": v, "timestamp": 1, "step": 0} for k, v in [("a", float("nan")), ("b", float("inf")), ("c", float("-inf"))]]
body = json.dumps({"run_id": run.info.run_id, "metrics": metrics})
response = requests.post(base + "/api/2.0/mlflow/runs/log-batch", data=body, headers={"Content-Type": "application/json"})
values = [mlflow.MlflowClient().get_metric_history(run.info.run_id, k)[0].value for k in "abc"]
print(json.dumps({"status": response.status_code, "body": body, "values": [repr(v) for v in values]}))
`,
    );
    expect(out.body).toContain('"value": NaN');
    expect(out.status).toBe(200);
    expect(out.values).toEqual(['nan', 'inf', '-inf']);
  });
});

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON).each(CLIENT_VERSIONS)('-0.0 through the MLflow %s client', (version) => {
  it('logs -0.0 with log_metric and log_batch and reads it back with its sign, while a search finds it as 0', async () => {
    const { url } = await startTestServer();
    const out = await runPython<{ latest: Record<string, string>; history: string[]; found: number; below: number; model: string[] }>(
      version,
      url,
      `
import json, math, time, mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric

def sign(v):
    return "-0.0" if v == 0 and math.copysign(1.0, v) < 0 else repr(v)

client = MlflowClient()
now = int(time.time() * 1000)
with mlflow.start_run() as run:
    mlflow.log_metric("single", -0.0)
    client.log_batch(run.info.run_id, metrics=[Metric("batch", 0.0, now, 0), Metric("batch", -0.0, now, 1)])
run_id = run.info.run_id
model = []
# MLflow 3 also logs a metric against a logged model.
if hasattr(mlflow, "initialize_logged_model"):
    logged = mlflow.initialize_logged_model(name="zero")
    mlflow.log_metric("on-model", -0.0, model_id=logged.model_id, run_id=run_id)
    model = [sign(m.value) for m in mlflow.get_logged_model(logged.model_id).metrics]
print(json.dumps({
    "latest": {k: sign(v) for k, v in client.get_run(run_id).data.metrics.items() if k != "on-model"},
    "history": [sign(m.value) for m in client.get_metric_history(run_id, "batch")],
    "found": len(client.search_runs(["0"], "metrics.single = 0")),
    "below": len(client.search_runs(["0"], "metrics.single < 0")),
    "model": model,
}))
`,
    );
    expect(out.latest).toEqual({ single: '-0.0', batch: '-0.0' });
    expect(out.history).toEqual(['0.0', '-0.0']);
    expect({ found: out.found, below: out.below }).toEqual({ found: 1, below: 0 });
    expect(out.model).toEqual(version === '2.12.2' ? [] : ['-0.0']);
  });
});
