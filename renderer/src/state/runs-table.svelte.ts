/**
 * One experiment's runs table: pages of `runs.search` loaded as the person scrolls and the exact
 * number of matches (`runs.count`), both kept by PagedTable; the filter, sort, deleted-runs view
 * and grouping (by value or numeric ranges) of the URL, the column choice (defaults from
 * `runs.columnStats`, pins) and widths, the selection (loaded runs, or every match of the filter
 * on the server) and the bulk changes on it, child runs folded under their parent, groups by a
 * param with their metric summaries (`runs.groups`), metric min/max per run
 * (`runs.metricRanges`), and live updates from push events. Rows are replaced by run id, so
 * updates keep the selection; the component keeps the scroll anchor.
 */
import type { FlowdeskEvent } from '#core/api/events.ts';
import type { RunGroup, RunSelection } from '#core/api/runs-table-contract.ts';
import { api } from './api.ts';
import { PagedTable, type RowPage } from './paged-table.svelte.ts';
import {
  andFilter,
  childCondition,
  compareRows,
  DEFAULT_SORT,
  defaultChoice,
  groupCondition,
  groupOf,
  loadChoice,
  loadWidths,
  orderByFor,
  runIdCondition,
  saveChoice,
  saveWidths,
  TOP_LEVEL_CONDITION,
  toRow,
  type ColumnChoice,
  type KeyStats,
  type RunRow,
  type Sort,
} from '#renderer/lib/run-rows.ts';
import { buildDisplay, clickSelection, groupKey, runIdsOf, type GroupRuns } from '#renderer/lib/table-display.ts';
import { reportError } from './toasts.svelte.ts';

/** Runs per page. */
export const PAGE_SIZE = 250;
/** The most children one parent shows when expanded. */
const CHILDREN_MAX = 1000;
/** Runs per page when every match is read (export). */
const EXPORT_PAGE = 5000;
/** Live changes, and bulk changes of other windows, are gathered this long. */
const LIVE_BATCH_MS = 300;

/** What the URL says about the table. */
export interface TableQuery {
  filter: string;
  sort?: Sort;
  showDeleted: boolean;
  groupBy?: string;
  /** About how many numeric ranges a group-by cuts; 0: exact values; undefined: ranges when the param has many numeric values. */
  bins?: number;
}

/** Which summary of a group's metric values the group line shows. */
export type Aggregate = 'mean' | 'min' | 'max';
/** Which value of each run's metric the metric columns show: the latest, or the extremes of its history. */
export type MetricView = 'last' | 'min' | 'max';

/** What `runs.columnStats` answers. */
interface ColumnStats extends KeyStats {
  params: readonly { key: string; runCount: number; distinctValues: number; numeric: boolean }[];
}

/** Ranges a numeric group-by cuts when nobody chose. */
export const DEFAULT_BINS = 10;
/** A numeric param with more distinct values than this is grouped by ranges unless someone asks for values. */
const BIN_ABOVE = 30;
/** Runs per `runs.metricRanges` call. */
const RANGES_BATCH = 1000;

/** `rows` are the top-level rows in table order (all matching runs when filtered). */
export class RunsTable extends PagedTable<RunRow> {
  readonly experimentId: string;
  sort = $state.raw<Sort | undefined>(undefined);
  showDeleted = $state(false);
  groupBy = $state<string | undefined>(undefined);
  aggregate = $state<Aggregate>('mean');
  /** Param, metric and tag keys of the experiment: what the column chooser and the filter suggestions offer. */
  paramKeys = $state.raw<string[]>([]);
  metricKeys = $state.raw<string[]>([]);
  tagKeys = $state.raw<string[]>([]);
  /** How common and varied each key is; the default columns follow it. */
  stats = $state.raw<ColumnStats | undefined>(undefined);
  /** The chosen columns; undefined until chosen, and then the default follows the keys seen. */
  chosen = $state.raw<ColumnChoice | undefined>(undefined);
  choice = $derived(this.chosen ?? defaultChoice(this.stats ?? { params: [], metrics: [] }));
  /** Widths a person set, by column id, remembered per experiment. */
  widths = $state.raw<Record<string, number>>({});
  /** The ranges asked for (see TableQuery.bins) and how the server cut them. */
  bins = $state<number | undefined>(undefined);
  binning = $state.raw<{ scale: 'linear' | 'log'; ranges: number } | undefined>(undefined);
  /** Whether the selection is every run matching the filter on the server, not just the runs picked. */
  allMatches = $state(false);
  metricView = $state<MetricView>('last');
  /** Each loaded run's metric extremes, fetched while the metric columns show them. */
  ranges = $state.raw<Record<string, Record<string, { min: number; max: number }>>>({});
  /** Nested view: with no filter and no grouping, child runs fold under their parent. */
  nested = $derived(this.filter.trim() === '' && this.groupBy === undefined);
  childCounts = $state.raw<Record<string, number>>({});
  expanded = $state.raw<ReadonlySet<string>>(new Set());
  children = $state.raw<Record<string, RunRow[]>>({});
  groups = $state.raw<RunGroup[] | undefined>(undefined);
  groupsTruncated = $state(false);
  expandedGroups = $state.raw<ReadonlySet<string>>(new Set());
  groupRuns = $state.raw<Record<string, GroupRuns>>({});
  /** Selected run ids, the anchor of shift ranges, and the keyboard cursor (a display key). */
  selected = $state.raw<ReadonlySet<string>>(new Set());
  anchorId = $state<string | undefined>(undefined);
  cursor = $state<string | undefined>(undefined);

  /** The table's lines, top to bottom. */
  display = $derived(
    buildDisplay({
      rows: this.rows,
      nested: this.nested,
      childCounts: this.childCounts,
      expanded: this.expanded,
      children: this.children,
      groups: this.groupBy === undefined ? undefined : this.groups,
      expandedGroups: this.expandedGroups,
      groupRuns: this.groupRuns,
    }),
  );

  #storage: Storage;
  /** Groups whose next page is on its way, so a "more" line in view asks once. */
  #groupsLoading = new Set<string>();
  #bulkTimer: ReturnType<typeof setTimeout> | undefined;
  /** A run was created since the last live refresh, so the match count is recounted with it. */
  #pendingCreated = false;
  /**
   * Bulk changes made here whose `runs.changed` event has not come back yet: this window reloads
   * when its own call answers, so that event would only read the same first page again.
   */
  #ownChanges = 0;

  constructor(experimentId: string, storage: Storage = localStorage) {
    super({
      // Enough to fill a tall screen several times, small enough to answer fast.
      pageSize: PAGE_SIZE,
      // However fast a script logs, its changes are fetched in one search a batch.
      liveBatchMs: LIVE_BATCH_MS,
      liveBatchMax: 200,
      failures: { load: 'Loading runs', loadMore: 'Loading more runs', count: 'Counting the runs' },
    });
    this.experimentId = experimentId;
    this.#storage = storage;
    this.chosen = loadChoice(storage, experimentId);
    this.widths = loadWidths(storage, experimentId);
  }

  protected override onResync(): void {
    // Events were lost, own changes' among them perhaps: the reload reads what they changed.
    this.#ownChanges = 0;
    super.onResync();
  }

  override dispose(): void {
    super.dispose();
    clearTimeout(this.#bulkTimer);
  }

  get #viewType() {
    return this.showDeleted ? ('ALL' as const) : ('ACTIVE_ONLY' as const);
  }

  /** Shows the runs of `query`, from the first page. */
  setQuery(query: TableQuery): void {
    const regroup = query.groupBy !== this.groupBy || query.bins !== this.bins;
    this.filter = query.filter;
    this.sort = query.sort;
    this.showDeleted = query.showDeleted;
    this.groupBy = query.groupBy;
    this.bins = query.bins;
    if (regroup) this.expandedGroups = new Set();
    this.allMatches = false;
    void this.reload();
  }

  /** The ranges a group-by asks the server for: the URL's choice, else ranges for a numeric param with many values. */
  get #binsToAsk(): number | undefined {
    if (this.bins !== undefined) return this.bins === 0 ? undefined : this.bins;
    const stats = this.stats?.params.find((p) => p.key === this.groupBy);
    return stats?.numeric && stats.distinctValues > BIN_ABOVE ? DEFAULT_BINS : undefined;
  }

  /** A new query's first lines: the groups when grouped, else the first page of top-level runs with what they need. */
  protected override async loadFirst(generation: number): Promise<void> {
    if (this.groupBy !== undefined) {
      // The default ranges depend on the param's values, so a first grouped view learns them first.
      if (this.bins === undefined && !this.stats) await this.#loadStats(generation);
      const answer = await this.#groups();
      if (generation !== this.generation) return;
      this.groups = answer.groups;
      this.groupsTruncated = answer.truncated;
      this.binning = answer.binning;
      this.rows = [];
      this.hasMore = false;
      this.groupRuns = {};
      this.#groupsLoading.clear();
      for (const key of this.expandedGroups) void this.loadGroup(key);
      return;
    }
    const rows = await this.showFirstPage(generation);
    if (!rows) return;
    this.groups = undefined;
    this.childCounts = {};
    this.children = {};
    this.ranges = {};
    await this.#countChildren(rows.map((r) => r.runId), generation);
    for (const parentId of this.expanded) void this.#loadChildren(parentId);
    void this.#loadRanges(rows, generation);
  }

  protected override loadFailed(): void {
    this.groups = undefined;
  }

  protected override firstPageSettled(generation: number): void {
    // The server answers one query at a time, and rows come first, then the count, then the keys.
    // A filter the server refused has no count; its error is already under the filter box.
    void (this.filterError ? Promise.resolve() : this.countMatches(generation)).then(() => this.#loadKeys(generation));
  }

  protected override async moreShown(rows: RunRow[], generation: number): Promise<void> {
    await this.#countChildren(rows.map((r) => r.runId), generation);
    void this.#loadRanges(rows, generation);
  }

  /** Shows or hides a parent's children. */
  toggleChildren(parentId: string): void {
    const expanded = new Set(this.expanded);
    if (expanded.delete(parentId)) {
      this.expanded = expanded;
      return;
    }
    expanded.add(parentId);
    this.expanded = expanded;
    void this.#loadChildren(parentId);
  }

  /** Shows or hides a group's runs. */
  toggleGroup(key: string): void {
    const expanded = new Set(this.expandedGroups);
    if (expanded.delete(key)) {
      this.expandedGroups = expanded;
      return;
    }
    expanded.add(key);
    this.expandedGroups = expanded;
    if (!this.groupRuns[key]) void this.loadGroup(key);
  }

  /** Loads the next page of a group's runs (the first when none are loaded). */
  async loadGroup(key: string): Promise<void> {
    const group = this.groups?.find((g) => groupKey(g.value) === key);
    if (!group || this.groupBy === undefined) return;
    const generation = this.generation;
    const before = this.groupRuns[key];
    if ((before && !before.pageToken) || this.#groupsLoading.has(key)) return;
    this.#groupsLoading.add(key);
    try {
      const page = await this.#search(andFilter(this.#userFilter() ?? '', groupCondition(this.groupBy, group)), before?.pageToken, PAGE_SIZE);
      if (generation !== this.generation || this.groupRuns[key] !== before) return;
      const rows = page.runs.map(toRow);
      this.groupRuns = { ...this.groupRuns, [key]: { rows: [...(before?.rows ?? []), ...rows], pageToken: page.nextPageToken } };
      void this.#loadRanges(rows, generation);
    } catch (err) {
      if (generation === this.generation) reportError('Loading the runs of a group', err);
    } finally {
      this.#groupsLoading.delete(key);
    }
  }

  /** Sets (or, with undefined, forgets) a column's width, and remembers the widths for this experiment. */
  setWidth(columnId: string, width: number | undefined): void {
    const widths = { ...this.widths };
    if (width === undefined) delete widths[columnId];
    else widths[columnId] = Math.round(width);
    this.widths = widths;
    try {
      saveWidths(this.#storage, this.experimentId, widths);
    } catch (err) {
      reportError('Remembering the column widths', err);
    }
  }

  /** Pins a column beside the run name, or unpins it. */
  togglePin(columnId: string): void {
    const pinned = this.choice.pinned.includes(columnId) ? this.choice.pinned.filter((id) => id !== columnId) : [...this.choice.pinned, columnId];
    this.choose({ ...this.choice, pinned });
  }

  /** Shows the latest value of each metric, or the min or max of its history. */
  setMetricView(view: MetricView): void {
    this.metricView = view;
    if (view === 'last') return;
    const loaded = [...this.rows, ...Object.values(this.children).flat(), ...Object.values(this.groupRuns).flatMap((g) => g.rows)];
    void this.#loadRanges(loaded, this.generation);
  }

  /** Shows these columns, and remembers the choice for this experiment. */
  choose(choice: ColumnChoice): void {
    this.chosen = choice;
    try {
      saveChoice(this.#storage, this.experimentId, choice);
    } catch (err) {
      reportError('Remembering the columns', err);
    }
  }

  /** Applies a click on a run: alone, toggled (ctrl/cmd) or a range from the anchor (shift). */
  click(runId: string, modifiers: { toggle?: boolean; range?: boolean }): void {
    this.allMatches = false;
    const next = clickSelection({ ids: this.selected, anchor: this.anchorId }, runIdsOf(this.display), runId, modifiers);
    this.selected = next.ids;
    this.anchorId = next.anchor;
    this.cursor = `run:${runId}`;
  }

  /** Selects every loaded run; when more runs match than are loaded, `selectAllMatches` takes the rest. */
  selectAll(): void {
    this.selected = new Set(runIdsOf(this.display));
  }

  /** Selects every run the filter matches, on the server, loaded or not. */
  selectAllMatches(): void {
    this.selectAll();
    this.allMatches = true;
  }

  clearSelection(): void {
    this.selected = new Set();
    this.anchorId = undefined;
    this.allMatches = false;
  }

  /** The selection as the bulk methods take it: the filter when every match is selected, else the ids. */
  selection(runIds: readonly string[] = [...this.selected]): RunSelection {
    return this.allMatches ? { experimentIds: [this.experimentId], filter: this.#userFilter() } : { runIds: [...runIds] };
  }

  /** Moves the selected runs to the trash (or restores them) in one call; reports a failure, returns the ids changed. */
  async setDeleted(selection: RunSelection, deleted: boolean): Promise<string[]> {
    try {
      const { runIds } = await this.#ownChange(() => api.call(deleted ? 'runs.deleteMany' : 'runs.restoreMany', { selection }), (answer) => answer.runIds.length);
      if (deleted && !this.showDeleted) this.clearSelection();
      void this.reload();
      return runIds;
    } catch (err) {
      reportError(deleted ? 'Moving runs to the trash' : 'Restoring runs', err);
      return [];
    }
  }

  /** Sets a tag on the selected runs in one call; reports a failure, returns how many were tagged. */
  async setTag(selection: RunSelection, key: string, value: string): Promise<number | undefined> {
    try {
      const { count } = await this.#ownChange(() => api.call('runs.setTagMany', { selection, key, value }), (answer) => answer.count);
      void this.reload();
      return count;
    } catch (err) {
      reportError('Tagging runs', err);
      return undefined;
    }
  }

  /**
   * Every run the filter matches (not only the loaded ones), in the table's order, a page at a
   * time.
   */
  async *allMatchingRuns(): AsyncGenerator<RunRow[]> {
    let pageToken: string | undefined;
    do {
      const page = await this.#search(this.#userFilter(), pageToken, EXPORT_PAGE);
      yield page.runs.map(toRow);
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /** The metric extremes of `rows`, fetched when the metric columns show them. */
  async rangesFor(rows: readonly RunRow[], keys: readonly string[]): Promise<Record<string, Record<string, { min: number; max: number }>>> {
    const ranges: Record<string, Record<string, { min: number; max: number }>> = {};
    for (let i = 0; i < rows.length; i += RANGES_BATCH) {
      const answer = await api.call('runs.metricRanges', { runIds: rows.slice(i, i + RANGES_BATCH).map((r) => r.runId), keys: [...keys] });
      Object.assign(ranges, answer.ranges);
    }
    return ranges;
  }

  /** The filter as typed, or undefined when empty. */
  #userFilter(): string | undefined {
    return this.filter.trim() === '' ? undefined : this.filter;
  }

  /** The filter of the top-level rows: the nested view lists runs that are nobody's child. */
  #topFilter(): string | undefined {
    return this.nested ? TOP_LEVEL_CONDITION : this.#userFilter();
  }

  protected override async fetchPage(pageToken: string | undefined, maxResults: number): Promise<RowPage<RunRow>> {
    const page = await this.#search(this.#topFilter(), pageToken, maxResults);
    return { rows: page.runs.map(toRow), nextPageToken: page.nextPageToken };
  }

  protected override keyOf(row: RunRow): string {
    return row.runId;
  }

  #search(filter: string | undefined, pageToken: string | undefined, maxResults: number) {
    return api.call('runs.search', {
      experimentIds: [this.experimentId],
      filter,
      viewType: this.#viewType,
      orderBy: this.sort ? orderByFor(this.sort) : undefined,
      maxResults,
      pageToken,
    });
  }

  #groups() {
    return api.call('runs.groups', { experimentIds: [this.experimentId], param: this.groupBy!, filter: this.#userFilter(), viewType: this.#viewType, bins: this.#binsToAsk });
  }

  /** How many runs match the filter (all runs, children included, when there is none). */
  protected override async fetchCount(): Promise<number> {
    return (await api.call('runs.count', { experimentIds: [this.experimentId], filter: this.#userFilter(), viewType: this.#viewType })).count;
  }

  async #loadStats(generation: number): Promise<void> {
    try {
      const stats = await api.call('runs.columnStats', { experimentIds: [this.experimentId], viewType: this.#viewType });
      if (generation === this.generation) this.stats = stats;
    } catch (err) {
      if (generation === this.generation) reportError('Reading the columns of the runs', err);
    }
  }

  async #loadRanges(rows: readonly RunRow[], generation: number): Promise<void> {
    const keys = this.choice.metrics;
    const missing = rows.filter((r) => !this.ranges[r.runId]);
    if (this.metricView === 'last' || keys.length === 0 || missing.length === 0) return;
    try {
      const found = await this.rangesFor(missing, keys);
      if (generation !== this.generation) return;
      // A run without ranges gets an empty entry, so it is not asked for again.
      this.ranges = { ...this.ranges, ...Object.fromEntries(missing.map((r) => [r.runId, found[r.runId] ?? {}])) };
    } catch (err) {
      if (generation === this.generation) reportError('Reading the metric ranges', err);
    }
  }

  async #loadKeys(generation: number): Promise<void> {
    try {
      const keys = await api.call('runs.keys', { experimentIds: [this.experimentId], viewType: this.#viewType });
      if (generation !== this.generation) return;
      this.paramKeys = keys.params;
      this.metricKeys = keys.metrics;
      this.tagKeys = keys.tags;
    } catch (err) {
      if (generation === this.generation) reportError('Reading the columns of the runs', err);
      return;
    }
    await this.#loadStats(generation);
  }

  async #countChildren(runIds: string[], generation: number): Promise<void> {
    if (!this.nested || runIds.length === 0) return;
    const { counts } = await api.call('runs.childCounts', { runIds, viewType: this.#viewType });
    if (generation !== this.generation) return;
    const merged = { ...this.childCounts };
    for (const id of runIds) delete merged[id];
    this.childCounts = { ...merged, ...counts };
  }

  async #loadChildren(parentId: string): Promise<void> {
    const generation = this.generation;
    try {
      const page = await this.#search(childCondition(parentId), undefined, CHILDREN_MAX);
      if (generation === this.generation) this.children = { ...this.children, [parentId]: page.runs.map(toRow) };
    } catch (err) {
      if (generation === this.generation) reportError('Loading child runs', err);
    }
  }

  /**
   * Makes a bulk change of this table's runs, expecting its `runs.changed` event (the server sends
   * one for this experiment when the change touched any run; `changed` counts them from the answer).
   */
  async #ownChange<T>(call: () => Promise<T>, changed: (answer: T) => number): Promise<T> {
    // Counted before the call: the event can come back before the answer does.
    this.#ownChanges++;
    try {
      const answer = await call();
      if (changed(answer) === 0) this.#ownChanges--;
      return answer;
    } catch (err) {
      this.#ownChanges--;
      throw err;
    }
  }

  protected override onEvent(event: FlowdeskEvent): void {
    if (event.type === 'run.created' || event.type === 'run.updated' || event.type === 'metrics.logged') {
      if (event.experimentId !== this.experimentId) return;
      if (event.type === 'run.created') this.#pendingCreated = true;
      this.queueChanged([event.runId]);
    } else if (event.type === 'trash.purged' && event.runIds.length > 0) {
      this.#remove(new Set(event.runIds));
    } else if (event.type === 'runs.changed' && event.experimentId === this.experimentId) {
      // This window's own change: it reloads when its call answers.
      if (this.#ownChanges > 0) {
        this.#ownChanges--;
        return;
      }
      // A bulk change in another window may move thousands of runs in or out of the view, change
      // the match count and the groups: the first page is read again, once per burst.
      clearTimeout(this.#bulkTimer);
      this.#bulkTimer = setTimeout(() => void this.reload(), LIVE_BATCH_MS);
    }
  }

  /** Takes runs out of every list they are shown in. */
  #remove(ids: ReadonlySet<string>): void {
    const keep = (rows: readonly RunRow[]) => rows.filter((r) => !ids.has(r.runId));
    this.rows = keep(this.rows);
    this.children = Object.fromEntries(Object.entries(this.children).map(([k, rows]) => [k, keep(rows)]));
    this.groupRuns = Object.fromEntries(Object.entries(this.groupRuns).map(([k, g]) => [k, { ...g, rows: keep(g.rows) }]));
    this.selected = new Set([...this.selected].filter((id) => !ids.has(id)));
  }

  /** Fetches the runs that changed and puts them in place: updated where shown, inserted in order, removed if they stopped matching. */
  protected override async applyChanged(ids: string[]): Promise<void> {
    const generation = this.generation;
    let found: RunRow[];
    try {
      const page = await this.#search(andFilter(this.#userFilter() ?? '', runIdCondition(ids)), undefined, ids.length);
      found = page.runs.map(toRow);
      if (this.groupBy !== undefined) {
        const answer = await this.#groups();
        if (generation === this.generation) this.groups = answer.groups;
      }
      if (this.#pendingCreated) {
        this.#pendingCreated = false;
        await this.countMatches(generation);
      }
    } catch (err) {
      if (generation === this.generation) reportError('Updating runs live', err);
      return;
    }
    if (generation !== this.generation) return;
    const byId = new Map(found.map((r) => [r.runId, r]));
    this.#remove(new Set(ids.filter((id) => !byId.has(id))));
    const sort = this.sort ?? DEFAULT_SORT;
    const compare = (a: RunRow, b: RunRow) => compareRows(a, b, sort);

    if (this.groupBy !== undefined) {
      const groupBy = this.groupBy;
      const groupRuns = { ...this.groupRuns };
      for (const row of found) {
        const group = groupOf(this.groups ?? [], row.params[groupBy]);
        if (!group) continue;
        const key = groupKey(group.value);
        const loaded = groupRuns[key];
        if (loaded) groupRuns[key] = { ...loaded, rows: mergeRows(loaded.rows, [row], compare, loaded.pageToken !== undefined) };
      }
      this.groupRuns = groupRuns;
    } else {
      const nestedChildren = this.nested ? found.filter((r) => r.parentId !== undefined) : [];
      const top = this.nested ? found.filter((r) => r.parentId === undefined) : found;
      if (nestedChildren.length > 0) {
        // A run that became someone's child (its tag came after it was created) leaves the top level.
        const moved = new Set(nestedChildren.map((r) => r.runId));
        this.rows = this.rows.filter((r) => !moved.has(r.runId));
        const children = { ...this.children };
        for (const row of nestedChildren) {
          const siblings = children[row.parentId!];
          if (siblings) children[row.parentId!] = mergeRows(siblings, [row], compare, false);
        }
        this.children = children;
        try {
          await this.#countChildren([...new Set(nestedChildren.map((r) => r.parentId!))].filter((id) => this.rows.some((r) => r.runId === id)), generation);
        } catch (err) {
          if (generation === this.generation) reportError('Counting child runs', err);
        }
      }
      this.rows = mergeRows(this.rows, top, compare, this.hasMore);
    }
    const known = new Set([...this.paramKeys, ...this.metricKeys, ...this.tagKeys]);
    if (found.some((r) => [...Object.keys(r.params), ...Object.keys(r.metrics), ...Object.keys(r.tags)].some((k) => !known.has(k)))) void this.#loadKeys(generation);
  }
}

/**
 * `rows` with `changed` put in: a row already shown is replaced where it is (not moved: a row
 * jumping away while someone reads it is worse than a stale order); a new one is inserted in
 * order, unless it falls past the loaded rows while more are to come (a later page brings it).
 */
function mergeRows(rows: readonly RunRow[], changed: readonly RunRow[], compare: (a: RunRow, b: RunRow) => number, hasMore: boolean): RunRow[] {
  const byId = new Map(changed.map((r) => [r.runId, r]));
  const merged = rows.map((row) => {
    const update = byId.get(row.runId);
    if (!update) return row;
    byId.delete(row.runId);
    return update;
  });
  for (const row of byId.values()) {
    const at = insertionIndex(merged, row, compare);
    if (at === merged.length && hasMore) continue;
    merged.splice(at, 0, row);
  }
  return merged;
}

/** Where `row` goes in `rows` (sorted by `compare`), by binary search. */
function insertionIndex(rows: readonly RunRow[], row: RunRow, compare: (a: RunRow, b: RunRow) => number): number {
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(rows[mid]!, row) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
