import { describe, expect, it } from 'vitest';
import type { Run } from '#core/api/entities.ts';
import {
  andFilter,
  childCondition,
  columnId,
  paramCondition,
  TOP_LEVEL_CONDITION,
  compareRows,
  csvLine,
  defaultChoice,
  groupCondition,
  groupOf,
  loadChoice,
  loadWidths,
  lowerIsBetter,
  orderedColumns,
  saveWidths,
  orderByFor,
  parseColumnId,
  runIdCondition,
  saveChoice,
  toRow,
  type RunRow,
} from '../../renderer/src/lib/run-rows.ts';

const row = (runId: string, startTime: number, metrics: Record<string, number> = {}, params: Record<string, string> = {}): RunRow => ({
  runId, name: runId, status: 'FINISHED', startTime, userId: 'u', params, metrics, tags: {}, deleted: false,
});

/** A Map behind the two Storage methods the choice uses. */
function memoryStorage() {
  const map = new Map<string, string>();
  return { map, getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v) };
}

describe('runs table model', () => {
  it('flattens a run into a row of params and latest metrics', () => {
    const run: Run = {
      info: { runId: 'r1', runName: 'a', experimentId: '1', userId: 'ada', status: 'RUNNING', startTime: 5, artifactUri: 'x', lifecycleStage: 'active' },
      data: { metrics: [{ key: 'loss', value: Number.NaN, timestamp: 1, step: 0 }], params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 'mlflow.parentRunId', value: 'p1' }] },
      inputs: { datasetInputs: [] },
    };
    expect(toRow(run)).toEqual({
      runId: 'r1', name: 'a', status: 'RUNNING', startTime: 5, endTime: undefined, userId: 'ada', params: { lr: '0.1' }, metrics: { loss: Number.NaN },
      tags: { 'mlflow.parentRunId': 'p1' }, parentId: 'p1', deleted: false,
    });
  });

  it('maps a column sort to the orderBy of runs.search, quoting keys', () => {
    expect(orderByFor({ column: { kind: 'metric', key: 'val loss' }, ascending: true })).toEqual(['metrics.`val loss` ASC']);
    expect(orderByFor({ column: { kind: 'param', key: 'a`b' }, ascending: false })).toEqual(['params.`a``b` DESC']);
    expect(orderByFor({ column: { kind: 'attribute', key: 'name' }, ascending: true })).toEqual(['attributes.run_name ASC']);
    expect(orderByFor({ column: { kind: 'attribute', key: 'duration' }, ascending: true })).toEqual([]);
    expect(orderByFor({ column: { kind: 'tag', key: 'team' }, ascending: true })).toEqual(['tags.`team` ASC']);
  });

  it('round-trips column ids and refuses ones that name no column', () => {
    for (const column of [{ kind: 'metric', key: 'a:b' }, { kind: 'param', key: 'lr' }, { kind: 'tag', key: 'x' }, { kind: 'attribute', key: 'user' }] as const) {
      expect(parseColumnId(columnId(column))).toEqual(column);
    }
    expect(parseColumnId('attribute:nope')).toBeUndefined();
    expect(parseColumnId('label:x')).toBeUndefined();
    expect(parseColumnId('metric:')).toBeUndefined();
  });

  it('orders rows as the server does: missing values last, ties newest first', () => {
    const rows = [row('a', 1, { loss: 0.5 }), row('b', 2), row('c', 3, { loss: 0.1 }), row('d', 4, { loss: 0.5 })];
    const sorted = [...rows].sort((x, y) => compareRows(x, y, { column: { kind: 'metric', key: 'loss' }, ascending: true }));
    expect(sorted.map((r) => r.runId)).toEqual(['c', 'd', 'a', 'b']);
    const descending = [...rows].sort((x, y) => compareRows(x, y, { column: { kind: 'metric', key: 'loss' }, ascending: false }));
    expect(descending.map((r) => r.runId)).toEqual(['d', 'a', 'c', 'b']);
  });

  it('remembers the column choice per experiment and ignores unreadable values', () => {
    const storage = memoryStorage();
    expect(loadChoice(storage, '1')).toBeUndefined();
    saveChoice(storage, '1', { params: ['lr'], metrics: ['loss'], tags: ['team'], pinned: ['metric:loss'] });
    expect(loadChoice(storage, '1')).toEqual({ params: ['lr'], metrics: ['loss'], tags: ['team'], pinned: ['metric:loss'] });
    // A choice saved before tags and pins were kept reads back with none.
    storage.map.set('flowdesk.runs-table.columns.5', '{"params":["lr"],"metrics":[]}');
    expect(loadChoice(storage, '5')).toEqual({ params: ['lr'], metrics: [], tags: [], pinned: [] });
    expect(loadChoice(storage, '2')).toBeUndefined();
    storage.map.set('flowdesk.runs-table.columns.3', '{not json');
    expect(loadChoice(storage, '3')).toBeUndefined();
    storage.map.set('flowdesk.runs-table.columns.4', '{"params":[1],"metrics":[]}');
    expect(loadChoice(storage, '4')).toBeUndefined();
  });

  it('shows the metrics most runs have and the params that vary until someone chooses', () => {
    const metrics = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((key, i) => ({ key, runCount: i === 0 ? 1 : 100 - i, varies: true }));
    const params = [
      { key: 'fixed', runCount: 100, distinctValues: 1 },
      { key: 'lr', runCount: 100, distinctValues: 7 },
      { key: 'seed', runCount: 90, distinctValues: 90 },
      ...['p1', 'p2', 'p3', 'p4', 'p5'].map((key, i) => ({ key, runCount: 10 - i, distinctValues: 2 })),
    ];
    expect(defaultChoice({ params, metrics })).toEqual({ params: ['lr', 'p1', 'p2', 'p3', 'seed'], metrics: ['b', 'c', 'd', 'e', 'f', 'g'], tags: [], pinned: [] });
    // A single run varies in nothing: its params show.
    expect(defaultChoice({ params: [{ key: 'prompt', runCount: 1, distinctValues: 1 }], metrics: [] }).params).toEqual(['prompt']);
  });

  it('leaves out of the defaults a metric every run logs with one value, unless no metric varies', () => {
    const metrics = [
      { key: 'epochs', runCount: 300, varies: false },
      { key: 'train/loss', runCount: 300, varies: true },
      { key: 'val/acc', runCount: 290, varies: true },
    ];
    expect(defaultChoice({ params: [], metrics }).metrics).toEqual(['train/loss', 'val/acc']);
    // A single run varies in nothing: its metrics show.
    expect(defaultChoice({ params: [], metrics: [{ key: 'epochs', runCount: 1, varies: false }] }).metrics).toEqual(['epochs']);
  });

  it('puts pinned columns first, in pinning order, then params, metrics and attributes, and forgets pins of columns not shown', () => {
    const { pinned, rest } = orderedColumns({ params: ['lr'], metrics: ['loss', 'acc'], tags: [], pinned: ['metric:acc', 'param:gone', 'attribute:user'] });
    expect(pinned.map(columnId)).toEqual(['metric:acc', 'attribute:user']);
    expect(rest.map(columnId)).toEqual(['param:lr', 'metric:loss', 'attribute:status', 'attribute:start', 'attribute:duration']);
  });

  it('remembers column widths per experiment and ignores unreadable ones', () => {
    const storage = memoryStorage();
    saveWidths(storage, '1', { 'metric:val/acc': 140 });
    expect(loadWidths(storage, '1')).toEqual({ 'metric:val/acc': 140 });
    expect(loadWidths(storage, '2')).toEqual({});
    storage.map.set('flowdesk.runs-table.widths.3', '{"a":-5,"b":"x","c":90}');
    expect(loadWidths(storage, '3')).toEqual({ c: 90 });
    storage.map.set('flowdesk.runs-table.widths.4', 'nope');
    expect(loadWidths(storage, '4')).toEqual({});
  });

  it('names the runs of a numeric range and of values that are not numbers, and places a value in its group', () => {
    const range = { value: '[0.001, 0.01)', runCount: 1, metrics: [], range: { low: 0.001, high: 0.01 } };
    const other = { value: 'not a number', runCount: 1, metrics: [], notNumber: true };
    const none = { value: null, runCount: 1, metrics: [] };
    expect(groupCondition('lr', range)).toBe('params.`lr` >= 0.001 and params.`lr` < 0.01');
    expect(groupCondition('lr', other)).toBe('params.`lr` IS NOT NULL and not (params.`lr` < 0 or params.`lr` >= 0)');
    expect(groupCondition('lr', none)).toBe('params.`lr` IS NULL');
    const groups = [range, other, none];
    expect(groupOf(groups, '0.005')).toBe(range);
    expect(groupOf(groups, '0.01')).toBeUndefined();
    expect(groupOf(groups, 'adam')).toBe(other);
    expect(groupOf(groups, undefined)).toBe(none);
  });

  it('guesses which metrics are best when lowest', () => {
    expect(['val/loss', 'error_rate', 'rmse', 'latency_ms'].every(lowerIsBetter)).toBe(true);
    expect(['val/acc', 'f1', 'auc', 'reward'].some(lowerIsBetter)).toBe(false);
  });

  it('writes CSV fields that spreadsheets read back as written', () => {
    expect(csvLine(['plain', 'a,b', 'say "hi"', 'two\nlines', '=cmd()', '-3.5', '@x'])).toBe(`plain,"a,b","say ""hi""","two\nlines",'=cmd(),-3.5,'@x\r\n`);
  });

  it('narrows a filter to given runs with quotes escaped', () => {
    expect(andFilter('', runIdCondition(['a', "b'c"]))).toBe("attributes.run_id IN ('a', 'b''c')");
    expect(andFilter("params.x = '1' or params.x = '2'", runIdCondition(['a']))).toBe("(params.x = '1' or params.x = '2') and attributes.run_id IN ('a')");
  });

  it('names the runs of a group by their param value, and the runs lacking it', () => {
    expect(paramCondition('model', "o'brien")).toBe("params.`model` = 'o''brien'");
    expect(paramCondition('model', null)).toBe('params.`model` IS NULL');
    expect(childCondition('abc')).toBe("tags.`mlflow.parentRunId` = 'abc'");
    expect(TOP_LEVEL_CONDITION).toBe('tags.`mlflow.parentRunId` IS NULL');
  });
});
