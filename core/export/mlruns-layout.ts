/**
 * How MLflow's file store (`mlflow/store/tracking/file_store.py` and
 * `mlflow/store/model_registry/file_store.py`, 2.x) lays its objects out on disk, as far as an
 * export writes them: the meta.yaml dictionaries, the numeric run status, metric lines as Python
 * prints floats, the ids of dataset and input folders, and which names its reader accepts.
 * Everything here is pure, so the writer (export-mlruns.ts) only moves bytes.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Dataset, RunStatus } from '#core/api/entities.ts';

/** MLflow's RunStatus enum numbers, as the file store keeps them in a run's meta.yaml. */
export const RUN_STATUS_NUMBER: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };

/** MLflow's SourceType.LOCAL, which the file store writes for every run. */
const SOURCE_TYPE_LOCAL = 4;

/**
 * YAML as MLflow's `write_yaml` writes it (PyYAML `safe_dump`, keys sorted, block style), so the
 * files read the same to a person comparing them with MLflow's own.
 */
export function toYaml(data: Record<string, unknown>): string {
  return stringify(data, { version: '1.1', sortMapEntries: true, lineWidth: 0, nullStr: 'null' });
}

/**
 * A float as Python's `repr` prints it, which is what the file store appends to metric files:
 * `nan`, `inf`, `-inf`, `1.0`, `1e-05`, `1.5e+16`. Python's reader (`float()`) would also take
 * JavaScript's spellings; matching MLflow's makes an export indistinguishable from MLflow's own.
 */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip, as repr does.
  const [mantissa, exp] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${rest}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const point = e + 1;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** One line of a metric file: `timestamp value step`. */
export function metricLine(point: { timestamp: number; value: number; step: number }): string {
  return `${point.timestamp} ${pythonFloat(point.value)} ${point.step}\n`;
}

/**
 * Whether MLflow 2.x's file store reads a metric, param or tag key back: its reader validates
 * every name it finds (`^[/\w.\- ]*$`, a normalized relative path), and one bad name makes the
 * whole run unreadable. Flowdesk also accepts ':' (as MLflow's SQL stores do).
 */
export function fileStoreKeyProblem(key: string): string | undefined {
  if (!/^[/\p{L}\p{N}\p{M}_.\- ]*$/u.test(key)) return `MLflow's file store cannot hold the key '${key}' (only letters, digits, '_', '-', '.', ' ' and '/')`;
  const segments = key.split('/');
  if (key === '' || key.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) return `the key '${key}' is not a normalized relative path`;
  return undefined;
}

/**
 * The keys of one kind (params, or tags, or metrics) of one run that cannot share a folder: the
 * file store keeps `a/b` as the file `b` inside a folder `a`, so a key `a` beside it cannot exist.
 * Answers the keys to leave out, each with the reason.
 */
export function shadowedKeys(keys: Iterable<string>): Map<string, string> {
  const all = new Set(keys);
  const out = new Map<string, string>();
  for (const key of all) {
    const segments = key.split('/');
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      if (all.has(prefix)) out.set(prefix, `the key '${prefix}' would be a file where '${key}' needs a folder`);
    }
  }
  return out;
}

/** Why the model registry's file store cannot hold a registered model of this name, if it cannot. */
export function modelNameProblem(name: string): string | undefined {
  if (/[/\\%]/.test(name) || name === '.' || name === '..' || name === '') return `MLflow's file store cannot hold a registered model named '${name}' (no '/', '\\' or '%')`;
  return undefined;
}

/** An experiment's meta.yaml. */
export function experimentMeta(e: { experimentId: string; name: string; artifactLocation: string; lifecycleStage: string; creationTime: number; lastUpdateTime: number }): string {
  return toYaml({
    artifact_location: e.artifactLocation,
    creation_time: e.creationTime,
    experiment_id: e.experimentId,
    last_update_time: e.lastUpdateTime,
    lifecycle_stage: e.lifecycleStage,
    name: e.name,
  });
}

/** A run's meta.yaml, as `_make_persisted_run_info_dict` writes it. */
export function runMeta(r: {
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: RunStatus;
  startTime: number;
  endTime?: number;
  artifactUri: string;
  lifecycleStage: string;
  deletedTime?: number;
}): string {
  return toYaml({
    artifact_uri: r.artifactUri,
    deleted_time: r.deletedTime ?? null,
    end_time: r.endTime ?? null,
    entry_point_name: '',
    experiment_id: r.experimentId,
    lifecycle_stage: r.lifecycleStage,
    run_id: r.runId,
    run_name: r.runName,
    run_uuid: r.runId,
    source_name: '',
    source_type: SOURCE_TYPE_LOCAL,
    source_version: '',
    start_time: r.startTime,
    status: RUN_STATUS_NUMBER[r.status],
    tags: [],
    user_id: r.userId,
  });
}

const md5 = (...parts: string[]) => {
  const h = createHash('md5');
  for (const p of parts) h.update(p, 'utf8');
  return h.digest('hex');
};

/** The folder name of a dataset under `<experiment>/datasets/`: md5 of its name then digest. */
export const datasetId = (name: string, digest: string) => md5(name, digest);

/** The folder name of a run's input under `<run>/inputs/`: md5 of the dataset id then the run id. */
export const inputId = (dataset: string, runId: string) => md5(dataset, runId);

/** A dataset's meta.yaml. */
export function datasetMeta(d: Dataset): string {
  return toYaml({ digest: d.digest, name: d.name, profile: d.profile ?? null, schema: d.schema ?? null, source: d.source, source_type: d.sourceType });
}

/** A run input's meta.yaml. MLflow writes the dataset id as destination_id too, and its reader expects no more. */
export function inputMeta(dataset: string, tags: { key: string; value: string }[]): string {
  return toYaml({
    destination_id: dataset,
    destination_type: 'RUN',
    source_id: dataset,
    source_type: 'DATASET',
    tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
  });
}

/** A registered model's meta.yaml (aliases are read from the `aliases/` folder; MLflow keeps a copy here). */
export function registeredModelMeta(m: { name: string; creationTimestamp: number; lastUpdatedTimestamp: number; description?: string; aliases: { alias: string; version: number }[] }): string {
  return toYaml({
    aliases: Object.fromEntries(m.aliases.map((a) => [a.alias, String(a.version)])),
    creation_timestamp: m.creationTimestamp,
    description: m.description ?? null,
    last_updated_timestamp: m.lastUpdatedTimestamp,
    name: m.name,
  });
}

/** A model version's meta.yaml. */
export function modelVersionMeta(v: {
  name: string;
  version: number;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  currentStage: string;
  description?: string;
  source: string;
  storageLocation: string;
  runId?: string;
  runLink?: string;
  userId?: string;
  aliases: string[];
}): string {
  return toYaml({
    aliases: v.aliases,
    creation_timestamp: v.creationTimestamp,
    current_stage: v.currentStage,
    description: v.description ?? null,
    last_updated_timestamp: v.lastUpdatedTimestamp,
    name: v.name,
    run_id: v.runId ?? null,
    run_link: v.runLink ?? null,
    source: v.source,
    status: 'READY',
    status_message: null,
    storage_location: v.storageLocation,
    user_id: v.userId ?? null,
    version: v.version,
  });
}
