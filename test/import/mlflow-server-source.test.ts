/**
 * The MLflow server import source against MLflow 2.12.2's own tracking server, filled by the real
 * 2.12.2 client: what the source reads must be what MLflow's client reads from that server. Its
 * errors (unreachable, credentials refused, not an MLflow server) say which, and a server that
 * needs a token is imported through the contract with it.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '#core/models/python-serving.ts';
import type { ImportSource, SourceProblem } from '#core/import/import-source.ts';
import { openMlflowServerSource } from '#core/import/mlflow-server/mlflow-server-source.ts';
import { createProblemLog, importFrom } from '#core/import/import-engine.ts';
import { openSource } from '#core/import/open-source.ts';
import { startMlflowServer, type ReferenceServer } from '../helpers/mlflow-server.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { startTestServer } from '../helpers/server.ts';
import { DUMP, FILL } from '../export/mlflow-scripts.ts';

const num = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);
const dict = (items: { key: string; value: string }[]) => Object.fromEntries(items.map((t) => [t.key, t.value]));

/** Reads everything a source yields into the shape DUMP prints (artifacts by SHA-256, read through their streams). */
async function collect(source: ImportSource) {
  const experiments = [];
  const runs = [];
  for await (const e of source.experiments()) {
    experiments.push({ id: e.sourceId, name: e.name, stage: e.lifecycleStage, tags: dict(e.tags), created: e.creationTime, updated: e.lastUpdateTime });
    for await (const r of source.runs(e)) {
      const history: Record<string, [number, number, unknown][]> = {};
      for await (const batch of r.metrics()) for (const m of batch) (history[m.key] ??= []).push([m.step, m.timestamp, num(m.value)]);
      for (const k of Object.keys(history)) history[k]!.sort((a, b) => a[0] - b[0] || a[1] - b[1] || String(a[2]).localeCompare(String(b[2])));
      const artifacts: Record<string, string> = {};
      for await (const a of r.artifacts()) {
        const hash = createHash('sha256');
        for await (const chunk of await a.open()) hash.update(chunk as Buffer);
        artifacts[a.path] = hash.digest('hex');
      }
      runs.push({
        id: r.runId,
        experiment: r.experimentSourceId,
        name: r.runName,
        status: r.status,
        stage: r.lifecycleStage,
        start: r.startTime,
        end: r.endTime ?? null,
        user: r.userId,
        params: dict(r.params),
        tags: dict(r.tags),
        history,
        inputs: r.inputs
          .map((i) => ({ name: i.dataset.name, digest: i.dataset.digest, source_type: i.dataset.sourceType, source: i.dataset.source, schema: i.dataset.schema, profile: i.dataset.profile, tags: dict(i.tags) }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        artifacts,
      });
    }
  }
  const models = [];
  for await (const m of source.registeredModels!()) {
    models.push({
      name: m.name,
      description: m.description ?? null,
      tags: dict(m.tags),
      aliases: Object.fromEntries(m.aliases.map((a) => [a.alias, String(a.version)])),
      created: m.creationTime,
      versions: m.versions.map((v) => ({
        version: v.version,
        source: v.source,
        run_id: v.runId ?? null,
        stage: v.currentStage,
        description: v.description ?? null,
        tags: dict(v.tags),
        aliases: m.aliases.filter((a) => a.version === v.version).map((a) => a.alias).sort(),
        created: v.creationTime,
      })),
    });
  }
  return { experiments: experiments.sort((a, b) => a.id.localeCompare(b.id)), runs: runs.sort((a, b) => a.id.localeCompare(b.id)), models };
}

type Read = Awaited<ReturnType<typeof collect>>;
type Dump = Omit<Read, 'runs'> & { runs: (Read['runs'][number] & { latest?: unknown })[]; searchRuns?: unknown };

/**
 * DUMP's reading without what a source does not carry (latest values, version files and status,
 * search_runs), and with a version made from its run's location in the server's artifact store
 * given as `runs:/` of that run, as the source gives it.
 */
function comparable(dump: Dump) {
  return {
    experiments: dump.experiments,
    runs: dump.runs.map(({ latest: _latest, ...r }) => r),
    models: dump.models.map((m) => ({
      ...m,
      versions: m.versions.map(({ files: _f, status: _s, ...v }: Record<string, unknown>) => ({
        ...v,
        source: String(v.source).replace(/^mlflow-artifacts:\/\d+\/([0-9a-f]{32})\/artifacts\//, 'runs:/$1/'),
      })),
    })),
  };
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('the MLflow server source against MLflow 2.12.2', () => {
  let mlflow: ReferenceServer;
  let ids: Record<'experiment' | 'old' | 'parent' | 'child' | 'ancient', string>;
  let dump: Dump;
  beforeAll(async () => {
    mlflow = await startMlflowServer({ proxyArtifacts: true });
    ids = await runPython<typeof ids>('2.12.2', mlflow.url, FILL);
    dump = await runPython<Dump>('2.12.2', mlflow.url, DUMP);
  }, 170_000);
  afterAll(() => mlflow?.close());

  it('reads every experiment, run, param, tag, metric point, input, artifact and registry entry the MLflow client reads', async () => {
    const problems: SourceProblem[] = [];
    const source = await openMlflowServerSource(mlflow.url, {}, { onProblem: (p) => problems.push(p) });
    const read = await collect(source);
    // A deleted experiment's artifacts are read by the source; the client's reading leaves them out.
    const ancient = read.runs.find((r) => r.id === ids.ancient)!;
    expect(Object.keys(ancient.artifacts)).toEqual(['old.txt']);
    ancient.artifacts = {};
    expect(read).toEqual(comparable(dump));
    expect(problems).toEqual([]);
    expect(read.runs.find((r) => r.id === ids.parent)!.history.loss).toHaveLength(12000);
    expect(read.experiments.find((e) => e.id === ids.old)!.stage).toBe('deleted');
    expect(read.models[0]!.versions.map((v) => [v.version, v.stage, v.aliases])).toEqual([[1, 'Production', []], [2, 'None', ['champion']]]);
  });

  it('brings through the import engine what the MLflow client reads from the server', async () => {
    const flowdesk = await startTestServer();
    const problems = createProblemLog();
    const source = await openSource(mlflow.url, { onProblem: problems.onProblem });
    const summary = await importFrom(source, flowdesk.fd, { problems });
    expect(problems.list).toEqual([]);
    expect(summary.runs.imported).toBe(5);
    const fromFlowdesk = await runPython<Dump>('2.12.2', flowdesk.url, DUMP);
    // Flowdesk numbers experiments its own way, and a version made from a run's artifact location
    // on that server arrives as the same place in the imported run (runs:/), since the server's
    // own store means nothing here; everything else reads the same.
    const byName = (d: Dump) => ({
      runs: d.runs.map((r) => ({ ...r, experiment: d.experiments.find((e) => e.id === r.experiment)!.name })),
      models: d.models.map((m) => ({ ...m, versions: m.versions.map((v) => ({ ...v, source: v.source.replace(/^mlflow-artifacts:\/\d+\/([0-9a-f]{32})\/artifacts\//, 'runs:/$1/') })) })),
      experiments: d.experiments.map(({ id: _id, created: _c, updated: _u, ...e }) => e).sort((a, b) => a.name.localeCompare(b.name)),
    });
    expect(byName(fromFlowdesk)).toEqual(byName(dump));
    expect(fromFlowdesk.models[0]!.versions[1]!.source).toBe(`runs:/${ids.parent}/model`);
  });

  it('yields a parent run before its nested child', async () => {
    const source = await openMlflowServerSource(mlflow.url, {}, { onProblem: () => undefined });
    const order: string[] = [];
    for await (const e of source.experiments()) if (e.sourceId === ids.experiment) for await (const r of source.runs(e)) order.push(r.runId);
    expect(order.indexOf(ids.parent)).toBeLessThan(order.indexOf(ids.child));
  });

  it('finds no logged models on a server without their endpoints', async () => {
    const problems: SourceProblem[] = [];
    const source = await openMlflowServerSource(mlflow.url, {}, { onProblem: (p) => problems.push(p) });
    const models = [];
    for await (const e of source.experiments()) for await (const m of source.loggedModels!(e)) models.push(m);
    expect(models).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('opening the MLflow server source', () => {
  it('says when nothing listens at the URL', async () => {
    const port = await freePort('127.0.0.1');
    await expect(openMlflowServerSource(`http://127.0.0.1:${port}`, {}, { onProblem: () => undefined })).rejects.toThrow(
      `Cannot reach the MLflow server http://127.0.0.1:${port}: ECONNREFUSED`,
    );
  });

  it('says the server refused the credentials when it answers 401', async () => {
    const { url } = await startTestServer({ token: 'right-token' });
    await expect(openMlflowServerSource(url, {}, { onProblem: () => undefined })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringContaining('refused no credentials (give a token, or a user name and password) (401)'),
    });
    await expect(openMlflowServerSource(url, { token: 'wrong' }, { onProblem: () => undefined })).rejects.toThrow('refused the token given (401)');
    await expect(openMlflowServerSource(url, { token: 'right-token' }, { onProblem: () => undefined })).resolves.toMatchObject({ describe: `MLflow server ${url}` });
  });

  it('says a URL whose tracking API answers 404 is not an MLflow server', async () => {
    const server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      await expect(openMlflowServerSource(`http://127.0.0.1:${port}`, {}, { onProblem: () => undefined })).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: `http://127.0.0.1:${port} does not look like an MLflow tracking server: POST /api/2.0/mlflow/experiments/search on the MLflow server http://127.0.0.1:${port} answered 404: <h1>Not Found</h1>`,
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses what is not an http(s) URL', async () => {
    await expect(openMlflowServerSource('ftp://host/x', {}, { onProblem: () => undefined })).rejects.toThrow("'ftp://host/x' is not an http(s) URL of an MLflow tracking server");
  });
});

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('the MLflow server source against a server with MLflow 3 endpoints', () => {
  it('reads logged models with their files, and a history over several get-history pages', async () => {
    const { url } = await startTestServer();
    const made = await runPython<{ runId: string; modelId: string; files: Record<string, string> }>(
      '3.5.1',
      url,
      `
import hashlib, json, os, mlflow
import numpy as np
from sklearn.linear_model import LogisticRegression
mlflow.set_experiment("three")
lr = LogisticRegression().fit(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1]))
with mlflow.start_run() as run:
    model = mlflow.sklearn.log_model(lr, name="clf", pip_requirements=["scikit-learn"], params={"C": "1.0"}, tags={"team": "a"}, model_type="classifier")
    mlflow.log_metric("accuracy", 0.75, model_id=model.model_id)
    points = [mlflow.entities.Metric("loss", 1.0 / (i + 1), 1700000000000 + i, i) for i in range(30000)]
    for i in range(0, len(points), 1000):
        mlflow.MlflowClient().log_batch(run.info.run_id, metrics=points[i:i+1000])
root = mlflow.artifacts.download_artifacts(f"models:/{model.model_id}")
files = {}
for d, _, names in os.walk(root):
    for n in names:
        # The client writes this beside what it downloads; it is not on the server.
        if n == "registered_model_meta": continue
        p = os.path.join(d, n)
        files[os.path.relpath(p, root)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
print(json.dumps({"runId": run.info.run_id, "modelId": model.model_id, "files": files}))
`,
    );
    const problems: SourceProblem[] = [];
    const source = await openMlflowServerSource(url, {}, { onProblem: (p) => problems.push(p) });
    let points = 0;
    const models = [];
    for await (const e of source.experiments()) {
      if (e.name !== 'three') continue;
      for await (const r of source.runs(e)) for await (const batch of r.metrics()) points += batch.filter((m) => m.key === 'loss').length;
      for await (const m of source.loggedModels!(e)) {
        const files: Record<string, string> = {};
        for await (const a of m.artifacts()) {
          const hash = createHash('sha256');
          for await (const chunk of await a.open()) hash.update(chunk as Buffer);
          files[a.path] = hash.digest('hex');
        }
        models.push({ ...m, files });
      }
    }
    expect(problems).toEqual([]);
    expect(points).toBe(30000);
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({
      modelId: made.modelId,
      name: 'clf',
      status: 'LOGGED_MODEL_READY',
      modelType: 'classifier',
      sourceRunId: made.runId,
      params: [{ key: 'C', value: '1.0' }],
      metrics: [expect.objectContaining({ key: 'accuracy', value: 0.75, runId: made.runId })],
      files: made.files,
    });
    expect(models[0]!.tags).toContainEqual({ key: 'team', value: 'a' });
  }, 300_000);
});

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('importing from a server that needs a token', () => {
  it('brings runs, histories and artifacts through imports.start with the token, and is refused without it', async () => {
    const source = await startTestServer({ token: 'team-token' });
    const made = await runPython<{ runId: string; bytes: string }>(
      '2.12.2',
      source.url,
      `
import hashlib, json, os, mlflow
mlflow.set_experiment("remote")
with mlflow.start_run(run_name="far") as run:
    mlflow.log_param("lr", "0.3")
    points = [mlflow.entities.Metric("loss", 1.0 / (step + 1), 1700000000000 + step, step) for step in range(2500)]
    for i in range(0, len(points), 1000):
        mlflow.MlflowClient().log_batch(run.info.run_id, metrics=points[i:i+1000])
    blob = os.urandom(50000)
    open("weights.bin", "wb").write(blob)
    mlflow.log_artifact("weights.bin", "model")
print(json.dumps({"runId": run.info.run_id, "bytes": hashlib.sha256(blob).hexdigest()}))
`,
      { env: { MLFLOW_TRACKING_TOKEN: 'team-token' } },
    );
    const { fd, api } = await testFlowdesk();
    await expect(api.call('imports.start', { source: source.url })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(api.call('imports.start', { source: source.url, token: 'wrong' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const stop = fd.events.subscribe((e) => {
      if (e.type === 'imports.finished') finished();
    });
    onTestFinished(stop);
    const { importId } = await api.call('imports.start', { source: source.url, token: 'team-token' });
    await done;
    const { import: status } = await api.call('imports.get', { importId });
    expect(status.state).toBe('done');
    expect(status.summary!.problems).toEqual([]);

    const { run } = await api.call('runs.get', { runId: made.runId });
    expect(run.data.params).toEqual([{ key: 'lr', value: '0.3' }]);
    const { metrics } = await api.call('metrics.history', { runId: made.runId, key: 'loss', maxResults: 10_000 });
    expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    const { stream } = await fd.artifacts.read(`${run.info.artifactUri.replace('mlflow-artifacts:/', '')}/model/weights.bin`);
    const hash = createHash('sha256');
    for await (const chunk of stream) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(made.bytes);
  }, 300_000);
});
