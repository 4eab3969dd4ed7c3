/**
 * The MLflow model registry REST API (reference §4.2) under `/api/2.0/mlflow` and
 * `/ajax-api/2.0/mlflow`, as translations onto the contract's `registry.*` methods. Responses
 * follow MLflow's JSON: `version` as a string, `current_stage` and `status` always present (a
 * missing enum decodes to its first value, and a version read as PENDING_REGISTRATION makes
 * `register_model` poll for minutes), empty lists omitted.
 *
 * A move onto a protected alias or stage is not made through these routes: it becomes a
 * transition request, and the client gets a 403 PERMISSION_DENIED that names the request (a 4xx,
 * which MLflow clients do not retry).
 */
import type { FastifyInstance } from 'fastify';
import type { ModelVersion, RegisteredModel, TransitionRequest } from '#core/api/entities.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import { parseVersion } from '#core/api/model-version-number.ts';
import { intInRange, keyValues, mlflowRpc, setString, strings, textValue } from './mlflow-fields.ts';
import { putList, toMlflowKeyValues, type MlflowKeyValue } from './mlflow-mappers.ts';
import { callContract, optionalBool, optionalString, requireString, type MlflowFields } from './mlflow-support.ts';
import type { ServerContext } from './server-context.ts';

/** MLflow's ModelVersion message. */
export interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  current_stage: string;
  description?: string;
  source: string;
  run_id?: string;
  status: string;
  tags?: MlflowKeyValue[];
  run_link?: string;
  aliases?: string[];
  model_id?: string;
}

/** MLflow's RegisteredModel message. */
export interface MlflowRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  description?: string;
  latest_versions?: MlflowModelVersion[];
  tags?: MlflowKeyValue[];
  aliases?: { alias: string; version: string }[];
}

/** MLflow's search bounds (§6): registered models up to 1000 per page, versions up to 200,000. */
const MODEL_SEARCH_MAX = 1000;
const VERSION_SEARCH_MAX = 200_000;

/** A version in MLflow's JSON; `version` is a string, `current_stage` and `status` always present. */
export function toMlflowModelVersion(v: ModelVersion): MlflowModelVersion {
  const out: MlflowModelVersion = {
    name: v.name,
    version: String(v.version),
    creation_timestamp: v.creationTimestamp,
    last_updated_timestamp: v.lastUpdatedTimestamp,
    current_stage: v.currentStage,
    source: v.source,
    status: v.status,
  };
  if (v.userId !== undefined) out.user_id = v.userId;
  if (v.description !== undefined) out.description = v.description;
  if (v.runId !== undefined) out.run_id = v.runId;
  if (v.runLink !== undefined) out.run_link = v.runLink;
  if (v.modelId !== undefined) out.model_id = v.modelId;
  putList(out, 'tags', toMlflowKeyValues(v.tags));
  putList(out, 'aliases', [...v.aliases]);
  return out;
}

/** A registered model in MLflow's JSON; alias versions are strings. */
export function toMlflowRegisteredModel(m: RegisteredModel): MlflowRegisteredModel {
  const out: MlflowRegisteredModel = { name: m.name, creation_timestamp: m.creationTimestamp, last_updated_timestamp: m.lastUpdatedTimestamp };
  if (m.userId !== undefined) out.user_id = m.userId;
  if (m.description !== undefined) out.description = m.description;
  putList(out, 'latest_versions', m.latestVersions.map(toMlflowModelVersion));
  putList(out, 'tags', toMlflowKeyValues(m.tags));
  putList(out, 'aliases', m.aliases.map((a) => ({ alias: a.alias, version: String(a.version) })));
  return out;
}

/** The 403 for a move that became a transition request: it names the request and how to proceed. */
function needsApproval(request: TransitionRequest): FlowdeskError {
  const target = request.kind === 'alias' ? `alias '${request.target}'` : request.target;
  return new FlowdeskError(
    'PERMISSION_DENIED',
    `Moving version ${request.version} of '${request.name}' to ${target} needs approval: request ${request.requestId} is pending. It moves once someone approves it in Flowdesk.`,
  );
}

/** The model version number of a request (`version`, a string of an integer). */
function versionOf(fields: MlflowFields): number {
  return parseVersion(requireString(fields, 'version'));
}

/** Registers the registry RPCs under both MLflow prefixes. */
export function registerMlflowRegistryRoutes(app: FastifyInstance, context: ServerContext): void {
  const modelAnswer = (model: RegisteredModel) => ({ registered_model: toMlflowRegisteredModel(model) });
  const versionAnswer = (version: ModelVersion) => ({ model_version: toMlflowModelVersion(version) });

  mlflowRpc(app, 'POST', '/registered-models/create', async (fields, request) => {
    const { model } = await callContract(context, request, 'registry.createModel', {
      name: requireString(fields, 'name'),
      description: optionalString(fields, 'description'),
      tags: keyValues(fields, 'tags'),
    });
    return modelAnswer(model);
  });

  mlflowRpc(app, 'GET', '/registered-models/get', async (fields, request) => modelAnswer((await callContract(context, request, 'registry.getModel', { name: requireString(fields, 'name') })).model));

  mlflowRpc(app, 'POST', '/registered-models/rename', async (fields, request) => {
    const { model } = await callContract(context, request, 'registry.renameModel', { name: requireString(fields, 'name'), newName: requireString(fields, 'new_name') });
    return modelAnswer(model);
  });

  // Without a description there is nothing to update; the client still reads the model back.
  mlflowRpc(app, 'PATCH', '/registered-models/update', async (fields, request) => {
    const name = requireString(fields, 'name');
    const description = optionalString(fields, 'description');
    const { model } =
      description === undefined ? await callContract(context, request, 'registry.getModel', { name }) : await callContract(context, request, 'registry.updateModel', { name, description });
    return modelAnswer(model);
  });

  mlflowRpc(app, 'DELETE', '/registered-models/delete', async (fields, request) => callContract(context, request, 'registry.deleteModel', { name: requireString(fields, 'name') }));

  mlflowRpc(app, 'GET', '/registered-models/search', async (fields, request) => {
    const orderBy = strings(fields, 'order_by');
    const { models, nextPageToken } = await callContract(context, request, 'registry.searchModels', {
      filter: setString(fields, 'filter'),
      orderBy: orderBy.length > 0 ? orderBy : undefined,
      maxResults: intInRange(fields, 'max_results', 1, MODEL_SEARCH_MAX),
      pageToken: setString(fields, 'page_token'),
    });
    const out = putList<{ registered_models?: MlflowRegisteredModel[]; next_page_token?: string }, 'registered_models'>({}, 'registered_models', models.map(toMlflowRegisteredModel));
    if (nextPageToken) out.next_page_token = nextPageToken;
    return out;
  });

  // The client tries POST first and falls back to GET on ENDPOINT_NOT_FOUND.
  for (const verb of ['POST', 'GET'] as const) {
    mlflowRpc(app, verb, '/registered-models/get-latest-versions', async (fields, request) => {
      const { versions } = await callContract(context, request, 'registry.latestVersions', { name: requireString(fields, 'name'), stages: strings(fields, 'stages') });
      return putList<{ model_versions?: MlflowModelVersion[] }, 'model_versions'>({}, 'model_versions', versions.map(toMlflowModelVersion));
    });
  }

  mlflowRpc(app, 'POST', '/registered-models/set-tag', async (fields, request) =>
    callContract(context, request, 'registry.setModelTag', { name: requireString(fields, 'name'), key: requireString(fields, 'key'), value: textValue(fields, 'value') }),
  );

  mlflowRpc(app, 'DELETE', '/registered-models/delete-tag', async (fields, request) =>
    callContract(context, request, 'registry.deleteModelTag', { name: requireString(fields, 'name'), key: requireString(fields, 'key') }),
  );

  mlflowRpc(app, 'POST', '/registered-models/alias', async (fields, request) => {
    const { request: pending } = await callContract(context, request, 'registry.setAlias', {
      name: requireString(fields, 'name'),
      alias: requireString(fields, 'alias'),
      version: versionOf(fields),
    });
    if (pending) throw needsApproval(pending);
    return {};
  });

  mlflowRpc(app, 'DELETE', '/registered-models/alias', async (fields, request) =>
    callContract(context, request, 'registry.deleteAlias', { name: requireString(fields, 'name'), alias: requireString(fields, 'alias') }),
  );

  mlflowRpc(app, 'GET', '/registered-models/alias', async (fields, request) => {
    const { version } = await callContract(context, request, 'registry.getVersionByAlias', { name: requireString(fields, 'name'), alias: requireString(fields, 'alias') });
    return versionAnswer(version);
  });

  mlflowRpc(app, 'POST', '/model-versions/create', async (fields, request) => {
    const { version } = await callContract(context, request, 'registry.createVersion', {
      name: requireString(fields, 'name'),
      source: requireString(fields, 'source'),
      runId: setString(fields, 'run_id'),
      runLink: setString(fields, 'run_link'),
      description: optionalString(fields, 'description'),
      tags: keyValues(fields, 'tags'),
      modelId: setString(fields, 'model_id'),
    });
    return versionAnswer(version);
  });

  mlflowRpc(app, 'GET', '/model-versions/get', async (fields, request) =>
    versionAnswer((await callContract(context, request, 'registry.getVersion', { name: requireString(fields, 'name'), version: versionOf(fields) })).version),
  );

  mlflowRpc(app, 'PATCH', '/model-versions/update', async (fields, request) => {
    const ref = { name: requireString(fields, 'name'), version: versionOf(fields) };
    const description = optionalString(fields, 'description');
    const { version } =
      description === undefined ? await callContract(context, request, 'registry.getVersion', ref) : await callContract(context, request, 'registry.updateVersion', { ...ref, description });
    return versionAnswer(version);
  });

  mlflowRpc(app, 'DELETE', '/model-versions/delete', async (fields, request) =>
    callContract(context, request, 'registry.deleteVersion', { name: requireString(fields, 'name'), version: versionOf(fields) }),
  );

  mlflowRpc(app, 'POST', '/model-versions/transition-stage', async (fields, request) => {
    const { version, request: pending } = await callContract(context, request, 'registry.transitionStage', {
      name: requireString(fields, 'name'),
      version: versionOf(fields),
      stage: requireString(fields, 'stage'),
      archiveExistingVersions: optionalBool(fields, 'archive_existing_versions'),
    });
    if (pending) throw needsApproval(pending);
    return versionAnswer(version);
  });

  mlflowRpc(app, 'GET', '/model-versions/search', async (fields, request) => {
    const orderBy = strings(fields, 'order_by');
    const { versions, nextPageToken } = await callContract(context, request, 'registry.searchVersions', {
      filter: setString(fields, 'filter'),
      orderBy: orderBy.length > 0 ? orderBy : undefined,
      maxResults: intInRange(fields, 'max_results', 1, VERSION_SEARCH_MAX),
      pageToken: setString(fields, 'page_token'),
    });
    const out = putList<{ model_versions?: MlflowModelVersion[]; next_page_token?: string }, 'model_versions'>({}, 'model_versions', versions.map(toMlflowModelVersion));
    if (nextPageToken) out.next_page_token = nextPageToken;
    return out;
  });

  mlflowRpc(app, 'GET', '/model-versions/get-download-uri', async (fields, request) => {
    const { artifactUri } = await callContract(context, request, 'registry.downloadUri', { name: requireString(fields, 'name'), version: versionOf(fields) });
    return { artifact_uri: artifactUri };
  });

  mlflowRpc(app, 'POST', '/model-versions/set-tag', async (fields, request) =>
    callContract(context, request, 'registry.setVersionTag', {
      name: requireString(fields, 'name'),
      version: versionOf(fields),
      key: requireString(fields, 'key'),
      value: textValue(fields, 'value'),
    }),
  );

  mlflowRpc(app, 'DELETE', '/model-versions/delete-tag', async (fields, request) =>
    callContract(context, request, 'registry.deleteVersionTag', { name: requireString(fields, 'name'), version: versionOf(fields), key: requireString(fields, 'key') }),
  );
}
