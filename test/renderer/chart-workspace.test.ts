/** The chart workspace's layout: metrics grouped by prefix, and what the person chose, kept per experiment. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT, groupByPrefix, loadLayout, metricPrefix, saveLayout, visibleGroups } from '../../renderer/src/lib/chart-workspace.ts';
import { chartsHref, parseRoute, routeHref } from '../../renderer/src/lib/route.ts';

/** A Map-backed stand-in for localStorage. */
function memoryStorage() {
  const map = new Map<string, string>();
  return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v), map };
}

describe('metric groups', () => {
  it('groups metrics by the prefix before their first slash, unprefixed ones last', () => {
    expect(groupByPrefix(['val/loss', 'loss', 'train/loss', 'val/acc', 'lr', 'train/acc', 'val/loss'])).toEqual([
      { prefix: 'train', keys: ['train/acc', 'train/loss'] },
      { prefix: 'val', keys: ['val/acc', 'val/loss'] },
      { prefix: '', keys: ['loss', 'lr'] },
    ]);
    expect(metricPrefix('/odd')).toBe('');
    expect(metricPrefix('eval/top1/acc')).toBe('eval');
  });

  it('leaves hidden metrics out, and a group with none left', () => {
    const groups = groupByPrefix(['train/loss', 'val/loss', 'val/acc']);
    expect(visibleGroups(groups, { hidden: ['train/loss', 'val/acc'] })).toEqual([{ prefix: 'val', keys: ['val/loss'] }]);
  });
});

describe('the workspace layout', () => {
  it('keeps each experiment’s choices apart and reads them back', () => {
    const storage = memoryStorage();
    saveLayout(storage, '7', { hidden: ['val/acc'], folded: ['train'], runLimit: 50 });
    expect(loadLayout(storage, '7')).toEqual({ hidden: ['val/acc'], folded: ['train'], runLimit: 50 });
    expect(loadLayout(storage, '8')).toEqual(DEFAULT_LAYOUT);
  });

  it('falls back to the default for a value it cannot read', () => {
    const storage = memoryStorage();
    storage.setItem('flowdesk.charts.7', '{not json');
    expect(loadLayout(storage, '7')).toEqual(DEFAULT_LAYOUT);
    storage.setItem('flowdesk.charts.7', JSON.stringify({ hidden: ['a', 3], runLimit: 12345 }));
    expect(loadLayout(storage, '7')).toEqual({ hidden: ['a'], folded: [], runLimit: DEFAULT_LAYOUT.runLimit });
  });

  it('has a link that names the experiment and, optionally, the runs', () => {
    expect(parseRoute(chartsHref('3', ['a1', 'b2']))).toEqual({ view: 'charts', experimentId: '3', runIds: ['a1', 'b2'] });
    expect(parseRoute(chartsHref('3'))).toEqual({ view: 'charts', experimentId: '3' });
    expect(routeHref({ view: 'charts', experimentId: '3', runIds: ['a1'] })).toBe('#/experiments/3/charts?runs=a1');
  });
});
