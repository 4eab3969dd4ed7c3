/**
 * Differential: the same bad tracking requests go to MLflow 2.12.2's own server and to Flowdesk,
 * and both refuse them with the same HTTP status and MLflow error code (the messages are each
 * server's own). Where Flowdesk deliberately differs, the test says so.
 */
import { describe, expect, it } from 'vitest';
import { expectSameExcept, outcome, useDifferential, type Outcome, type Side } from '../helpers/differential.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON } from '../helpers/python-clients.ts';

const UNKNOWN_RUN = 'f'.repeat(32);
const NOW = 1_700_000_000_000;
const NOT_FOUND = { status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' };
const INVALID = { status: 400, error_code: 'INVALID_PARAMETER_VALUE' };

/** Creates an experiment and a run in it; returns their ids. */
async function experimentWithRun(side: Side, name: string): Promise<{ experimentId: string; runId: string }> {
  const { experiment_id } = await side.ok('POST', 'experiments/create', { name });
  const { run } = await side.ok('POST', 'runs/create', { experiment_id, start_time: NOW });
  return { experimentId: experiment_id as string, runId: (run as { info: { run_id: string } }).info.run_id };
}

/** Runs labelled requests in order and records each one's outcome under its label. */
async function outcomes(side: Side, requests: [label: string, method: string, path: string, payload?: Record<string, unknown>][]): Promise<Record<string, Outcome>> {
  const seen: Record<string, Outcome> = {};
  for (const [label, method, path, payload] of requests) seen[label] = outcome(await side.call(method, path, payload));
  return seen;
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)("MLflow 2.12.2's server and Flowdesk refuse the same tracking requests the same way", () => {
  const differential = useDifferential();

  it('answers unknown experiments and runs with 404 RESOURCE_DOES_NOT_EXIST', async () => {
    const { mlflow, flowdesk } = await differential.run((side) =>
      outcomes(side, [
        ['get experiment', 'GET', 'experiments/get', { experiment_id: '987654' }],
        ['get experiment by name', 'GET', 'experiments/get-by-name', { experiment_name: 'no such experiment' }],
        ['create run', 'POST', 'runs/create', { experiment_id: '987654', start_time: NOW }],
        ['delete experiment', 'POST', 'experiments/delete', { experiment_id: '987654' }],
        ['rename experiment', 'POST', 'experiments/update', { experiment_id: '987654', new_name: 'x' }],
        ['get run', 'GET', 'runs/get', { run_id: UNKNOWN_RUN }],
        ['update run', 'POST', 'runs/update', { run_id: UNKNOWN_RUN, status: 'FINISHED' }],
        ['delete run', 'POST', 'runs/delete', { run_id: UNKNOWN_RUN }],
        ['log metric', 'POST', 'runs/log-metric', { run_id: UNKNOWN_RUN, key: 'm', value: 1, timestamp: NOW }],
        ['log param', 'POST', 'runs/log-parameter', { run_id: UNKNOWN_RUN, key: 'p', value: '1' }],
        ['set tag', 'POST', 'runs/set-tag', { run_id: UNKNOWN_RUN, key: 't', value: '1' }],
        ['metric history', 'GET', 'metrics/get-history', { run_id: UNKNOWN_RUN, metric_key: 'm' }],
      ]),
    );
    expectSameExcept({ mlflow, flowdesk }, {
      'metric history': { mlflow: 'ok', flowdesk: NOT_FOUND, why: 'MLflow answers an empty history for a run that does not exist; Flowdesk says the run does not exist' },
    });
    expect(mlflow['get run']).toEqual(NOT_FOUND);
  });

  it('refuses requests that lack a required field with 400 INVALID_PARAMETER_VALUE', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { runId } = await experimentWithRun(side, 'missing fields');
      return outcomes(side, [
        ['create experiment without name', 'POST', 'experiments/create', {}],
        ['get experiment without id', 'GET', 'experiments/get', {}],
        ['get run without id', 'GET', 'runs/get', {}],
        ['metric without key', 'POST', 'runs/log-metric', { run_id: runId, value: 1, timestamp: NOW }],
        ['metric without value', 'POST', 'runs/log-metric', { run_id: runId, key: 'm', timestamp: NOW }],
        ['metric without timestamp', 'POST', 'runs/log-metric', { run_id: runId, key: 'm', value: 1 }],
        ['param without key', 'POST', 'runs/log-parameter', { run_id: runId, value: '1' }],
        ['param without value', 'POST', 'runs/log-parameter', { run_id: runId, key: 'p' }],
        ['tag without key', 'POST', 'runs/set-tag', { run_id: runId, value: '1' }],
        ['history without key', 'GET', 'metrics/get-history', { run_id: runId }],
        ['search without a body', 'POST', 'runs/search', {}],
      ]);
    });
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow['create experiment without name']).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it('refuses metric values and keys MLflow cannot store', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { runId } = await experimentWithRun(side, 'bad metrics');
      const metric = (fields: Record<string, unknown>) => ({ run_id: runId, key: 'm', value: 1, timestamp: NOW, step: 0, ...fields });
      return outcomes(side, [
        ['text value', 'POST', 'runs/log-metric', metric({ value: 'abc' })],
        ['NaN as text', 'POST', 'runs/log-metric', metric({ value: 'NaN' })],
        ['Infinity as text', 'POST', 'runs/log-metric', metric({ value: '-Infinity' })],
        ['number as text', 'POST', 'runs/log-metric', metric({ value: '2.5' })],
        ['fractional step', 'POST', 'runs/log-metric', metric({ step: 1.5 })],
        ['text timestamp', 'POST', 'runs/log-metric', metric({ timestamp: 'soon' })],
        ['key climbing out', 'POST', 'runs/log-metric', metric({ key: '../m' })],
        ['key with @', 'POST', 'runs/log-metric', metric({ key: 'a@b' })],
        ['key with double slash', 'POST', 'runs/log-metric', metric({ key: 'a//b' })],
        ['key with spaces, dots, slashes', 'POST', 'runs/log-metric', metric({ key: 'val/loss 1.x' })],
        ['key of 250 characters', 'POST', 'runs/log-metric', metric({ key: 'k'.repeat(250) })],
        ['key of 251 characters', 'POST', 'runs/log-metric', metric({ key: 'k'.repeat(251) })],
        ['param key with @', 'POST', 'runs/log-parameter', { run_id: runId, key: 'a@b', value: '1' }],
        ['tag key of 251 characters', 'POST', 'runs/set-tag', { run_id: runId, key: 't'.repeat(251), value: '1' }],
      ]);
    });
    expectSameExcept({ mlflow, flowdesk }, {
      'fractional step': { mlflow: 'ok', flowdesk: INVALID, why: 'MLflow truncates a step of 1.5 to 1 (int()); Flowdesk refuses it rather than store another step' },
    });
    expect(mlflow['text value']).toEqual(INVALID);
  });

  it('accepts a param logged again with its value and refuses it with another', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { runId } = await experimentWithRun(side, 'params');
      const seen = await outcomes(side, [
        ['first', 'POST', 'runs/log-parameter', { run_id: runId, key: 'lr', value: '0.1' }],
        ['same value', 'POST', 'runs/log-parameter', { run_id: runId, key: 'lr', value: '0.1' }],
        ['other value', 'POST', 'runs/log-parameter', { run_id: runId, key: 'lr', value: '0.2' }],
        ['other value in a batch', 'POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.3' }] }],
        ['same key twice in a batch', 'POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'd', value: '1' }, { key: 'd', value: '2' }] }],
        ['same pair twice in a batch', 'POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'e', value: '1' }, { key: 'e', value: '1' }] }],
      ]);
      const { run } = await side.ok('GET', 'runs/get', { run_id: runId });
      const params = ((run as { data: { params?: { key: string; value: string }[] } }).data.params ?? []).sort((a, b) => a.key.localeCompare(b.key));
      return { seen, params };
    });
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow.seen['other value']).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it('refuses batches over the per-request limits', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { runId } = await experimentWithRun(side, 'batch limits');
      const metrics = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `m${i}`, value: i, timestamp: NOW, step: 0 }));
      const params = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `p${i}`, value: String(i) }));
      const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `t${i}`, value: String(i) }));
      return outcomes(side, [
        ['1000 metrics', 'POST', 'runs/log-batch', { run_id: runId, metrics: metrics(1000) }],
        ['1001 metrics', 'POST', 'runs/log-batch', { run_id: runId, metrics: metrics(1001) }],
        ['100 params', 'POST', 'runs/log-batch', { run_id: runId, params: params(100) }],
        ['101 params', 'POST', 'runs/log-batch', { run_id: runId, params: params(101) }],
        ['101 tags', 'POST', 'runs/log-batch', { run_id: runId, tags: tags(101) }],
        ['1001 entries in all', 'POST', 'runs/log-batch', { run_id: runId, metrics: metrics(950), tags: tags(51) }],
      ]);
    });
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow['1001 metrics']).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it('refuses a second experiment of the same name', async () => {
    const { mlflow, flowdesk } = await differential.run((side) =>
      outcomes(side, [
        ['first', 'POST', 'experiments/create', { name: 'twice' }],
        ['second', 'POST', 'experiments/create', { name: 'twice' }],
        ['other', 'POST', 'experiments/create', { name: 'twice-other' }],
      ]),
    );
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow.second).toEqual({ status: 400, error_code: 'RESOURCE_ALREADY_EXISTS' });
  });

  it('handles a deleted experiment: reading, renaming, logging and restoring', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { experimentId, runId } = await experimentWithRun(side, 'deleted experiment');
      await side.ok('POST', 'experiments/create', { name: 'taken name' });
      const seen = await outcomes(side, [
        ['delete', 'POST', 'experiments/delete', { experiment_id: experimentId }],
        ['delete again', 'POST', 'experiments/delete', { experiment_id: experimentId }],
        ['get', 'GET', 'experiments/get', { experiment_id: experimentId }],
        ['get by name', 'GET', 'experiments/get-by-name', { experiment_name: 'deleted experiment' }],
        ['rename', 'POST', 'experiments/update', { experiment_id: experimentId, new_name: 'renamed while deleted' }],
        ['set tag', 'POST', 'experiments/set-experiment-tag', { experiment_id: experimentId, key: 'k', value: 'v' }],
        ['get its run', 'GET', 'runs/get', { run_id: runId }],
        ['create run', 'POST', 'runs/create', { experiment_id: experimentId, start_time: NOW }],
        ['log to its run', 'POST', 'runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: NOW }],
        ['restore', 'POST', 'experiments/restore', { experiment_id: experimentId }],
        ['restore again', 'POST', 'experiments/restore', { experiment_id: experimentId }],
        ['rename onto a taken name', 'POST', 'experiments/update', { experiment_id: experimentId, new_name: 'taken name' }],
      ]);
      const { experiment } = await side.ok('GET', 'experiments/get', { experiment_id: experimentId });
      return { ...seen, lifecycle: (experiment as { lifecycle_stage: string }).lifecycle_stage };
    });
    expectSameExcept<unknown>({ mlflow, flowdesk }, {
      'delete again': { mlflow: NOT_FOUND, flowdesk: 'ok', why: 'deleting and restoring are idempotent in Flowdesk (a retried request succeeds), as they are for runs in MLflow' },
      'restore again': { mlflow: NOT_FOUND, flowdesk: 'ok', why: 'deleting and restoring are idempotent in Flowdesk (a retried request succeeds), as they are for runs in MLflow' },
      rename: {
        mlflow: { status: 500, error_code: 'INVALID_STATE' },
        flowdesk: { status: 400, error_code: 'INVALID_STATE' },
        why: 'MLflow answers INVALID_STATE with 500, which its clients retry for minutes; Flowdesk answers 400',
      },
      'rename onto a taken name': {
        mlflow: { status: 400, error_code: 'BAD_REQUEST' },
        flowdesk: { status: 400, error_code: 'RESOURCE_ALREADY_EXISTS' },
        why: "MLflow leaks its database's unique-constraint failure as BAD_REQUEST; Flowdesk names it as creating a duplicate does",
      },
    });
    expect(mlflow.lifecycle).toBe('active');
  });

  it('handles a deleted run: reading, logging, deleting again and restoring', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { runId } = await experimentWithRun(side, 'deleted run');
      const seen = await outcomes(side, [
        ['delete', 'POST', 'runs/delete', { run_id: runId }],
        ['delete again', 'POST', 'runs/delete', { run_id: runId }],
        ['get', 'GET', 'runs/get', { run_id: runId }],
        ['log metric', 'POST', 'runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: NOW }],
        ['log param', 'POST', 'runs/log-parameter', { run_id: runId, key: 'p', value: '1' }],
        ['set tag', 'POST', 'runs/set-tag', { run_id: runId, key: 't', value: '1' }],
        ['update', 'POST', 'runs/update', { run_id: runId, status: 'FINISHED' }],
        ['restore', 'POST', 'runs/restore', { run_id: runId }],
        ['restore again', 'POST', 'runs/restore', { run_id: runId }],
        ['log after restore', 'POST', 'runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: NOW }],
      ]);
      const { run } = await side.ok('GET', 'runs/get', { run_id: runId });
      return { seen, lifecycle: (run as { info: { lifecycle_stage: string } }).info.lifecycle_stage };
    });
    expect(flowdesk).toEqual(mlflow);
  });

  it('refuses run and experiment searches it cannot answer', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { experimentId } = await experimentWithRun(side, 'bad searches');
      const search = (fields: Record<string, unknown>) => ({ experiment_ids: [experimentId], ...fields });
      return outcomes(side, [
        ['filter syntax', 'POST', 'runs/search', search({ filter: 'metrics.m >' })],
        ['unknown entity', 'POST', 'runs/search', search({ filter: "nothing.m = '1'" })],
        ['metric against text', 'POST', 'runs/search', search({ filter: "metrics.m = 'x'" })],
        ['param against a number', 'POST', 'runs/search', search({ filter: 'params.p = 1' })],
        ['unknown order key', 'POST', 'runs/search', search({ order_by: ['nothing.m ASC'] })],
        ['bad order direction', 'POST', 'runs/search', search({ order_by: ['metrics.m UP'] })],
        ['50000 results', 'POST', 'runs/search', search({ max_results: 50_000 })],
        ['50001 results', 'POST', 'runs/search', search({ max_results: 50_001 })],
        ['garbage page token', 'POST', 'runs/search', search({ page_token: 'not a token' })],
        ['experiments: 50001 results', 'POST', 'experiments/search', { max_results: 50_001 }],
        ['experiments: filter syntax', 'POST', 'experiments/search', { filter: 'name =' }],
        ['experiments: unknown attribute', 'POST', 'experiments/search', { filter: "colour = 'red'" }],
      ]);
    });
    expectSameExcept({ mlflow, flowdesk }, {
      'param against a number': { mlflow: INVALID, flowdesk: 'ok', why: 'Flowdesk compares params and tags with a number literal numerically (params.lr < 0.01), which MLflow refuses' },
    });
    expect(mlflow['50001 results']).toEqual(INVALID);
  });

  it('keeps run names and their tag in step and refuses deleting a tag that is not there', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { runId } = await experimentWithRun(side, 'run names');
      const name = async () => {
        const { run } = await side.ok('GET', 'runs/get', { run_id: runId });
        const { info, data } = run as { info: { run_name: string }; data: { tags?: { key: string; value: string }[] } };
        return `${info.run_name} / ${data.tags?.find((t) => t.key === 'mlflow.runName')?.value}`;
      };
      const seen: Record<string, unknown> = await outcomes(side, [
        ['rename by update', 'POST', 'runs/update', { run_id: runId, run_name: 'by-update' }],
      ]);
      seen.afterUpdate = await name();
      seen['rename by tag'] = outcome(await side.call('POST', 'runs/set-tag', { run_id: runId, key: 'mlflow.runName', value: 'by-tag' }));
      seen.afterTag = await name();
      Object.assign(
        seen,
        await outcomes(side, [
          ['set tag', 'POST', 'runs/set-tag', { run_id: runId, key: 'k', value: 'v' }],
          ['delete tag', 'POST', 'runs/delete-tag', { run_id: runId, key: 'k' }],
          ['delete it again', 'POST', 'runs/delete-tag', { run_id: runId, key: 'k' }],
          ['delete a tag never set', 'POST', 'runs/delete-tag', { run_id: runId, key: 'never' }],
          ['delete a tag of a missing run', 'POST', 'runs/delete-tag', { run_id: UNKNOWN_RUN, key: 'k' }],
          ['experiment tag on a missing experiment', 'POST', 'experiments/set-experiment-tag', { experiment_id: '987654', key: 'k', value: 'v' }],
        ]),
      );
      return seen;
    });
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow.afterTag).toBe('by-tag / by-tag');
  });

  it('applies the same limits to names, ids and page sizes', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { experimentId, runId } = await experimentWithRun(side, 'limits');
      await side.ok('POST', 'registered-models/create', { name: 'limits model' });
      return outcomes(side, [
        ['empty experiment name', 'POST', 'experiments/create', { name: '' }],
        ['experiment id that is no number', 'GET', 'experiments/get', { experiment_id: 'abc' }],
        ['run id that is no run id', 'GET', 'runs/get', { run_id: 'not-a-run' }],
        ['history page of 0', 'GET', 'metrics/get-history', { run_id: runId, metric_key: 'm', max_results: 0 }],
        ['runs page of 0', 'POST', 'runs/search', { experiment_ids: [experimentId], max_results: 0 }],
        ['runs page of -1', 'POST', 'runs/search', { experiment_ids: [experimentId], max_results: -1 }],
        ['experiments page of 0', 'POST', 'experiments/search', { max_results: 0 }],
        ['experiments without a page size', 'POST', 'experiments/search', {}],
        ['models page of 1000', 'GET', 'registered-models/search', { max_results: 1000 }],
        ['models page of 1001', 'GET', 'registered-models/search', { max_results: 1001 }],
        ['versions page of 200001', 'GET', 'model-versions/search', { max_results: 200_001 }],
        ['version that is no number', 'GET', 'model-versions/get', { name: 'limits model', version: 'abc' }],
        ['version 0', 'GET', 'model-versions/get', { name: 'limits model', version: '0' }],
        ['empty model name', 'POST', 'registered-models/create', { name: '' }],
        ['model name with a slash', 'POST', 'registered-models/create', { name: 'team/model' }],
        ['run name of 251 characters', 'POST', 'runs/update', { run_id: runId, run_name: 'r'.repeat(251) }],
        ['negative step', 'POST', 'runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: NOW, step: -3 }],
        ['negative timestamp', 'POST', 'runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: -5, step: 0 }],
      ]);
    });
    const pageSize = 'Flowdesk refuses a page size below 1; MLflow takes 0 as "not given" and -1 without complaint';
    expectSameExcept({ mlflow, flowdesk }, {
      'experiments without a page size': { mlflow: INVALID, flowdesk: 'ok', why: "Flowdesk defaults to 1000 results, as MLflow's client always asks; MLflow's server requires the field" },
      'history page of 0': { mlflow: 'ok', flowdesk: INVALID, why: pageSize },
      'runs page of 0': { mlflow: 'ok', flowdesk: INVALID, why: pageSize },
      'runs page of -1': { mlflow: 'ok', flowdesk: INVALID, why: pageSize },
      'version 0': { mlflow: NOT_FOUND, flowdesk: INVALID, why: 'version numbers start at 1: Flowdesk calls 0 invalid rather than missing' },
      'model name with a slash': { mlflow: 'ok', flowdesk: INVALID, why: "'/' and '@' separate the parts of models:/ URIs, so Flowdesk keeps them out of model names" },
      'run name of 251 characters': {
        mlflow: 'ok',
        flowdesk: INVALID,
        why: "MLflow's schema declares run names String(250), which its SQLite store does not enforce (PostgreSQL and MySQL do); Flowdesk enforces it on every catalog",
      },
    });
    expect(mlflow['models page of 1001']).toEqual(INVALID);
  });
});
