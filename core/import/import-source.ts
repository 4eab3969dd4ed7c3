/**
 * What every import source yields (an `mlruns/` folder, a running MLflow tracking server,
 * TensorBoard event files), and so what the one import engine writes into the catalog. Sources
 * only read, streaming: a metric history or an artifact is never held whole in memory. The engine
 * decides everything that is the same for all sources: ids on this side, idempotence, resuming
 * after a cut, progress and the summary.
 *
 * A source reports what it could not read (a damaged file, a path it refused to follow) through
 * `onProblem` and goes on with the rest; it throws only when nothing can be read at all (a folder
 * that is not what it claims to be, a server that does not answer).
 */
import type { Readable } from 'node:stream';
import type { DatasetInput, LifecycleStage, LoggedModelStatus, Metric, ModelInput, ModelOutput, ModelStage, Param, RunStatus, Tag } from '#core/api/entities.ts';

/** Something a source skipped, for the summary: where (a file and line, a URL) and why. */
export interface SourceProblem {
  where: string;
  message: string;
}

/** One file to copy, relative to the root of its run's (or logged model's) artifacts. */
export interface SourceArtifact {
  /** '/'-separated, never absolute, never with '..'. */
  path: string;
  bytes: number;
  open(): Promise<Readable>;
  /** Where the file already lies on this machine, when it does: the engine may leave it in place instead of copying. */
  localPath?: string;
}

export interface SourceExperiment {
  /** The experiment's id in the source; other objects refer to it by this. */
  sourceId: string;
  name: string;
  lifecycleStage: LifecycleStage;
  creationTime?: number;
  lastUpdateTime?: number;
  tags: Tag[];
}

export interface SourceRun {
  /**
   * The run's id. MLflow's 32-hex ids are kept as they are, so `runs:/` URIs and registry sources
   * keep working; a source without ids derives a stable one from what it reads, so importing the
   * same source twice finds the same run.
   */
  runId: string;
  experimentSourceId: string;
  runName?: string;
  status: RunStatus;
  startTime?: number;
  endTime?: number;
  lifecycleStage: LifecycleStage;
  /** When it went to the trash, for a deleted run. */
  deletedTime?: number;
  userId?: string;
  params: Param[];
  /** Every tag as the source has it, `mlflow.parentRunId` included (parents come before their children). */
  tags: Tag[];
  inputs: DatasetInput[];
  /** MLflow 3: logged models the run consumed; linked once the experiment's logged models are in. */
  modelInputs?: ModelInput[];
  /** MLflow 3: logged models the run produced, with their step. */
  modelOutputs?: ModelOutput[];
  /** The full history of every metric, in batches (mixed keys allowed), in the source's order. */
  metrics(): AsyncIterable<Metric[]>;
  artifacts(): AsyncIterable<SourceArtifact>;
}

/** An MLflow 3 logged model. */
export interface SourceLoggedModel {
  /** `m-` and 32 hex characters, kept. */
  modelId: string;
  experimentSourceId: string;
  name: string;
  status: LoggedModelStatus;
  creationTime?: number;
  lastUpdatedTime?: number;
  modelType?: string;
  sourceRunId?: string;
  lifecycleStage: LifecycleStage;
  params: Param[];
  tags: Tag[];
  /** Metric points recorded against the model, with the run and dataset they were measured in. */
  metrics: (Metric & { runId?: string; datasetName?: string; datasetDigest?: string })[];
  artifacts(): AsyncIterable<SourceArtifact>;
}

export interface SourceModelVersion {
  version: number;
  /** As the source has it (`runs:/…`, `models:/…`, `mlflow-artifacts:/…`, a path). */
  source: string;
  runId?: string;
  modelId?: string;
  description?: string;
  currentStage: ModelStage;
  creationTime?: number;
  lastUpdatedTime?: number;
  userId?: string;
  tags: Tag[];
}

export interface SourceRegisteredModel {
  name: string;
  description?: string;
  creationTime?: number;
  lastUpdatedTime?: number;
  tags: Tag[];
  aliases: { alias: string; version: number }[];
  versions: SourceModelVersion[];
}

/** One place to import from. Optional parts are absent where the source has no such objects. */
export interface ImportSource {
  /** What it is, for progress lines and the summary: `mlruns folder /home/me/mlruns`. */
  describe: string;
  experiments(): AsyncIterable<SourceExperiment>;
  runs(experiment: SourceExperiment): AsyncIterable<SourceRun>;
  loggedModels?(experiment: SourceExperiment): AsyncIterable<SourceLoggedModel>;
  registeredModels?(): AsyncIterable<SourceRegisteredModel>;
}

/** What every source is opened with. */
export interface SourceOptions {
  onProblem: (problem: SourceProblem) => void;
}
