/**
 * Flowdesk's TypeScript client for Node scripts: the contract over HTTP, plus a run logger that
 * buffers metrics and sends them as batches (flushed when full, on a timer, on end and when the
 * process exits), and uploads files and folders as artifacts through the artifact proxy.
 */
import { statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { createClient, type Client } from '#core/api/client.ts';
import type { RunStatus, Tag } from '#core/api/entities.ts';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { findServer, uploadArtifactFile, type ConnectOptions } from '#core/platform/server-connection.ts';
import { readLocalMlmodel, writeOnnxModelFolder, type OnnxModelSpec } from './write-model.ts';
import { traceSpan, type SpanHandle, type TraceOptions } from './tracer.ts';

export type { SpanHandle, TraceOptions } from './tracer.ts';

export type { OnnxModelSpec, SignatureSpec } from './write-model.ts';

/** What `RunLogger.logModel` logs: an existing MLflow model folder, or an ONNX model it writes one for. */
export type LogModelOptions = ({ folder: string } | OnnxModelSpec) & {
  /** Where in the run's artifacts; default `model`. */
  artifactPath?: string;
  /** Also registers the model as a new version of this registered model (created when missing). */
  registeredModelName?: string;
};

/** Where a logged model is: its `runs:/` URI, and the registered version when one was made. */
export interface LoggedModelInfo {
  modelUri: string;
  artifactPath: string;
  version?: { name: string; version: number };
}

// Part of the SDK's API, kept in core/platform because `flowdesk run` and `flowdesk models` find servers too.
export { findServer, type ConnectOptions };

export interface StartRunOptions {
  /** Experiment name (created when missing) or `{ id }`. Default: $MLFLOW_EXPERIMENT_ID, else the Default experiment. */
  experiment?: string | { id: string };
  runName?: string;
  tags?: Record<string, string>;
  parentRunId?: string;
  /** Resume this run instead of creating one. Default: $MLFLOW_RUN_ID (set by `flowdesk run`). */
  runId?: string;
}

/** How many buffered points trigger a send; MLflow's log-batch limit. */
const BATCH_LIMIT = 1000;
/** Buffered points are sent at least this often, so charts update while a script runs. */
const FLUSH_INTERVAL_MS = 1000;

export class FlowdeskClient {
  readonly api: Client;

  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {
    this.api = createClient(createHttpTransport({ baseUrl, fetch, token }));
  }

  /** Uploads one local file to a store path through the artifact proxy, streamed. */
  async uploadFile(localPath: string, storePath: string): Promise<void> {
    await uploadArtifactFile(this.baseUrl, this.token, localPath, storePath);
  }

  /** Starts (or resumes) a run and returns its logger. */
  async startRun(options: StartRunOptions = {}): Promise<RunLogger> {
    const resume = options.runId ?? process.env.MLFLOW_RUN_ID;
    if (resume) {
      const { run } = await this.api.call('runs.get', { runId: resume });
      if (run.info.status !== 'RUNNING') await this.api.call('runs.update', { runId: resume, status: 'RUNNING' });
      return new RunLogger(this, run.info.runId, run.info.artifactUri);
    }
    const experimentId = await this.resolveExperiment(options.experiment);
    const tags: Tag[] = Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value }));
    const system: Record<string, string> = {
      'mlflow.user': process.env.USER ?? process.env.USERNAME ?? '',
      'mlflow.source.name': process.argv[1] ?? '',
      'mlflow.source.type': 'LOCAL',
    };
    if (options.parentRunId) system['mlflow.parentRunId'] = options.parentRunId;
    for (const [key, value] of Object.entries(system)) if (value && !tags.some((t) => t.key === key)) tags.push({ key, value });
    const { run } = await this.api.call('runs.create', { experimentId, runName: options.runName, tags });
    return new RunLogger(this, run.info.runId, run.info.artifactUri);
  }

  /**
   * Records `fn` as a span of a trace (MLflow 3's tracing): the root of a new trace, or a child of
   * the span it is called in. Its return value becomes the span's outputs; an error is recorded and
   * thrown on. The trace is sent when its outermost span ends.
   */
  trace<T>(name: string, fn: (span: SpanHandle) => T | Promise<T>, options: TraceOptions = {}): Promise<T> {
    return traceSpan({ api: this.api, resolveExperiment: (experiment) => this.resolveExperiment(experiment) }, name, fn, options);
  }

  private async resolveExperiment(experiment: StartRunOptions['experiment']): Promise<string> {
    if (experiment === undefined) return process.env.MLFLOW_EXPERIMENT_ID ?? '0';
    if (typeof experiment === 'object') return experiment.id;
    try {
      const { experiment: found } = await this.api.call('experiments.getByName', { name: experiment });
      if (found.lifecycleStage !== 'active') throw invalid(`Experiment '${experiment}' is in the trash; restore it first`);
      return found.experimentId;
    } catch (err) {
      if (!(err instanceof FlowdeskError) || err.code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
      try {
        return (await this.api.call('experiments.create', { name: experiment })).experimentId;
      } catch (createErr) {
        // Another process created it between our lookup and create.
        if (createErr instanceof FlowdeskError && createErr.code === 'RESOURCE_ALREADY_EXISTS') {
          return (await this.api.call('experiments.getByName', { name: experiment })).experiment.experimentId;
        }
        throw createErr;
      }
    }
  }
}

/** Connects to a running Flowdesk (see `findServer` for where it looks). */
export function connect(options: ConnectOptions = {}): FlowdeskClient {
  return new FlowdeskClient(findServer(options), options.token ?? process.env.FLOWDESK_TOKEN ?? process.env.MLFLOW_TRACKING_TOKEN);
}

interface BufferedPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** Live runs whose buffers must be flushed before the process ends. */
const liveRuns = new Set<RunLogger>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // beforeExit fires when the script's work is done and allows async work: flush and finish.
  process.on('beforeExit', () => {
    for (const run of [...liveRuns]) void run.end('FINISHED').catch((err: unknown) => console.error(`flowdesk: could not end run ${run.runId}:`, err));
  });
}

export class RunLogger {
  private buffer: BufferedPoint[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private failure: unknown;
  private ended = false;

  constructor(
    private readonly client: FlowdeskClient,
    readonly runId: string,
    readonly artifactUri: string,
  ) {
    liveRuns.add(this);
    installExitHooks();
  }

  private get api(): Client {
    return this.client.api;
  }

  /** Logs params (immutable once logged) in one call. */
  async logParams(params: Record<string, string | number | boolean>): Promise<void> {
    const entries = Object.entries(params).map(([key, value]) => ({ key, value: String(value) }));
    for (let i = 0; i < entries.length; i += 100) await this.api.call('runs.logBatch', { runId: this.runId, params: entries.slice(i, i + 100) });
  }

  async logParam(key: string, value: string | number | boolean): Promise<void> {
    await this.logParams({ [key]: value });
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    const entries = Object.entries(tags).map(([key, value]) => ({ key, value }));
    for (let i = 0; i < entries.length; i += 100) await this.api.call('runs.logBatch', { runId: this.runId, tags: entries.slice(i, i + 100) });
  }

  async setTag(key: string, value: string): Promise<void> {
    await this.setTags({ [key]: value });
  }

  /**
   * Buffers one metric point; it is sent with others as a batch. Errors of a background send
   * surface on the next flush or on end.
   */
  logMetric(key: string, value: number, step = 0, timestamp = Date.now()): void {
    if (this.ended) throw new FlowdeskError('INVALID_STATE', `Run ${this.runId} has ended`);
    this.buffer.push({ key, value, timestamp, step });
    if (this.buffer.length >= BATCH_LIMIT) void this.send().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.send().catch(() => undefined), FLUSH_INTERVAL_MS).unref();
  }

  logMetrics(values: Record<string, number>, step = 0, timestamp = Date.now()): void {
    for (const [key, value] of Object.entries(values)) this.logMetric(key, value, step, timestamp);
  }

  private send(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const points = this.buffer.splice(0);
    this.sending = this.sending.then(async () => {
      for (let i = 0; i < points.length; i += BATCH_LIMIT) {
        try {
          await this.api.call('runs.logBatch', { runId: this.runId, metrics: points.slice(i, i + BATCH_LIMIT) });
        } catch (err) {
          this.failure ??= err;
        }
      }
    });
    return this.sending;
  }

  /** Sends every buffered point and waits for the server to have committed them. */
  async flush(): Promise<void> {
    await this.send();
    if (this.failure !== undefined) {
      const err = this.failure;
      this.failure = undefined;
      throw err;
    }
  }

  /** Uploads a file, or a folder recursively, under `artifactPath` in the run's artifacts. */
  async logArtifact(localPath: string, artifactPath = ''): Promise<void> {
    const root = this.artifactUri.replace(/^mlflow-artifacts:\/+/, '');
    const prefix = artifactPath.replace(/^\/+|\/+$/g, '');
    if (statSync(localPath).isDirectory()) {
      const base = join(prefix, basename(localPath)).split(sep).join('/');
      const files = (await readdir(localPath, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
      for (const file of files) {
        const full = join(file.parentPath, file.name);
        await this.client.uploadFile(full, `${root}/${base}/${relative(localPath, full).split(sep).join('/')}`);
      }
      return;
    }
    await this.client.uploadFile(localPath, `${root}/${prefix ? `${prefix}/` : ''}${basename(localPath)}`);
  }

  /** Uploads the contents of a folder (not the folder itself) under `artifactPath`. */
  async logArtifacts(localDir: string, artifactPath = ''): Promise<void> {
    const root = this.artifactUri.replace(/^mlflow-artifacts:\/+/, '');
    const prefix = artifactPath.replace(/^\/+|\/+$/g, '');
    const files = (await readdir(localDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    for (const file of files) {
      const full = join(file.parentPath, file.name);
      const rel = relative(localDir, full).split(sep).join('/');
      await this.client.uploadFile(full, `${root}/${prefix ? `${prefix}/` : ''}${rel}`);
    }
  }

  /**
   * Logs an MLflow model under `artifactPath`: a folder that holds an MLmodel, uploaded as it is,
   * or an ONNX model (`onnx` file or bytes, with its signature and input example) for which an
   * MLmodel with the `onnx` flavour is written. The model is added to the run's
   * `mlflow.log-model.history` and, given `registeredModelName`, registered as a new version.
   */
  async logModel(options: LogModelOptions): Promise<LoggedModelInfo> {
    const artifactPath = (options.artifactPath ?? 'model').replace(/^\/+|\/+$/g, '');
    if (artifactPath === '') throw invalid('artifactPath must name a folder inside the run, e.g. "model"');
    let dir: string;
    let written: string | undefined;
    let mlmodel;
    if ('folder' in options) {
      dir = options.folder;
      mlmodel = await readLocalMlmodel(dir);
    } else {
      ({ dir, mlmodel } = await writeOnnxModelFolder(options, { runId: this.runId, artifactPath }));
      written = dir;
    }
    try {
      await this.logArtifacts(dir, artifactPath);
    } finally {
      if (written) await rm(written, { recursive: true, force: true });
    }
    await this.api.call('runs.logModel', { runId: this.runId, model: { ...mlmodel, run_id: this.runId, artifact_path: artifactPath } });
    const modelUri = `runs:/${this.runId}/${artifactPath}`;
    if (options.registeredModelName === undefined) return { modelUri, artifactPath };
    const name = options.registeredModelName;
    try {
      await this.api.call('registry.createModel', { name });
    } catch (err) {
      if (!(err instanceof FlowdeskError) || err.code !== 'RESOURCE_ALREADY_EXISTS') throw err;
    }
    const { version } = await this.api.call('registry.createVersion', { name, source: modelUri, runId: this.runId });
    return { modelUri, artifactPath, version: { name: version.name, version: version.version } };
  }

  /** Flushes buffered metrics and ends the run with a status (FINISHED unless given). */
  async end(status: RunStatus = 'FINISHED'): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    liveRuns.delete(this);
    try {
      await this.flush();
    } finally {
      await this.api.call('runs.update', { runId: this.runId, status, endTime: Date.now() });
    }
  }
}
