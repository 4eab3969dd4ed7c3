/**
 * The one import engine: takes what an `ImportSource` yields (an mlruns/ folder, an MLflow
 * server, TensorBoard logs) and writes it into the catalog and artifact store in-process.
 *
 * - Ids are kept: runs keep their 32-hex ids and logged models their `m-` ids, so `runs:/` and
 *   `models:/` URIs and registry sources keep working. Experiments are matched by name.
 * - A run appears whole or not at all: its files are stored first (invisible without a row),
 *   then its row, params, tags, inputs and entire metric history commit in one transaction.
 *   A cut (Ctrl-C, kill -9, power loss) rolls back the run in flight and nothing else; the next
 *   import finds the finished runs by id and starts on the rest. This needs no marker that every
 *   query in the codebase would have to know about: visibility is the database's own guarantee.
 *   The price is that a very long run holds the write lock while it is written (seconds for a
 *   million points), during which other writes wait.
 * - Idempotent: an existing run gets only what it lacks (params, tags, inputs, points not already
 *   there: identical points are no-ops in the metric writer), files already stored with the same
 *   size are not copied again, and the registry gets only versions and aliases it lacks.
 * - Metric points go through the metric writer logBatch uses (history, latest values and chart
 *   summaries), in the source's batches, streamed: memory stays flat whatever the history length.
 */
import type { LoggedModelStatus, ModelStage, Tag } from '#core/api/entities.ts';
import type { ImportProgress, ImportSummary } from '#core/api/imports-contract.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import type { EventBus } from '#core/api/events.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import type { Catalog, Db } from '#core/catalog/catalog.ts';
import { recordChanges, type Change } from '#core/registry/registry-history.ts';
import { initialProtection, writeProtection } from '#core/registry/registry-moves.ts';
import { resolveModelSource } from '#core/registry/model-source.ts';
import { osUser } from '#core/registry/registry-work.ts';
import { validateModelName } from '#core/registry/registry-validation.ts';
import { addDatasetInputs, addMissingParams, addMissingTags, insertRecordedRun } from '#core/tracking/imported-run.ts';
import { writeMetrics } from '#core/tracking/metric-writer.ts';
export type { ImportProgress, ImportSummary } from '#core/api/imports-contract.ts';
import type { ImportSource, SourceArtifact, SourceExperiment, SourceLoggedModel, SourceProblem, SourceRegisteredModel, SourceRun } from './import-source.ts';

/** Where an import writes: the parts of an open Flowdesk it needs. */
export interface ImportTarget {
  catalog: Catalog;
  artifacts: ArtifactStore;
  events: EventBus;
}

export interface ImportOptions {
  /** Put every run into this experiment (created when missing) instead of experiments named as in the source. */
  experimentName?: string;
  /** Leave artifact files where they lie (hard links into the store) when the source has them on this disk; copy otherwise. */
  leaveArtifacts?: boolean;
  onProgress?: (progress: ImportProgress) => void;
  /** Stops the import between batches; the run in flight is rolled back, and the next import continues. */
  signal?: AbortSignal;
  now?: () => number;
  /** Where problems go: pass the same log's `onProblem` to the source, so the summary lists the source's problems too. */
  problems?: ProblemLog;
}

/** Problems of one import, from the source and the engine alike. */
export interface ProblemLog {
  onProblem(problem: SourceProblem): void;
  /** The first MAX_PROBLEMS problems. */
  readonly list: SourceProblem[];
  readonly count: number;
}

/** How many problems a summary lists; a badly damaged source could have millions. */
const MAX_PROBLEMS = 1000;

/** A fresh problem log. */
export function createProblemLog(): ProblemLog {
  const list: SourceProblem[] = [];
  let count = 0;
  return {
    onProblem(problem) {
      count++;
      if (list.length < MAX_PROBLEMS) list.push(problem);
    },
    list,
    get count() {
      return count;
    },
  };
}

/** Ids as MLflow's clients accept them in `runs:/` URIs: anything else could not be a path segment of the store either. */
const RUN_ID = /^[A-Za-z0-9][\w-]{0,63}$/;
const MODEL_ID = /^m-[0-9a-f]{32}$/;

/** Progress events at most this often (ms) while points stream. */
const PROGRESS_INTERVAL = 250;

interface TargetExperiment {
  row: { experiment_id: number; artifact_location: string; lifecycle_stage: string; deleted_time: number | null };
  id: string;
}

/**
 * Whether a failure to store one file concerns that file alone (a name the store refuses, a file
 * that vanished or may not be read), so the rest goes on; anything else (a full disk) stops the import.
 */
function isFileProblem(err: unknown): boolean {
  if (err instanceof FlowdeskError) return err.code !== 'INTERNAL_ERROR';
  return ['ENOENT', 'EACCES', 'EISDIR', 'ELOOP', 'ENOTDIR', 'ENAMETOOLONG'].includes((err as NodeJS.ErrnoException).code ?? '');
}

/** The error an import stopped by its signal rejects with. */
export function importStopped(): FlowdeskError {
  return new FlowdeskError('INVALID_STATE', 'The import was stopped; the runs finished so far are in, and importing the same source again continues with the rest');
}

/**
 * MLflow source paths (`file:///…/mlruns/<exp>/<run>/artifacts/<path>`, or the source server's
 * `mlflow-artifacts:/<exp>/<run>/artifacts/<path>`, whose experiment ids are not this catalog's)
 * as URIs this catalog resolves, pointing at the same run or logged model.
 */
function localSource(source: string, runId: string | undefined, modelId: string | undefined): string {
  if (/^(runs|models):\//.test(source)) return source;
  const path = source.replace(/^(file|mlflow-artifacts):(\/\/[^/]*)?/, '');
  const model = /\/models\/(m-[0-9a-f]{32})\/artifacts\/?$/.exec(path);
  if (model) return `models:/${model[1]}`;
  const run = /\/([A-Za-z0-9][\w-]{0,63})\/artifacts(?:\/(.*))?$/.exec(path);
  if (run && (runId === undefined || run[1] === runId)) return `runs:/${run[1]}/${(run[2] ?? '').replace(/\/+$/, '')}`;
  if (modelId !== undefined) return `models:/${modelId}`;
  return source;
}

/**
 * Imports everything `source` yields into the target. Resolves with the summary; rejects with
 * `importStopped()` when the signal stops it, and with the source's error when it cannot be read.
 */
export async function importFrom(source: ImportSource, target: ImportTarget, options: ImportOptions = {}): Promise<ImportSummary> {
  const { catalog, artifacts, events } = target;
  const log = options.problems ?? createProblemLog();
  const now = options.now ?? Date.now;
  const summary: ImportSummary = {
    source: source.describe,
    experiments: { created: 0, matched: 0 },
    experimentIds: [],
    runs: { imported: 0, alreadyThere: 0 },
    points: { read: 0, added: 0 },
    files: { stored: 0, linked: 0, bytes: 0, alreadyThere: 0 },
    loggedModels: { imported: 0, alreadyThere: 0 },
    registeredModels: { created: 0, matched: 0 },
    versions: { imported: 0, alreadyThere: 0 },
    aliases: 0,
    problems: log.list,
    problemCount: 0,
  };
  const problem = (where: string, message: string) => log.onProblem({ where, message });
  let phase: ImportProgress['phase'] = 'runs';
  let current: string | undefined;
  let lastProgress = 0;
  const progress = (force = false) => {
    const t = Date.now();
    if (!force && t - lastProgress < PROGRESS_INTERVAL) return;
    lastProgress = t;
    options.onProgress?.({
      phase,
      experiments: summary.experiments.created + summary.experiments.matched,
      runs: summary.runs.imported + summary.runs.alreadyThere,
      points: summary.points.read,
      files: summary.files.stored + summary.files.linked,
      bytes: summary.files.bytes,
      current,
    });
  };
  const checkStopped = () => {
    if (options.signal?.aborted) throw importStopped();
  };

  async function targetExperiment(experiment: SourceExperiment): Promise<TargetExperiment> {
    const name = options.experimentName ?? experiment.name;
    // Into one named experiment everything arrives live; otherwise trash stays trash.
    const deleted = options.experimentName === undefined && experiment.lifecycleStage === 'deleted';
    const { row, created } = await catalog.write(async (trx) => {
      const found = await trx.selectFrom('experiments').selectAll().where('name', '=', name).executeTakeFirst();
      if (found) return { row: found, created: false };
      const t = now();
      const inserted = await trx
        .insertInto('experiments')
        .values({
          name,
          artifact_location: '',
          lifecycle_stage: deleted ? 'deleted' : 'active',
          creation_time: options.experimentName === undefined ? (experiment.creationTime ?? t) : t,
          last_update_time: options.experimentName === undefined ? (experiment.lastUpdateTime ?? t) : t,
          deleted_time: deleted ? (experiment.lastUpdateTime ?? t) : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const artifactLocation = `mlflow-artifacts:/${inserted.experiment_id}`;
      await trx.updateTable('experiments').set({ artifact_location: artifactLocation }).where('experiment_id', '=', inserted.experiment_id).execute();
      return { row: { ...inserted, artifact_location: artifactLocation }, created: true };
    });
    if (options.experimentName === undefined || created) {
      await catalog.write(async (trx) => {
        const existing = new Set((await trx.selectFrom('experiment_tags').select('key').where('experiment_id', '=', row.experiment_id).execute()).map((t) => t.key));
        const fresh = [...new Map(experiment.tags.map((t) => [t.key, t])).values()].filter((t) => !existing.has(t.key));
        if (fresh.length > 0) await trx.insertInto('experiment_tags').values(fresh.map((t) => ({ experiment_id: row.experiment_id, key: t.key, value: t.value }))).execute();
      });
    }
    if (created) summary.experiments.created++;
    else summary.experiments.matched++;
    if (!created && row.lifecycle_stage === 'deleted' && !deleted) {
      problem(`experiment '${name}'`, 'is in the trash here; its runs were imported into it and show once it is restored');
    }
    const id = String(row.experiment_id);
    if (!summary.experimentIds.includes(id)) summary.experimentIds.push(id);
    events.publish({ type: 'experiment.changed', experimentId: id });
    return { row, id };
  }

  /**
   * Stores artifact files under `root` in the store: skipped when a file of that size is already
   * there (an earlier, interrupted import stored it), linked when asked and possible, else copied.
   */
  async function storeFiles(files: AsyncIterable<SourceArtifact>, root: string, owner: string): Promise<void> {
    for await (const file of files) {
      checkStopped();
      const path = `${root}/${file.path}`;
      try {
        const there = await artifacts.stat(path);
        if (there && !there.isDir && there.bytes === file.bytes) {
          summary.files.alreadyThere++;
          continue;
        }
        let linked = false;
        if (options.leaveArtifacts && file.localPath !== undefined && artifacts.link) {
          try {
            summary.files.bytes += (await artifacts.link(path, file.localPath)).bytes;
            summary.files.linked++;
            linked = true;
          } catch (err) {
            // Another filesystem (or one without hard links): the file is copied instead.
            if (!['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
          }
        }
        if (!linked) {
          const { bytes } = await artifacts.write(path, await file.open());
          summary.files.bytes += bytes;
          summary.files.stored++;
        }
        progress();
      } catch (err) {
        if (!isFileProblem(err)) throw err;
        problem(`${owner}: artifact '${file.path}'`, `${(err as Error).message}; the file was skipped`);
      }
    }
  }

  /** Points stored for a run, summed over its series. */
  async function pointCount(trx: Db, runRowId: number): Promise<number> {
    const row = await trx.selectFrom('metric_series').select((eb) => eb.fn.sum<number>('point_count').as('n')).where('run_id', '=', runRowId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async function importRun(run: SourceRun, experiment: TargetExperiment, links: { runId: string; run: SourceRun }[]): Promise<void> {
    const owner = `run ${run.runId}`;
    if (!RUN_ID.test(run.runId)) {
      problem(owner, 'is not a run id (letters, digits, _ and -, at most 64); the run was skipped');
      return;
    }
    current = `${experiment.id}/${run.runName ?? run.runId}`;
    const existing = await catalog.db.selectFrom('runs').select(['id', 'experiment_id']).where('run_uuid', '=', run.runId).executeTakeFirst();
    if (existing && existing.experiment_id !== experiment.row.experiment_id) {
      problem(owner, `already exists here in experiment ${existing.experiment_id}; it was left as it is`);
      return;
    }
    // The files first: without the run's row nothing shows them, and a second pass skips those stored.
    await storeFiles(run.artifacts(), `${experiment.id}/${run.runId}/artifacts`, owner);
    checkStopped();
    const deletedWithExperiment = experiment.row.lifecycle_stage === 'deleted' && options.experimentName === undefined;
    const deleted = run.lifecycleStage === 'deleted' || deletedWithExperiment;
    const pointsBefore = summary.points.read;
    const result = await catalog.write(async (trx) => {
      // A transaction retried (PostgreSQL) reads the history again: count it once.
      summary.points.read = pointsBefore;
      let row = await trx.selectFrom('runs').selectAll().where('run_uuid', '=', run.runId).executeTakeFirst();
      const isNew = row === undefined;
      if (!row) {
        const t = now();
        row = await insertRecordedRun(trx, experiment.row, {
          runId: run.runId,
          name: run.runName ?? run.tags.find((tag) => tag.key === 'mlflow.runName')?.value ?? '',
          userId: run.userId ?? run.tags.find((tag) => tag.key === 'mlflow.user')?.value ?? '',
          status: run.status,
          startTime: run.startTime ?? run.endTime ?? 0,
          endTime: run.endTime ?? null,
          lifecycleStage: deleted ? 'deleted' : 'active',
          // Runs deleted with their experiment share its deleted_time: that is how restoring it brings them back.
          deletedTime: deletedWithExperiment && run.lifecycleStage !== 'deleted' ? (experiment.row.deleted_time ?? t) : (run.deletedTime ?? t),
        });
      }
      const conflicts = await addMissingParams(trx, row.id, run.params);
      await addMissingTags(trx, row.id, run.tags);
      await addDatasetInputs(trx, row, run.inputs);
      const before = isNew ? 0 : await pointCount(trx, row.id);
      for await (const batch of run.metrics()) {
        checkStopped();
        if (batch.length === 0) continue;
        await writeMetrics(trx, row.id, batch, catalog.dialect);
        summary.points.read += batch.length;
        progress();
      }
      const after = await pointCount(trx, row.id);
      return { isNew, conflicts, added: after - before, experimentId: row.experiment_id };
    });
    summary.points.added += result.added;
    for (const p of result.conflicts) problem(owner, `param '${p.key}' is already '${p.key}' here with another value; params never change, so it was kept`);
    if (result.isNew) summary.runs.imported++;
    else summary.runs.alreadyThere++;
    if ((run.modelInputs?.length ?? 0) > 0 || (run.modelOutputs?.length ?? 0) > 0) links.push({ runId: run.runId, run });
    events.publish({ type: result.isNew ? 'run.created' : 'run.updated', experimentId: experiment.id, runId: run.runId });
    progress();
  }

  async function importLoggedModel(model: SourceLoggedModel, experiment: TargetExperiment): Promise<void> {
    const owner = `logged model ${model.modelId}`;
    if (!MODEL_ID.test(model.modelId)) {
      problem(owner, "is not a logged model id ('m-' and 32 hex digits); the model was skipped");
      return;
    }
    current = `${experiment.id}/models/${model.name}`;
    const existing = await catalog.db.selectFrom('logged_models').select(['experiment_id']).where('model_id', '=', model.modelId).executeTakeFirst();
    if (existing && existing.experiment_id !== experiment.row.experiment_id) {
      problem(owner, `already exists here in experiment ${existing.experiment_id}; it was left as it is`);
      return;
    }
    await storeFiles(model.artifacts(), `${experiment.id}/models/${model.modelId}/artifacts`, owner);
    checkStopped();
    const isNew = await catalog.write(async (trx) => {
      const found = await trx.selectFrom('logged_models').select('model_id').where('model_id', '=', model.modelId).executeTakeFirst();
      if (!found) {
        const t = now();
        const deleted = model.lifecycleStage === 'deleted' || (experiment.row.lifecycle_stage === 'deleted' && options.experimentName === undefined);
        await trx
          .insertInto('logged_models')
          .values({
            model_id: model.modelId,
            experiment_id: experiment.row.experiment_id,
            name: model.name,
            status: model.status satisfies LoggedModelStatus,
            model_type: model.modelType ?? null,
            source_run_id: model.sourceRunId ?? null,
            artifact_uri: `${experiment.row.artifact_location}/models/${model.modelId}/artifacts`,
            creation_time: model.creationTime ?? t,
            last_updated_time: model.lastUpdatedTime ?? model.creationTime ?? t,
            lifecycle_stage: deleted ? 'deleted' : 'active',
            deleted_time: deleted ? (model.lastUpdatedTime ?? t) : null,
          })
          .execute();
      }
      const params = new Set((await trx.selectFrom('logged_model_params').select('key').where('model_id', '=', model.modelId).execute()).map((p) => p.key));
      const freshParams = [...new Map(model.params.map((p) => [p.key, p])).values()].filter((p) => !params.has(p.key));
      if (freshParams.length > 0) await trx.insertInto('logged_model_params').values(freshParams.map((p) => ({ model_id: model.modelId, key: p.key, value: p.value }))).execute();
      const tags = new Set((await trx.selectFrom('logged_model_tags').select('key').where('model_id', '=', model.modelId).execute()).map((p) => p.key));
      const freshTags = [...new Map(model.tags.map((p) => [p.key, p])).values()].filter((p) => !tags.has(p.key));
      if (freshTags.length > 0) await trx.insertInto('logged_model_tags').values(freshTags.map((p) => ({ model_id: model.modelId, key: p.key, value: p.value }))).execute();
      for (let i = 0; i < model.metrics.length; i += 200) {
        await trx
          .insertInto('logged_model_metrics')
          .values(
            model.metrics.slice(i, i + 200).map((m) => ({
              model_id: model.modelId,
              key: m.key,
              value: Number.isNaN(m.value) ? 0 : m.value,
              is_nan: Number.isNaN(m.value) ? 1 : 0,
              timestamp: m.timestamp,
              step: m.step,
              run_id: m.runId ?? '',
              dataset_name: m.datasetName ?? '',
              dataset_digest: m.datasetDigest ?? '',
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      return !found;
    });
    if (isNew) summary.loggedModels.imported++;
    else summary.loggedModels.alreadyThere++;
    progress();
  }

  /** Links runs to the logged models they produced or used, once those models are in. */
  async function linkModels(links: { runId: string; run: SourceRun }[]): Promise<void> {
    if (links.length === 0) return;
    await catalog.write(async (trx) => {
      for (const { runId, run } of links) {
        const row = await trx.selectFrom('runs').select('id').where('run_uuid', '=', runId).executeTakeFirst();
        if (!row) continue;
        const wanted = [...(run.modelOutputs ?? []).map((m) => m.modelId), ...(run.modelInputs ?? []).map((m) => m.modelId)];
        const present = new Set((await trx.selectFrom('logged_models').select('model_id').where('model_id', 'in', wanted).execute()).map((m) => m.model_id));
        for (const output of run.modelOutputs ?? []) {
          if (!present.has(output.modelId)) continue;
          await trx.insertInto('run_model_outputs').values({ run_id: row.id, model_id: output.modelId, step: output.step }).onConflict((oc) => oc.doNothing()).execute();
        }
        for (const input of run.modelInputs ?? []) {
          if (!present.has(input.modelId)) continue;
          await trx.insertInto('run_model_inputs').values({ run_id: row.id, model_id: input.modelId }).onConflict((oc) => oc.doNothing()).execute();
        }
        for (const id of wanted) if (!present.has(id)) problem(`run ${runId}`, `links to logged model ${id}, which is not here; the link was skipped`);
      }
    });
  }

  async function importRegisteredModel(model: SourceRegisteredModel): Promise<void> {
    try {
      validateModelName(model.name);
    } catch (err) {
      problem(`registered model '${model.name}'`, `${(err as Error).message}; the model was skipped`);
      return;
    }
    current = `registry/${model.name}`;
    const stamp = { time: now(), actor: osUser() };
    const outcome = await catalog.write(async (trx) => {
      const changes: Change[] = [];
      const notes: SourceProblem[] = [];
      let row = await trx.selectFrom('registered_models').selectAll().where('name', '=', model.name).executeTakeFirst();
      const created = row === undefined;
      if (!row) {
        row = await trx
          .insertInto('registered_models')
          .values({
            name: model.name,
            description: model.description ?? null,
            user_id: null,
            creation_time: model.creationTime ?? stamp.time,
            last_updated_time: model.lastUpdatedTime ?? model.creationTime ?? stamp.time,
            last_version: 0,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const protection = await initialProtection(trx);
        await writeProtection(trx, row, protection);
        changes.push({ kind: 'model.created', model: { id: Number(row.id), name: row.name }, before: null, after: { name: row.name, description: row.description, tags: model.tags, protection, importedFrom: source.describe } });
      }
      const ref = { id: Number(row.id), name: row.name };
      const tags = new Set((await trx.selectFrom('registered_model_tags').select('key').where('registered_model_id', '=', row.id).execute()).map((t) => t.key));
      const freshTags = model.tags.filter((t) => !tags.has(t.key));
      if (freshTags.length > 0) await trx.insertInto('registered_model_tags').values(freshTags.map((t) => ({ registered_model_id: row.id, key: t.key, value: t.value }))).execute();
      let imported = 0;
      let already = 0;
      let lastVersion = Number(row.last_version);
      for (const v of model.versions) {
        const there = await trx.selectFrom('model_versions').select('id').where('registered_model_id', '=', row.id).where('version', '=', v.version).executeTakeFirst();
        if (there) {
          already++;
          continue;
        }
        const sourceUri = localSource(v.source, v.runId, v.modelId);
        let resolved;
        try {
          resolved = await resolveModelSource(trx, sourceUri, { runId: v.runId, modelId: v.modelId });
        } catch (err) {
          notes.push({ where: `registered model '${model.name}' version ${v.version}`, message: `its source '${v.source}' does not resolve here (${(err as Error).message}); the version was skipped` });
          continue;
        }
        const version = await trx
          .insertInto('model_versions')
          .values({
            registered_model_id: row.id,
            model_name: row.name,
            version: v.version,
            source: sourceUri,
            storage_location: resolved.storageLocation,
            run_id: resolved.runId ?? null,
            run_link: null,
            logged_model_id: resolved.modelId ?? null,
            description: v.description ?? null,
            current_stage: v.currentStage satisfies ModelStage,
            status: 'READY',
            user_id: v.userId ?? null,
            creation_time: v.creationTime ?? stamp.time,
            last_updated_time: v.lastUpdatedTime ?? v.creationTime ?? stamp.time,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const vtags: Tag[] = [...new Map(v.tags.map((t) => [t.key, t])).values()];
        if (vtags.length > 0) await trx.insertInto('model_version_tags').values(vtags.map((t) => ({ version_id: version.id, key: t.key, value: t.value }))).execute();
        lastVersion = Math.max(lastVersion, v.version);
        imported++;
        changes.push({
          kind: 'version.created',
          model: ref,
          version: v.version,
          before: null,
          after: { source: sourceUri, storageLocation: resolved.storageLocation, runId: resolved.runId ?? null, modelId: resolved.modelId ?? null, description: v.description ?? null, tags: vtags, stage: v.currentStage, importedFrom: source.describe },
        });
      }
      // Version numbers never repeat: the next one created here comes after every imported one.
      if (lastVersion !== Number(row.last_version)) await trx.updateTable('registered_models').set({ last_version: lastVersion }).where('id', '=', row.id).execute();
      let aliases = 0;
      for (const a of model.aliases) {
        const current = await trx.selectFrom('registered_model_aliases').select('version').where('registered_model_id', '=', row.id).where('alias', '=', a.alias).executeTakeFirst();
        if (current) {
          if (Number(current.version) !== a.version) notes.push({ where: `registered model '${model.name}' alias '${a.alias}'`, message: `points at version ${current.version} here, not ${a.version}; it was left as it is` });
          continue;
        }
        const target = await trx.selectFrom('model_versions').select('id').where('registered_model_id', '=', row.id).where('version', '=', a.version).executeTakeFirst();
        if (!target) {
          notes.push({ where: `registered model '${model.name}' alias '${a.alias}'`, message: `points at version ${a.version}, which is not here; the alias was skipped` });
          continue;
        }
        await trx.insertInto('registered_model_aliases').values({ registered_model_id: row.id, alias: a.alias, version: a.version }).execute();
        changes.push({ kind: 'alias.set', model: ref, version: a.version, before: null, after: { alias: a.alias, version: a.version, importedFrom: source.describe } });
        aliases++;
      }
      await recordChanges(trx, stamp, changes);
      return { created, imported, already, aliases, notes };
    });
    if (outcome.created) summary.registeredModels.created++;
    else summary.registeredModels.matched++;
    summary.versions.imported += outcome.imported;
    summary.versions.alreadyThere += outcome.already;
    summary.aliases += outcome.aliases;
    for (const n of outcome.notes) problem(n.where, n.message);
    events.publish({ type: 'registry.changed', name: model.name });
    progress();
  }

  progress(true);
  for await (const experiment of source.experiments()) {
    checkStopped();
    const target = await targetExperiment(experiment);
    const links: { runId: string; run: SourceRun }[] = [];
    phase = 'runs';
    for await (const run of source.runs(experiment)) {
      checkStopped();
      await importRun(run, target, links);
    }
    if (source.loggedModels) {
      phase = 'models';
      for await (const model of source.loggedModels(experiment)) {
        checkStopped();
        await importLoggedModel(model, target);
      }
    }
    await linkModels(links);
    progress(true);
  }
  if (source.registeredModels) {
    phase = 'registry';
    for await (const model of source.registeredModels()) {
      checkStopped();
      await importRegisteredModel(model);
    }
  }
  phase = 'done';
  current = undefined;
  summary.problemCount = log.count;
  progress(true);
  return summary;
}
