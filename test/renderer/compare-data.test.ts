import { describe, expect, it } from 'vitest';
import { allowsLog, brushedRuns, constantFields, defaultAxes, diffParams, fieldId, fieldsOf, fieldValue, guessDirection, makeAxis, niceTicks, parseFieldId, prefersLog, summarizeMetrics } from '../../renderer/src/lib/compare-data.ts';
import { compareHref, parseRoute, routeHref } from '../../renderer/src/lib/route.ts';

const run = (params: Record<string, string>, metrics: Record<string, number> = {}) => ({ params, metrics });

describe('params side by side', () => {
  it('lists every param once, sorted, and marks those whose values differ', () => {
    const rows = diffParams([run({ lr: '0.01', model: 'rf' }), run({ lr: '0.1', model: 'rf' })]);
    expect(rows).toEqual([
      { key: 'lr', values: ['0.01', '0.1'], differs: true },
      { key: 'model', values: ['rf', 'rf'], differs: false },
    ]);
  });

  it('counts a param missing from one run as different', () => {
    const rows = diffParams([run({ seed: '1', extra: 'x' }), run({ seed: '1' }), run({ seed: '1' })]);
    expect(rows.find((r) => r.key === 'extra')).toEqual({ key: 'extra', values: ['x', undefined, undefined], differs: true });
    expect(rows.find((r) => r.key === 'seed')!.differs).toBe(false);
  });

  it('does not confuse a param named like an Object property with a missing one', () => {
    const rows = diffParams([run({ constructor: 'a' }), run({})]);
    expect(rows).toEqual([{ key: 'constructor', values: ['a', undefined], differs: true }]);
  });
});

describe('fields', () => {
  it('lists params then metrics, and reads a run’s value of each', () => {
    const runs = [run({ b: '1' }, { loss: 0.5 }), run({ a: 'x' }, { acc: 0.9 })];
    expect(fieldsOf(runs).map(fieldId)).toEqual(['param:a', 'param:b', 'metric:acc', 'metric:loss']);
    expect(fieldValue(runs[0]!, { kind: 'metric', key: 'loss' })).toBe(0.5);
    expect(fieldValue(runs[0]!, { kind: 'param', key: 'a' })).toBeUndefined();
  });

  it('round-trips field ids, keys with colons and slashes included', () => {
    expect(parseFieldId(fieldId({ kind: 'metric', key: 'val/loss:top' }))).toEqual({ kind: 'metric', key: 'val/loss:top' });
    expect(parseFieldId('tag:x')).toBeUndefined();
  });

  it('starts parallel coordinates with the differing params and the metrics that vary', () => {
    const runs = [run({ lr: '0.1', same: '1' }, { loss: 1, epochs: 3 }), run({ lr: '0.2', same: '1' }, { loss: 2, epochs: 3 })];
    expect(defaultAxes(runs).map(fieldId)).toEqual(['param:lr', 'metric:loss']);
  });
});

describe('axes', () => {
  it('scales numbers (also numbers written as params) linearly over their range', () => {
    const axis = makeAxis(['0.01', '0.1', 0.055, undefined]);
    expect(axis.kind).toBe('numeric');
    expect(axis.position('0.01')).toBe(0);
    expect(axis.position(0.1)).toBe(1);
    expect(axis.position(0.055)).toBeCloseTo(0.5);
    expect(axis.position(undefined)).toBeUndefined();
    expect(axis.ticks.length).toBeGreaterThan(2);
    expect(axis.ticks.every((t) => t.position >= 0 && t.position <= 1)).toBe(true);
  });

  it('places categories evenly in order, numbers in text ordered as numbers', () => {
    const axis = makeAxis(['svm', 'rf', 'lr', 'rf']);
    expect(axis.kind).toBe('categorical');
    expect(axis.ticks.map((t) => t.label)).toEqual(['lr', 'rf', 'svm']);
    expect([axis.position('lr'), axis.position('rf'), axis.position('svm')]).toEqual([0, 0.5, 1]);
    expect(makeAxis(['10', '9', 'x']).ticks.map((t) => t.label)).toEqual(['9', '10', 'x']);
  });

  it('pads an axis whose values are all equal, and cannot place NaN or ∞', () => {
    const axis = makeAxis([3, 3, Number.NaN, Number.POSITIVE_INFINITY]);
    expect(axis.position(3)).toBeCloseTo(0.5);
    expect(axis.position(Number.NaN)).toBeUndefined();
    expect(axis.position(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('picks round ticks', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(13, 87)).toEqual([20, 40, 60, 80]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });
});

describe('the compare route', () => {
  it('reads runs and choices from the link and writes the same link back', () => {
    const href = compareHref({ runIds: ['a1', 'b2', 'c3'], onlyDiff: true, x: 'param:lr', y: 'metric:val/loss', axes: ['param:lr', 'metric:acc'] });
    const route = parseRoute(href);
    expect(route).toEqual({ view: 'compare', runIds: ['a1', 'b2', 'c3'], onlyDiff: true, x: 'param:lr', y: 'metric:val/loss', axes: ['param:lr', 'metric:acc'] });
    expect(routeHref(route)).toBe(href);
    expect(href.startsWith('#/compare?runs=a1,b2,c3&')).toBe(true);
  });

  it('drops repeated and empty run ids and leaves unset choices to the view', () => {
    expect(parseRoute('#/compare?runs=a,,b,a')).toEqual({ view: 'compare', runIds: ['a', 'b'], onlyDiff: false, x: undefined, y: undefined, axes: undefined });
    expect(parseRoute('#/compare')).toMatchObject({ view: 'compare', runIds: [] });
  });
});

describe('log axes', () => {
  it('chooses a log axis for positive values spanning decades, and a linear one otherwise', () => {
    expect(prefersLog(['0.0001', '0.0003', '0.001', '0.01'])).toBe(true);
    expect(prefersLog([0.5, 0.6, 0.9])).toBe(false);
    expect(prefersLog([0, 1, 1000])).toBe(false);
    expect(prefersLog(['adam', 'sgd'])).toBe(false);
    expect(prefersLog([1e-3])).toBe(false);
  });

  it('places values by their logarithm, with powers of ten as ticks', () => {
    const axis = makeAxis(['0.0001', '0.001', '0.01'], 'log');
    expect(axis.scale).toBe('log');
    expect(axis.position('0.0001')).toBeCloseTo(0);
    expect(axis.position('0.001')).toBeCloseTo(0.5);
    expect(axis.position('0.01')).toBeCloseTo(1);
    expect(axis.ticks.map((t) => t.label)).toEqual(['1.0e-4', '0.001', '0.01']);
  });

  it('stays linear when asked for log but a value is zero or negative', () => {
    expect(allowsLog([0, 1, 10])).toBe(false);
    expect(makeAxis([0, 1, 10], 'log').scale).toBe('linear');
  });
});

describe('brushing', () => {
  const runs: { runId: string; params: Record<string, string>; metrics: Record<string, number> }[] = [
    { runId: 'a', params: { lr: '0.1' }, metrics: { loss: 0.2 } },
    { runId: 'b', params: { lr: '0.01' }, metrics: { loss: 0.5 } },
    { runId: 'c', params: { lr: '0.001' }, metrics: {} },
  ];
  const lr = { kind: 'param' as const, key: 'lr' };
  const loss = { kind: 'metric' as const, key: 'loss' };

  it('keeps the runs whose values lie inside every brushed range', () => {
    const lrAxis = makeAxis(runs.map((r) => fieldValue(r, lr)), 'log');
    expect(brushedRuns(runs, [{ field: lr, axis: lrAxis, brush: { lo: 0.4, hi: 1 } }])).toEqual(new Set(['a', 'b']));
    const lossAxis = makeAxis(runs.map((r) => fieldValue(r, loss)));
    expect(brushedRuns(runs, [{ field: lr, axis: lrAxis, brush: { lo: 0.4, hi: 1 } }, { field: loss, axis: lossAxis, brush: { lo: 0.6, hi: 1 } }])).toEqual(new Set(['b']));
  });

  it('leaves out a run without a value on a brushed axis', () => {
    const lossAxis = makeAxis(runs.map((r) => fieldValue(r, loss)));
    expect(brushedRuns(runs, [{ field: loss, axis: lossAxis, brush: { lo: 0, hi: 1 } }])).toEqual(new Set(['a', 'b']));
  });
});

describe('fields with one value', () => {
  it('names the fields every run agrees on, with their value', () => {
    const runs = [run({ seed: '1', lr: '0.1' }, { epochs: 10, loss: 0.2 }), run({ seed: '1', lr: '0.2' }, { epochs: 10 })];
    const fields = fieldsOf(runs);
    expect(constantFields(runs, fields)).toEqual([
      { field: { kind: 'param', key: 'seed' }, value: '1', runs: 2 },
      { field: { kind: 'metric', key: 'epochs' }, value: 10, runs: 2 },
      { field: { kind: 'metric', key: 'loss' }, value: 0.2, runs: 1 },
    ]);
  });
});

describe('metrics summary', () => {
  it('guesses lower is better for losses and errors, higher for accuracy and the unknown', () => {
    expect(['loss', 'val/loss', 'train_loss', 'error_rate', 'rmse', 'val/perplexity', 'latency_ms'].map(guessDirection)).toEqual(Array(7).fill('lower'));
    expect(['acc', 'val/accuracy', 'f1', 'auc', 'reward', 'epoch'].map(guessDirection)).toEqual(Array(6).fill('higher'));
  });

  it('marks the best value of each metric by its direction, ties included, NaN and ∞ never best', () => {
    const rows = summarizeMetrics([
      { metrics: { loss: 0.5, acc: 0.9 } },
      { metrics: { loss: 0.2, acc: Number.POSITIVE_INFINITY } },
      { metrics: { loss: Number.NaN, acc: 0.9 } },
      { metrics: { acc: 0.7 } },
    ]);
    expect(rows).toEqual([
      { key: 'acc', values: [0.9, Number.POSITIVE_INFINITY, 0.9, 0.7], direction: 'higher', best: 0.9, bestIndexes: [0, 2] },
      { key: 'loss', values: [0.5, 0.2, Number.NaN, undefined], direction: 'lower', best: 0.2, bestIndexes: [1] },
    ]);
  });

  it('marks nothing when every run has the same value', () => {
    const rows = summarizeMetrics([{ metrics: { epochs: 40 } }, { metrics: { epochs: 40 } }, { metrics: {} }]);
    expect(rows[0]).toMatchObject({ best: undefined, bestIndexes: [] });
  });

  it('follows a flipped direction', () => {
    const rows = summarizeMetrics([{ metrics: { loss: 0.5 } }, { metrics: { loss: 0.2 } }], { loss: 'higher' });
    expect(rows[0]).toMatchObject({ direction: 'higher', best: 0.5, bestIndexes: [0] });
  });
});
