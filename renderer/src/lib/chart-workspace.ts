/**
 * The pure half of an experiment's chart workspace: metrics grouped by their prefix (`train/`,
 * `val/`), which of them the person chose to see and which groups are folded, kept per
 * experiment in localStorage like the runs table's columns.
 */

/** A group of metrics sharing a prefix; `prefix` is '' for metrics without one. */
export interface MetricGroup {
  prefix: string;
  keys: string[];
}

/** The prefix of a metric key: up to its first `/` (`train/loss` → `train`), '' without one. */
export function metricPrefix(key: string): string {
  const slash = key.indexOf('/');
  return slash > 0 ? key.slice(0, slash) : '';
}

/** Keys grouped by prefix: named groups A→Z, the unprefixed ones last; keys A→Z inside each. */
export function groupByPrefix(keys: readonly string[]): MetricGroup[] {
  const groups = new Map<string, string[]>();
  for (const key of [...new Set(keys)].sort((a, b) => a.localeCompare(b))) {
    const prefix = metricPrefix(key);
    groups.set(prefix, [...(groups.get(prefix) ?? []), key]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)))
    .map(([prefix, groupKeys]) => ({ prefix, keys: groupKeys }));
}

/** What the person arranged: hidden metrics (new ones show up by default) and folded groups. */
export interface WorkspaceLayout {
  hidden: string[];
  folded: string[];
  /** How many of the experiment's latest runs to overlay when none are chosen. */
  runLimit: number;
}

/** Choices for how many of the latest runs to overlay. */
export const RUN_LIMITS = [10, 20, 50, 100] as const;

/** The layout of an experiment nobody arranged yet. */
export const DEFAULT_LAYOUT: WorkspaceLayout = { hidden: [], folded: [], runLimit: 20 };

/** The part of `localStorage` the layout uses, so tests can hand in a Map-backed one. */
export interface LayoutStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const storageKey = (experimentId: string) => `flowdesk.charts.${experimentId}`;

/** The remembered layout of an experiment; the default when none was saved or it is unreadable. */
export function loadLayout(storage: LayoutStorage, experimentId: string): WorkspaceLayout {
  try {
    const value = JSON.parse(storage.getItem(storageKey(experimentId)) ?? 'null') as Partial<WorkspaceLayout> | null;
    if (!value) return DEFAULT_LAYOUT;
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
    const runLimit = RUN_LIMITS.find((n) => n === value.runLimit) ?? DEFAULT_LAYOUT.runLimit;
    return { hidden: strings(value.hidden), folded: strings(value.folded), runLimit };
  } catch {
    // A value another version wrote or a person edited: start from the default.
    return DEFAULT_LAYOUT;
  }
}

/** Remembers the layout of an experiment. */
export function saveLayout(storage: LayoutStorage, experimentId: string, layout: WorkspaceLayout): void {
  storage.setItem(storageKey(experimentId), JSON.stringify(layout));
}

/** The groups to draw: each group's visible keys, groups with none left out. */
export function visibleGroups(groups: readonly MetricGroup[], layout: Pick<WorkspaceLayout, 'hidden'>): MetricGroup[] {
  const hidden = new Set(layout.hidden);
  return groups.map((g) => ({ prefix: g.prefix, keys: g.keys.filter((k) => !hidden.has(k)) })).filter((g) => g.keys.length > 0);
}
