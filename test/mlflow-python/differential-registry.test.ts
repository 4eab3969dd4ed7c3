/**
 * Differential: the model registry's edge cases (duplicate and colliding names, versions of
 * deleted models, aliases on missing versions, stage moves that archive the others, model and
 * version searches with filters and paging) through MLflow 2.12.2's own server and Flowdesk.
 */
import { describe, expect, it } from 'vitest';
import { expectSameExcept, outcome, useDifferential, type Outcome, type Side } from '../helpers/differential.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON } from '../helpers/python-clients.ts';

const NOT_FOUND = { status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' };
const INVALID = { status: 400, error_code: 'INVALID_PARAMETER_VALUE' };

interface Version {
  version: string;
  current_stage: string;
  aliases?: string[];
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)("MLflow 2.12.2's server and Flowdesk keep the model registry the same way", () => {
  const differential = useDifferential();

  const experimentsMade = { mlflow: 0, flowdesk: 0 };

  /** Creates a model with `count` versions made from one run's `model` folder. */
  async function modelWithVersions(side: Side, name: string, count: number): Promise<void> {
    const { experiment_id } = await side.ok('POST', 'experiments/create', { name: `runs ${++experimentsMade[side.name]}` });
    const { run } = await side.ok('POST', 'runs/create', { experiment_id });
    const runId = (run as { info: { run_id: string } }).info.run_id;
    await side.ok('POST', 'registered-models/create', { name });
    // Until laptops stop protecting Production by default, say that this model protects nothing.
    if (side.name === 'flowdesk') await differential.flowdesk().api.call('registry.setProtection', { name, aliases: [], stages: [] });
    for (let i = 0; i < count; i++) await side.ok('POST', 'model-versions/create', { name, source: `runs:/${runId}/model`, run_id: runId });
  }

  /** Runs labelled requests in order and records each one's outcome. */
  async function outcomes(side: Side, requests: [label: string, method: string, path: string, payload?: Record<string, unknown>][]): Promise<Record<string, Outcome>> {
    const seen: Record<string, Outcome> = {};
    for (const [label, method, path, payload] of requests) seen[label] = outcome(await side.call(method, path, payload));
    return seen;
  }

  /** Each version of a model as `version:stage[aliases]`, by version number. */
  async function versions(side: Side, name: string): Promise<string[]> {
    const body = (await side.ok('GET', 'model-versions/search', { filter: `name = '${name}'`, max_results: 100 })) as { model_versions?: Version[] };
    return (body.model_versions ?? [])
      .sort((a, b) => Number(a.version) - Number(b.version))
      .map((v) => `${v.version}:${v.current_stage}[${(v.aliases ?? []).sort().join(',')}]`);
  }

  it('refuses duplicate model names and renames onto a taken name', async () => {
    const { mlflow, flowdesk } = await differential.run((side) =>
      outcomes(side, [
        ['create', 'POST', 'registered-models/create', { name: 'dup' }],
        ['create again', 'POST', 'registered-models/create', { name: 'dup' }],
        ['create without name', 'POST', 'registered-models/create', {}],
        ['create other', 'POST', 'registered-models/create', { name: 'dup-other' }],
        ['rename onto taken', 'POST', 'registered-models/rename', { name: 'dup-other', new_name: 'dup' }],
        ['rename missing', 'POST', 'registered-models/rename', { name: 'no such model', new_name: 'dup-3' }],
        ['rename to empty', 'POST', 'registered-models/rename', { name: 'dup-other', new_name: '' }],
        ['rename', 'POST', 'registered-models/rename', { name: 'dup-other', new_name: 'dup-renamed' }],
        ['get old name', 'GET', 'registered-models/get', { name: 'dup-other' }],
        ['get new name', 'GET', 'registered-models/get', { name: 'dup-renamed' }],
        ['get missing', 'GET', 'registered-models/get', { name: 'no such model' }],
        ['delete missing', 'DELETE', 'registered-models/delete', { name: 'no such model' }],
        ['update missing', 'PATCH', 'registered-models/update', { name: 'no such model', description: 'x' }],
        ['tag missing', 'POST', 'registered-models/set-tag', { name: 'no such model', key: 'k', value: 'v' }],
        ['latest of missing', 'POST', 'registered-models/get-latest-versions', { name: 'no such model' }],
      ]),
    );
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow['create again']).toEqual({ status: 400, error_code: 'RESOURCE_ALREADY_EXISTS' });
  });

  it('answers for the versions of a deleted model as for a model that never was, and numbers afresh', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      await modelWithVersions(side, 'deleted model', 2);
      const seen = await outcomes(side, [
        ['delete', 'DELETE', 'registered-models/delete', { name: 'deleted model' }],
        ['get', 'GET', 'registered-models/get', { name: 'deleted model' }],
        ['get version', 'GET', 'model-versions/get', { name: 'deleted model', version: '1' }],
        ['download uri', 'GET', 'model-versions/get-download-uri', { name: 'deleted model', version: '1' }],
        ['transition', 'POST', 'model-versions/transition-stage', { name: 'deleted model', version: '1', stage: 'Staging', archive_existing_versions: false }],
        ['set alias', 'POST', 'registered-models/alias', { name: 'deleted model', alias: 'a', version: '1' }],
        ['new version', 'POST', 'model-versions/create', { name: 'deleted model', source: 'runs:/0123456789abcdef0123456789abcdef/model' }],
        ['delete again', 'DELETE', 'registered-models/delete', { name: 'deleted model' }],
      ]);
      const afterDelete = await versions(side, 'deleted model');
      await modelWithVersions(side, 'deleted model', 1);
      return { ...seen, afterDelete, recreated: await versions(side, 'deleted model') };
    });
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow.recreated).toEqual(['1:None[]']);
  });

  it('refuses aliases on missing versions and reserved alias names, and follows aliases', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      await modelWithVersions(side, 'aliased', 3);
      await modelWithVersions(side, 'aliased other', 1);
      const seen = await outcomes(side, [
        ['on missing version', 'POST', 'registered-models/alias', { name: 'aliased', alias: 'champion', version: '9' }],
        ['on missing model', 'POST', 'registered-models/alias', { name: 'no such model', alias: 'champion', version: '1' }],
        ['named latest', 'POST', 'registered-models/alias', { name: 'aliased', alias: 'latest', version: '1' }],
        ['named like a version', 'POST', 'registered-models/alias', { name: 'aliased', alias: 'v3', version: '1' }],
        ['set', 'POST', 'registered-models/alias', { name: 'aliased', alias: 'champion', version: '1' }],
        ['move', 'POST', 'registered-models/alias', { name: 'aliased', alias: 'champion', version: '2' }],
        ['second alias', 'POST', 'registered-models/alias', { name: 'aliased', alias: 'challenger', version: '3' }],
        ['same alias, other model', 'POST', 'registered-models/alias', { name: 'aliased other', alias: 'champion', version: '1' }],
        ['get', 'GET', 'registered-models/alias', { name: 'aliased', alias: 'champion' }],
        ['get missing', 'GET', 'registered-models/alias', { name: 'aliased', alias: 'nobody' }],
        ['delete missing', 'DELETE', 'registered-models/alias', { name: 'aliased', alias: 'nobody' }],
        ['delete aliased version', 'DELETE', 'model-versions/delete', { name: 'aliased', version: '3' }],
        ['get alias of deleted version', 'GET', 'registered-models/alias', { name: 'aliased', alias: 'challenger' }],
      ]);
      const got = (await side.ok('GET', 'registered-models/alias', { name: 'aliased', alias: 'champion' })) as { model_version: Version };
      const model = (await side.ok('GET', 'registered-models/get', { name: 'aliased' })) as { registered_model: { aliases?: { alias: string; version: string }[] } };
      return { ...seen, champion: got.model_version.version, aliases: model.registered_model.aliases ?? [], versions: await versions(side, 'aliased') };
    });
    expectSameExcept<unknown>({ mlflow, flowdesk }, {
      'get missing': {
        mlflow: INVALID,
        flowdesk: NOT_FOUND,
        why: 'MLflow (2.12 and 3.x) answers an alias that does not exist with INVALID_PARAMETER_VALUE; Flowdesk with RESOURCE_DOES_NOT_EXIST',
      },
      aliases: {
        mlflow: [
          { alias: 'challenger', version: '3' },
          { alias: 'champion', version: '2' },
        ],
        flowdesk: [{ alias: 'champion', version: '2' }],
        why: "MLflow's model keeps listing an alias of a deleted version (which no longer resolves); Flowdesk deletes the alias with its version",
      },
      versions: {
        mlflow: ['1:None[]', '2:None[]'],
        flowdesk: ['1:None[]', '2:None[champion]'],
        why: "MLflow 2.12's version search leaves out each version's aliases; Flowdesk includes them, as getting the version does",
      },
    });
    expect(mlflow.champion).toBe('2');
  });

  it('moves versions between stages, archiving the others only when asked', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      await modelWithVersions(side, 'staged', 4);
      const move = (version: string, stage: string, archive: boolean) =>
        side.call('POST', 'model-versions/transition-stage', { name: 'staged', version, stage, archive_existing_versions: archive });
      const steps: Record<string, unknown> = {};
      steps['1 to Production'] = outcome(await move('1', 'Production', false));
      steps['2 to Production'] = outcome(await move('2', 'Production', false));
      steps.twoInProduction = await versions(side, 'staged');
      steps['4 to Staging'] = outcome(await move('4', 'Staging', false));
      steps['3 to Production, archiving'] = outcome(await move('3', 'Production', true));
      steps.archived = await versions(side, 'staged');
      steps['2 to staging, lower case'] = outcome(await move('2', 'staging', true));
      steps.stagingArchived = await versions(side, 'staged');
      steps['unknown stage'] = outcome(await move('1', 'Prod', false));
      steps['missing version'] = outcome(await move('9', 'Staging', false));
      steps['archive flag missing'] = outcome(await side.call('POST', 'model-versions/transition-stage', { name: 'staged', version: '1', stage: 'None' }));
      const latest = async (stages?: string[]) => {
        const body = (await side.ok('POST', 'registered-models/get-latest-versions', { name: 'staged', ...(stages ? { stages } : {}) })) as { model_versions?: Version[] };
        return (body.model_versions ?? []).map((v) => `${v.version}:${v.current_stage}`).sort();
      };
      steps.latestAll = await latest();
      steps.latestProduction = await latest(['Production']);
      steps.latestTwo = await latest(['production', 'Archived']);
      steps.final = await versions(side, 'staged');
      return steps;
    });
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow.archived).toEqual(['1:Archived[]', '2:Archived[]', '3:Production[]', '4:Staging[]']);
  });

  it('searches models and versions with filters, order and pages', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      for (const name of ['reg-c', 'reg-a', 'reg-B', 'reg-b', 'reg_x']) await modelWithVersions(side, name, name === 'reg-a' ? 3 : 1);
      await side.ok('POST', 'registered-models/set-tag', { name: 'reg-b', key: 'team', value: 'vision' });
      const pagesOf = async (path: 'registered-models/search' | 'model-versions/search', fields: Record<string, unknown>) => {
        const seen: { names: string[]; token: boolean }[] = [];
        let token: string | undefined;
        do {
          const answer = await side.call('GET', path, { ...fields, ...(token ? { page_token: token } : {}) });
          if (answer.status !== 200) return `${answer.status} ${String(answer.body.error_code)}`;
          const body = answer.body as { registered_models?: { name: string }[]; model_versions?: { name: string; version: string }[]; next_page_token?: string };
          token = body.next_page_token;
          const names = body.registered_models?.map((m) => m.name) ?? body.model_versions?.map((v) => `${v.name}/${v.version}`) ?? [];
          seen.push({ names, token: token !== undefined });
        } while (token && seen.length < 20);
        return seen;
      };
      const models = (fields: Record<string, unknown>) => pagesOf('registered-models/search', fields);
      return {
        like: await models({ filter: "name LIKE 'reg-%'", order_by: 'name DESC', max_results: 2 }),
        underscore: await models({ filter: "name LIKE 'reg_%'", order_by: 'name ASC', max_results: 100 }),
        ilike: await models({ filter: "name ILIKE 'REG-B'", max_results: 100 }),
        equal: await models({ filter: "name = 'reg-a'" }),
        tag: await models({ filter: "tags.team = 'vision'" }),
        byUpdate: await models({ filter: "name LIKE 'reg%'", order_by: 'last_updated_timestamp DESC', max_results: 3 }),
        tooMany: await models({ max_results: 1001 }),
        badFilter: await models({ filter: "name = 'reg-a' OR name = 'reg-b'" }),
        badOrder: await models({ order_by: 'colour ASC' }),
        versionsOfOne: await pagesOf('model-versions/search', { filter: "name = 'reg-a'", order_by: 'version_number DESC', max_results: 2 }),
        versionsLike: await pagesOf('model-versions/search', { filter: "name LIKE 'reg-%'", order_by: ['name ASC', 'version_number ASC'], max_results: 100 }),
      };
    });
    expectSameExcept<unknown>({ mlflow, flowdesk }, {
      badFilter: {
        mlflow: '400 INVALID_PARAMETER_VALUE',
        flowdesk: [{ names: ['reg-a', 'reg-b'], token: false }],
        why: 'Flowdesk accepts OR in registry filters; MLflow refuses it',
      },
      byUpdate: {
        mlflow: [
          { names: ['reg_x', 'reg-b', 'reg-B'], token: true },
          { names: ['reg-a', 'reg-c'], token: false },
        ],
        flowdesk: [
          { names: ['reg-b', 'reg_x', 'reg-B'], token: true },
          { names: ['reg-a', 'reg-c'], token: false },
        ],
        why: "a tag set on a model counts as an update of it in Flowdesk; MLflow leaves the model's last_updated_timestamp as it was",
      },
    });
    expect(mlflow.tooMany).toEqual(`${INVALID.status} ${INVALID.error_code}`);
  });
});
