/**
 * The ways of logging beyond plain calls, through the real MLflow Python clients (2.12.2 and
 * 3.5.1) against one flowdesk server per file: asynchronous logging (`synchronous=False` and
 * MLFLOW_ENABLE_ASYNC_LOGGING) with everything arriving by the end of the run, system metrics
 * sampled every second while a run is open, and datasets logged with `log_input` read back
 * through the run's inputs. Each version runs one script; each test checks one behaviour.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '#core/api/entities.ts';
import { serverForFile } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPythonPerVersion, type ClientVersion } from '../helpers/python-clients.ts';

interface DatasetRead {
  name: string;
  digest: string;
  sourceType: string;
  context: string | null;
  schemaColumns: string[];
  rows: number | null;
}

interface LoggingOut {
  systemRun: string;
  systemKeys: string[];
  asyncRun: string;
  envAsyncRun: string;
  datasets: DatasetRead[];
}

function script(prefix: string): string {
  return `
import json, os, time
import mlflow, pandas as pd
from mlflow import MlflowClient

P = ${JSON.stringify(prefix)}
client = MlflowClient()
mlflow.set_experiment(P + "logging")

def read_datasets(run_id):
    found = []
    for dataset_input in client.get_run(run_id).inputs.dataset_inputs:
        d = dataset_input.dataset
        profile = json.loads(d.profile) if d.profile else {}
        found.append({
            "name": d.name,
            "digest": d.digest,
            "sourceType": d.source_type,
            "context": next((t.value for t in dataset_input.tags if t.key == "mlflow.data.context"), None),
            "schemaColumns": [c["name"] for c in json.loads(d.schema)["mlflow_colspec"]],
            "rows": profile.get("num_rows"),
        })
    return sorted(found, key=lambda f: f["name"])

# System metrics sample while the run is open; asynchronous logging and datasets go on meanwhile.
with mlflow.start_run(run_name="system", log_system_metrics=True) as system_run:
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [0, 1, 0, 1]})
    evaluation = pd.DataFrame({"x": [5.0, 6.0], "y": [1, 0]})
    mlflow.log_input(mlflow.data.from_pandas(train, name="train", targets="y"), context="training")
    mlflow.log_input(mlflow.data.from_pandas(train, name="train", targets="y"), context="training")
    mlflow.log_input(mlflow.data.from_pandas(evaluation, name="eval", targets="y"), context="evaluation")
    deadline = time.time() + 60
    # The sampler publishes its first sample after one interval; wait for it, not for a fixed time.
    while not any(k.startswith("system/") for k in client.get_run(system_run.info.run_id).data.metrics):
        if time.time() > deadline:
            raise RuntimeError("no system metrics arrived")
        time.sleep(0.1)

with mlflow.start_run(run_name="async") as async_run:
    for step in range(300):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step, synchronous=False)
    mlflow.log_param("optimizer", "sgd", synchronous=False)
    mlflow.set_tag("mode", "async", synchronous=False)
    mlflow.log_metrics({"a": 1.0, "b": 2.0}, step=0, synchronous=False)

os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "true"
with mlflow.start_run(run_name="env-async") as env_run:
    for step in range(200):
        mlflow.log_metrics({"acc": step / 200, "f1": step / 400}, step=step)
    mlflow.log_params({"batch": 32, "epochs": 3})
    mlflow.set_tags({"mode": "env"})

print(json.dumps({
    "systemRun": system_run.info.run_id,
    "systemKeys": sorted(k for k in client.get_run(system_run.info.run_id).data.metrics if k.startswith("system/")),
    "asyncRun": async_run.info.run_id,
    "envAsyncRun": env_run.info.run_id,
    "datasets": read_datasets(system_run.info.run_id),
}))
`;
}

function asMap(list: { key: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(list.map((t) => [t.key, t.value]));
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('logging modes through the real MLflow clients', () => {
  const server = serverForFile();
  const outputs = runPythonPerVersion<LoggingOut>(() => server().url, (version) => script(`log-${version}-`), {
    env: { MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL: '1', MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING: '1' },
  });

  describe.each(CLIENT_VERSIONS)('MLflow %s', (version: ClientVersion) => {
    let out: LoggingOut;
    beforeAll(async () => {
      out = await outputs(version);
    }, 170_000);

    it('logs CPU and memory system metrics while a run is open', async () => {
      expect(out.systemKeys).toEqual(expect.arrayContaining(['system/cpu_utilization_percentage', 'system/system_memory_usage_megabytes']));
      const { run } = await server().api.call('runs.get', { runId: out.systemRun });
      const keys = run.data.metrics.map((m) => m.key);
      expect(keys).toEqual(expect.arrayContaining(out.systemKeys));
      const { metrics } = await server().api.call('metrics.history', { runId: out.systemRun, key: 'system/cpu_utilization_percentage' });
      expect(metrics[0]?.step).toBe(0);
      expect(metrics.every((m) => m.value >= 0 && m.value <= 100)).toBe(true);
    });

    it('receives every metric, param and tag logged with synchronous=False by the end of the run', async () => {
      const { run } = await server().api.call('runs.get', { runId: out.asyncRun });
      expect(run.info.status).toBe('FINISHED');
      expect(asMap(run.data.params)).toEqual({ optimizer: 'sgd' });
      expect(asMap(run.data.tags)).toMatchObject({ mode: 'async' });
      const { metrics } = await server().api.call('metrics.history', { runId: out.asyncRun, key: 'loss', maxResults: 1000 });
      expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(metrics[299]?.value).toBeCloseTo(1 / 300, 12);
      expect(Object.fromEntries(run.data.metrics.filter((m) => m.key !== 'loss').map((m) => [m.key, m.value]))).toEqual({ a: 1, b: 2 });
    });

    it('receives everything logged with MLFLOW_ENABLE_ASYNC_LOGGING by the end of the run', async () => {
      const { run } = await server().api.call('runs.get', { runId: out.envAsyncRun });
      expect(run.info.status).toBe('FINISHED');
      expect(asMap(run.data.params)).toEqual({ batch: '32', epochs: '3' });
      expect(asMap(run.data.tags)).toMatchObject({ mode: 'env' });
      for (const key of ['acc', 'f1']) {
        const { metrics } = await server().api.call('metrics.history', { runId: out.envAsyncRun, key, maxResults: 1000 });
        expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      }
    });

    it('keeps the datasets of a run once each, with context, schema and profile', async () => {
      expect(out.datasets).toEqual([
        { name: 'eval', digest: expect.any(String), sourceType: 'code', context: 'evaluation', schemaColumns: ['x', 'y'], rows: 2 },
        { name: 'train', digest: expect.any(String), sourceType: 'code', context: 'training', schemaColumns: ['x', 'y'], rows: 4 },
      ]);
      const { run } = await server().api.call('runs.get', { runId: out.systemRun });
      const byName = (r: Run) => Object.fromEntries(r.inputs.datasetInputs.map((i) => [i.dataset.name, i]));
      const train = byName(run)['train'];
      expect(train?.dataset.digest).toBe(out.datasets[1]?.digest);
      expect(asMap(train?.tags ?? [])).toEqual({ 'mlflow.data.context': 'training' });
      expect(run.inputs.datasetInputs).toHaveLength(2);
    });
  });
});
