/**
 * MLflow 3 logged models over REST (reference §5, §8.6, §10) under `/api/2.0/mlflow` and
 * `/ajax-api/2.0/mlflow`, plus `POST /runs/outputs`, which links a logged model to the run that
 * produced it. Each route translates onto the contract; responses follow MLflow's JSON rules
 * (snake_case, empty lists omitted, the status enum always present).
 */
import type { FastifyInstance } from 'fastify';
import { LOGGED_MODEL_STATUSES, type LoggedModel, type LoggedModelOrder, type LoggedModelStatus } from '#core/api/entities.ts';
import { invalid } from '#core/api/errors.ts';
import { checkArtifactPath } from '#core/api/artifact-path.ts';
import { storePathIn } from '#core/api/artifact-locations.ts';
import { sendArtifactFile } from './artifact-download.ts';
import { queryArtifactPath, requireQueryArtifactPath } from './artifact-request.ts';
import { keyValues, messages, mlflowRpc, strings, setString } from './mlflow-fields.ts';
import { putList, toMlflowFileInfo, toMlflowKeyValues, toMlflowMetric, type MlflowFileInfo, type MlflowKeyValue, type MlflowMetric } from './mlflow-mappers.ts';
import { callContract, MLFLOW_PREFIXES, optionalBool, optionalInt, optionalString, requireString, runIdOf, type MlflowFields } from './mlflow-support.ts';
import type { ServerContext } from './server-context.ts';

/** MLflow's LoggedModelInfo message. */
export interface MlflowLoggedModelInfo {
  model_id: string;
  experiment_id: string;
  name: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  artifact_uri: string;
  status: LoggedModelStatus;
  model_type?: string;
  source_run_id?: string;
  tags?: MlflowKeyValue[];
  /** The registered versions made from the model; `version` is a string, as in ModelVersion. */
  registrations?: { name: string; version: string }[];
}

/** MLflow's LoggedModel message. */
export interface MlflowLoggedModel {
  info: MlflowLoggedModelInfo;
  data: { params?: MlflowKeyValue[]; metrics?: MlflowMetric[] };
}

/** A logged model in MLflow's JSON; `status` always present (a missing enum reads as UNSPECIFIED). */
export function toMlflowLoggedModel(model: LoggedModel): MlflowLoggedModel {
  const { info, data } = model;
  const out: MlflowLoggedModelInfo = {
    model_id: info.modelId,
    experiment_id: info.experimentId,
    name: info.name,
    creation_timestamp_ms: info.creationTimestampMs,
    last_updated_timestamp_ms: info.lastUpdatedTimestampMs,
    artifact_uri: info.artifactUri,
    status: info.status,
  };
  if (info.modelType !== undefined) out.model_type = info.modelType;
  if (info.sourceRunId !== undefined) out.source_run_id = info.sourceRunId;
  putList(out, 'tags', toMlflowKeyValues(info.tags));
  putList(out, 'registrations', (info.registrations ?? []).map((r) => ({ name: r.name, version: String(r.version) })));
  const outData: MlflowLoggedModel['data'] = {};
  putList(outData, 'params', toMlflowKeyValues(data.params));
  putList(outData, 'metrics', data.metrics.map((m) => toMlflowMetric(m, m.runId)));
  return { info: out, data: outData };
}

/**
 * A LoggedModelStatus field, by name or by MLflow's enum number (PENDING=1, READY=2,
 * UPLOAD_FAILED=3). UNSPECIFIED (0) is refused: a model is never set back to "no status".
 */
function statusOf(fields: MlflowFields): LoggedModelStatus {
  const value = fields.status;
  if (value === undefined || value === null || value === '') throw invalid("Missing value for required parameter 'status'.");
  const text = typeof value === 'string' || typeof value === 'number' ? String(value).trim().toUpperCase() : '';
  const found = /^\d+$/.test(text) ? LOGGED_MODEL_STATUSES[Number(text) - 1] : LOGGED_MODEL_STATUSES.find((s) => s === text);
  if (found === undefined) {
    throw invalid(`Invalid value ${JSON.stringify(value)} for parameter 'status': expected one of ${LOGGED_MODEL_STATUSES.join(', ')}`);
  }
  return found;
}

/** The model id of a `/logged-models/{model_id}...` route (the path wins over a `model_id` body field). */
function modelIdOf(params: unknown): string {
  return (params as { model_id: string }).model_id;
}

/** One element of search's structured `order_by`. */
function orderOf(fields: MlflowFields): LoggedModelOrder {
  return {
    fieldName: requireString(fields, 'field_name'),
    ascending: optionalBool(fields, 'ascending') ?? true,
    datasetName: setString(fields, 'dataset_name'),
    datasetDigest: setString(fields, 'dataset_digest'),
  };
}

/** Registers the logged-model RPCs and `/runs/outputs` under both MLflow prefixes; JSON bodies, so on the app itself. */
export function registerLoggedModelRoutes(app: FastifyInstance, context: ServerContext): void {
  mlflowRpc(app, 'POST', '/logged-models', async (fields, request) => {
    const { model } = await callContract(context, request, 'loggedModels.create', {
      experimentId: requireString(fields, 'experiment_id'),
      // An empty string is how proto JSON spells an unset field: the server picks a name.
      name: setString(fields, 'name'),
      modelType: setString(fields, 'model_type'),
      sourceRunId: setString(fields, 'source_run_id'),
      params: keyValues(fields, 'params'),
      tags: keyValues(fields, 'tags'),
    });
    return { model: toMlflowLoggedModel(model) };
  });

  mlflowRpc(app, 'POST', '/logged-models/search', async (fields, request) => {
    const experimentIds = strings(fields, 'experiment_ids');
    if (experimentIds.length === 0) throw invalid("Missing value for required parameter 'experiment_ids'.");
    const { models, nextPageToken } = await callContract(context, request, 'loggedModels.search', {
      experimentIds,
      filter: optionalString(fields, 'filter'),
      datasets: messages(fields, 'datasets').map((d) => ({
        datasetName: requireString(d, 'dataset_name'),
        datasetDigest: setString(d, 'dataset_digest'),
      })),
      orderBy: messages(fields, 'order_by').map(orderOf),
      maxResults: optionalInt(fields, 'max_results'),
      pageToken: setString(fields, 'page_token'),
    });
    const out = putList<{ models?: MlflowLoggedModel[]; next_page_token?: string }, 'models'>({}, 'models', models.map(toMlflowLoggedModel));
    if (nextPageToken) out.next_page_token = nextPageToken;
    return out;
  });

  mlflowRpc(app, 'GET', '/logged-models/:model_id', async (_fields, request) => {
    const { model } = await callContract(context, request, 'loggedModels.get', { modelId: modelIdOf(request.params) });
    return { model: toMlflowLoggedModel(model) };
  });

  // "Finalize": clients read the updated model from the response (§9.22).
  mlflowRpc(app, 'PATCH', '/logged-models/:model_id', async (fields, request) => {
    const { model } = await callContract(context, request, 'loggedModels.finalize', { modelId: modelIdOf(request.params), status: statusOf(fields) });
    return { model: toMlflowLoggedModel(model) };
  });

  mlflowRpc(app, 'DELETE', '/logged-models/:model_id', async (_fields, request) =>
    callContract(context, request, 'loggedModels.delete', { modelId: modelIdOf(request.params) }),
  );

  mlflowRpc(app, 'PATCH', '/logged-models/:model_id/tags', async (fields, request) =>
    callContract(context, request, 'loggedModels.setTags', { modelId: modelIdOf(request.params), tags: keyValues(fields, 'tags') }),
  );

  // The client puts the raw tag key into the path, so a key with '/' arrives as several segments (§9.24).
  mlflowRpc(app, 'DELETE', '/logged-models/:model_id/tags/*', async (_fields, request) => {
    const params = request.params as { model_id: string; '*': string };
    return callContract(context, request, 'loggedModels.deleteTag', { modelId: params.model_id, key: params['*'] });
  });

  mlflowRpc(app, 'POST', '/logged-models/:model_id/params', async (fields, request) =>
    callContract(context, request, 'loggedModels.logParams', { modelId: modelIdOf(request.params), params: keyValues(fields, 'params') }),
  );

  // Paths here are relative to the model's root and include the listed folder, like the run-scoped
  // `/artifacts/list`. The listing is never paged, so no next_page_token is sent.
  mlflowRpc(app, 'GET', '/logged-models/:model_id/artifacts/directories', async (_fields, request) => {
    const dir = checkArtifactPath(queryArtifactPath(request, 'artifact_directory_path') ?? '');
    const { rootUri, files } = await callContract(context, request, 'loggedModels.listArtifacts', { modelId: modelIdOf(request.params), path: dir });
    return putList<{ root_uri: string; files?: MlflowFileInfo[] }, 'files'>(
      { root_uri: rootUri },
      'files',
      files.map((f) => toMlflowFileInfo(f, dir)),
    );
  });

  // The UI's raw download of one of a model's files (same download headers as the proxy).
  for (const prefix of MLFLOW_PREFIXES) {
    app.get(`${prefix}/logged-models/:model_id/artifacts/files`, async (request, reply) => {
      const path = requireQueryArtifactPath(request, 'artifact_file_path');
      const { model } = await callContract(context, request, 'loggedModels.get', { modelId: modelIdOf(request.params) });
      return sendArtifactFile(reply, context.flowdesk.artifacts, storePathIn(model.info.artifactUri, path), request.headers.range);
    });
  }

  mlflowRpc(app, 'POST', '/runs/outputs', async (fields, request) => {
    const models = messages(fields, 'models').map((m) => ({ modelId: requireString(m, 'model_id'), step: optionalInt(m, 'step') ?? 0 }));
    if (models.length === 0) throw invalid("Missing value for required parameter 'models'.");
    return callContract(context, request, 'runs.logOutputs', { runId: runIdOf(fields), models });
  });
}
