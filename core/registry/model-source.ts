/**
 * Where a new model version's files are. The server assigns every storage location, so a version
 * may only be made from something that names one of them:
 * - `runs:/<run id>/<path>`: a path inside a run's artifacts;
 * - `models:/<logged model id>`: an MLflow 3 logged model's artifacts;
 * - `models:/<name>/<version | stage | latest>` or `models:/<name>@<alias>`: another version's files;
 * - `mlflow-artifacts:/<path>`: a location inside a run's or logged model's artifacts.
 * A filesystem path, a `file:` URI or any other URI is refused: the server never reads or serves
 * a place a client chose. The one exception has no files at all: a version of a prompt (MLflow 3's
 * prompt registry), whose text lives in its tags. Paths pass the one artifact path gate (`checkArtifactPath`), which
 * percent-decodes repeatedly before it judges, so `..` cannot hide behind escapes.
 */
import { MODEL_STAGES, type ModelStage, type Tag } from '#core/api/entities.ts';
import { invalid, notFound } from '#core/api/errors.ts';
import { checkArtifactPath } from '#core/api/artifact-path.ts';
import { parseVersion } from '#core/api/model-version-number.ts';
import type { Db } from '#core/catalog/catalog.ts';
import { storePathIn, storePathOf } from '#core/api/artifact-locations.ts';
import { getLoggedModelRow } from '#core/tracking/model-links.ts';
import { getRunRow } from '#core/tracking/tracking-service.ts';
import { aliasVersion, newestInStage } from './registry-repository.ts';
import { getModelRow, getVersionRow, type ModelVersionRow } from './registry-rows.ts';
import { PROMPT_TAG } from './registry-search.ts';

const ARTIFACTS_SCHEME = 'mlflow-artifacts:/';
const RUNS_SCHEME = 'runs:/';
const MODELS_SCHEME = 'models:/';

/** What a `models:/` URI names. */
export type ModelsUri =
  | { kind: 'loggedModel'; modelId: string }
  | { kind: 'version'; name: string; version: number }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'stage'; name: string; stage: ModelStage }
  | { kind: 'latest'; name: string };

/** Logged model ids as the server assigns them. */
const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;
/** Run ids as MLflow clients check them; anything else cannot be a run of this server. */
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;

/**
 * Parses `models:/<model id>`, `models:/<name>/<version>`, `models:/<name>/<stage>`,
 * `models:/<name>/latest` and `models:/<name>@<alias>`.
 */
export function parseModelsUri(uri: string): ModelsUri {
  const bad = (why: string) => invalid(`Invalid model URI '${uri}': ${why}`);
  if (!uri.startsWith(MODELS_SCHEME)) throw bad(`it does not start with ${MODELS_SCHEME}`);
  const rest = uri.slice(MODELS_SCHEME.length);
  if (rest === '' || rest.startsWith('/')) throw bad('expected models:/<name>/<version>, models:/<name>@<alias> or models:/<model id>');
  const at = rest.indexOf('@');
  if (at >= 0) {
    const name = rest.slice(0, at);
    const alias = rest.slice(at + 1);
    if (name === '' || alias === '' || alias.includes('/')) throw bad('expected models:/<name>@<alias>');
    return { kind: 'alias', name, alias };
  }
  const parts = rest.split('/');
  if (parts.length === 1) {
    if (!LOGGED_MODEL_ID.test(rest)) throw bad("expected models:/<name>/<version>, models:/<name>@<alias> or models:/m-<32 hex> (a logged model's id)");
    return { kind: 'loggedModel', modelId: rest };
  }
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw bad('expected models:/<name>/<version, stage or latest>');
  const [name, suffix] = [parts[0]!, parts[1]!];
  if (/^\d+$/.test(suffix)) return { kind: 'version', name, version: parseVersion(suffix) };
  if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name };
  const stage = MODEL_STAGES.find((s) => s.toLowerCase() === suffix.toLowerCase());
  if (stage) return { kind: 'stage', name, stage };
  throw bad(`'${suffix}' is not a version number, a stage (${MODEL_STAGES.join(', ')}) or 'latest'`);
}

/** The storage location of a version that has no files: a prompt's. */
export const NO_FILES = '';

/**
 * Whether a new version is a prompt of MLflow 3's prompt registry: its model and its own tags say
 * `mlflow.prompt.is_prompt` = 'true'. Such a version keeps its text in tags and has no files; the
 * client sends a placeholder source ("dummy-source") that the server never reads.
 */
export async function isPromptVersion(db: Db, modelId: number, tags: readonly Tag[]): Promise<boolean> {
  if (!tags.some((t) => t.key === PROMPT_TAG && t.value === 'true')) return false;
  const row = await db.selectFrom('registered_model_tags').select('value').where('registered_model_id', '=', modelId).where('key', '=', PROMPT_TAG).executeTakeFirst();
  return row?.value === 'true';
}

/** Where a version's files are; INVALID_PARAMETER_VALUE for a prompt's version, which has none. */
export function versionFiles(row: ModelVersionRow): string {
  if (row.storage_location === NO_FILES) throw invalid(`Version ${row.version} of '${row.model_name}' is a prompt: it has no files to download, copy or serve.`);
  return row.storage_location;
}

/** The registered version a `models:/` URI names; a logged model id names none. */
export async function findVersionByUri(db: Db, uri: Exclude<ModelsUri, { kind: 'loggedModel' }>): Promise<ModelVersionRow> {
  const model = await getModelRow(db, uri.name);
  switch (uri.kind) {
    case 'version':
      return getVersionRow(db, model, uri.version);
    case 'alias': {
      const version = await aliasVersion(db, model.id, uri.alias);
      if (version === undefined) throw notFound(`Registered model alias ${uri.alias} not found.`);
      return getVersionRow(db, model, version);
    }
    case 'stage': {
      const row = await newestInStage(db, model.id, uri.stage);
      if (!row) throw notFound(`No version of registered model '${model.name}' is in stage ${uri.stage}`);
      return row;
    }
    case 'latest': {
      const row = await db.selectFrom('model_versions').selectAll().where('registered_model_id', '=', model.id).orderBy('version', 'desc').limit(1).executeTakeFirst();
      if (!row) throw notFound(`Registered model '${model.name}' has no versions`);
      return row;
    }
  }
}

/** What a source resolved to: the concrete location, and the run and logged model it came from. */
export interface ResolvedSource {
  /** A server-assigned `mlflow-artifacts:/` location. */
  storageLocation: string;
  runId?: string;
  modelId?: string;
}

/**
 * The part of `path` (as sent, still encoded) below `root`, or undefined when `path` does not
 * start with exactly `root`: the root is matched as written, and the rest is checked on its own.
 */
function below(path: string, root: string): string | undefined {
  if (path === root) return '';
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : undefined;
}

/**
 * The concrete location of an `mlflow-artifacts:/` source, which must lie inside the artifacts of
 * a run (`<experiment>/<run>/artifacts/...`) or of a logged model (`<experiment>/models/<id>/artifacts/...`).
 * The whole path passes the path gate first; then the owner's root must be spelled out exactly
 * and the rest passes the gate on its own, as the path of a `runs:/` source does, so neither an
 * encoded root nor an absolute or drive-letter remainder gets through.
 */
async function resolveArtifactsSource(db: Db, source: string, runId: string | undefined): Promise<ResolvedSource> {
  const rest = source.slice(ARTIFACTS_SCHEME.length);
  // `mlflow-artifacts://host/...` names another server; the server assigns hostless locations only.
  if (rest.startsWith('/')) throw invalid(`Invalid model version source '${source}': only hostless mlflow-artifacts:/ locations this server assigned are accepted`);
  const segments = checkArtifactPath(rest).split('/');
  const outside = () => invalid(`Invalid model version source '${source}': it is not inside the artifacts of a run or logged model of this server`);
  const located = (uri: string) => {
    const relative = below(rest, storePathOf(uri));
    if (relative === undefined) throw outside();
    return `${ARTIFACTS_SCHEME}${storePathIn(uri, relative)}`;
  };
  if (segments[1] === 'models' && segments[2] !== undefined) {
    const model = await db.selectFrom('logged_models').select(['model_id', 'artifact_uri', 'source_run_id']).where('model_id', '=', segments[2]).executeTakeFirst();
    if (!model) throw outside();
    return { storageLocation: located(model.artifact_uri), modelId: model.model_id, runId: runId ?? model.source_run_id ?? undefined };
  }
  const candidate = segments[1];
  if (candidate === undefined || !RUN_ID.test(candidate)) throw outside();
  const run = await db.selectFrom('runs').select(['run_uuid', 'artifact_uri']).where('run_uuid', '=', candidate).executeTakeFirst();
  if (!run) throw outside();
  const storageLocation = located(run.artifact_uri);
  if (runId !== undefined && runId !== run.run_uuid) {
    throw invalid(`Invalid model version source '${source}': it lies in the artifacts of run ${run.run_uuid}, not of run_id ${runId}`);
  }
  return { storageLocation, runId: run.run_uuid };
}

/**
 * Resolves a model version source to a server-assigned location, with the run and logged model it
 * names. `given` holds the run_id and model_id the client sent beside the source: they must agree
 * with it and must exist. Throws INVALID_PARAMETER_VALUE for any source that is not one of the
 * forms above, and RESOURCE_DOES_NOT_EXIST for a run, model or version that is not there.
 */
export async function resolveModelSource(db: Db, source: string, given: { runId?: string; modelId?: string }): Promise<ResolvedSource> {
  let resolved: ResolvedSource;
  if (source.startsWith(RUNS_SCHEME)) {
    const rest = source.slice(RUNS_SCHEME.length);
    const slash = rest.indexOf('/');
    const runId = slash < 0 ? rest : rest.slice(0, slash);
    if (!RUN_ID.test(runId)) throw invalid(`Invalid model version source '${source}': expected runs:/<run id>/<path>`);
    const path = slash < 0 ? '' : rest.slice(slash + 1);
    const run = await getRunRow(db, runId);
    if (given.runId !== undefined && given.runId !== run.run_uuid) {
      throw invalid(`Invalid model version source '${source}': it names run ${run.run_uuid}, but run_id is ${given.runId}`);
    }
    resolved = { storageLocation: `${ARTIFACTS_SCHEME}${storePathIn(run.artifact_uri, path)}`, runId: run.run_uuid };
  } else if (source.startsWith(MODELS_SCHEME)) {
    const uri = parseModelsUri(source);
    if (uri.kind === 'loggedModel') {
      const model = await getLoggedModelRow(db, uri.modelId);
      resolved = { storageLocation: model.artifact_uri, modelId: model.model_id, runId: given.runId ?? model.source_run_id ?? undefined };
    } else {
      resolved = { storageLocation: versionFiles(await findVersionByUri(db, uri)) };
    }
  } else if (source.startsWith(ARTIFACTS_SCHEME)) {
    resolved = await resolveArtifactsSource(db, source, given.runId);
  } else {
    throw invalid(
      `Invalid model version source '${source}': register a version from runs:/<run id>/<path>, a models:/ URI or an mlflow-artifacts:/ location this server assigned; a filesystem path or any other URI is not accepted.`,
    );
  }
  if (given.modelId !== undefined && resolved.modelId !== undefined && given.modelId !== resolved.modelId) {
    throw invalid(`Invalid model version source '${source}': it names logged model ${resolved.modelId}, but model_id is ${given.modelId}`);
  }
  // What the client names beside the source must exist: lineage points at real runs and models.
  if (given.runId !== undefined) {
    await getRunRow(db, given.runId);
    resolved = { ...resolved, runId: given.runId };
  }
  if (given.modelId !== undefined && resolved.modelId === undefined) {
    const model = await getLoggedModelRow(db, given.modelId);
    resolved = { ...resolved, modelId: model.model_id, runId: resolved.runId ?? model.source_run_id ?? undefined };
  }
  return resolved;
}
