/**
 * The experiment list of the sidebar: loaded through `experiments.search`, filtered by name as
 * the person types, and kept current by `experiment.changed` events.
 */
import type { Experiment } from '#core/api/entities.ts';
import { api } from './api.ts';
import { liveEvents } from './live-events.svelte.ts';
import { reportError } from './toasts.svelte.ts';

/** Events arriving together (a script creating many runs) cause one reload, not one each. */
const RELOAD_DELAY_MS = 250;

class Experiments {
  /** Active experiments, by name (ignoring case, as people read a list). */
  list = $state.raw<Experiment[]>([]);
  /** Whether the first load has answered (until then the sidebar says it is loading). */
  loaded = $state(false);
  /** Text typed in the sidebar's search box. */
  query = $state('');
  /** The list narrowed to names containing the query, ignoring case. */
  visible = $derived.by(() => {
    const q = this.query.trim().toLowerCase();
    return q === '' ? this.list : this.list.filter((e) => e.name.toLowerCase().includes(q));
  });
  #reloadTimer: ReturnType<typeof setTimeout> | undefined;
  #started = false;

  /** Loads the list and follows changes; safe to call more than once. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    liveEvents.subscribe({
      onEvent: (event) => {
        if (event.type === 'experiment.changed' || event.type === 'trash.purged') this.#reloadSoon();
      },
      onResync: () => this.#reloadSoon(),
    });
    void this.reload();
  }

  /** Reads every active experiment (page by page; there are rarely more than a few hundred). */
  async reload(): Promise<void> {
    try {
      const all: Experiment[] = [];
      let pageToken: string | undefined;
      do {
        const page = await api.call('experiments.search', { viewType: 'ACTIVE_ONLY', maxResults: 1000, pageToken });
        all.push(...page.experiments);
        pageToken = page.nextPageToken;
      } while (pageToken);
      this.list = all.sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base', numeric: true }));
    } catch (err) {
      reportError('Loading experiments', err);
    } finally {
      this.loaded = true;
    }
  }

  /** The experiment with this id among the loaded ones. */
  find(experimentId: string): Experiment | undefined {
    return this.list.find((e) => e.experimentId === experimentId);
  }

  /** Creates an experiment; returns its id, or undefined when it failed (and was reported). */
  async create(name: string): Promise<string | undefined> {
    try {
      const { experimentId } = await api.call('experiments.create', { name });
      await this.reload();
      return experimentId;
    } catch (err) {
      reportError(`Creating experiment '${name}'`, err);
      return undefined;
    }
  }

  /** Renames an experiment; returns whether it worked. */
  async rename(experimentId: string, newName: string): Promise<boolean> {
    try {
      await api.call('experiments.rename', { experimentId, newName });
      await this.reload();
      return true;
    } catch (err) {
      reportError('Renaming the experiment', err);
      return false;
    }
  }

  /** Moves an experiment (and its runs) to the trash; returns whether it worked. */
  async remove(experimentId: string): Promise<boolean> {
    try {
      await api.call('experiments.delete', { experimentId });
      await this.reload();
      return true;
    } catch (err) {
      reportError('Moving the experiment to the trash', err);
      return false;
    }
  }

  /** Brings an experiment back from the trash; returns whether it worked. */
  async restore(experimentId: string): Promise<boolean> {
    try {
      await api.call('experiments.restore', { experimentId });
      await this.reload();
      return true;
    } catch (err) {
      reportError('Restoring the experiment', err);
      return false;
    }
  }

  #reloadSoon(): void {
    clearTimeout(this.#reloadTimer);
    this.#reloadTimer = setTimeout(() => void this.reload(), RELOAD_DELAY_MS);
  }
}

/** The sidebar's experiments. */
export const experiments = new Experiments();
