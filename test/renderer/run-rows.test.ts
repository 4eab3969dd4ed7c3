import { describe, expect, it } from 'vitest';
import type { Run } from '#core/api/entities.ts';
import {
  andFilter,
  childCondition,
  columnId,
  paramCondition,
  TOP_LEVEL_CONDITION,
  compareRows,
  defaultChoice,
  loadChoice,
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
    saveChoice(storage, '1', { params: ['lr'], metrics: ['loss'], tags: ['team'] });
    expect(loadChoice(storage, '1')).toEqual({ params: ['lr'], metrics: ['loss'], tags: ['team'] });
    // A choice saved before tags were columns reads back with none.
    storage.map.set('flowdesk.runs-table.columns.5', '{"params":["lr"],"metrics":[]}');
    expect(loadChoice(storage, '5')).toEqual({ params: ['lr'], metrics: [], tags: [] });
    expect(loadChoice(storage, '2')).toBeUndefined();
    storage.map.set('flowdesk.runs-table.columns.3', '{not json');
    expect(loadChoice(storage, '3')).toBeUndefined();
    storage.map.set('flowdesk.runs-table.columns.4', '{"params":[1],"metrics":[]}');
    expect(loadChoice(storage, '4')).toBeUndefined();
  });

  it('shows the first three params and metrics until someone chooses', () => {
    expect(defaultChoice(['a', 'b', 'c', 'd'], ['m'])).toEqual({ params: ['a', 'b', 'c'], metrics: ['m'], tags: [] });
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
