import { describe, expect, it } from 'vitest';
import type { RunRow } from '../../renderer/src/lib/run-rows.ts';
import { buildDisplay, clickSelection, groupKey, runIdsOf, visibleColumns, type DisplayInput } from '../../renderer/src/lib/table-display.ts';

const row = (runId: string, parentId?: string): RunRow => ({ runId, name: runId, status: 'FINISHED', startTime: 0, userId: 'u', params: {}, metrics: {}, tags: {}, parentId, deleted: false });

const base: DisplayInput = { rows: [], nested: true, childCounts: {}, expanded: new Set(), children: {}, expandedGroups: new Set(), groupRuns: {} };

describe('runs table lines', () => {
  it('folds children under an expanded parent only', () => {
    const input = { ...base, rows: [row('p'), row('q')], childCounts: { p: 2 }, children: { p: [row('c1', 'p'), row('c2', 'p')] } };
    expect(buildDisplay(input).map((i) => i.key)).toEqual(['run:p', 'run:q']);
    const open = buildDisplay({ ...input, expanded: new Set(['p']) });
    expect(open.map((i) => [i.key, i.kind === 'run' ? i.depth : -1])).toEqual([['run:p', 0], ['run:c1', 1], ['run:c2', 1], ['run:q', 0]]);
    expect(open[0]).toMatchObject({ childCount: 2, expanded: true });
  });

  it('shows no expander outside the nested view (a filtered table is flat)', () => {
    const lines = buildDisplay({ ...base, nested: false, rows: [row('p')], childCounts: { p: 2 }, expanded: new Set(['p']), children: { p: [row('c', 'p')] } });
    expect(lines).toEqual([{ kind: 'run', key: 'run:p', row: row('p'), depth: 0, childCount: 0, expanded: false }]);
  });

  it('lists groups, the runs of expanded ones, and a "more" line while a group has runs to load', () => {
    const groups = [
      { value: 'rf', runCount: 3, metrics: [] },
      { value: null, runCount: 1, metrics: [] },
    ];
    const lines = buildDisplay({
      ...base,
      groups,
      expandedGroups: new Set([groupKey('rf')]),
      groupRuns: { [groupKey('rf')]: { rows: [row('a'), row('b')], pageToken: 't' } },
    });
    expect(lines.map((i) => i.key)).toEqual(['group:=rf', 'run:a', 'run:b', 'more:=rf', `group:${groupKey(null)}`]);
    expect(lines[3]).toMatchObject({ kind: 'more', shown: 2, total: 3 });
    expect(runIdsOf(lines)).toEqual(['a', 'b']);
  });

  it('keeps a group named like the missing-value key apart from the missing group', () => {
    expect(groupKey('')).not.toBe(groupKey(null));
    expect(groupKey('missing')).not.toBe(groupKey(null));
  });
});

describe('selection', () => {
  const order = ['a', 'b', 'c', 'd', 'e'];
  it('selects one run on a plain click, toggles with ctrl/cmd, and selects ranges with shift', () => {
    let s = clickSelection({ ids: new Set() }, order, 'b', {});
    expect([...s.ids]).toEqual(['b']);
    s = clickSelection(s, order, 'd', { range: true });
    expect([...s.ids].sort()).toEqual(['b', 'c', 'd']);
    // A second shift-click re-draws the range from the same anchor.
    s = clickSelection(s, order, 'a', { range: true });
    expect([...s.ids].sort()).toEqual(['a', 'b']);
    s = clickSelection(s, order, 'e', { toggle: true });
    expect([...s.ids].sort()).toEqual(['a', 'b', 'e']);
    s = clickSelection(s, order, 'a', { toggle: true });
    expect([...s.ids].sort()).toEqual(['b', 'e']);
    // Ctrl+shift adds a range to what is selected.
    s = clickSelection(s, order, 'c', { toggle: true, range: true });
    expect([...s.ids].sort()).toEqual(['a', 'b', 'c', 'e']);
  });

  it('falls back to a plain click when the anchor is no longer shown', () => {
    const s = clickSelection({ ids: new Set(['gone']), anchor: 'gone' }, order, 'c', { range: true });
    expect([...s.ids]).toEqual(['c']);
  });
});

describe('column windowing', () => {
  it('finds the columns in view from their offsets, with overscan', () => {
    const widths = Array.from({ length: 500 }, () => 100);
    const offsets = widths.map((_, i) => i * 100);
    expect(visibleColumns(offsets, widths, 0, 350, 0)).toEqual({ start: 0, end: 4 });
    expect(visibleColumns(offsets, widths, 10_050, 300, 0)).toEqual({ start: 100, end: 104 });
    expect(visibleColumns(offsets, widths, 10_050, 300)).toEqual({ start: 98, end: 106 });
    expect(visibleColumns(offsets, widths, 49_900, 1000)).toEqual({ start: 497, end: 500 });
    expect(visibleColumns([], [], 0, 100)).toEqual({ start: 0, end: 0 });
  });
});
