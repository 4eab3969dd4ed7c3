/**
 * An `mlruns/` folder (MLflow's file store, as MLflow 1.x to 3.x write it) as an import source:
 *
 *   <root>/<experiment id>/meta.yaml, tags/<key>
 *   <root>/<experiment id>/<run id>/meta.yaml, params/<key>, tags/<key>, metrics/<key>,
 *       inputs/<id>/meta.yaml (datasets in <experiment>/datasets/<id>/meta.yaml; MLflow 3 models),
 *       outputs/<model id>/meta.yaml (MLflow 3), artifacts/...
 *   <root>/<experiment id>/models/<model id>/...  MLflow 3 logged models, laid out like runs
 *   <root>/.trash/<experiment id>/...             deleted experiments
 *   <root>/models/<name>/meta.yaml, tags/, aliases/<alias>, version-<n>/{meta.yaml,tags/}: the registry
 *
 * Metric files are read line by line (`timestamp value step`, MLflow 1.x's older
 * `timestamp value`), never whole. A damaged file or line is reported with its path and line
 * number and the rest is read. Nothing is followed out of the folder: symbolic links are reported,
 * never followed, and artifacts are read only from each run's own `artifacts/` folder; a run
 * whose meta.yaml puts its artifacts elsewhere (another disk, S3) has that reported instead.
 */
import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { FlowdeskError } from '#core/api/errors.ts';
import { LOGGED_MODEL_STATUSES, MODEL_STAGES, RUN_STATUSES, type DatasetInput, type LoggedModelStatus, type Metric, type ModelStage, type Param, type RunStatus, type Tag } from '#core/api/entities.ts';
import type {
  ImportSource,
  SourceArtifact,
  SourceExperiment,
  SourceLoggedModel,
  SourceModelVersion,
  SourceOptions,
  SourceRegisteredModel,
  SourceRun,
} from '#core/import/import-source.ts';
import { createReader, entries, int, lines, readSmall, readYaml, str, walkFiles, type Entry, type Reader } from './mlruns-files.ts';

/** Points per batch handed to the engine: large enough for fast inserts, small enough to stay flat in memory. */
const METRIC_BATCH = 10_000;
/** Folders of an experiment that are not runs. */
const EXPERIMENT_FOLDERS = new Set(['tags', 'datasets', 'models', 'traces']);
/** Run ids as MLflow makes them (32 hex) and as its clients accept them. */
const RUN_ID = /^[A-Za-z0-9][\w-]{0,63}$/;
const MODEL_ID = /^m-[0-9a-f]{32}$/;
/** The stage MLflow's file registry gives a deleted version that it keeps on disk. */
const DELETED_VERSION_STAGE = 'Deleted_Internal';
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^-?\d+$/;

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** What is expected, for the refusal of a folder that is not an mlruns store. */
const EXPECTED =
  'expected an MLflow file store: one folder per experiment holding a meta.yaml (mlruns/0/meta.yaml), runs inside them (mlruns/<experiment id>/<run id>/meta.yaml), as MLflow writes with MLFLOW_TRACKING_URI=file:<folder>';

/** Whether `dir` holds an experiment's meta.yaml (the mark of an mlruns store). */
async function isExperimentFolder(dir: string): Promise<boolean> {
  const info = await lstat(join(dir, 'meta.yaml')).catch(() => undefined);
  return info?.isFile() === true;
}

/** Whether `folder` is an mlruns store: a `.trash` folder or an experiment folder directly inside it. */
export async function isMlrunsFolder(folder: string): Promise<boolean> {
  const info = await lstat(folder).catch(() => undefined);
  if (!info?.isDirectory()) return false;
  const reader = createReader(folder, () => undefined);
  for (const entry of await entries(reader, folder)) {
    if (!entry.isDir) continue;
    if (entry.name === '.trash') return true;
    if (/^\d+$/.test(entry.name) && (await isExperimentFolder(entry.path))) return true;
  }
  return false;
}

function parseFloatText(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return Number.NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  return NUMBER.test(text) ? Number(text) : undefined;
}

function parseInteger(text: string): number | undefined {
  if (!INTEGER.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function runStatus(value: unknown): RunStatus | undefined {
  const n = int(value);
  if (n !== undefined) return RUN_STATUSES[n - 1];
  const text = str(value).toUpperCase();
  return (RUN_STATUSES as readonly string[]).includes(text) ? (text as RunStatus) : undefined;
}

function modelStatus(value: unknown): LoggedModelStatus {
  const n = int(value);
  if (n !== undefined) return LOGGED_MODEL_STATUSES[n - 1] ?? 'LOGGED_MODEL_READY';
  const text = str(value);
  return (LOGGED_MODEL_STATUSES as readonly string[]).includes(text) ? (text as LoggedModelStatus) : 'LOGGED_MODEL_READY';
}

function stage(value: unknown): 'active' | 'deleted' {
  return str(value) === 'deleted' ? 'deleted' : 'active';
}

function optional(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : str(value);
}

/** `key → value` files of a folder (params, tags), keys with '/' kept as MLflow stores them. */
async function keyValues(reader: Reader, dir: string): Promise<Tag[]> {
  const out: Tag[] = [];
  for await (const file of walkFiles(reader, dir)) {
    const value = await readSmall(reader, file.path);
    if (value !== undefined) out.push({ key: file.rel, value });
  }
  return out;
}

/** The artifact files under `dir`, each readable as a stream (links never followed) and left where it lies. */
async function* artifactFiles(reader: Reader, dir: string): AsyncGenerator<SourceArtifact> {
  for await (const file of walkFiles(reader, dir)) {
    yield {
      path: file.rel,
      bytes: file.bytes,
      localPath: file.path,
      async open() {
        const handle = await open(file.path, constants.O_RDONLY | O_NOFOLLOW);
        return handle.createReadStream();
      },
    };
  }
}

/**
 * Whether an artifact location written in a meta.yaml is this folder's own `tail` (the store may
 * have been moved or copied from another machine, so only the end is compared). Anything else
 * (S3, another disk) is never read.
 */
function isOwnLocation(uri: string, tail: string): boolean {
  if (uri === '') return true;
  const path = uri.replace(/^file:(\/\/[^/]*)?/, '').replace(/\/+$/, '');
  return !/^[a-z][a-z0-9+.-]*:/i.test(path) && (path === tail || path.endsWith(`/${tail}`));
}

/**
 * Reads the points of one metric file. `fields` says which line shapes are valid and how they
 * read: runs have `timestamp value [step]` (and 5-field lines with a dataset), logged models
 * `timestamp value step run_id [dataset_name dataset_digest]`.
 */
async function* metricLines(reader: Reader, path: string, key: string, forModel: boolean): AsyncGenerator<Metric & { runId?: string; datasetName?: string; datasetDigest?: string }> {
  let number = 0;
  try {
    for await (const line of lines(path)) {
      number = line.number;
      const text = line.text.trim();
      if (text === '') continue;
      const parts = text.split(' ');
      const valid = forModel ? parts.length === 4 || parts.length === 6 : parts.length === 2 || parts.length === 3 || parts.length === 5;
      const timestamp = parseInteger(parts[0]!);
      const value = parts[1] === undefined ? undefined : parseFloatText(parts[1]);
      const step = parts.length >= 3 ? parseInteger(parts[2]!) : 0;
      if (!valid || timestamp === undefined || value === undefined || step === undefined) {
        const shape = forModel ? "'timestamp value step run_id'" : "'timestamp value step'";
        reader.problem(path, `expected ${shape}, got '${text.slice(0, 80)}'; the line was skipped`, line.number);
        continue;
      }
      const point: Metric & { runId?: string; datasetName?: string; datasetDigest?: string } = { key, value, timestamp, step };
      if (forModel) {
        point.runId = parts[3];
        if (parts.length === 6) {
          point.datasetName = parts[4];
          point.datasetDigest = parts[5];
        }
      }
      yield point;
    }
  } catch (err) {
    reader.problem(path, `could not be read to the end: ${(err as Error).message}`, number + 1);
  }
}

interface ExperimentPlace {
  dir: string;
  datasets: Map<string, DatasetInput['dataset'] | null>;
}

/**
 * Opens an mlruns folder (or a folder holding one as `mlruns/`). Refuses, with what was expected,
 * a folder that is not one.
 */
export async function openMlrunsSource(folder: string, options: SourceOptions): Promise<ImportSource> {
  const info = await lstat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new FlowdeskError('INVALID_PARAMETER_VALUE', `${folder} is not a folder: ${EXPECTED}`);
  let root = await realpath(folder);
  if (!(await isMlrunsFolder(root))) {
    if (await isMlrunsFolder(join(root, 'mlruns'))) root = join(root, 'mlruns');
    else throw new FlowdeskError('INVALID_PARAMETER_VALUE', `${folder} is not an mlruns folder: ${EXPECTED}`);
  }
  const reader = createReader(root, options.onProblem);
  const places = new Map<string, ExperimentPlace>();

  async function readExperiment(dir: string, id: string, deleted: boolean): Promise<SourceExperiment | undefined> {
    const meta = await readYaml(reader, join(dir, 'meta.yaml'), true);
    if (!meta) return undefined;
    const claimed = str(meta.experiment_id);
    if (claimed !== '' && claimed !== id) reader.problem(join(dir, 'meta.yaml'), `names experiment '${claimed}', but lies in folder '${id}'; the folder's id is used`);
    const name = str(meta.name);
    if (name === '') {
      reader.problem(join(dir, 'meta.yaml'), 'has no experiment name; the experiment was skipped');
      return undefined;
    }
    if (places.has(id)) {
      reader.problem(dir, `repeats experiment id '${id}'; only the first was imported`);
      return undefined;
    }
    places.set(id, { dir, datasets: new Map() });
    return {
      sourceId: id,
      name,
      lifecycleStage: deleted ? 'deleted' : stage(meta.lifecycle_stage),
      creationTime: int(meta.creation_time),
      lastUpdateTime: int(meta.last_update_time),
      tags: await keyValues(reader, join(dir, 'tags')),
    };
  }

  async function dataset(place: ExperimentPlace, id: string): Promise<DatasetInput['dataset'] | undefined> {
    if (!place.datasets.has(id)) {
      const meta = /^[\w-]+$/.test(id) ? await readYaml(reader, join(place.dir, 'datasets', id, 'meta.yaml'), true) : undefined;
      let value: DatasetInput['dataset'] | null = null;
      if (meta) {
        value = { name: str(meta.name), digest: str(meta.digest), sourceType: str(meta.source_type), source: str(meta.source) };
        if (meta.schema !== null && meta.schema !== undefined) value.schema = str(meta.schema);
        if (meta.profile !== null && meta.profile !== undefined) value.profile = str(meta.profile);
      }
      place.datasets.set(id, value);
    }
    return place.datasets.get(id) ?? undefined;
  }

  async function readRun(experiment: SourceExperiment, place: ExperimentPlace, entry: Entry): Promise<SourceRun | undefined> {
    const metaPath = join(entry.path, 'meta.yaml');
    const meta = await readYaml(reader, metaPath, true);
    if (!meta) return undefined;
    const runId = str(meta.run_id) || str(meta.run_uuid);
    if (runId !== entry.name || !RUN_ID.test(runId)) {
      reader.problem(metaPath, `names run '${runId}', but lies in folder '${entry.name}'; the run was skipped`);
      return undefined;
    }
    let status = runStatus(meta.status);
    if (status === undefined) {
      reader.problem(metaPath, `has an unknown run status '${str(meta.status)}'; the run was imported as FAILED`);
      status = 'FAILED';
    }
    const tags = await keyValues(reader, join(entry.path, 'tags'));
    const inputs: DatasetInput[] = [];
    const modelInputs: { modelId: string }[] = [];
    for (const input of await entries(reader, join(entry.path, 'inputs'))) {
      if (!input.isDir) continue;
      const inputMeta = await readYaml(reader, join(input.path, 'meta.yaml'), true);
      if (!inputMeta) continue;
      const sourceId = str(inputMeta.source_id);
      if (str(inputMeta.source_type) === 'MODEL') {
        if (MODEL_ID.test(sourceId)) modelInputs.push({ modelId: sourceId });
        continue;
      }
      const found = await dataset(place, sourceId);
      if (!found) continue;
      const inputTags = inputMeta.tags && typeof inputMeta.tags === 'object' ? Object.entries(inputMeta.tags as Record<string, unknown>).map(([key, value]) => ({ key, value: str(value) })) : [];
      inputs.push({ tags: inputTags, dataset: found });
    }
    const modelOutputs: { modelId: string; step: number }[] = [];
    for (const output of await entries(reader, join(entry.path, 'outputs'))) {
      if (!output.isDir || !MODEL_ID.test(output.name)) continue;
      const outputMeta = await readYaml(reader, join(output.path, 'meta.yaml'), false);
      modelOutputs.push({ modelId: output.name, step: int(outputMeta?.step) ?? 0 });
    }
    const artifactUri = str(meta.artifact_uri);
    const tail = `${entry.name}/artifacts`;
    if (!isOwnLocation(artifactUri, tail)) {
      reader.problem(metaPath, `keeps the run's artifacts at '${artifactUri}', outside this folder; they are not imported (only ${tail} inside the folder is read)`);
    }
    const run: SourceRun = {
      runId,
      experimentSourceId: experiment.sourceId,
      runName: str(meta.run_name) || tags.find((t) => t.key === 'mlflow.runName')?.value,
      status,
      startTime: int(meta.start_time),
      endTime: int(meta.end_time),
      lifecycleStage: stage(meta.lifecycle_stage),
      deletedTime: int(meta.deleted_time),
      userId: optional(meta.user_id),
      params: (await keyValues(reader, join(entry.path, 'params'))) as Param[],
      tags,
      inputs,
      modelInputs,
      modelOutputs,
      async *metrics() {
        let batch: Metric[] = [];
        for await (const file of walkFiles(reader, join(entry.path, 'metrics'))) {
          for await (const point of metricLines(reader, file.path, file.rel, false)) {
            batch.push(point);
            if (batch.length >= METRIC_BATCH) {
              yield batch;
              batch = [];
            }
          }
        }
        if (batch.length > 0) yield batch;
      },
      artifacts: () => artifactFiles(reader, join(entry.path, 'artifacts')),
    };
    return run;
  }

  async function readLoggedModel(experiment: SourceExperiment, entry: Entry): Promise<SourceLoggedModel | undefined> {
    const metaPath = join(entry.path, 'meta.yaml');
    const meta = await readYaml(reader, metaPath, true);
    if (!meta) return undefined;
    const modelId = str(meta.model_id);
    if (modelId !== entry.name || !MODEL_ID.test(modelId)) {
      reader.problem(metaPath, `names logged model '${modelId}', but lies in folder '${entry.name}'; the model was skipped`);
      return undefined;
    }
    const location = str(meta.artifact_location);
    const tail = `models/${modelId}/artifacts`;
    if (!isOwnLocation(location, tail)) {
      reader.problem(metaPath, `keeps the model's artifacts at '${location}', outside this folder; they are not imported (only ${tail} inside the folder is read)`);
    }
    const metrics: SourceLoggedModel['metrics'] = [];
    for await (const file of walkFiles(reader, join(entry.path, 'metrics'))) {
      // A model's metrics are a handful of evaluation points, not training histories.
      for await (const point of metricLines(reader, file.path, file.rel, true)) metrics.push(point);
    }
    return {
      modelId,
      experimentSourceId: experiment.sourceId,
      name: str(meta.name) || modelId,
      status: modelStatus(meta.status),
      creationTime: int(meta.creation_timestamp),
      lastUpdatedTime: int(meta.last_updated_timestamp),
      modelType: optional(meta.model_type),
      sourceRunId: optional(meta.source_run_id),
      lifecycleStage: stage(meta.lifecycle_stage),
      params: await keyValues(reader, join(entry.path, 'params')),
      tags: await keyValues(reader, join(entry.path, 'tags')),
      metrics,
      artifacts: () => artifactFiles(reader, join(entry.path, 'artifacts')),
    };
  }

  async function readVersion(entry: Entry): Promise<SourceModelVersion | undefined> {
    const metaPath = join(entry.path, 'meta.yaml');
    const meta = await readYaml(reader, metaPath, true);
    if (!meta) return undefined;
    const version = int(meta.version);
    if (version === undefined || version < 1 || `version-${version}` !== entry.name) {
      reader.problem(metaPath, `names version '${str(meta.version)}', but lies in folder '${entry.name}'; the version was skipped`);
      return undefined;
    }
    const currentStage = str(meta.current_stage) || 'None';
    if (currentStage === DELETED_VERSION_STAGE) return undefined;
    const known = MODEL_STAGES.find((s) => s.toLowerCase() === currentStage.toLowerCase());
    if (!known) reader.problem(metaPath, `has an unknown stage '${currentStage}'; the version was imported in stage None`);
    return {
      version,
      source: str(meta.source),
      runId: optional(meta.run_id) || undefined,
      modelId: optional(meta.model_id) || undefined,
      description: optional(meta.description),
      currentStage: (known ?? 'None') as ModelStage,
      creationTime: int(meta.creation_timestamp),
      lastUpdatedTime: int(meta.last_updated_timestamp),
      userId: optional(meta.user_id),
      tags: await keyValues(reader, join(entry.path, 'tags')),
    };
  }

  return {
    describe: `mlruns folder ${root}`,

    async *experiments() {
      for (const entry of await entries(reader, root)) {
        if (!entry.isDir || entry.name === '.trash' || entry.name === 'models') continue;
        if (!(await isExperimentFolder(entry.path))) continue;
        const experiment = await readExperiment(entry.path, entry.name, false);
        if (experiment) yield experiment;
      }
      for (const entry of await entries(reader, join(root, '.trash'))) {
        if (!entry.isDir || !(await isExperimentFolder(entry.path))) continue;
        const experiment = await readExperiment(entry.path, entry.name, true);
        if (experiment) yield experiment;
      }
    },

    async *runs(experiment) {
      const place = places.get(experiment.sourceId);
      if (!place) return;
      // Parents before their children: order by nesting depth, read from the parent tag alone.
      const found: { entry: Entry; parent?: string }[] = [];
      for (const entry of await entries(reader, place.dir)) {
        if (!entry.isDir || EXPERIMENT_FOLDERS.has(entry.name)) continue;
        if (!(await isExperimentFolder(entry.path))) continue;
        const parent = await readSmall(reader, join(entry.path, 'tags', 'mlflow.parentRunId'));
        found.push({ entry, parent: parent?.trim() });
      }
      const parentOf = new Map(found.map((f) => [f.entry.name, f.parent]));
      const depth = (id: string): number => {
        let d = 0;
        for (let p = parentOf.get(id); p !== undefined && d <= parentOf.size; p = parentOf.get(p)) d++;
        return d;
      };
      const ordered = found.map((f) => ({ ...f, depth: depth(f.entry.name) })).sort((a, b) => a.depth - b.depth);
      for (const { entry } of ordered) {
        const run = await readRun(experiment, place, entry);
        if (run) yield run;
      }
    },

    async *loggedModels(experiment) {
      const place = places.get(experiment.sourceId);
      if (!place) return;
      for (const entry of await entries(reader, join(place.dir, 'models'))) {
        if (!entry.isDir) continue;
        const model = await readLoggedModel(experiment, entry);
        if (model) yield model;
      }
    },

    async *registeredModels() {
      for (const entry of await entries(reader, join(root, 'models'))) {
        if (!entry.isDir) continue;
        const metaPath = join(entry.path, 'meta.yaml');
        const meta = await readYaml(reader, metaPath, true);
        if (!meta) continue;
        const name = str(meta.name) || entry.name;
        const versions: SourceModelVersion[] = [];
        for (const child of await entries(reader, entry.path)) {
          if (!child.isDir || !child.name.startsWith('version-')) continue;
          const version = await readVersion(child);
          if (version) versions.push(version);
        }
        versions.sort((a, b) => a.version - b.version);
        const aliases: { alias: string; version: number }[] = [];
        for (const alias of await keyValues(reader, join(entry.path, 'aliases'))) {
          const version = int(alias.value.trim());
          if (version === undefined) reader.problem(join(entry.path, 'aliases', alias.key), `does not hold a version number; the alias was skipped`);
          else aliases.push({ alias: alias.key, version });
        }
        // MLflow 3 also keeps the aliases in meta.yaml; the files win where both exist.
        if (meta.aliases && typeof meta.aliases === 'object' && !Array.isArray(meta.aliases)) {
          for (const [alias, value] of Object.entries(meta.aliases as Record<string, unknown>)) {
            const version = int(value);
            if (version !== undefined && !aliases.some((a) => a.alias === alias)) aliases.push({ alias, version });
          }
        }
        const model: SourceRegisteredModel = {
          name,
          description: optional(meta.description),
          creationTime: int(meta.creation_timestamp),
          lastUpdatedTime: int(meta.last_updated_timestamp),
          tags: await keyValues(reader, join(entry.path, 'tags')),
          aliases,
          versions,
        };
        yield model;
      }
    },
  };
}
