/**
 * The `models.*` contract methods: describe a model folder, find the models among a run's
 * artifacts, and serve models from the app (each server lives as long as this process, and
 * `close` stops them all, so quitting the app stops its model servers). Serving starts only once
 * the execution policy has let it: a Python model's server runs that model's code.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Handlers } from '#core/api/contract.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import type { ModelServer, ModelSummary } from '#core/api/models-entities.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import type { Catalog } from '#core/catalog/catalog.ts';
import { getRunRow } from '#core/tracking/tracking-service.ts';
import { storePathIn } from '#core/api/artifact-locations.ts';
import { refuseExecution, type ExecutionPolicy } from '#core/execution/execution-policy.ts';
import { describeModel, readMlmodel, servingOf } from './describe-model.ts';
import { storeModelFiles } from './model-files.ts';
import { locateModel } from './model-location.ts';
import { pythonExecutable } from './python-serving.ts';
import { serveModel, type ServedModel } from './serve-model.ts';

export type ModelsHandlers = Pick<Handlers, Extract<keyof Handlers, `models.${string}`>>;

export interface ModelsService {
  handlers: ModelsHandlers;
  /** Stops every model server started here. */
  close(): Promise<void>;
}

/** How deep below a run's artifact root model folders are looked for (`model`, `models/a`). */
const SEARCH_DEPTH = 2;
/** Folders looked into at most, so a run with thousands of folders is not walked whole. */
const SEARCH_FOLDERS = 200;

/** Flowdesk's version, which the model servers it starts report at /version. */
function flowdeskVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `flowdesk ${pkg.version}`;
}

export interface ModelsServiceDeps {
  catalog: Catalog;
  artifacts: ArtifactStore;
  python?: string;
  now?: () => number;
  /** Who lets a model server start; refuses by default. */
  execution?: ExecutionPolicy;
}

export function createModelsService(deps: ModelsServiceDeps): ModelsService {
  const { catalog, artifacts } = deps;
  const execution = deps.execution ?? refuseExecution();
  const now = deps.now ?? Date.now;
  const servers = new Map<string, { info: ModelServer; served: ServedModel }>();

  async function describeAt(storePath: string, location: { uri: string; artifactUri: string; runId?: string }): Promise<ModelSummary> {
    return describeModel(storeModelFiles(artifacts, storePath, location.uri), location);
  }

  const handlers: ModelsHandlers = {
    async 'models.describe'(ref) {
      const location = await locateModel(catalog.db, ref);
      return { model: await describeAt(location.storePath, location) };
    },

    async 'models.find'(ref) {
      try {
        return await handlers['models.describe'](ref);
      } catch (err) {
        if (err instanceof FlowdeskError && err.code === 'RESOURCE_DOES_NOT_EXIST') return {};
        throw err;
      }
    },

    async 'models.listInRun'({ runId }) {
      const run = await getRunRow(catalog.db, runId);
      const root = storePathIn(run.artifact_uri, '');
      const found: { path: string; model?: ModelSummary; error?: string }[] = [];
      let visited = 0;
      const visit = async (path: string, depth: number) => {
        if (visited++ >= SEARCH_FOLDERS) return;
        const entries = await artifacts.list(path === '' ? root : `${root}/${path}`);
        if (path !== '' && entries.some((e) => !e.isDir && e.path === 'MLmodel')) {
          const uri = `runs:/${runId}/${path}`;
          try {
            found.push({ path, model: await describeAt(`${root}/${path}`, { uri, artifactUri: `${run.artifact_uri.replace(/\/+$/, '')}/${path}`, runId }) });
          } catch (err) {
            found.push({ path, error: err instanceof Error ? err.message : String(err) });
          }
          return;
        }
        if (depth >= SEARCH_DEPTH) return;
        for (const entry of entries) if (entry.isDir) await visit(path === '' ? entry.path : `${path}/${entry.path}`, depth + 1);
      };
      await visit('', 0);
      return { models: found.sort((a, b) => a.path.localeCompare(b.path)) };
    },

    async 'models.serve'({ model, port }) {
      const location = await locateModel(catalog.db, model);
      const files = storeModelFiles(artifacts, location.storePath, location.uri);
      const mlmodel = await readMlmodel(files);
      const serving = servingOf(mlmodel);
      // A model that cannot be served fails below with its reason; there is nothing to confirm.
      if (serving.kind !== 'none') {
        await execution.confirm({
          kind: 'model.serve',
          modelUri: location.uri,
          host: '127.0.0.1',
          port: port ?? 0,
          serving: serving.kind,
          flavors: Object.keys(mlmodel.flavors),
          ...(serving.kind === 'python' ? { python: deps.python ?? pythonExecutable() } : {}),
        });
      }
      const served = await serveModel(files, { port: port ?? 0, version: flowdeskVersion(), python: deps.python });
      const info: ModelServer = { serverId: randomUUID(), modelUri: location.uri, kind: served.kind, url: served.url, host: served.host, port: served.port, startedAt: now() };
      servers.set(info.serverId, { info, served });
      return { server: info };
    },

    async 'models.stopServing'({ serverId }) {
      const entry = servers.get(serverId);
      if (!entry) throw new FlowdeskError('RESOURCE_DOES_NOT_EXIST', `No model server ${serverId} is running`);
      servers.delete(serverId);
      await entry.served.stop();
      return {};
    },

    async 'models.servers'() {
      return { servers: [...servers.values()].map((s) => s.info).sort((a, b) => a.startedAt - b.startedAt) };
    },
  };

  return {
    handlers,
    async close() {
      const all = [...servers.values()];
      servers.clear();
      await Promise.all(all.map((s) => s.served.stop()));
    },
  };
}
