/**
 * The compare view's state: every run the link names (however many: read in calls of up to
 * 1,000), loaded through the contract, and the ids that name no run (shown as a message, not as
 * a blank page). Other failures go to the toasts.
 * Also the choices kept between comparisons (runs as rows or columns, which way each metric is
 * better), in localStorage like the runs table's columns.
 */
import { MAX_BATCH_RUNS } from '#core/api/batched-reads-contract.ts';
import type { Run } from '#core/api/entities.ts';
import { api } from './api.ts';
import type { CompareRun, Direction } from '#renderer/lib/compare-data.ts';
import { reportError } from './toasts.svelte.ts';

/** What the compare view reads of a run. */
export function toCompareRun(run: Run): CompareRun {
  return {
    runId: run.info.runId,
    experimentId: run.info.experimentId,
    name: run.info.runName || run.info.runId.slice(0, 8),
    startTime: run.info.startTime,
    params: Object.fromEntries(run.data.params.map((p) => [p.key, p.value])),
    metrics: Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value])),
  };
}

export class Comparison {
  runs = $state.raw<CompareRun[]>([]);
  /** Latest metric points per run (key → step/timestamp), so charts refetch only what changed. */
  versions = $state.raw<Map<string, string>[]>([]);
  /** Ids in the link that name no run. */
  missing = $state.raw<string[]>([]);
  loading = $state(true);
  /** Set when loading failed for another reason than a missing run. */
  error = $state<string | undefined>(undefined);

  constructor(readonly runIds: readonly string[]) {}

  async load(): Promise<void> {
    // One call per 1,000 runs (the most one call takes), however many the link names, all in
    // flight at once: one call per run cost a round trip each.
    let runs: Run[] = [];
    let missing: string[] = [];
    let error: string | undefined;
    try {
      const named = [...new Set(this.runIds)];
      const parts = [];
      for (let first = 0; first < named.length; first += MAX_BATCH_RUNS) parts.push(named.slice(first, first + MAX_BATCH_RUNS));
      const answers = await Promise.all(parts.map((runIds) => api.call('runs.getMany', { runIds })));
      runs = answers.flatMap((a) => a.runs);
      missing = answers.flatMap((a) => a.missing);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      reportError('Loading the runs to compare', err);
    }
    this.runs = runs.map(toCompareRun);
    this.versions = runs.map((run) => new Map(run.data.metrics.map((m) => [m.key, `${m.step}/${m.timestamp}/${m.value}`])));
    this.missing = missing;
    this.error = error;
    this.loading = false;
  }
}

/** The part of `localStorage` the choices use, so tests can hand in a Map-backed one. */
export interface PrefsStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const PREFS_KEY = 'flowdesk.compare.prefs';

/** Choices of the compare view that outlive one comparison. */
export class ComparePrefs {
  /** Unset until the person chooses: the view picks by the number of runs. */
  orientation = $state<'rows' | 'columns' | undefined>(undefined);
  /** Which way each metric is better, where the person flipped the guess. */
  directions = $state.raw<Record<string, Direction>>({});

  #storage: PrefsStorage;

  constructor(storage: PrefsStorage = localStorage) {
    this.#storage = storage;
    try {
      const saved = JSON.parse(storage.getItem(PREFS_KEY) ?? '{}') as { orientation?: unknown; directions?: unknown };
      if (saved.orientation === 'rows' || saved.orientation === 'columns') this.orientation = saved.orientation;
      if (saved.directions && typeof saved.directions === 'object') {
        this.directions = Object.fromEntries(Object.entries(saved.directions).filter((e): e is [string, Direction] => e[1] === 'lower' || e[1] === 'higher'));
      }
    } catch {
      // Choices another version wrote or a person edited: start from the defaults.
    }
  }

  setOrientation(orientation: 'rows' | 'columns'): void {
    this.orientation = orientation;
    this.#save();
  }

  setDirection(key: string, direction: Direction): void {
    this.directions = { ...this.directions, [key]: direction };
    this.#save();
  }

  #save(): void {
    this.#storage.setItem(PREFS_KEY, JSON.stringify({ orientation: this.orientation, directions: this.directions }));
  }
}
