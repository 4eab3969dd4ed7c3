/**
 * One experiment's runs table: pages of `runs.search` loaded as the person scrolls, the filter
 * and sort of the URL, the column choice, the selection, and live updates from push events.
 * Rows are replaced by run id, so updates keep selection; the component keeps the scroll anchor.
 */
import { FlowdeskError } from '#core/api/errors.ts';
import type { FlowdeskEvent } from '#core/api/events.ts';
import { api } from './api.ts';
import { parseFilterError, type FilterError } from './filter-error.ts';
import { liveEvents } from './live-events.svelte.ts';
import {
  andFilter,
  compareRows,
  DEFAULT_SORT,
  defaultChoice,
  loadChoice,
  orderByFor,
  runIdCondition,
  saveChoice,
  toRow,
  type ColumnChoice,
  type RunRow,
  type Sort,
} from './run-rows.ts';
import { reportError } from './toasts.svelte.ts';

/** Runs per page: enough to fill a tall screen several times, small enough to answer fast. */
export const PAGE_SIZE = 250;
/** Live changes are gathered this long and fetched in one search, however fast a script logs. */
const LIVE_BATCH_MS = 300;
/** The most runs one live refresh asks for; more wait for the next batch. */
const LIVE_BATCH_MAX = 200;

export class RunsTable {
  readonly experimentId: string;
  /** Loaded rows in table order. Raw state: rows are replaced whole, never mutated, so 20,000 of them cost no proxies. */
  rows = $state.raw<RunRow[]>([]);
  /** Whether the server has more rows past the loaded ones. */
  hasMore = $state(false);
  loading = $state(false);
  /** Whether the first page of the current query has answered. */
  loaded = $state(false);
  filter = $state('');
  sort = $state.raw<Sort | undefined>(undefined);
  /** The server's complaint about the filter, shown under the filter box. */
  filterError = $state.raw<FilterError | undefined>(undefined);
  /** Param and metric keys seen in loaded runs, by name: what the column chooser offers. */
  paramKeys = $state.raw<string[]>([]);
  metricKeys = $state.raw<string[]>([]);
  /** The chosen columns; undefined until chosen, and then the default follows the keys seen. */
  chosen = $state.raw<ColumnChoice | undefined>(undefined);
  choice = $derived(this.chosen ?? defaultChoice(this.paramKeys, this.metricKeys));
  selectedId = $state<string | undefined>(undefined);
  /** Counts queries: a new one starts the table from its top. */
  queryId = $state(0);

  #storage: Storage;
  #pageToken: string | undefined;
  /** Bumped by every new query, so answers to an older one are dropped. */
  #generation = 0;
  #pending = new Set<string>();
  #liveTimer: ReturnType<typeof setTimeout> | undefined;
  #unsubscribe: () => void;

  constructor(experimentId: string, storage: Storage = localStorage) {
    this.experimentId = experimentId;
    this.#storage = storage;
    this.chosen = loadChoice(storage, experimentId);
    this.#unsubscribe = liveEvents.subscribe({ onEvent: (e) => this.#onEvent(e), onResync: () => void this.reload() });
  }

  /** Stops listening; the table is gone. */
  dispose(): void {
    this.#unsubscribe();
    clearTimeout(this.#liveTimer);
    this.#generation++;
  }

  /** Shows the runs matching `filter` in `sort` order (undefined: the server's, newest first), from the first page. */
  setQuery(filter: string, sort: Sort | undefined): void {
    this.filter = filter;
    this.sort = sort;
    void this.reload();
  }

  /** Reloads from the first page (a new query, or a resync after the event stream dropped). */
  async reload(): Promise<void> {
    const generation = ++this.#generation;
    this.queryId = generation;
    this.#pageToken = undefined;
    this.#pending.clear();
    this.loading = true;
    this.filterError = undefined;
    try {
      const page = await this.#search(this.filter, undefined, PAGE_SIZE);
      if (generation !== this.#generation) return;
      const rows = page.runs.map(toRow);
      this.rows = rows;
      this.#noteKeys(rows);
      this.#pageToken = page.nextPageToken;
      this.hasMore = page.nextPageToken !== undefined;
    } catch (err) {
      if (generation !== this.#generation) return;
      this.rows = [];
      this.hasMore = false;
      if (err instanceof FlowdeskError && err.code === 'INVALID_PARAMETER_VALUE' && this.filter.trim() !== '') {
        // A mistake in the filter is shown at its position in the filter box, not as a toast.
        this.filterError = parseFilterError(err.message);
      } else {
        reportError('Loading runs', err);
      }
    } finally {
      if (generation === this.#generation) {
        this.loading = false;
        this.loaded = true;
      }
    }
  }

  /** Loads the next page, if there is one and none is on its way. */
  async loadMore(): Promise<void> {
    if (this.loading || !this.#pageToken) return;
    const generation = this.#generation;
    this.loading = true;
    try {
      const page = await this.#search(this.filter, this.#pageToken, PAGE_SIZE);
      if (generation !== this.#generation) return;
      // A run that arrived live can come again in a later page; keep the row already shown.
      const shown = new Set(this.rows.map((r) => r.runId));
      const rows = page.runs.map(toRow).filter((r) => !shown.has(r.runId));
      this.rows = [...this.rows, ...rows];
      this.#noteKeys(rows);
      this.#pageToken = page.nextPageToken;
      this.hasMore = page.nextPageToken !== undefined;
    } catch (err) {
      if (generation === this.#generation) {
        this.hasMore = false;
        reportError('Loading more runs', err);
      }
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  /** Shows these params and metrics, and remembers the choice for this experiment. */
  choose(choice: ColumnChoice): void {
    this.chosen = choice;
    try {
      saveChoice(this.#storage, this.experimentId, choice);
    } catch (err) {
      reportError('Remembering the columns', err);
    }
  }

  #search(filter: string, pageToken: string | undefined, maxResults: number) {
    return api.call('runs.search', {
      experimentIds: [this.experimentId],
      filter: filter.trim() === '' ? undefined : filter,
      orderBy: this.sort ? orderByFor(this.sort) : undefined,
      maxResults,
      pageToken,
    });
  }

  #noteKeys(rows: readonly RunRow[]): void {
    const params = new Set(this.paramKeys);
    const metrics = new Set(this.metricKeys);
    const before = params.size + metrics.size;
    for (const row of rows) {
      for (const key in row.params) params.add(key);
      for (const key in row.metrics) metrics.add(key);
    }
    if (params.size + metrics.size === before) return;
    this.paramKeys = [...params].sort();
    this.metricKeys = [...metrics].sort();
  }

  #onEvent(event: FlowdeskEvent): void {
    if (event.type === 'run.created' || event.type === 'run.updated' || event.type === 'metrics.logged') {
      if (event.experimentId !== this.experimentId) return;
      this.#pending.add(event.runId);
      this.#liveTimer ??= setTimeout(() => void this.#applyPending(), LIVE_BATCH_MS);
    } else if (event.type === 'trash.purged' && event.runIds.length > 0) {
      const purged = new Set(event.runIds);
      this.rows = this.rows.filter((r) => !purged.has(r.runId));
    }
  }

  /** Fetches the runs that changed and puts them in place: updated where shown, inserted in order, removed if they stopped matching. */
  async #applyPending(): Promise<void> {
    this.#liveTimer = undefined;
    const ids = [...this.#pending].slice(0, LIVE_BATCH_MAX);
    for (const id of ids) this.#pending.delete(id);
    if (this.#pending.size > 0) this.#liveTimer = setTimeout(() => void this.#applyPending(), LIVE_BATCH_MS);
    const generation = this.#generation;
    let found: RunRow[];
    try {
      const page = await this.#search(andFilter(this.filter, runIdCondition(ids)), undefined, ids.length);
      found = page.runs.map(toRow);
    } catch (err) {
      if (generation === this.#generation) reportError('Updating runs live', err);
      return;
    }
    if (generation !== this.#generation) return;
    const byId = new Map(found.map((r) => [r.runId, r]));
    const changed = new Set(ids);
    const rows: RunRow[] = [];
    for (const row of this.rows) {
      if (!changed.has(row.runId)) rows.push(row);
      else if (byId.has(row.runId)) {
        // Updated in place, not moved: a row jumping away while someone reads it is worse than a stale order.
        rows.push(byId.get(row.runId)!);
        byId.delete(row.runId);
      }
    }
    const sort = this.sort ?? DEFAULT_SORT;
    for (const row of byId.values()) {
      const at = insertionIndex(rows, row, (a, b) => compareRows(a, b, sort));
      // Past the loaded rows with more to come: a later page brings it, in its place.
      if (at === rows.length && this.hasMore) continue;
      rows.splice(at, 0, row);
    }
    this.rows = rows;
    this.#noteKeys(found);
  }
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
