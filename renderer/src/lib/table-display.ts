/**
 * What the runs table draws, as one flat list of items (so the rows stay virtualized however
 * they nest): runs, runs folded under their parent, groups of runs by a param value, and the
 * "more" row of a group that has runs left to load. Also the selection rules (click, ctrl/cmd,
 * shift ranges), kept pure so they are tested without a browser.
 */
import type { RunGroup } from '#core/api/runs-table-contract.ts';
import type { RunRow } from './run-rows.ts';

/** A group's identity in maps and markup: runs without the param form their own group. */
export const groupKey = (value: string | null): string => (value === null ? '\u0000missing' : `=${value}`);

/** The runs of one group loaded so far. */
export interface GroupRuns {
  rows: readonly RunRow[];
  /** Set while the server has more. */
  pageToken?: string;
}

/** One drawn line of the table. */
export type DisplayItem =
  | { kind: 'run'; key: string; row: RunRow; depth: number; childCount: number; expanded: boolean }
  | { kind: 'group'; key: string; group: RunGroup; expanded: boolean }
  | { kind: 'more'; key: string; groupKey: string; shown: number; total: number };

/** The table's state that decides its lines. */
export interface DisplayInput {
  rows: readonly RunRow[];
  /** Nested mode: runs listed are top-level; their children load on expansion. */
  nested: boolean;
  childCounts: Readonly<Record<string, number>>;
  expanded: ReadonlySet<string>;
  children: Readonly<Record<string, readonly RunRow[]>>;
  /** Grouped mode when set: the groups, the expanded ones, and their runs. */
  groups?: readonly RunGroup[];
  expandedGroups: ReadonlySet<string>;
  groupRuns: Readonly<Record<string, GroupRuns>>;
}

/** The table's lines, top to bottom. */
export function buildDisplay(input: DisplayInput): DisplayItem[] {
  const items: DisplayItem[] = [];
  const runItem = (row: RunRow, depth: number) => {
    const childCount = input.nested ? (input.childCounts[row.runId] ?? 0) : 0;
    const expanded = childCount > 0 && input.expanded.has(row.runId);
    items.push({ kind: 'run', key: `run:${row.runId}`, row, depth, childCount, expanded });
    if (expanded) for (const child of input.children[row.runId] ?? []) items.push({ kind: 'run', key: `run:${child.runId}`, row: child, depth: depth + 1, childCount: 0, expanded: false });
  };
  if (input.groups) {
    for (const group of input.groups) {
      const key = groupKey(group.value);
      const expanded = input.expandedGroups.has(key);
      items.push({ kind: 'group', key: `group:${key}`, group, expanded });
      if (!expanded) continue;
      const loaded = input.groupRuns[key];
      for (const row of loaded?.rows ?? []) runItem(row, 1);
      if (loaded?.pageToken) items.push({ kind: 'more', key: `more:${key}`, groupKey: key, shown: loaded.rows.length, total: group.runCount });
    }
    return items;
  }
  for (const row of input.rows) runItem(row, 0);
  return items;
}

/** The run ids of the lines, in order (groups and "more" lines left out). */
export function runIdsOf(items: readonly DisplayItem[]): string[] {
  return items.flatMap((item) => (item.kind === 'run' ? [item.row.runId] : []));
}

/** A selection: the chosen runs and the anchor that shift-click ranges start from. */
export interface Selection {
  ids: ReadonlySet<string>;
  anchor?: string;
}

/**
 * The selection after a click on `runId` among `order` (the runs as drawn): a plain click
 * selects that run alone, ctrl/cmd toggles it, shift selects the range from the anchor (added
 * to the selection with ctrl/cmd as well).
 */
export function clickSelection(selection: Selection, order: readonly string[], runId: string, modifiers: { toggle?: boolean; range?: boolean }): Selection {
  if (modifiers.range && selection.anchor !== undefined) {
    const from = order.indexOf(selection.anchor);
    const to = order.indexOf(runId);
    if (from >= 0 && to >= 0) {
      const range = order.slice(Math.min(from, to), Math.max(from, to) + 1);
      const ids = new Set(modifiers.toggle ? selection.ids : []);
      for (const id of range) ids.add(id);
      return { ids, anchor: selection.anchor };
    }
  }
  if (modifiers.toggle) {
    const ids = new Set(selection.ids);
    if (ids.has(runId)) ids.delete(runId);
    else ids.add(runId);
    return { ids, anchor: runId };
  }
  return { ids: new Set([runId]), anchor: runId };
}

/**
 * The columns a viewport shows, as a half-open index range: `offsets` and `widths` of the
 * scrolling columns (left of each from the first's), `scrollLeft` and the width they scroll in,
 * widened by `overscan` columns each side. A binary search, so 1,000 columns cost what 10 do.
 */
export function visibleColumns(offsets: readonly number[], widths: readonly number[], scrollLeft: number, width: number, overscan = 2): { start: number; end: number } {
  const count = offsets.length;
  if (count === 0) return { start: 0, end: 0 };
  const left = Math.max(0, scrollLeft);
  const right = left + Math.max(0, width);
  // The first column whose right edge passes the left of the view.
  let low = 0;
  let high = count;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (offsets[mid]! + widths[mid]! <= left) low = mid + 1;
    else high = mid;
  }
  let end = low;
  while (end < count && offsets[end]! < right) end++;
  return { start: Math.max(0, low - overscan), end: Math.min(count, end + overscan) };
}
