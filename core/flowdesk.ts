/**
 * The composition root of the engine: opens the data folder (catalog and artifact store) and
 * wires every contract handler. The server, the CLI and the Electron main process all start here.
 * It is also all the adapters (server, CLI, SDK) see of the engine beyond the contract: the rest
 * of what they need is on the Flowdesk object or in the functions beside openFlowdesk below.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sql } from 'kysely';
import type { Handlers } from '#core/api/contract.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import { createClient } from '#core/api/client.ts';
import { IN_PROCESS_OWNER } from '#core/api/access.ts';
import { dispatch } from '#core/api/dispatch.ts';
import { createEventBus, type EventBus } from '#core/api/events.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import { openArtifactStore, type StoreHealth } from '#core/artifacts/open-artifact-store.ts';
import { openCatalog, type Catalog } from '#core/catalog/catalog.ts';
import { isReadOnlyError, lockDataFolder } from '#core/catalog/data-folder-lock.ts';
import { openPostgresCatalog } from '#core/catalog/postgres-catalog.ts';
import { isPostgresUrl } from '#core/platform/catalog-url.ts';
import { createPostgresEventBus } from '#core/catalog/postgres-events.ts';
import { createTrackingService, getRunRow } from '#core/tracking/tracking-service.ts';
import { storePathIn, storePathOf } from '#core/api/artifact-locations.ts';
import { createTrash } from '#core/tracking/trash.ts';
import { createDiskUsage } from '#core/tracking/disk-usage.ts';
import { createLoggedModelsService } from '#core/tracking/logged-models.ts';
import { createRegistryService } from '#core/registry/registry-service.ts';
import { createProjectRunner, type ProjectRunner } from '#core/projects/project-runner.ts';
import { createProjectHandlers, localArtifactSaver } from '#core/projects/projects-handlers.ts';
import { createModelsService } from '#core/models/models-service.ts';
import { refuseExecution, type ExecutionPolicy } from '#core/execution/execution-policy.ts';
import { createSettingsStore, type SettingsStore } from '#core/settings/settings-store.ts';
import { createRunsTableQueries } from '#core/runs-table/runs-table-queries.ts';
import { createBatchedReads } from '#core/tracking/batched-reads.ts';
import { createImportRunner } from '#core/import/import-handlers.ts';
import { createMigrateReceiver } from '#core/migrate/migrate-receiver.ts';
import { createTracesService } from '#core/tracing/traces-service.ts';
import { createOverview } from '#core/tracking/overview.ts';
import { createArtifactRuns, type ArtifactRuns } from '#core/tracking/artifact-runs.ts';
import { addUser, createTokenBook, listUsers, revokeUser, type TokenBook, type UserInfo } from '#core/users/users.ts';
import { createMlflowWireReads, type MlflowWireReads } from '#core/tracking/mlflow-wire.ts';
// What the adapters use of the engine beyond the contract, offered here so they import nothing else.
import type { SpanInput } from '#core/api/traces-entities.ts';
import type { ImportSummary } from '#core/api/imports-contract.ts';
import { decodeOtlpExport, type OtlpEncoding } from '#core/tracing/otlp.ts';
import { exportMlruns, type ExportOptions, type ExportReport } from '#core/export/export-mlruns.ts';
import { migrate, type MigrateOptions, type MigrateReport } from '#core/migrate/migrate.ts';
import { createProblemLog, importFrom, type ImportOptions } from '#core/import/import-engine.ts';
import { openSource, type OpenOptions } from '#core/import/open-source.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { findServer, uploadArtifactFile } from '#core/platform/server-connection.ts';
import { proxyModelFiles, storeModelFiles, type ModelFiles } from '#core/models/model-files.ts';
import { locateModel } from '#core/models/model-location.ts';
import { serveModel, type ServedModel, type ServeOptions } from '#core/models/serve-model.ts';
import { predictFile, type PredictFileOptions } from '#core/models/predict-file.ts';

export type { EntityCounts } from '#core/migrate/migrate.ts';
/** The execution policies `OpenFlowdeskOptions.execution` takes. */
export { allowExecution, refuseExecution } from '#core/execution/execution-policy.ts';

export interface Flowdesk {
  readonly dataDir: string;
  readonly catalog: Catalog;
  readonly artifacts: ArtifactStore;
  /** Checks the artifact store is usable (`/health`): throws with the reason when it is not. */
  readonly checkArtifacts: StoreHealth;
  /** Checks the catalog answers (`/health`): throws with the reason when it does not. */
  checkCatalog(): Promise<void>;
  /** Announces files the artifact proxy wrote or deleted on the runs they belong to. */
  readonly artifactRuns: ArtifactRuns;
  /** The catalog's users and tokens, for a server's authentication. */
  readonly tokens: TokenBook;
  /** `runs.search` and `metrics.history` answered as MLflow's JSON text, for the MLflow routes. */
  readonly mlflowWire: MlflowWireReads;
  readonly events: EventBus;
  readonly handlers: Handlers;
  /** Runs projects for the window; the server tells it where scripts should log. */
  readonly projects: ProjectRunner;
  readonly settings: SettingsStore;
  /** Deletes artifact folders that no catalog row refers to; returns the bytes freed. */
  sweepOrphans(): Promise<number>;
  /** The spans of an OTLP/HTTP export request body, for `traces.logSpans`; 400 for a body that is not one. */
  decodeOtlp(body: Uint8Array, encoding: OtlpEncoding): SpanInput[];
  /** Writes the folder (or some experiments or runs of it) as an MLflow `mlruns/` file store. */
  exportMlruns(options: Omit<ExportOptions, 'flowdesk'>): Promise<ExportReport>;
  /** Copies the folder to a team server over HTTP, resumably (core/migrate/migrate.ts). */
  migrateTo(options: Omit<MigrateOptions, 'source'>): Promise<MigrateReport>;
  close(): Promise<void>;
}

export interface OpenFlowdeskOptions {
  dataDir: string;
  /** Where artifacts live: `s3://bucket/prefix`, or by default the data folder's `artifacts/`. */
  artifacts?: string;
  now?: () => number;
  /** Who makes registry changes when a call names nobody; the OS user by default. */
  defaultActor?: () => string;
  /**
   * A postgresql:// URL to keep the catalog in PostgreSQL (a team server; events then reach every
   * process on that database); by default the catalog is `catalog.sqlite` in the data folder.
   */
  catalog?: string;
  /**
   * Who lets contract calls run code on this machine (projects.run, models.serve): the desktop
   * app asks the person, `flowdesk serve --allow-run` allows. Without one, both are refused.
   */
  execution?: ExecutionPolicy;
  /** What the refusal tells a person to do when another process has the folder ("stop it, gc, then start it again"). */
  busyAdvice?: string;
}

/**
 * Opens (creating if needed) a data folder: `catalog.sqlite` (or the PostgreSQL catalog) and
 * `artifacts/` (unless artifacts live in S3). The folder is this process's until `close`: another
 * process asking for it is refused (data-folder-lock.ts), and so is this call while one has it.
 * A new folder is created private (0700).
 */
export async function openFlowdesk(options: OpenFlowdeskOptions): Promise<Flowdesk> {
  const { dataDir } = options;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    if (isReadOnlyError(err)) throw new FlowdeskError('INVALID_STATE', `Cannot create the data folder ${dataDir}: its parent folder is read-only`);
    throw err;
  }
  const lock = lockDataFolder(dataDir, options.busyAdvice);
  const { store: artifacts, check: checkArtifacts, close: closeArtifacts } = openArtifactStore(options.artifacts, join(dataDir, 'artifacts'));
  const onPostgres = options.catalog !== undefined && isPostgresUrl(options.catalog);
  let catalog: Catalog;
  try {
    catalog = onPostgres ? await openPostgresCatalog(options.catalog!) : await openCatalog(options.catalog ?? join(dataDir, 'catalog.sqlite'));
  } catch (err) {
    closeArtifacts();
    lock.release();
    throw err;
  }
  const shared = onPostgres ? createPostgresEventBus(options.catalog!, catalog.db, (message, err) => console.error(message, err)) : undefined;
  // Subscribers here hear other processes' changes from the moment the Flowdesk is open.
  try {
    await shared?.listening;
  } catch (err) {
    await catalog.close();
    closeArtifacts();
    lock.release();
    throw err;
  }
  const events: EventBus = shared ?? createEventBus((err) => console.error('Flowdesk: an event listener failed', err));
  const tracking = createTrackingService({ catalog, events, now: options.now });
  const trash = createTrash({ catalog, artifacts, events });
  const diskUsage = createDiskUsage({ db: catalog.db, dialect: catalog.dialect, catalogPath: catalog.path, artifacts });
  const loggedModels = createLoggedModelsService({ catalog, artifacts, events, now: options.now });
  const registry = createRegistryService({ catalog, events, now: options.now, defaultActor: options.defaultActor });
  const report = (message: string, err: unknown) => console.error(message, err);
  const execution = options.execution ?? refuseExecution();
  // Through dispatch, so the runner's calls are validated as any client's are.
  const projects = createProjectRunner({
    api: createClient((name, input) => dispatch(handlers, name, input, IN_PROCESS_OWNER, (err) => report('Flowdesk: internal error in a project run', err))),
    saveArtifact: localArtifactSaver(artifacts, events),
    cacheDir: join(dataDir, 'projects'),
    report,
    now: options.now,
    execution,
  });
  const models = createModelsService({ catalog, artifacts, now: options.now, execution });
  const settings = createSettingsStore(dataDir);
  // Imports write in-process, through the same catalog, store and events as every other write.
  const imports = createImportRunner({ catalog, artifacts, events }, report);

  const handlers: Handlers = {
    ...tracking,
    ...loggedModels,
    ...registry,
    ...models.handlers,
    ...settings.handlers,
    ...diskUsage,
    ...createProjectHandlers(projects),
    'execution.policy': async () => ({ mode: execution.mode, message: execution.message }),
    ...createRunsTableQueries(catalog, { events, now: options.now }),
    ...imports.handlers,
    ...createTracesService({ catalog, artifacts, events, now: options.now }),
    ...createOverview(catalog.db),
    // Many runs at once (compare).
    ...createBatchedReads(catalog.db),
    ...createMigrateReceiver({ catalog, events, unrecordedRegistry: createRegistryService({ catalog, events, now: options.now, defaultActor: options.defaultActor, unrecorded: true }) }),
    'trash.list': trash['trash.list'],
    'trash.purge': trash['trash.purge'],
    async 'artifacts.list'(input) {
      const run = await getRunRow(catalog.db, input.runId);
      return { rootUri: run.artifact_uri, files: await artifacts.list(storePathIn(run.artifact_uri, input.path)) };
    },
    async 'artifacts.delete'(input) {
      const run = await getRunRow(catalog.db, input.runId);
      await artifacts.delete(storePathIn(run.artifact_uri, input.path));
      events.publish({ type: 'run.updated', experimentId: String(run.experiment_id), runId: run.run_uuid });
      return {};
    },
  };

  const flowdesk: Flowdesk = {
    dataDir,
    catalog,
    artifacts,
    checkArtifacts,
    async checkCatalog() {
      await sql`select 1`.execute(catalog.db);
    },
    artifactRuns: createArtifactRuns({ db: catalog.db, events }),
    tokens: createTokenBook(catalog.db),
    mlflowWire: createMlflowWireReads(catalog),
    events,
    handlers,
    projects,
    settings,
    sweepOrphans: trash.sweepOrphans,
    decodeOtlp: decodeOtlpExport,
    exportMlruns: (exportOptions) => exportMlruns({ ...exportOptions, flowdesk }),
    migrateTo: (migrateOptions) => migrate({ ...migrateOptions, source: flowdesk }),
    async close() {
      // Running projects end KILLED while the catalog can still record it; model servers started
      // from the app stop with it.
      await projects.shutdown();
      // An import in flight rolls back its current run; the next import continues from there.
      await imports.shutdown();
      await models.close();
      await shared?.close();
      await catalog.close();
      closeArtifacts();
      lock.release();
    },
  };
  return flowdesk;
}

/** A source to import from, opened and checked before any data folder is. */
export interface ImportSourceHandle {
  /** What the source is, for messages. */
  readonly describe: string;
  /** Imports what is new in the source into an open Flowdesk (core/import/import-engine.ts). */
  into(flowdesk: Flowdesk, options: Omit<ImportOptions, 'problems'>): Promise<ImportSummary>;
}

/**
 * Opens an mlruns/ folder, TensorBoard logs or an MLflow server's URL to import from
 * (core/import/open-source.ts); what it cannot read is listed in the import's summary.
 */
export async function openImportSource(pathOrUrl: string, credentials: Omit<OpenOptions, 'onProblem'> = {}): Promise<ImportSourceHandle> {
  const problems = createProblemLog();
  const source = await openSource(pathOrUrl, { ...credentials, onProblem: problems.onProblem });
  return {
    describe: source.describe,
    into: (flowdesk, options) => importFrom(source, flowdesk, { ...options, problems }),
  };
}

/** The people of a catalog, managed by whoever administers its data (`flowdesk users`), not over HTTP. */
export interface UserAdmin {
  /** Adds a person; their token is in the answer, and only its hash in the catalog. */
  add(name: string, role: string): Promise<{ user: UserInfo; token: string }>;
  list(): Promise<UserInfo[]>;
  /** Refuses every token of the person from now on (every server of a PostgreSQL catalog hears it). */
  revoke(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens a catalog's users alone: `catalog.sqlite` in a data folder, held (and refused while
 * another process has it) like openFlowdesk holds it, or a PostgreSQL URL, shared by design.
 * The first user may come before the first start: a missing folder is made as openFlowdesk makes it.
 */
export async function openUserAdmin(catalogLocation: string): Promise<UserAdmin> {
  if (isPostgresUrl(catalogLocation)) return userAdmin(await openPostgresCatalog(catalogLocation), () => undefined);
  mkdirSync(dirname(catalogLocation), { recursive: true, mode: 0o700 });
  const lock = lockDataFolder(dirname(catalogLocation), 'stop it, change users, then start it again');
  try {
    return userAdmin(await openCatalog(catalogLocation), () => lock.release());
  } catch (err) {
    lock.release();
    throw err;
  }
}

function userAdmin(catalog: Catalog, release: () => void): UserAdmin {
  return {
    add: (name, role) => addUser(catalog, name, role, Date.now()),
    list: () => listUsers(catalog.db),
    revoke: (name) => revokeUser(catalog, name, Date.now()),
    async close() {
      await catalog.close();
      release();
    },
  };
}

/**
 * A project runner that records through the Flowdesk server at `url`, as any client of it would:
 * for `flowdesk run` when a server already owns the data folder.
 */
export function remoteProjectRunner(options: { url: string; token?: string; cacheDir: string }): ProjectRunner {
  const { url, token } = options;
  return createProjectRunner({
    api: createClient(createHttpTransport({ baseUrl: url, fetch, token })),
    saveArtifact: (target, path, localFile) => uploadArtifactFile(url, token, localFile, storePathIn(target.artifactUri, path)),
    cacheDir: options.cacheDir,
    server: { url, token },
  });
}

/** A model named by URI whose files are at hand (`flowdesk models`). */
export interface ModelHandle {
  /** Serves it with MLflow's scoring protocol (ONNX in this process, Python flavours in MLflow). */
  serve(options: ServeOptions): Promise<ServedModel>;
  /** Scores a file of inputs; the predictions' text when no output file is named. */
  predict(options: PredictFileOptions): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * Opens the model `uri` names (models:/name@alias, runs:/id/path, ...): through the running server
 * findServer finds for `dataDir` (its files read through the artifact proxy with `token`), or,
 * when none is running, from the data folder itself, held until `close`.
 */
export async function openModel(uri: string, options: { dataDir: string; token?: string }): Promise<ModelHandle> {
  let baseUrl: string | undefined;
  try {
    baseUrl = findServer({ dataDir: options.dataDir });
  } catch (err) {
    if (!(err instanceof FlowdeskError) || err.code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
  }
  if (baseUrl !== undefined) {
    const { token } = options;
    const api = createClient(createHttpTransport({ baseUrl, fetch, token }));
    let artifactUri: string;
    try {
      ({ artifactUri } = (await api.call('models.describe', { uri })).model);
    } catch (err) {
      if (err instanceof FlowdeskError) throw err;
      throw new FlowdeskError('INVALID_STATE', `Flowdesk at ${baseUrl} is not answering (${(err as Error).message}); start it, or remove its stale server.json`);
    }
    return modelHandle(uri, proxyModelFiles(baseUrl, token ? { authorization: `Bearer ${token}` } : {}, storePathOf(artifactUri), uri), async () => undefined);
  }
  const flowdesk = await openFlowdesk({ dataDir: options.dataDir });
  try {
    const location = await locateModel(flowdesk.catalog.db, { uri });
    return modelHandle(uri, storeModelFiles(flowdesk.artifacts, location.storePath, uri), () => flowdesk.close());
  } catch (err) {
    await flowdesk.close();
    throw err;
  }
}

function modelHandle(uri: string, files: ModelFiles, close: () => Promise<void>): ModelHandle {
  return {
    serve: (serveOptions) => serveModel(files, serveOptions),
    predict: (predictOptions) => predictFile(files, uri, predictOptions),
    close,
  };
}
