/**
 * What the tables loaded a page at a time share (the runs table, the traces tables): the rows of
 * the current query's pages, the next page loaded on demand, the exact number of matches, the
 * filter's error at its position, and generations, so an answer to an older query is dropped.
 * Live changes are gathered by id and fetched in batches. Each table says how to read a page, a
 * count and a batch of changed rows, and adds its own state around them.
 */
import { FlowdeskError } from '#core/api/errors.ts';
import type { FlowdeskEvent } from '#core/api/events.ts';
import { parseFilterError, type FilterError } from '#renderer/lib/filter-error.ts';
import { liveEvents } from './live-events.svelte.ts';
import { reportError } from './toasts.svelte.ts';

/** One page of rows as a table keeps it. */
export interface RowPage<Row> {
  rows: Row[];
  nextPageToken?: string;
}

/** How a table pages and follows changes, and what it calls the failures it reports. */
export interface PagingOptions {
  pageSize: number;
  /** Live changes are gathered this long, so a burst costs one fetch. */
  liveBatchMs: number;
  /** The most changed rows one live fetch asks for; more wait for the next batch. */
  liveBatchMax: number;
  /** What failed, as a toast says it: "Loading runs", "Loading more runs", "Counting the runs". */
  failures: { load: string; loadMore: string; count: string };
}

export abstract class PagedTable<Row> {
  /** The loaded rows in the table's order. Raw state: replaced whole, never mutated. */
  rows = $state.raw<Row[]>([]);
  /** Whether the server has more rows past the loaded ones. */
  hasMore = $state(false);
  loading = $state(false);
  /** Whether the first page of a query has answered (or failed) at least once. */
  loaded = $state(false);
  filter = $state('');
  /** The server's complaint about the filter, shown at its position under the filter box. */
  filterError = $state.raw<FilterError | undefined>(undefined);
  /** Why the rows could not be read, when it was not the filter. */
  loadError = $state<string | undefined>(undefined);
  /** Exactly how many rows match, from the server; undefined until counted. */
  matchCount = $state<number | undefined>(undefined);
  /** Counts queries: a new one starts the table from its top. */
  queryId = $state(0);

  /** Bumped by every new query (and when the table is gone), so answers to an older one are dropped. */
  protected generation = 0;
  readonly #options: PagingOptions;
  #pageToken: string | undefined;
  #pending = new Set<string>();
  #liveTimer: ReturnType<typeof setTimeout> | undefined;
  #unsubscribe: () => void;

  constructor(options: PagingOptions) {
    this.#options = options;
    this.#unsubscribe = liveEvents.subscribe({ onEvent: (e) => this.onEvent(e), onResync: () => this.onResync() });
  }

  /** Reads a page of the current query: the first when `pageToken` is undefined. */
  protected abstract fetchPage(pageToken: string | undefined, maxResults: number): Promise<RowPage<Row>>;
  /** A row's identity: a row that comes again (live, then in a later page) is shown once. */
  protected abstract keyOf(row: Row): string;
  /** How many rows match the current query. */
  protected abstract fetchCount(): Promise<number>;
  /** Takes a push event; changed rows go through `queueChanged`. */
  protected abstract onEvent(event: FlowdeskEvent): void;
  /** Fetches a batch of changed rows (at most `liveBatchMax` ids) and puts them in place. */
  protected abstract applyChanged(ids: string[]): Promise<void>;

  /** Events were lost: the first page is read again. */
  protected onResync(): void {
    void this.reload();
  }

  /** Stops listening; the table is gone. */
  dispose(): void {
    this.#unsubscribe();
    clearTimeout(this.#liveTimer);
    this.generation++;
  }

  /** Reloads from the first page (a new query, or a resync after the event stream dropped). */
  async reload(): Promise<void> {
    const generation = ++this.generation;
    this.queryId = generation;
    this.#pageToken = undefined;
    this.#pending.clear();
    this.loading = true;
    this.filterError = undefined;
    this.loadError = undefined;
    try {
      await this.loadFirst(generation);
    } catch (err) {
      if (generation !== this.generation) return;
      this.rows = [];
      this.hasMore = false;
      this.matchCount = undefined;
      this.loadFailed();
      if (err instanceof FlowdeskError && err.code === 'INVALID_PARAMETER_VALUE' && this.filter.trim() !== '') {
        // A mistake in the filter is shown at its position under the filter box, not as a toast.
        this.filterError = parseFilterError(err.message);
      } else {
        this.loadError = err instanceof Error ? err.message : String(err);
        reportError(this.#options.failures.load, err);
      }
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.loaded = true;
        this.firstPageSettled(generation);
      }
    }
  }

  /** Reads what a new query shows first: by default its first page (`showFirstPage`). */
  protected async loadFirst(generation: number): Promise<void> {
    await this.showFirstPage(generation);
  }

  /** Reads the first page and shows it; the rows shown, or undefined when a newer query came meanwhile. */
  protected async showFirstPage(generation: number): Promise<Row[] | undefined> {
    const page = await this.fetchPage(undefined, this.#options.pageSize);
    if (generation !== this.generation) return undefined;
    this.rows = page.rows;
    this.#pageToken = page.nextPageToken;
    this.hasMore = page.nextPageToken !== undefined;
    return page.rows;
  }

  /** After a failed first page, before the error is shown: what else the table clears. */
  protected loadFailed(): void {}

  /** After the first page answered or failed: the match count, unless the query failed. */
  protected firstPageSettled(generation: number): void {
    // After the first rows, not before: they matter more than the number.
    if (!this.filterError && !this.loadError) void this.countMatches(generation);
  }

  /** Loads the next page, if there is one and none is on its way. */
  async loadMore(): Promise<void> {
    if (this.loading || !this.#pageToken) return;
    const generation = this.generation;
    this.loading = true;
    try {
      const page = await this.fetchPage(this.#pageToken, this.#options.pageSize);
      if (generation !== this.generation) return;
      // A row that arrived live can come again in a later page; keep the one already shown.
      const shown = new Set(this.rows.map((row) => this.keyOf(row)));
      const rows = page.rows.filter((row) => !shown.has(this.keyOf(row)));
      this.rows = [...this.rows, ...rows];
      this.#pageToken = page.nextPageToken;
      this.hasMore = page.nextPageToken !== undefined;
      await this.moreShown(rows, generation);
    } catch (err) {
      if (generation === this.generation) {
        this.hasMore = false;
        reportError(this.#options.failures.loadMore, err);
      }
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** After a further page is shown: what the table reads about its new rows. */
  protected async moreShown(_rows: Row[], _generation: number): Promise<void> {}

  /** Counts the matches of the current query; a failure is reported, never thrown. */
  protected async countMatches(generation: number): Promise<void> {
    try {
      const count = await this.fetchCount();
      if (generation === this.generation) this.matchCount = count;
    } catch (err) {
      if (generation === this.generation) reportError(this.#options.failures.count, err);
    }
  }

  /** Gathers changed rows' ids; a batch is fetched once `liveBatchMs` has passed. */
  protected queueChanged(ids: Iterable<string>): void {
    for (const id of ids) this.#pending.add(id);
    this.#liveTimer ??= setTimeout(() => this.#flushChanged(), this.#options.liveBatchMs);
  }

  #flushChanged(): void {
    this.#liveTimer = undefined;
    const ids = [...this.#pending].slice(0, this.#options.liveBatchMax);
    for (const id of ids) this.#pending.delete(id);
    if (this.#pending.size > 0) this.#liveTimer = setTimeout(() => this.#flushChanged(), this.#options.liveBatchMs);
    void this.applyChanged(ids);
  }
}
