/**
 * Importing real mlruns/ folders written by the real MLflow clients (2.12.2 and 3.5.1): everything
 * MLflow itself reads back from the folder is read back from Flowdesk through the contract, with
 * the same ids, every metric point, every artifact byte and the registry.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '#core/api/client.ts';
import { IN_PROCESS_OWNER } from '#core/api/access.ts';
import { dispatch } from '#core/api/dispatch.ts';
import type { FlowdeskEvent } from '#core/api/events.ts';
import type { ImportStatus, ImportSummary } from '#core/api/imports-contract.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON } from '../helpers/python-clients.ts';
import { writeMlruns, type MlflowView } from './mlruns-fixture.ts';

const num = (v: number) => (Number.isFinite(v) ? v : String(v).toLowerCase().replace('infinity', 'inf'));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Unique points sorted by step, timestamp, value: a store keeps an identical point once. */
function points(list: [number, number | string, number][]): string[] {
  return [...new Set(list.map((p) => JSON.stringify(p)))].sort();
}

/** Waits for an import started through the contract to end, from its events alone. */
async function runImport(fd: Flowdesk, api: Client, source: string): Promise<{ status: ImportStatus; events: FlowdeskEvent[] }> {
  const events: FlowdeskEvent[] = [];
  let heard = () => {};
  const stop = fd.events.subscribe((e) => {
    events.push(e);
    heard();
  });
  const { importId } = await api.call('imports.start', { source });
  await new Promise<void>((resolve) => {
    heard = () => {
      if (events.some((e) => e.type === 'imports.finished' && e.importId === importId)) resolve();
    };
    heard();
  });
  stop();
  return { status: (await api.call('imports.get', { importId })).import, events };
}

async function listAll(api: Client, list: (path: string) => Promise<{ files: { path: string; isDir: boolean; fileSize?: number }[] }>, path = ''): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const f of (await list(path)).files) {
    // Entries are named by their basename, as the MLflow client expects.
    const full = path ? `${path}/${f.path}` : f.path;
    if (f.isDir) Object.assign(out, await listAll(api, list, full));
    else out[full] = f.fileSize!;
  }
  return out;
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON).each(CLIENT_VERSIONS)('an mlruns folder written by MLflow %s', (version) => {
  let dir: string;
  let mlruns: string;
  let view: MlflowView;
  let fd: Flowdesk;
  let api: Client;
  let first: ImportStatus;
  let firstEvents: FlowdeskEvent[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowdesk-mlruns-'));
    ({ mlruns, view } = await writeMlruns(version, dir));
    fd = await openFlowdesk({ dataDir: join(dir, 'data') });
    api = createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined));
    ({ status: first, events: firstEvents } = await runImport(fd, api, mlruns));
  }, 400_000);

  afterAll(async () => {
    await fd?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const runsHere = async () => {
    const { experiments } = await api.call('experiments.search', { viewType: 'ALL', maxResults: 1000 });
    return (await api.call('runs.search', { experimentIds: experiments.map((e) => e.experimentId), viewType: 'ALL', maxResults: 1000 })).runs;
  };

  it('finishes with nothing skipped and says so in its events', () => {
    expect(first.state).toBe('done');
    expect(first.summary!.problems).toEqual([]);
    expect(first.summary!.runs.imported).toBe(view.runs.length);
    expect(firstEvents.some((e) => e.type === 'imports.progress')).toBe(true);
  });

  it('keeps every experiment by name, the deleted one in the trash, with its tags', async () => {
    const { experiments } = await api.call('experiments.search', { viewType: 'ALL', maxResults: 1000 });
    const here = experiments.map((e) => ({ name: e.name, stage: e.lifecycleStage, tags: Object.fromEntries(e.tags.map((t) => [t.key, t.value])) }));
    expect(here.sort((a, b) => a.name.localeCompare(b.name))).toEqual(view.experiments.map((e) => ({ name: e.name, stage: e.stage, tags: e.tags })).sort((a, b) => a.name.localeCompare(b.name)));
  });

  it('keeps every run with its id, name, status, times, lifecycle stage, params and tags', async () => {
    const here = (await runsHere()).map((r) => ({
      id: r.info.runId,
      name: r.info.runName,
      status: r.info.status,
      start: r.info.startTime,
      end: r.info.endTime ?? null,
      stage: r.info.lifecycleStage,
      params: Object.fromEntries(r.data.params.map((p) => [p.key, p.value])),
      tags: Object.fromEntries(r.data.tags.map((t) => [t.key, t.value])),
    }));
    const expected = view.runs.map((r) => ({ id: r.id, name: r.name, status: r.status, start: r.start, end: r.end, stage: r.stage, params: r.params, tags: r.tags }));
    expect(here.sort((a, b) => a.id.localeCompare(b.id))).toEqual(expected.sort((a, b) => a.id.localeCompare(b.id)));
    const child = here.find((r) => r.id === view.childId)!;
    expect(child.tags['mlflow.parentRunId']).toBe(view.parentId);
  });

  it('keeps every point of every metric history, the older two-field lines included', async () => {
    let compared = 0;
    for (const run of view.runs) {
      for (const [key, history] of Object.entries(run.metrics)) {
        const { metrics } = await api.call('metrics.history', { runId: run.id, key, maxResults: 100_000 });
        expect({ run: run.id, key, points: points(metrics.map((m) => [m.timestamp, num(m.value), m.step])) }).toEqual({ run: run.id, key, points: points(history) });
        compared += history.length;
      }
    }
    expect(compared).toBeGreaterThan(300);
    expect(view.runs.find((r) => r.id === view.childId)!.metrics.legacy).toHaveLength(2);
  });

  it('keeps the dataset inputs with their context', async () => {
    for (const run of view.runs) {
      const { run: here } = await api.call('runs.get', { runId: run.id });
      const datasets = here.inputs.datasetInputs.map((d) => ({ name: d.dataset.name, digest: d.dataset.digest, source: d.dataset.source, context: d.tags.find((t) => t.key === 'mlflow.data.context')?.value ?? null }));
      expect(datasets).toEqual(run.datasets);
    }
    expect(view.runs.find((r) => r.id === view.parentId)!.datasets).toHaveLength(1);
  });

  it('stores every artifact file byte for byte', async () => {
    for (const run of view.runs) {
      const here = await listAll(api, (path) => api.call('artifacts.list', { runId: run.id, path }));
      expect({ run: run.id, files: here }).toEqual({ run: run.id, files: run.artifacts });
    }
    const parent = (await api.call('runs.get', { runId: view.parentId })).run;
    const { stream } = await fd.artifacts.read(`${parent.info.artifactUri.replace('mlflow-artifacts:/', '')}/docs/deep/blob.bin`);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const experimentDir = view.experiments.find((e) => e.name === 'vision')!.id;
    expect(sha(Buffer.concat(chunks))).toBe(sha(readFileSync(join(mlruns, experimentDir, view.parentId, 'artifacts', 'docs', 'deep', 'blob.bin'))));
  });

  it('imports the registry: versions on the same runs, aliases, stages and tags', async () => {
    const here = [];
    for (const model of view.registry) {
      const { model: m } = await api.call('registry.getModel', { name: model.name });
      const { versions } = await api.call('registry.searchVersions', { filter: `name='${model.name}'` });
      here.push({
        name: m.name,
        tags: Object.fromEntries(m.tags.map((t) => [t.key, t.value])),
        aliases: Object.fromEntries(m.aliases.map((a) => [a.alias, a.version])),
        versions: versions
          .map((v) => ({ version: v.version, runId: v.runId ?? null, stage: v.currentStage, tags: Object.fromEntries(v.tags.map((t) => [t.key, t.value])), modelId: v.modelId ?? null }))
          .sort((a, b) => a.version - b.version),
      });
    }
    expect(here).toEqual(view.registry.map((m) => ({ ...m, versions: [...m.versions].sort((a, b) => a.version - b.version) })));
    // The files a version points at are its run's (or logged model's) imported files.
    const { artifactUri } = await api.call('registry.downloadUri', { name: 'reg', version: 1 });
    const mlmodel = await fd.artifacts.stat(`${artifactUri.replace('mlflow-artifacts:/', '')}/MLmodel`);
    expect(mlmodel?.isDir).toBe(false);
  });

  it('imports the logged models (MLflow 3 has them) with their ids, params, artifacts and the runs that made them', async () => {
    // MLflow 2 logs models into the run's artifacts only; MLflow 3 makes a logged model of each.
    expect(view.loggedModels.length).toBe(version.startsWith('3') ? 2 : 0);
    const experimentIds = (await api.call('experiments.search', { viewType: 'ALL' })).experiments.map((e) => e.experimentId);
    expect((await api.call('loggedModels.search', { experimentIds })).models.map((m) => m.info.modelId).sort()).toEqual(view.loggedModels.map((m) => m.id).sort());
    for (const model of view.loggedModels) {
      const { model: here } = await api.call('loggedModels.get', { modelId: model.id });
      const files = await listAll(api, (path) => api.call('loggedModels.listArtifacts', { modelId: model.id, path }));
      expect({ name: here.info.name, runId: here.info.sourceRunId ?? null, params: Object.fromEntries(here.data.params.map((p) => [p.key, p.value])), files }).toEqual({
        name: model.name,
        runId: model.runId,
        params: model.params,
        files: model.artifacts,
      });
      const { run } = await api.call('runs.get', { runId: model.runId! });
      expect(run.outputs?.modelOutputs?.map((o) => o.modelId)).toContain(model.id);
    }
  });

  it('adds nothing when the same folder is imported again', async () => {
    const count = async (table: 'runs' | 'metrics' | 'params' | 'run_tags' | 'model_versions' | 'registered_model_aliases' | 'experiments' | 'logged_models' | 'run_inputs') =>
      Number((await fd.catalog.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const tables = ['runs', 'metrics', 'params', 'run_tags', 'model_versions', 'registered_model_aliases', 'experiments', 'logged_models', 'run_inputs'] as const;
    const before = await Promise.all(tables.map(count));
    const { status } = await runImport(fd, api, mlruns);
    const summary = status.summary as ImportSummary;
    expect(await Promise.all(tables.map(count))).toEqual(before);
    expect([summary.runs.imported, summary.runs.alreadyThere, summary.points.added, summary.files.stored, summary.versions.imported, summary.experiments.created]).toEqual([0, view.runs.length, 0, 0, 0, 0]);
  });
});
