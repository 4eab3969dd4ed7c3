/**
 * The MLflow tracking REST API (reference §2) under `/api/2.0/mlflow` and `/ajax-api/2.0/mlflow`:
 * experiments, runs, metric histories and the run-scoped artifact listing. Every route is a
 * translation onto the contract; the engine behind it is the same one IPC and our own HTTP API use.
 */
import type { FastifyInstance } from 'fastify';
import { callContract, runIdOf } from './mlflow-support.ts';
import { mlflowRpc, setString } from './mlflow-fields.ts';
import { putList, toMlflowFileInfo, type MlflowFileInfo } from './mlflow-mappers.ts';
import { registerMlflowExperimentRoutes } from './mlflow-experiment-routes.ts';
import { registerMlflowRunRoutes } from './mlflow-run-routes.ts';
import { registerMlflowMetricRoutes } from './mlflow-metric-routes.ts';
import type { ServerContext } from './server-context.ts';

/** Registers every MLflow tracking RPC (the artifact proxy and logged models live in their own modules). */
export async function registerMlflowRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  registerMlflowExperimentRoutes(app, context);
  registerMlflowRunRoutes(app, context);
  registerMlflowMetricRoutes(app, context);

  // The run-scoped listing answers run-relative full paths and the run's root URI, unlike the
  // proxy's basenames (§9.8). It is never paged, so no next_page_token is sent.
  mlflowRpc(app, 'GET', '/artifacts/list', async (fields, request) => {
    const path = setString(fields, 'path');
    const { rootUri, files } = await callContract(context, request, 'artifacts.list', { runId: runIdOf(fields), path });
    // The same normalization the artifact path gate applies ('./a//b/' lists 'a/b').
    const dir = (path ?? '').split('/').filter((s) => s !== '' && s !== '.').join('/');
    return putList<{ root_uri: string; files?: MlflowFileInfo[] }, 'files'>({ root_uri: rootUri }, 'files', files.map((f) => toMlflowFileInfo(f, dir)));
  });
}
