/**
 * MLflow's experiment RPCs (reference §2.2) as translations onto the contract's `experiments.*`
 * methods. Also the 1.x `experiments/list`, which MLflow 2 removed but old clients (the npm
 * `mlflow` package among them) still call: it is a search without a filter.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid } from '#core/api/errors.ts';
import { callContract, optionalString, requireString, type MlflowFields } from './mlflow-support.ts';
import { intInRange, keyValues, mlflowRpc, strings, textValue, viewTypeOf, setString } from './mlflow-fields.ts';
import { putList, toMlflowExperiment } from './mlflow-mappers.ts';
import type { ServerContext } from './server-context.ts';

/** MLflow's page size bounds for experiment search; its client always asks for 1000 per page. */
const SEARCH_MAX_RESULTS = { min: 1, max: 50_000, default: 1000 };

/** Runs `experiments.search` from MLflow's fields and answers in MLflow's shape. */
async function searchExperiments(context: ServerContext, request: FastifyRequest, fields: MlflowFields): Promise<object> {
  const orderBy = strings(fields, 'order_by');
  const page = await callContract(context, request, 'experiments.search', {
    filter: setString(fields, 'filter'),
    orderBy: orderBy.length > 0 ? orderBy : undefined,
    viewType: viewTypeOf(fields, 'view_type'),
    maxResults: intInRange(fields, 'max_results', SEARCH_MAX_RESULTS.min, SEARCH_MAX_RESULTS.max, SEARCH_MAX_RESULTS.default),
    pageToken: setString(fields, 'page_token'),
  });
  const out: { experiments?: object[]; next_page_token?: string } = {};
  putList(out, 'experiments', page.experiments.map(toMlflowExperiment));
  if (page.nextPageToken) out.next_page_token = page.nextPageToken;
  return out;
}

/** Registers the experiment RPCs under both MLflow prefixes. */
export function registerMlflowExperimentRoutes(app: FastifyInstance, context: ServerContext): void {
  mlflowRpc(app, 'POST', '/experiments/create', async (fields, request) => {
    const name = requireString(fields, 'name');
    // Design rule: the server assigns storage locations; a client never picks a path it will
    // make us read or write. Empty is what clients send when they have no preference.
    const location = optionalString(fields, 'artifact_location');
    if (location) {
      throw invalid(
        `Flowdesk assigns artifact locations itself and does not accept 'artifact_location' ('${location.slice(0, 200)}'); leave it empty and the experiment gets 'mlflow-artifacts:/<experiment_id>'.`,
      );
    }
    const { experimentId } = await callContract(context, request, 'experiments.create', { name, tags: keyValues(fields, 'tags') });
    return { experiment_id: experimentId };
  });

  mlflowRpc(app, 'GET', '/experiments/get', async (fields, request) => {
    const { experiment } = await callContract(context, request, 'experiments.get', { experimentId: requireString(fields, 'experiment_id') });
    return { experiment: toMlflowExperiment(experiment) };
  });

  // set_experiment relies on an unknown name being 404 RESOURCE_DOES_NOT_EXIST (§9.3), which
  // is what the contract throws.
  mlflowRpc(app, 'GET', '/experiments/get-by-name', async (fields, request) => {
    const { experiment } = await callContract(context, request, 'experiments.getByName', { name: requireString(fields, 'experiment_name') });
    return { experiment: toMlflowExperiment(experiment) };
  });

  mlflowRpc(app, ['POST', 'GET'], '/experiments/search', (fields, request) => searchExperiments(context, request, fields));

  mlflowRpc(app, 'GET', '/experiments/list', (fields, request) => searchExperiments(context, request, { view_type: fields.view_type, max_results: fields.max_results, page_token: fields.page_token }));

  mlflowRpc(app, 'POST', '/experiments/update', async (fields, request) => {
    await callContract(context, request, 'experiments.rename', {
      experimentId: requireString(fields, 'experiment_id'),
      newName: requireString(fields, 'new_name'),
    });
    return {};
  });

  mlflowRpc(app, 'POST', '/experiments/delete', async (fields, request) => {
    await callContract(context, request, 'experiments.delete', { experimentId: requireString(fields, 'experiment_id') });
    return {};
  });

  mlflowRpc(app, 'POST', '/experiments/restore', async (fields, request) => {
    await callContract(context, request, 'experiments.restore', { experimentId: requireString(fields, 'experiment_id') });
    return {};
  });

  mlflowRpc(app, 'POST', '/experiments/set-experiment-tag', async (fields, request) => {
    await callContract(context, request, 'experiments.setTag', {
      experimentId: requireString(fields, 'experiment_id'),
      key: requireString(fields, 'key'),
      value: textValue(fields, 'value'),
    });
    return {};
  });

  mlflowRpc(app, 'POST', '/experiments/delete-experiment-tag', async (fields, request) => {
    await callContract(context, request, 'experiments.deleteTag', {
      experimentId: requireString(fields, 'experiment_id'),
      key: requireString(fields, 'key'),
    });
    return {};
  });
}
