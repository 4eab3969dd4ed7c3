/**
 * The state of a traces table: one scope (an experiment, a run's traces, a logged model's), the
 * filter and sort the server answers, the pages loaded so far, the exact match count, the picked
 * rows, and live changes. A `traces.changed` event of the experiment brings the changed traces
 * (still matching the filter) into place a moment later, in one search for the whole burst.
 */
import type { FlowdeskEvent } from '#core/api/events.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import type { TraceInfo } from '#core/api/traces-entities.ts';
import { api } from './api.ts';
import { parseFilterError, type FilterError } from '#renderer/lib/filter-error.ts';
import { liveEvents } from './live-events.svelte.ts';
import { reportError } from './toasts.svelte.ts';
import { DEFAULT_TRACE_SORT, mergeTraces, orderByOf, withTraceIds, type TraceSort } from '#renderer/lib/trace-rows.ts';

/** Traces a page brings: enough to fill a tall window several times over. */
const PAGE_SIZE = 200;
/** Live changes are gathered this long, so a burst of traces costs one search. */
const LIVE_BATCH_MS = 250;
/** The most changed traces one live search asks for (they go in the filter as ids). */
const LIVE_BATCH_MAX = 200;

/** Which traces a table shows: an experiment's, and within it a run's or a logged model's. */
export interface TraceScope {
  experimentId: string;
  runId?: string;
  modelId?: string;
}

export class TracesTable {
  readonly scope: TraceScope;
  filter = $state('');
  sort = $state<TraceSort>(DEFAULT_TRACE_SORT);
  rows = $state.raw<TraceInfo[]>([]);
  hasMore = $state(false);
  loading = $state(false);
  /** The first page has answered (or failed) at least once. */
  loaded = $state(false);
  /** The server's complaint about the filter, at its position. */
  filterError = $state<FilterError | undefined>(undefined);
  /** Why the traces could not be read, shown where they would be. */
  loadError = $state<string | undefined>(undefined);
  /** Exactly how many traces match, from the server; undefined until counted. */
  matchCount = $state<number | undefined>(undefined);
  /** Picked trace ids (two can be compared). */
  selected = $state.raw<ReadonlySet<string>>(new Set());
  /** Bumped by each new query, so the view scrolls back to the top. */
  queryId = $state(0);

  #generation = 0;
  #pageToken: string | undefined;
  #pending = new Set<string>();
  #liveTimer: ReturnType<typeof setTimeout> | undefined;
  #unsubscribe: () => void;

  constructor(scope: TraceScope) {
    this.scope = scope;
    this.#unsubscribe = liveEvents.subscribe({ onEvent: (e) => this.#onEvent(e), onResync: () => void this.reload() });
  }

  /** Stops listening; the table is gone. */
  dispose(): void {
    this.#unsubscribe();
    clearTimeout(this.#liveTimer);
    this.#generation++;
  }

  /** Shows the traces of a filter in an order, from the first page. */
  setQuery(filter: string, sort: TraceSort): void {
    this.filter = filter;
    this.sort = sort;
    this.selected = new Set();
    void this.reload();
  }

  #search(filter: string, pageToken: string | undefined, maxResults: number) {
    const { experimentId, runId, modelId } = this.scope;
    return api.call('traces.search', {
      experimentIds: [experimentId],
      ...(runId !== undefined && { runId }),
      ...(modelId !== undefined && { modelId }),
      ...(filter.trim() !== '' && { filter }),
      orderBy: orderByOf(this.sort),
      maxResults,
      ...(pageToken !== undefined && { pageToken }),
    });
  }

  /** Reloads from the first page (a new query, or a resync after the event stream dropped). */
  async reload(): Promise<void> {
    const generation = ++this.#generation;
    this.queryId = generation;
    this.#pageToken = undefined;
    this.#pending.clear();
    this.loading = true;
    this.filterError = undefined;
    this.loadError = undefined;
    try {
      const page = await this.#search(this.filter, undefined, PAGE_SIZE);
      if (generation !== this.#generation) return;
      this.rows = page.traces;
      this.#pageToken = page.nextPageToken;
      this.hasMore = page.nextPageToken !== undefined;
    } catch (err) {
      if (generation !== this.#generation) return;
      this.rows = [];
      this.hasMore = false;
      this.matchCount = undefined;
      if (err instanceof FlowdeskError && err.code === 'INVALID_PARAMETER_VALUE' && this.filter.trim() !== '') {
        // A mistake in the filter is shown at its position under the filter box, not as a toast.
        this.filterError = parseFilterError(err.message);
      } else {
        this.loadError = err instanceof Error ? err.message : String(err);
        reportError('Loading traces', err);
      }
    } finally {
      if (generation === this.#generation) {
        this.loading = false;
        this.loaded = true;
        // After the first rows, not before: they matter more than the number.
        if (!this.filterError && !this.loadError) void this.#count(generation);
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
      // A trace that arrived live can come again in a later page; keep the row already shown.
      const shown = new Set(this.rows.map((t) => t.traceId));
      this.rows = [...this.rows, ...page.traces.filter((t) => !shown.has(t.traceId))];
      this.#pageToken = page.nextPageToken;
      this.hasMore = page.nextPageToken !== undefined;
    } catch (err) {
      if (generation === this.#generation) {
        this.hasMore = false;
        reportError('Loading more traces', err);
      }
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  async #count(generation: number): Promise<void> {
    const { experimentId, runId, modelId } = this.scope;
    try {
      const { count } = await api.call('traces.count', {
        experimentIds: [experimentId],
        ...(runId !== undefined && { runId }),
        ...(modelId !== undefined && { modelId }),
        ...(this.filter.trim() !== '' && { filter: this.filter }),
      });
      if (generation === this.#generation) this.matchCount = count;
    } catch (err) {
      if (generation === this.#generation) reportError('Counting traces', err);
    }
  }

  /** Picks or unpicks a trace. */
  toggle(traceId: string): void {
    const next = new Set(this.selected);
    if (!next.delete(traceId)) next.add(traceId);
    this.selected = next;
  }

  clearSelection(): void {
    this.selected = new Set();
  }

  #onEvent(event: FlowdeskEvent): void {
    if (event.type === 'traces.changed' && event.experimentId === this.scope.experimentId) {
      for (const id of event.traceIds) this.#pending.add(id);
      this.#liveTimer ??= setTimeout(() => void this.#applyPending(), LIVE_BATCH_MS);
    } else if (event.type === 'trash.purged' && (event.experimentIds.includes(this.scope.experimentId) || event.runIds.length > 0)) {
      // Purged runs take their traces with them; which ones is not in the event.
      void this.reload();
    }
  }

  /** Fetches the traces that changed and puts them in place: updated, inserted in order, or removed if gone. */
  async #applyPending(): Promise<void> {
    this.#liveTimer = undefined;
    const ids = [...this.#pending].slice(0, LIVE_BATCH_MAX);
    for (const id of ids) this.#pending.delete(id);
    if (this.#pending.size > 0) this.#liveTimer = setTimeout(() => void this.#applyPending(), LIVE_BATCH_MS);
    if (this.filterError || this.loadError) return;
    const generation = this.#generation;
    let found: TraceInfo[];
    try {
      found = (await this.#search(withTraceIds(this.filter, ids), undefined, ids.length)).traces;
      await this.#count(generation);
    } catch (err) {
      if (generation === this.#generation) reportError('Updating traces live', err);
      return;
    }
    if (generation !== this.#generation) return;
    const present = new Set(found.map((t) => t.traceId));
    const gone = new Set(ids.filter((id) => !present.has(id)));
    this.rows = mergeTraces(this.rows, found, gone, this.sort, this.hasMore);
    if (gone.size > 0 && [...this.selected].some((id) => gone.has(id))) this.selected = new Set([...this.selected].filter((id) => !gone.has(id)));
  }
}
