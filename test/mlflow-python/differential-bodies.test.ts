/**
 * Differential: the bodies MLflow 2.12.2's own server and Flowdesk answer for the same entities
 * (experiment, run, registered model, model version), with ids, times and storage locations
 * replaced by what kind of value they are, so that fields, enums and nesting are compared.
 */
import { describe, expect, it } from 'vitest';
import { useDifferential, type Side } from '../helpers/differential.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON } from '../helpers/python-clients.ts';

const NOW = 1_700_000_000_000;

/** Fields whose values each server assigns itself: only their presence and kind are compared. */
const ASSIGNED = new Set([
  'experiment_id',
  'run_id',
  'run_uuid',
  'start_time',
  'end_time',
  'creation_time',
  'last_update_time',
  'creation_timestamp',
  'last_updated_timestamp',
  'artifact_uri',
  'artifact_location',
  'source',
  'user_id',
]);

/**
 * The body with server-assigned values replaced by `<kind>`, lists of key/value pairs sorted, and
 * empty strings left out: MLflow's clients read an absent string field as "" (protobuf), so the two
 * spellings are one answer.
 */
function normalise(value: unknown, key = ''): unknown {
  if (ASSIGNED.has(key)) return `<${typeof value}>`;
  if (Array.isArray(value)) {
    const items = value.map((item) => normalise(item));
    return items.every((item) => typeof item === 'object' && item !== null && 'key' in item) ? items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) : items;
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== '')
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, normalise(v, k)]),
    );
  }
  return value;
}

/** The value with every field named `name` left out, at any depth. */
function without(value: unknown, name: string): unknown {
  if (Array.isArray(value)) return value.map((item) => without(item, name));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).filter(([k]) => k !== name).map(([k, v]) => [k, without(v, name)]));
  return value;
}

interface Model {
  latest_versions: { current_stage: string; aliases?: string[] }[];
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)("MLflow 2.12.2's server and Flowdesk answer entities in the same shape", () => {
  const differential = useDifferential();

  /** An experiment with a tag, and a finished run in it with a metric, a param and tags. */
  async function loggedRun(side: Side, experimentName: string): Promise<{ experimentId: string; runId: string }> {
    const { experiment_id } = await side.ok('POST', 'experiments/create', { name: experimentName, tags: [{ key: 'team', value: 'vision' }] });
    const { run } = await side.ok('POST', 'runs/create', { experiment_id, start_time: NOW, run_name: 'shaped', tags: [{ key: 'source', value: 'test' }] });
    const runId = (run as { info: { run_id: string } }).info.run_id;
    await side.ok('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: [
        { key: 'loss', value: 0.5, timestamp: NOW, step: 1 },
        { key: 'loss', value: 'NaN', timestamp: NOW + 1, step: 2 },
      ],
      params: [{ key: 'lr', value: '0.01' }],
      tags: [{ key: 'stage', value: 'dev' }],
    });
    await side.ok('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: NOW + 10 });
    return { experimentId: experiment_id as string, runId };
  }

  it('answers an experiment and a run with the same fields', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { experimentId, runId } = await loggedRun(side, 'bodies');
      const experiment = await side.ok('GET', 'experiments/get', { experiment_id: experimentId });
      const run = await side.ok('GET', 'runs/get', { run_id: runId });
      const searched = await side.ok('POST', 'runs/search', { experiment_ids: [experimentId] });
      return normalise({ experiment, run, searched }) as { run: { run: Record<string, unknown> }; searched: { runs: Record<string, unknown>[] } };
    });
    // Deliberate: Flowdesk answers MLflow 3's run shape, whose `outputs` (logged models) 2.12 lacks.
    expect(flowdesk.run.run.outputs).toEqual({});
    expect(flowdesk.searched.runs[0]!.outputs).toEqual({});
    delete flowdesk.run.run.outputs;
    delete flowdesk.searched.runs[0]!.outputs;
    expect(flowdesk).toEqual(mlflow);
  });

  it('answers a registered model and its versions with the same fields', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { runId } = await loggedRun(side, 'bodies of versions');
      await side.ok('POST', 'registered-models/create', { name: 'shaped model', description: 'about it', tags: [{ key: 'team', value: 'vision' }] });
      if (side.name === 'flowdesk') await differential.flowdesk().api.call('registry.setProtection', { name: 'shaped model', aliases: [], stages: [] });
      for (let i = 0; i < 2; i++) {
        await side.ok('POST', 'model-versions/create', { name: 'shaped model', source: `runs:/${runId}/model`, run_id: runId, tags: [{ key: 'i', value: String(i) }], description: `v${i + 1}` });
      }
      await side.ok('POST', 'model-versions/transition-stage', { name: 'shaped model', version: '1', stage: 'Production', archive_existing_versions: false });
      await side.ok('POST', 'registered-models/alias', { name: 'shaped model', alias: 'champion', version: '2' });
      return normalise({
        model: await side.ok('GET', 'registered-models/get', { name: 'shaped model' }),
        version: await side.ok('GET', 'model-versions/get', { name: 'shaped model', version: '2' }),
        byAlias: await side.ok('GET', 'registered-models/alias', { name: 'shaped model', alias: 'champion' }),
        latest: await side.ok('POST', 'registered-models/get-latest-versions', { name: 'shaped model', stages: ['Production'] }),
        searched: await side.ok('GET', 'registered-models/search', { filter: "name = 'shaped model'" }),
      }) as { model: { registered_model: Model }; searched: { registered_models: Model[] } } & Record<string, unknown>;
    });
    // Deliberate: Flowdesk lists a model's latest versions in stage order (None, Staging,
    // Production, Archived) with their aliases; MLflow in the order it meets the stages among
    // the versions, without aliases.
    const pairs: [Model, Model][] = [
      [flowdesk.model.registered_model, mlflow.model.registered_model],
      [flowdesk.searched.registered_models[0]!, mlflow.searched.registered_models[0]!],
    ];
    for (const [ours, theirs] of pairs) {
      expect(ours.latest_versions.map((v) => [v.current_stage, v.aliases])).toEqual([
        ['None', ['champion']],
        ['Production', undefined],
      ]);
      expect(theirs.latest_versions.map((v) => [v.current_stage, v.aliases])).toEqual([
        ['Production', undefined],
        ['None', undefined],
      ]);
      ours.latest_versions = ours.latest_versions.map(({ aliases: _aliases, ...v }) => v).reverse();
    }
    // Deliberate: Flowdesk records who created a model or version (user_id); MLflow's server
    // without its auth plugin records nobody.
    expect(flowdesk.model.registered_model).toHaveProperty('user_id', '<string>');
    expect(mlflow.model.registered_model).not.toHaveProperty('user_id');
    expect(without(flowdesk, 'user_id')).toEqual(mlflow);
  });
});
