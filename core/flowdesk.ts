/**
 * The composition root of the engine: opens the data folder (catalog and artifact store) and
 * wires every contract handler. The server, the CLI and the Electron main process all start here.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
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
import { isPostgresUrl, openPostgresCatalog } from '#core/catalog/postgres-catalog.ts';
import { createPostgresEventBus } from '#core/catalog/postgres-events.ts';
import { createTrackingService, getRunRow } from '#core/tracking/tracking-service.ts';
import { storePathIn } from '#core/api/artifact-locations.ts';
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
import { createTokenBook, type TokenBook } from '#core/users/users.ts';
import { createMlflowWireReads, type MlflowWireReads } from '#core/tracking/mlflow-wire.ts';

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

  return {
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
}
