/**
 * `flowdesk export`: writes a data folder (everything, or some experiments or runs) as an MLflow
 * file store, the `mlruns/` folder MLflow's own `mlflow.search_runs()`, `MlflowClient` and
 * `mlflow ui --backend-store-uri` read: experiments with their tags (deleted ones under `.trash/`,
 * as MLflow's delete_experiment leaves them), runs with params, tags, the full history of every
 * metric, start and end times, status, lifecycle stage and deletion time, dataset inputs,
 * artifacts (copied), and the model registry (`models/`: registered models, versions, tags,
 * aliases, stages). Layout details are in mlruns-layout.ts.
 *
 * Not exported: MLflow 3 logged models (MLflow 2's reader would take `<experiment>/models/` for a
 * malformed run), prompts, the registry's history, transition requests and protections, which
 * the file store has no place for. Names MLflow's file store cannot hold (a key with ':', a
 * registered model name with '/') are left out and listed in the report.
 *
 * Interrupted exports are obvious: everything is written into `.<name>.flowdesk-export-partial`
 * beside the target and renamed into place only when complete, with `flowdesk-export.json` (the
 * marker a later export recognises as its own) written last. A target that is not empty and not
 * a previous export is refused before anything is written. Memory stays flat: metric histories
 * are read and written a page at a time, artifacts are streamed.
 */
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { Experiment, ModelVersion, RegisteredModel, Run } from '#core/api/entities.ts';
import { FlowdeskError, invalid, notFound } from '#core/api/errors.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { storePathOf } from '#core/api/artifact-locations.ts';
import {
  datasetId,
  datasetMeta,
  experimentMeta,
  fileStoreKeyProblem,
  inputId,
  inputMeta,
  metricLine,
  modelNameProblem,
  modelVersionMeta,
  registeredModelMeta,
  runMeta,
  shadowedKeys,
} from './mlruns-layout.ts';
import { allPages } from '#core/api/paging.ts';

/** The file a finished export leaves at its root; its presence lets a later export replace the folder. */
export const EXPORT_MARKER = 'flowdesk-export.json';
/** Points read per page of a metric history: bounded memory whatever the history's length. */
const HISTORY_PAGE = 10_000;
const PAGE = 1000;

export interface ExportOptions {
  flowdesk: Flowdesk;
  /** The folder to become the file store's root. */
  to: string;
  /** Experiments to export, by name or id; with `runs`, the union of both. Everything when both are empty. */
  experiments?: string[];
  /** Runs to export, by id. */
  runs?: string[];
  /** Progress lines. */
  out?: (line: string) => void;
}

export interface ExportCounts {
  experiments: number;
  runs: number;
  params: number;
  tags: number;
  metricPoints: number;
  datasetInputs: number;
  artifactFiles: number;
  artifactBytes: number;
  registeredModels: number;
  modelVersions: number;
}

export interface ExportReport {
  /** The absolute path of the file store written. */
  folder: string;
  counts: ExportCounts;
  /** What was left out, and why. */
  skipped: { what: string; why: string }[];
  /** Whether a previous export at the target was replaced. */
  replaced: boolean;
}

/** What the export covers: per experiment, every run or the chosen ones. */
type Selection = Map<string, { experiment: Experiment; runs: 'all' | Set<string> }>;

/**
 * Exports a data folder as an MLflow file store at `options.to` and reports what it wrote and
 * what it left out. Throws INVALID_PARAMETER_VALUE for a target that is neither empty nor a
 * previous export, RESOURCE_DOES_NOT_EXIST for an experiment or run that is not there.
 */
export async function exportMlruns(options: ExportOptions): Promise<ExportReport> {
  const out = options.out ?? (() => undefined);
  const fd = options.flowdesk;
  const h = fd.handlers;
  const target = resolve(options.to);
  const replaced = checkTarget(target);
  const partial = join(dirname(target), `.${basename(target)}.flowdesk-export-partial`);
  const old = join(dirname(target), `.${basename(target)}.flowdesk-export-old`);

  const selection = await select(fd, options.experiments ?? [], options.runs ?? []);
  const everything = (options.experiments ?? []).length === 0 && (options.runs ?? []).length === 0;

  if (existsSync(partial)) {
    out(`Removing ${partial}, left by an export that did not finish`);
    await rm(partial, { recursive: true, force: true });
  }
  await mkdir(join(partial, '.trash'), { recursive: true });

  const counts: ExportCounts = { experiments: 0, runs: 0, params: 0, tags: 0, metricPoints: 0, datasetInputs: 0, artifactFiles: 0, artifactBytes: 0, registeredModels: 0, modelVersions: 0 };
  const skipped: ExportReport['skipped'] = [];
  const skip = (what: string, why: string) => {
    skipped.push({ what, why });
    out(`  left out: ${what}: ${why}`);
  };
  const deletedTimes = await deletionTimes(fd);
  /** Where each exported run's artifacts are in the final folder, for registry storage locations. */
  const exportedRuns = new Map<string, string>();

  for (const { experiment: e, runs } of selection.values()) {
    const deleted = e.lifecycleStage === 'deleted';
    // A deleted experiment's folder sits in .trash while its locations still name the root, as
    // MLflow's own delete_experiment leaves them, so that restoring it (a move back) makes them whole.
    const folder = join(partial, deleted ? '.trash' : '', e.experimentId);
    const location = `${pathToFileURL(target).href}/${e.experimentId}`;
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'meta.yaml'), experimentMeta({ ...e, artifactLocation: location }));
    await writeKeyFiles(join(folder, 'tags'), e.tags, `experiment '${e.name}' tag`, skip);
    counts.experiments++;

    let pageToken: string | undefined;
    do {
      const page = await h['runs.search']({ experimentIds: [e.experimentId], viewType: 'ALL', maxResults: PAGE, pageToken, orderBy: ['attributes.start_time ASC'] });
      for (const run of page.runs as Run[]) {
        if (runs !== 'all' && !runs.has(run.info.runId)) continue;
        const artifactUri = `${location}/${run.info.runId}/artifacts`;
        await writeRun(fd, run, join(folder, run.info.runId), folder, artifactUri, deletedTimes.get(run.info.runId) ?? deletedTimes.get(`experiment:${e.experimentId}`), counts, skip);
        exportedRuns.set(run.info.runId, artifactUri);
        out(`[runs ${counts.runs}] ${e.name} / ${run.info.runName}: ${counts.metricPoints} metric points, ${counts.artifactBytes} artifact bytes so far`);
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  await writeRegistry(fd, join(partial, 'models'), everything, exportedRuns, counts, skip);

  await writeFile(
    join(partial, EXPORT_MARKER),
    `${JSON.stringify({ exportedBy: 'flowdesk', exportedAt: new Date().toISOString(), from: fd.dataDir, counts, skipped }, null, 2)}\n`,
  );
  // The swap: a previous export steps aside, the new one takes its name, the old one goes.
  if (existsSync(target)) {
    await rm(old, { recursive: true, force: true });
    await rename(target, old);
  }
  await rename(partial, target);
  await rm(old, { recursive: true, force: true });
  return { folder: target, counts, skipped, replaced };
}

/** Refuses a target that holds something other than a previous export; answers whether one is there to replace. */
function checkTarget(target: string): boolean {
  if (!existsSync(target)) return false;
  if (!statSync(target).isDirectory()) throw invalid(`--to ${target} is a file; give a folder that is empty, absent, or a previous export`);
  const entries = readdirSync(target);
  if (entries.length === 0) return false;
  if (entries.includes(EXPORT_MARKER)) return true;
  throw invalid(`--to ${target} is not empty and is not a previous Flowdesk export (no ${EXPORT_MARKER}); give an empty or new folder`);
}

/** Resolves the experiments and runs named on the command line; everything when none are. */
async function select(fd: Flowdesk, experiments: string[], runs: string[]): Promise<Selection> {
  const h = fd.handlers;
  const selection: Selection = new Map();
  const all = (await allPages(async (pageToken) => {
    const r = await h['experiments.search']({ viewType: 'ALL', maxResults: PAGE, pageToken, orderBy: ['creation_time ASC'] });
    return { items: r.experiments as Experiment[], nextPageToken: r.nextPageToken };
  })) as Experiment[];
  if (experiments.length === 0 && runs.length === 0) {
    for (const e of all) selection.set(e.experimentId, { experiment: e, runs: 'all' });
    return selection;
  }
  for (const wanted of experiments) {
    // An id wins over a name; among equal names the active experiment wins, as getByName prefers it.
    const found = all.find((e) => e.experimentId === wanted) ?? all.find((e) => e.name === wanted && e.lifecycleStage === 'active') ?? all.find((e) => e.name === wanted);
    if (!found) throw notFound(`No experiment named or numbered '${wanted}'`);
    selection.set(found.experimentId, { experiment: found, runs: 'all' });
  }
  for (const runId of runs) {
    let run: Run;
    try {
      run = (await h['runs.get']({ runId })).run as Run;
    } catch (err) {
      if (err instanceof FlowdeskError && err.code === 'RESOURCE_DOES_NOT_EXIST') throw notFound(`No run with id '${runId}'`);
      throw err;
    }
    const entry = selection.get(run.info.experimentId);
    if (entry?.runs === 'all') continue;
    if (entry) entry.runs.add(runId);
    else selection.set(run.info.experimentId, { experiment: all.find((e) => e.experimentId === run.info.experimentId)!, runs: new Set([runId]) });
  }
  // Experiment 0 is always there, as MLflow's file store creates it; with a selection it comes without runs.
  const defaultExperiment = all.find((e) => e.experimentId === '0');
  if (defaultExperiment && !selection.has('0')) selection.set('0', { experiment: defaultExperiment, runs: new Set() });
  return selection;
}

/** When each deleted run (by id) and experiment (`experiment:<id>`) went to the trash. */
async function deletionTimes(fd: Flowdesk): Promise<Map<string, number>> {
  const db = fd.catalog.db;
  const times = new Map<string, number>();
  for (const r of await db.selectFrom('runs').select(['run_uuid', 'deleted_time']).where('lifecycle_stage', '=', 'deleted').execute()) {
    if (r.deleted_time !== null) times.set(r.run_uuid, Number(r.deleted_time));
  }
  for (const e of await db.selectFrom('experiments').select(['experiment_id', 'deleted_time']).where('lifecycle_stage', '=', 'deleted').execute()) {
    if (e.deleted_time !== null) times.set(`experiment:${e.experiment_id}`, Number(e.deleted_time));
  }
  return times;
}

/**
 * Writes key/value files (params, tags) under `dir`, a key with '/' in nested folders as the
 * file store keeps it; answers how many were written. Keys the file store could not read are skipped.
 */
async function writeKeyFiles(dir: string, items: { key: string; value: string }[], what: string, skip: (what: string, why: string) => void): Promise<number> {
  await mkdir(dir, { recursive: true });
  const shadowed = shadowedKeys(items.map((i) => i.key));
  let written = 0;
  for (const item of items) {
    const problem = fileStoreKeyProblem(item.key) ?? shadowed.get(item.key);
    if (problem) {
      skip(`${what} '${item.key}'`, problem);
      continue;
    }
    const file = join(dir, ...item.key.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, item.value);
    written++;
  }
  return written;
}

/** Writes one run: meta.yaml, params, tags, metric histories, inputs (and their datasets in the experiment) and artifacts. */
async function writeRun(
  fd: Flowdesk,
  run: Run,
  dir: string,
  experimentDir: string,
  artifactUri: string,
  deletedTime: number | undefined,
  counts: ExportCounts,
  skip: (what: string, why: string) => void,
): Promise<void> {
  const id = run.info.runId;
  const what = `run ${id}`;
  await mkdir(join(dir, 'artifacts'), { recursive: true });
  await writeFile(
    join(dir, 'meta.yaml'),
    runMeta({ ...run.info, artifactUri, deletedTime: run.info.lifecycleStage === 'deleted' ? deletedTime : undefined }),
  );
  counts.params += await writeKeyFiles(join(dir, 'params'), run.data.params, `${what} param`, skip);
  counts.tags += await writeKeyFiles(join(dir, 'tags'), run.data.tags, `${what} tag`, skip);

  const metricsDir = join(dir, 'metrics');
  await mkdir(metricsDir, { recursive: true });
  const keys = [...new Set(run.data.metrics.map((m) => m.key))];
  const shadowed = shadowedKeys(keys);
  for (const key of keys) {
    const problem = fileStoreKeyProblem(key) ?? shadowed.get(key);
    if (problem) {
      skip(`${what} metric '${key}'`, problem);
      continue;
    }
    const file = join(metricsDir, ...key.split('/'));
    await mkdir(dirname(file), { recursive: true });
    const handle = await open(file, 'w');
    try {
      let pageToken: string | undefined;
      do {
        const page = await fd.handlers['metrics.history']({ runId: id, key, maxResults: HISTORY_PAGE, pageToken });
        let text = '';
        for (const m of page.metrics) text += metricLine({ timestamp: m.timestamp, value: m.value as number, step: m.step ?? 0 });
        await handle.write(text);
        counts.metricPoints += page.metrics.length;
        pageToken = page.nextPageToken;
      } while (pageToken);
    } finally {
      await handle.close();
    }
  }

  for (const input of run.inputs.datasetInputs) {
    const dataset = datasetId(input.dataset.name, input.dataset.digest);
    const datasetDir = join(experimentDir, 'datasets', dataset);
    if (!existsSync(datasetDir)) {
      await mkdir(datasetDir, { recursive: true });
      await writeFile(join(datasetDir, 'meta.yaml'), datasetMeta(input.dataset));
    }
    const inputDir = join(dir, 'inputs', inputId(dataset, id));
    await mkdir(inputDir, { recursive: true });
    await writeFile(join(inputDir, 'meta.yaml'), inputMeta(dataset, input.tags));
    counts.datasetInputs++;
  }

  await copyArtifacts(fd, storePathOf(run.info.artifactUri), join(dir, 'artifacts'), counts);
  counts.runs++;
}

/** Copies a folder of the artifact store, streaming each file. */
async function copyArtifacts(fd: Flowdesk, storePath: string, dir: string, counts: ExportCounts): Promise<void> {
  for (const entry of await fd.artifacts.list(storePath)) {
    const from = `${storePath}/${entry.path}`;
    const to = join(dir, entry.path);
    if (entry.isDir) {
      await mkdir(to, { recursive: true });
      await copyArtifacts(fd, from, to, counts);
      continue;
    }
    const { stream, bytes } = await fd.artifacts.read(from);
    await pipeline(stream, createWriteStream(to));
    counts.artifactFiles++;
    counts.artifactBytes += bytes;
  }
}

/**
 * Where a version's files are in the export: a source in this server's artifact store
 * (`mlflow-artifacts:/<experiment>/<run>/artifacts/...`) becomes the file URI of the exported
 * run's artifacts, which MLflow's file store can download; other sources stay as they are.
 */
function storageLocation(source: string, exportedRuns: Map<string, string>): string {
  const m = /^mlflow-artifacts:\/+\d+\/([0-9a-f]{32})\/artifacts(\/.*)?$/.exec(source);
  const runUri = m ? exportedRuns.get(m[1]!) : undefined;
  return runUri ? `${runUri}${m![2] ?? ''}` : source;
}

/**
 * Writes the registry: every registered model when everything is exported; otherwise the models
 * with versions made from exported runs, with those versions only.
 */
async function writeRegistry(
  fd: Flowdesk,
  dir: string,
  everything: boolean,
  exportedRuns: Map<string, string>,
  counts: ExportCounts,
  skip: (what: string, why: string) => void,
): Promise<void> {
  const h = fd.handlers;
  await mkdir(dir, { recursive: true });
  const models = (await allPages(async (pageToken) => {
    const r = await h['registry.searchModels']({ maxResults: PAGE, pageToken });
    return { items: r.models as RegisteredModel[], nextPageToken: r.nextPageToken };
  })) as RegisteredModel[];
  for (const model of models) {
    const quoted = `'${model.name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    const versions = ((await allPages(async (pageToken) => {
      const r = await h['registry.searchVersions']({ filter: `name = ${quoted}`, maxResults: PAGE, pageToken });
      return { items: r.versions as ModelVersion[], nextPageToken: r.nextPageToken };
    })) as ModelVersion[]).filter((v) => everything || (v.runId !== undefined && exportedRuns.has(v.runId)));
    if (!everything && versions.length === 0) continue;
    const problem = modelNameProblem(model.name);
    if (problem) {
      skip(`registered model '${model.name}'`, problem);
      continue;
    }
    const modelDir = join(dir, model.name);
    const numbers = new Set(versions.map((v) => v.version));
    const aliases = model.aliases.filter((a) => numbers.has(a.version));
    await mkdir(modelDir, { recursive: true });
    await writeFile(join(modelDir, 'meta.yaml'), registeredModelMeta({ ...model, aliases }));
    await writeKeyFiles(join(modelDir, 'tags'), model.tags, `registered model '${model.name}' tag`, skip);
    await mkdir(join(modelDir, 'aliases'), { recursive: true });
    for (const a of aliases) await writeFile(join(modelDir, 'aliases', a.alias), String(a.version));
    for (const v of versions) {
      const versionDir = join(modelDir, `version-${v.version}`);
      await mkdir(versionDir, { recursive: true });
      await writeFile(join(versionDir, 'meta.yaml'), modelVersionMeta({ ...v, storageLocation: storageLocation(v.source, exportedRuns) }));
      await writeKeyFiles(join(versionDir, 'tags'), v.tags, `version ${v.version} of '${model.name}' tag`, skip);
      counts.modelVersions++;
    }
    counts.registeredModels++;
  }
}

