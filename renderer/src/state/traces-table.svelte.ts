/**
 * The state of a traces table: one scope (an experiment, a run's traces, a logged model's), the
 * filter and sort the server answers, the pages loaded so far and the exact match count (both
 * kept by PagedTable), the picked rows, and live changes. A `traces.changed` event of the
 * experiment brings the changed traces (still matching the filter) into place a moment later, in
 * one search for the whole burst.
 */
import type { FlowdeskEvent } from '#core/api/events.ts';
import type { TraceInfo } from '#core/api/traces-entities.ts';
import { api } from './api.ts';
import { PagedTable, type RowPage } from './paged-table.svelte.ts';
import { reportError } from './toasts.svelte.ts';
import { DEFAULT_TRACE_SORT, mergeTraces, orderByOf, withTraceIds, type TraceSort } from '#renderer/lib/trace-rows.ts';

/** Which traces a table shows: an experiment's, and within it a run's or a logged model's. */
export interface TraceScope {
  experimentId: string;
  runId?: string;
  modelId?: string;
}

export class TracesTable extends PagedTable<TraceInfo> {
  readonly scope: TraceScope;
  sort = $state<TraceSort>(DEFAULT_TRACE_SORT);
  /** Picked trace ids (two can be compared). */
  selected = $state.raw<ReadonlySet<string>>(new Set());

  constructor(scope: TraceScope) {
    super({
      // Enough to fill a tall window several times over.
      pageSize: 200,
      liveBatchMs: 250,
      // Changed traces go in the filter as ids.
      liveBatchMax: 200,
      failures: { load: 'Loading traces', loadMore: 'Loading more traces', count: 'Counting traces' },
    });
    this.scope = scope;
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

  protected override async fetchPage(pageToken: string | undefined, maxResults: number): Promise<RowPage<TraceInfo>> {
    const page = await this.#search(this.filter, pageToken, maxResults);
    return { rows: page.traces, nextPageToken: page.nextPageToken };
  }

  protected override keyOf(trace: TraceInfo): string {
    return trace.traceId;
  }

  protected override async fetchCount(): Promise<number> {
    const { experimentId, runId, modelId } = this.scope;
    const { count } = await api.call('traces.count', {
      experimentIds: [experimentId],
      ...(runId !== undefined && { runId }),
      ...(modelId !== undefined && { modelId }),
      ...(this.filter.trim() !== '' && { filter: this.filter }),
    });
    return count;
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

  protected override onEvent(event: FlowdeskEvent): void {
    if (event.type === 'traces.changed' && event.experimentId === this.scope.experimentId) {
      this.queueChanged(event.traceIds);
    } else if (event.type === 'trash.purged' && (event.experimentIds.includes(this.scope.experimentId) || event.runIds.length > 0)) {
      // Purged runs take their traces with them; which ones is not in the event.
      void this.reload();
    }
  }

  /** Fetches the traces that changed and puts them in place: updated, inserted in order, or removed if gone. */
  protected override async applyChanged(ids: string[]): Promise<void> {
    if (this.filterError || this.loadError) return;
    const generation = this.generation;
    let found: TraceInfo[];
    try {
      found = (await this.#search(withTraceIds(this.filter, ids), undefined, ids.length)).traces;
      await this.countMatches(generation);
    } catch (err) {
      if (generation === this.generation) reportError('Updating traces live', err);
      return;
    }
    if (generation !== this.generation) return;
    const present = new Set(found.map((t) => t.traceId));
    const gone = new Set(ids.filter((id) => !present.has(id)));
    this.rows = mergeTraces(this.rows, found, gone, this.sort, this.hasMore);
    if (gone.size > 0 && [...this.selected].some((id) => gone.has(id))) this.selected = new Set([...this.selected].filter((id) => !gone.has(id)));
  }
}
