/**
 * Differential: run and experiment searches (ordering with NaN, ±Infinity and missing values,
 * several keys, filters, paging to the last page) and metric histories go to MLflow 2.12.2's own
 * server and to Flowdesk over the same data, and both answer in the same order (and -0 is found as 0).
 */
import { describe, expect, it } from 'vitest';
import { expectSameExcept, useDifferential, type Side } from '../helpers/differential.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON } from '../helpers/python-clients.ts';

const NOW = 1_700_000_000_000;

/** Runs with awkward values: NaN, ±Infinity, a missing metric, numbers in params, a missing param. */
const RUNS: { name: string; m?: number | string; n: number; p?: string; t?: string; status: string }[] = [
  { name: 'one', m: 1, n: 2, p: 'b', t: 'x', status: 'FINISHED' },
  { name: 'nan', m: 'NaN', n: 1, p: 'a', t: 'y', status: 'FAILED' },
  { name: 'missing', n: 2, t: 'x', status: 'FINISHED' },
  { name: 'minus-inf', m: '-Infinity', n: 1, p: '10', status: 'RUNNING' },
  { name: 'plus-inf', m: 'Infinity', n: 2, p: '9', t: 'Y', status: 'FINISHED' },
  { name: 'half', m: 0.5, n: 1, p: 'b', t: 'x', status: 'KILLED' },
  { name: 'zero', m: 0, n: 2, p: 'B', t: 'x', status: 'FINISHED' },
];

interface RunsPage {
  runs?: { info: { run_id: string; run_name: string } }[];
  next_page_token?: string;
}

/** Logs RUNS into a new experiment, each with its own start time so that ties break the same way. */
async function logRuns(side: Side, experimentName: string): Promise<string> {
  const { experiment_id } = await side.ok('POST', 'experiments/create', { name: experimentName });
  for (const [i, spec] of RUNS.entries()) {
    const { run } = await side.ok('POST', 'runs/create', { experiment_id, run_name: spec.name, start_time: NOW + i * 1000 });
    const runId = (run as { info: { run_id: string } }).info.run_id;
    const metrics = [{ key: 'n', value: spec.n, timestamp: NOW, step: 0 }];
    if (spec.m !== undefined) metrics.push({ key: 'm', value: spec.m as number, timestamp: NOW, step: 0 });
    const params = spec.p === undefined ? [] : [{ key: 'p', value: spec.p }];
    const tags = spec.t === undefined ? [] : [{ key: 't', value: spec.t }];
    await side.ok('POST', 'runs/log-batch', { run_id: runId, metrics, params, tags });
    if (spec.status !== 'RUNNING') await side.ok('POST', 'runs/update', { run_id: runId, status: spec.status, end_time: NOW + i * 1000 + 500 });
  }
  return experiment_id as string;
}

/** The run names a search answers, in order (a refusal shows as its error code). */
async function names(side: Side, experimentId: string, fields: Record<string, unknown>): Promise<string[] | string> {
  const answer = await side.call('POST', 'runs/search', { experiment_ids: [experimentId], ...fields });
  if (answer.status !== 200) return `${answer.status} ${String(answer.body.error_code)}`;
  return ((answer.body as RunsPage).runs ?? []).map((r) => r.info.run_name);
}

/** Every page of a search, as the run names of each page and whether a token followed it. */
async function pages(side: Side, experimentId: string, fields: Record<string, unknown>): Promise<{ names: string[]; token: boolean }[]> {
  const seen: { names: string[]; token: boolean }[] = [];
  let token: string | undefined;
  do {
    const body = (await side.ok('POST', 'runs/search', { experiment_ids: [experimentId], ...fields, ...(token ? { page_token: token } : {}) })) as RunsPage;
    token = body.next_page_token;
    seen.push({ names: (body.runs ?? []).map((r) => r.info.run_name), token: token !== undefined });
  } while (token && seen.length < 20);
  return seen;
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)("MLflow 2.12.2's server and Flowdesk search and page the same way", () => {
  const differential = useDifferential();

  it('orders runs by a metric with NaN, ±Infinity and missing values, both ways', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const id = await logRuns(side, 'order by metric');
      return {
        asc: await names(side, id, { order_by: ['metrics.m ASC'] }),
        desc: await names(side, id, { order_by: ['metrics.m DESC'] }),
        bare: await names(side, id, { order_by: ['metrics.m'] }),
        twoKeys: await names(side, id, { order_by: ['metrics.n DESC', 'metrics.m ASC'] }),
        backticks: await names(side, id, { order_by: ['metrics.`m` DESC'] }),
      };
    });
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow.asc).toHaveLength(RUNS.length);
  });

  it('orders runs by params and tags with missing values, and by attributes', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const id = await logRuns(side, 'order by param');
      return {
        paramAsc: await names(side, id, { order_by: ['params.p ASC'] }),
        paramDesc: await names(side, id, { order_by: ['params.p DESC'] }),
        tagAsc: await names(side, id, { order_by: ['tags.t ASC'] }),
        tagThenMetric: await names(side, id, { order_by: ['tags.t DESC', 'metrics.m DESC'] }),
        paramThenParam: await names(side, id, { order_by: ['params.p ASC', 'attributes.start_time DESC'] }),
        default: await names(side, id, {}),
        startTime: await names(side, id, { order_by: ['attributes.start_time ASC'] }),
        runName: await names(side, id, { order_by: ['attributes.run_name DESC'] }),
        status: await names(side, id, { order_by: ['attributes.status', 'start_time ASC'] }),
        endTime: await names(side, id, { order_by: ['attributes.end_time DESC'] }),
      };
    });
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow.default).toEqual([...RUNS].reverse().map((r) => r.name));
  });

  it('filters runs on metrics with NaN and ±Infinity, and on missing params and tags', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const id = await logRuns(side, 'filters');
      const filter = (text: string) => names(side, id, { filter: text, order_by: ['attributes.start_time ASC'] });
      return {
        positive: await filter('metrics.m > 0'),
        notOne: await filter('metrics.m != 1'),
        atMost: await filter('metrics.m <= 1'),
        huge: await filter('metrics.m >= 1e308'),
        paramNot: await filter("params.p != 'a'"),
        paramLike: await filter("params.p LIKE 'b%'"),
        paramIlike: await filter("params.p ILIKE 'b%'"),
        paramIn: await filter("params.p IN ('a', '9')"),
        tagNot: await filter("tags.t != 'x'"),
        both: await filter("metrics.n = 2 and tags.t = 'x'"),
        status: await filter("attributes.status = 'FINISHED'"),
        statusIn: await filter("attributes.status IN ('FAILED', 'KILLED')"),
        runName: await filter("attributes.run_name LIKE '%inf'"),
        runNameTag: await filter("tags.`mlflow.runName` = 'half'"),
      };
    });
    const refused = '400 INVALID_PARAMETER_VALUE';
    const inList = 'Flowdesk accepts IN for params, tags and attributes; MLflow 2.12 only for run ids and datasets';
    expectSameExcept<string[] | string>({ mlflow, flowdesk }, {
      atMost: {
        mlflow: ['one', 'nan', 'minus-inf', 'half', 'zero'],
        flowdesk: ['one', 'minus-inf', 'half', 'zero'],
        why: 'MLflow stores NaN as 0 and so finds it <= 1; in Flowdesk NaN satisfies no comparison',
      },
      paramIn: { mlflow: refused, flowdesk: ['nan', 'plus-inf'], why: inList },
      statusIn: { mlflow: refused, flowdesk: ['nan', 'half'], why: inList },
    });
    expect(mlflow.positive).toContain('plus-inf');
  });

  it('pages through runs in order, with no token after the last page', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const id = await logRuns(side, 'paging');
      return {
        byTwo: await pages(side, id, { max_results: 2, order_by: ['metrics.m DESC'] }),
        byThree: await pages(side, id, { max_results: 3, order_by: ['params.p ASC'] }),
        exact: await pages(side, id, { max_results: RUNS.length }),
        filtered: await pages(side, id, { max_results: 1, filter: 'metrics.n = 1' }),
        none: await pages(side, id, { max_results: 5, filter: 'metrics.n = 7' }),
      };
    });
    // Deliberate: MLflow gives a token after a page that happens to end the results, and then an
    // empty page; Flowdesk knows it is the last page and gives none. The same runs, in the same order.
    const { exact, filtered, ...rest } = mlflow;
    expect({ exact: flowdesk.exact, filtered: flowdesk.filtered, ...rest }).toEqual(flowdesk);
    for (const [ours, theirs] of [[flowdesk.exact, exact], [flowdesk.filtered, filtered]] as const) {
      expect(theirs.at(-1)).toEqual({ names: [], token: false });
      expect(ours).toEqual(theirs.slice(0, -1).map((page, i, all) => ({ ...page, token: i < all.length - 1 })));
    }
    expect(mlflow.byTwo.map((p) => p.names.length)).toEqual([2, 2, 2, 1]);
  });

  it('pages through deleted and active runs by view type', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const id = await logRuns(side, 'view types');
      const all = (await side.ok('POST', 'runs/search', { experiment_ids: [id] })) as RunsPage;
      for (const run of (all.runs ?? []).filter((r) => r.info.run_name.includes('inf'))) await side.ok('POST', 'runs/delete', { run_id: run.info.run_id });
      return {
        active: await names(side, id, { run_view_type: 'ACTIVE_ONLY' }),
        deleted: await names(side, id, { run_view_type: 'DELETED_ONLY' }),
        all: await pages(side, id, { run_view_type: 'ALL', max_results: 4, order_by: ['attributes.run_name'] }),
      };
    });
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow.deleted).toEqual(['plus-inf', 'minus-inf']);
  });

  it('orders, filters and pages experiments', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      for (const name of ['exp-c', 'exp-a', 'exp-B', 'exp-b', 'other']) {
        const { experiment_id } = await side.ok('POST', 'experiments/create', { name, tags: [{ key: 'team', value: name.endsWith('b') ? 'b' : 'a' }] });
        if (name === 'exp-a') await side.ok('POST', 'experiments/delete', { experiment_id });
      }
      const search = async (fields: Record<string, unknown>) => {
        const seen: { names: string[]; token: boolean }[] = [];
        let token: string | undefined;
        do {
          const body = (await side.ok('POST', 'experiments/search', { ...fields, ...(token ? { page_token: token } : {}) })) as { experiments?: { name: string }[]; next_page_token?: string };
          token = body.next_page_token;
          seen.push({ names: (body.experiments ?? []).map((e) => e.name), token: token !== undefined });
        } while (token && seen.length < 20);
        return seen;
      };
      return {
        byName: await search({ filter: "name LIKE 'exp-%'", order_by: ['name DESC'], max_results: 2 }),
        ilike: await search({ filter: "name ILIKE 'EXP-B%'", order_by: ['name'], max_results: 100 }),
        deleted: await search({ filter: "name LIKE 'exp-%'", view_type: 'DELETED_ONLY', max_results: 100 }),
        all: await search({ filter: "name LIKE 'exp-%'", view_type: 'ALL', order_by: ['name ASC'], max_results: 100 }),
        byTag: await search({ filter: "tags.team = 'b'", order_by: ['name ASC'], max_results: 100 }),
        newestFirst: await search({ filter: "name != 'Default'", max_results: 3 }),
        byCreation: await search({ filter: "name LIKE '%b'", order_by: ['creation_time DESC'], max_results: 100 }),
      };
    });
    expect(flowdesk).toEqual(mlflow);
    expect(mlflow.byName.at(-1)?.token).toBe(false);
  });

  it('keeps a metric history with NaN, ±Infinity and repeated steps, and picks the same latest value', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { experiment_id } = await side.ok('POST', 'experiments/create', { name: 'history' });
      const { run } = await side.ok('POST', 'runs/create', { experiment_id, start_time: NOW });
      const runId = (run as { info: { run_id: string } }).info.run_id;
      const points: [value: number | string, step: number, timestamp: number][] = [
        [3, 2, NOW],
        ['NaN', 1, NOW],
        ['Infinity', 2, NOW + 5],
        [1, 0, NOW],
        ['-Infinity', 2, NOW + 5],
        [2, 1, NOW + 1],
      ];
      for (const [value, step, timestamp] of points) await side.ok('POST', 'runs/log-metric', { run_id: runId, key: 'h', value, step, timestamp });
      const { metrics } = (await side.ok('GET', 'metrics/get-history', { run_id: runId, metric_key: 'h' })) as { metrics: { value: unknown; step: string | number; timestamp: string | number }[] };
      const { run: read } = await side.ok('GET', 'runs/get', { run_id: runId });
      const latest = (read as { data: { metrics: { value: unknown; step: unknown }[] } }).data.metrics[0];
      const point = (m: { value: unknown; step: unknown; timestamp?: unknown }) => `${String(m.value)}@${Number(m.step)}`;
      return { history: metrics.map(point).sort(), latest: latest && point(latest) };
    });
    // Deliberate: MLflow's SQL store clamps ±Infinity to ±1.7976931348623157e+308; Flowdesk keeps it.
    const clamped = (point: string) => point.replace(/^(-?)1\.7976931348623157e\+308@/, '$1Infinity@');
    expect(flowdesk).toEqual({ history: mlflow.history.map(clamped).sort(), latest: clamped(mlflow.latest ?? '') });
    expect(mlflow.history).toContain('1.7976931348623157e+308@2');
    expect(mlflow.history).toHaveLength(6);
  });

  it('finds and orders -0 as 0, and keeps its sign where MLflow on SQLite reads back 0', async () => {
    const { mlflow, flowdesk } = await differential.run(async (side) => {
      const { experiment_id } = await side.ok('POST', 'experiments/create', { name: 'signed-zero' });
      const values: [name: string, value: number | string][] = [
        ['minus-zero', '-0.0'],
        ['zero', 0],
        ['minus-one', -1],
      ];
      const ids: string[] = [];
      for (const [i, [name, value]] of values.entries()) {
        const { run } = await side.ok('POST', 'runs/create', { experiment_id, run_name: name, start_time: NOW + i * 1000 });
        ids.push((run as { info: { run_id: string } }).info.run_id);
        // A quoted decimal: the test's JSON.stringify would write a -0 number as 0.
        await side.ok('POST', 'runs/log-metric', { run_id: ids.at(-1), key: 'z', value, timestamp: NOW, step: 0 });
      }
      const search = (fields: Record<string, unknown>) => names(side, experiment_id as string, fields);
      const { metrics } = (await side.ok('GET', 'metrics/get-history', { run_id: ids[0], metric_key: 'z' })) as { metrics: { value: number }[] };
      return {
        equal: await search({ filter: 'metrics.z = 0', order_by: ['attributes.start_time ASC'] }),
        below: await search({ filter: 'metrics.z < 0', order_by: ['attributes.start_time ASC'] }),
        ordered: await search({ order_by: ['metrics.z ASC', 'attributes.start_time ASC'] }),
        negativeZeroRead: Object.is(metrics[0]?.value, -0),
      };
    });
    expectSameExcept<string[] | string | boolean>({ mlflow, flowdesk }, {
      negativeZeroRead: { mlflow: false, flowdesk: true, why: "MLflow's SQLite store keeps no sign on a zero; Flowdesk flags -0 beside the value" },
    });
    expect(flowdesk.equal).toEqual(['minus-zero', 'zero']);
  });
});
