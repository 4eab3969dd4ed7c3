/**
 * The start page's state: the overview (`home.overview`: experiments with run counts and last
 * activity, the runs running now, the newest runs) and the registry requests waiting for an
 * approval, kept current while scripts log. Failures go to the toasts.
 */
import type { TransitionRequest } from '#core/api/entities.ts';
import type { ExperimentActivity, RunSummary } from '#core/api/overview-contract.ts';
import { api } from './api.ts';
import { liveEvents } from './live-events.svelte.ts';
import { reportError } from './toasts.svelte.ts';

export class HomeOverview {
  experiments = $state.raw<ExperimentActivity[]>([]);
  running = $state.raw<RunSummary[]>([]);
  recent = $state.raw<RunSummary[]>([]);
  pending = $state.raw<TransitionRequest[]>([]);
  loaded = $state(false);
  /** Nothing logged yet: the page teaches how to log a first run instead. */
  empty = $derived(this.loaded && this.recent.length === 0 && this.pending.length === 0);

  #unsubscribe: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Loads, then reloads when runs, experiments or the registry change (a burst of events once). */
  start(): void {
    void this.load();
    this.#unsubscribe = liveEvents.subscribe({
      onEvent: (event) => {
        // Metric points and artifacts change no count, status or time shown here.
        if (event.type === 'metrics.logged' || event.type === 'artifact.added') return;
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => void this.load(), 500);
      },
      onResync: () => void this.load(),
    });
  }

  dispose(): void {
    this.#unsubscribe?.();
    clearTimeout(this.#timer);
  }

  async load(): Promise<void> {
    try {
      const [overview, { requests }] = await Promise.all([api.call('home.overview', {}), api.call('registry.listRequests', { status: 'pending' })]);
      this.experiments = overview.experiments;
      this.running = overview.running;
      this.recent = overview.recent;
      this.pending = requests;
    } catch (err) {
      reportError('Loading the start page', err);
    } finally {
      this.loaded = true;
    }
  }
}
