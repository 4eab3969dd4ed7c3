/**
 * The runs table's data model, kept pure so it can be tested without a browser: the flat row a
 * run becomes, the columns, how a column sorts on the server (`orderBy`) and locally (to place a
 * run that arrives live), the per-experiment column choice (with pinned columns) and widths, the
 * default columns, and a CSV of rows.
 */
import type { Run, RunStatus } from '#core/api/entities.ts';
import type { RunGroup } from '#core/api/runs-table-contract.ts';

/** A run flattened for the table: what a cell reads, without walking arrays per render. */
export interface RunRow {
  runId: string;
  name: string;
  status: RunStatus;
  startTime: number;
  endTime?: number;
  userId: string;
  params: Readonly<Record<string, string>>;
  metrics: Readonly<Record<string, number>>;
  tags: Readonly<Record<string, string>>;
  /** The parent's run id (tag mlflow.parentRunId), for runs nested under another. */
  parentId?: string;
  /** In the trash (shown only when the table shows deleted runs). */
  deleted: boolean;
}

/** The tag MLflow sets on a child run, naming its parent. */
export const PARENT_TAG = 'mlflow.parentRunId';

/** Flattens a run from the contract into a row. */
export function toRow(run: Run): RunRow {
  const params: Record<string, string> = {};
  for (const p of run.data.params) params[p.key] = p.value;
  const metrics: Record<string, number> = {};
  for (const m of run.data.metrics) metrics[m.key] = m.value;
  const tags: Record<string, string> = {};
  for (const t of run.data.tags) tags[t.key] = t.value;
  return {
    runId: run.info.runId,
    name: run.info.runName,
    status: run.info.status,
    startTime: run.info.startTime,
    endTime: run.info.endTime,
    userId: run.info.userId,
    params,
    metrics,
    tags,
    parentId: tags[PARENT_TAG] || undefined,
    deleted: run.info.lifecycleStage === 'deleted',
  };
}

/** The fixed columns every runs table has. */
export const ATTRIBUTE_COLUMNS = ['name', 'status', 'start', 'duration', 'user'] as const;
export type AttributeColumn = (typeof ATTRIBUTE_COLUMNS)[number];

/** A column: an attribute, or a param, latest metric or tag by key. */
export type Column = { kind: 'attribute'; key: AttributeColumn } | { kind: 'param' | 'metric' | 'tag'; key: string };

/** The query-language entity of each keyed column kind. */
const ENTITY = { param: 'params', metric: 'metrics', tag: 'tags' } as const;

/** The server-side sort field of each sortable attribute; duration has none, so it does not sort. */
const ATTRIBUTE_FIELDS: Record<AttributeColumn, string | undefined> = {
  name: 'attributes.run_name',
  status: 'attributes.status',
  start: 'attributes.start_time',
  duration: undefined,
  user: 'attributes.user_id',
};

/** A sort: the column and its direction. */
export interface Sort {
  column: Column;
  ascending: boolean;
}

/** The runs table's default order, the server's own: newest first. */
export const DEFAULT_SORT: Sort = { column: { kind: 'attribute', key: 'start' }, ascending: false };

/** Quotes a key with backticks for the query language (a backtick inside is doubled). */
function quoteKey(key: string): string {
  return `\`${key.replaceAll('`', '``')}\``;
}

/** The query-language field of a column, or undefined when it cannot sort on the server. */
export function sortField(column: Column): string | undefined {
  if (column.kind === 'attribute') return ATTRIBUTE_FIELDS[column.key];
  return `${ENTITY[column.kind]}.${quoteKey(column.key)}`;
}

/** The `orderBy` of `runs.search` for a sort. */
export function orderByFor(sort: Sort): string[] {
  const field = sortField(sort.column);
  return field ? [`${field} ${sort.ascending ? 'ASC' : 'DESC'}`] : [];
}

/** A stable identity for a column, used as a key in markup and storage. */
export function columnId(column: Column): string {
  return `${column.kind}:${column.key}`;
}

/** The inverse of `columnId`; undefined for text that names no column. */
export function parseColumnId(id: string): Column | undefined {
  const colon = id.indexOf(':');
  const kind = id.slice(0, colon);
  const key = id.slice(colon + 1);
  if (colon < 0 || key === '') return undefined;
  if (kind === 'attribute') return (ATTRIBUTE_COLUMNS as readonly string[]).includes(key) ? { kind, key: key as AttributeColumn } : undefined;
  if (kind === 'param' || kind === 'metric' || kind === 'tag') return { kind, key };
  return undefined;
}

/** The value a row holds in a sortable column; undefined when the run lacks it. */
function sortValue(row: RunRow, column: Column): string | number | undefined {
  switch (column.kind) {
    case 'param':
      return row.params[column.key];
    case 'metric':
      return row.metrics[column.key];
    case 'tag':
      return row.tags[column.key];
    case 'attribute':
      if (column.key === 'name') return row.name;
      if (column.key === 'status') return row.status;
      if (column.key === 'user') return row.userId;
      if (column.key === 'start') return row.startTime;
      return undefined;
  }
}

/**
 * Compares rows as the server orders them for `sort`, so a run arriving live lands where a fresh
 * search would put it: missing values last, then the server's tie-breakers (start time
 * descending, then run id). Params compare as text, as the server sorts them.
 */
export function compareRows(a: RunRow, b: RunRow, sort: Sort): number {
  const x = sortValue(a, sort.column);
  const y = sortValue(b, sort.column);
  if (x === undefined || y === undefined) {
    if (x !== y) return x === undefined ? 1 : -1;
  } else if (x !== y) {
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1;
    return sort.ascending ? order : -order;
  }
  if (a.startTime !== b.startTime) return b.startTime - a.startTime;
  return a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0;
}

/**
 * Which params, metrics and tags an experiment's table shows (attributes always show), and which
 * columns (by `columnId`) are pinned beside the run name, in pinning order.
 */
export interface ColumnChoice {
  params: string[];
  metrics: string[];
  tags: string[];
  pinned: string[];
}

/** How many params and metrics a table shows before anyone chooses. */
const DEFAULT_METRICS = 6;
const DEFAULT_PARAMS = 5;

/** What the server says about each key (`runs.columnStats`), as the default choice needs it. */
export interface KeyStats {
  params: readonly { key: string; runCount: number; distinctValues: number }[];
  metrics: readonly { key: string; runCount: number; varies: boolean }[];
}

/**
 * The columns shown before anyone chooses: the params that vary across runs and the metrics most
 * runs have whose values differ between runs, most common first. A key with one value across
 * every run (a fixed `epochs`, say) says nothing about why runs differ, so it is left to the
 * chooser; where nothing varies (a single run), the most common keys are all there is to show.
 * No tags. Columns keep the keys' order by name, so they are found where expected.
 */
export function defaultChoice(stats: KeyStats): ColumnChoice {
  const byCount = <T extends { key: string; runCount: number }>(a: T, b: T) => b.runCount - a.runCount || (a.key < b.key ? -1 : 1);
  const pick = <T extends { key: string; runCount: number }>(all: readonly T[], varies: (item: T) => boolean, count: number) => {
    const varying = all.filter(varies);
    return [...(varying.length > 0 ? varying : all)].sort(byCount).slice(0, count).map((item) => item.key).sort();
  };
  return {
    params: pick(stats.params, (p) => p.distinctValues > 1, DEFAULT_PARAMS),
    metrics: pick(stats.metrics, (m) => m.varies, DEFAULT_METRICS),
    tags: [],
    pinned: [],
  };
}

/** The part of `localStorage` the choice uses, so tests can hand in a Map-backed one. */
export interface ChoiceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const storageKey = (experimentId: string) => `flowdesk.runs-table.columns.${experimentId}`;

/** The remembered choice for an experiment; undefined when none was made or it is unreadable. */
export function loadChoice(storage: ChoiceStorage, experimentId: string): ColumnChoice | undefined {
  const text = storage.getItem(storageKey(experimentId));
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<ColumnChoice>;
    const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
    // A choice saved before tags were columns has none: it stays valid, with no tag columns.
    if (strings(value.params) && strings(value.metrics)) {
      return { params: value.params!, metrics: value.metrics!, tags: strings(value.tags) ? value.tags! : [], pinned: strings(value.pinned) ? value.pinned! : [] };
    }
  } catch {
    // A value another version wrote or a person edited: fall back to the default choice.
  }
  return undefined;
}

/** Remembers the choice for an experiment. */
export function saveChoice(storage: ChoiceStorage, experimentId: string, choice: ColumnChoice): void {
  storage.setItem(storageKey(experimentId), JSON.stringify(choice));
}

const widthsKey = (experimentId: string) => `flowdesk.runs-table.widths.${experimentId}`;

/** The column widths a person set for an experiment, by `columnId`; empty when none were set or they are unreadable. */
export function loadWidths(storage: ChoiceStorage, experimentId: string): Record<string, number> {
  try {
    const value = JSON.parse(storage.getItem(widthsKey(experimentId)) ?? '{}') as unknown;
    if (typeof value !== 'object' || value === null) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0));
  } catch {
    // Another version's value or a person's edit: every column takes its natural width.
    return {};
  }
}

/** Remembers the column widths for an experiment. */
export function saveWidths(storage: ChoiceStorage, experimentId: string, widths: Readonly<Record<string, number>>): void {
  storage.setItem(widthsKey(experimentId), JSON.stringify(widths));
}

/**
 * The table's columns after the run name, in order: the pinned ones (in pinning order), then the
 * params (what tells runs of a sweep apart, so beside the name), the metrics (what runs are
 * compared by), the attributes and the tags; params and metrics come first so that they are in
 * view without scrolling in a narrow window. Pins of columns no longer chosen are left out.
 */
export function orderedColumns(choice: ColumnChoice): { pinned: Column[]; rest: Column[] } {
  const all: Column[] = [
    ...choice.params.map((key) => ({ kind: 'param', key }) as const),
    ...choice.metrics.map((key) => ({ kind: 'metric', key }) as const),
    ...ATTRIBUTE_COLUMNS.filter((key) => key !== 'name').map((key) => ({ kind: 'attribute', key }) as const),
    ...choice.tags.map((key) => ({ kind: 'tag', key }) as const),
  ];
  const byId = new Map(all.map((c) => [columnId(c), c]));
  const pinned = choice.pinned.flatMap((id) => byId.get(id) ?? []);
  const pinnedIds = new Set(pinned.map(columnId));
  return { pinned, rest: all.filter((c) => !pinnedIds.has(columnId(c))) };
}

/**
 * Whether a metric's best value is its smallest: losses, errors, distances and times are; scores
 * and accuracies are not. A guess from the name, for the quick "best run by" sort.
 */
export function lowerIsBetter(metric: string): boolean {
  return /loss|err|mse|mae|rmse|perplexity|distance|time|latency|duration|cost|regret|fpr|fnr|wer|cer/i.test(metric);
}

/** The query-language condition for the runs of a group: its value, its numeric range, values that are not numbers, or no value. */
export function groupCondition(param: string, group: RunGroup): string {
  const field = `params.${quoteKey(param)}`;
  // Every number is either below zero or not; a value that is neither is not a number.
  if (group.notNumber) return `${field} IS NOT NULL and not (${field} < 0 or ${field} >= 0)`;
  if (group.range) return `${field} >= ${group.range.low} and ${field} < ${group.range.high}`;
  return paramCondition(param, group.value);
}

/** Which group of `groups` a run with this param value falls in (null: it has none). */
export function groupOf(groups: readonly RunGroup[], value: string | undefined): RunGroup | undefined {
  if (value === undefined) return groups.find((g) => g.value === null && !g.notNumber);
  if (!groups.some((g) => g.range)) return groups.find((g) => g.value === value);
  const x = /^\s*-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*$/.test(value) ? Number(value) : undefined;
  if (x === undefined) return groups.find((g) => g.notNumber);
  return groups.find((g) => g.range && g.range.low <= x && x < g.range.high);
}

/** One CSV field: quoted when it holds a comma, quote or line break (RFC 4180); a leading =, +, - or @ is prefixed with ' so spreadsheets never run it as a formula. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?[0-9.]+(e[+-]?[0-9]+)?$/i.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A CSV line of fields. */
export function csvLine(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** The query-language condition matching exactly the given runs. */
export function runIdCondition(runIds: readonly string[]): string {
  return `attributes.run_id IN (${runIds.map((id) => `'${id.replaceAll("'", "''")}'`).join(', ')})`;
}

/** A user's filter narrowed by one more condition; the filter is parenthesized so its ORs stay inside. */
export function andFilter(filter: string, condition: string): string {
  return filter.trim() === '' ? condition : `(${filter}) and ${condition}`;
}

/** The condition on a param's value, for a group's runs (null: runs that never logged it). */
export function paramCondition(key: string, value: string | null): string {
  return value === null ? `params.${quoteKey(key)} IS NULL` : `params.${quoteKey(key)} = '${value.replaceAll("'", "''")}'`;
}

/** Runs that are no other run's child (the top level of the nested view). */
export const TOP_LEVEL_CONDITION = `tags.${quoteKey(PARENT_TAG)} IS NULL`;

/** Runs that are children of `parentId`. */
export function childCondition(parentId: string): string {
  return `tags.${quoteKey(PARENT_TAG)} = '${parentId.replaceAll("'", "''")}'`;
}
