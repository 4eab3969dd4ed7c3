/**
 * The run page's state: the run (overview, params, latest metrics, tags), the model versions
 * registered from it, and the edits made on the page (tags, description), all through the contract.
 * Failures go to the toasts.
 */
import type { ModelVersion, Run } from '#core/api/entities.ts';
import { api } from './api.ts';
import { liveEvents } from './live-events.svelte.ts';
import { reportError } from './toasts.svelte.ts';

/** The tag MLflow keeps a run's description in (markdown). */
export const NOTE_TAG = 'mlflow.note.content';

export class RunPage {
  run = $state.raw<Run | undefined>(undefined);
  versions = $state.raw<ModelVersion[]>([]);
  /** The name of the run `mlflow.parentRunId` names, once read; undefined while unknown or when it is gone. */
  parentName = $state<string | undefined>(undefined);
  /** Runs whose `mlflow.parentRunId` names this one (the first 50). */
  children = $state.raw<{ runId: string; name: string; status: string }[]>([]);
  /** Set when the run could not be loaded (missing, or the server failed). */
  error = $state<string | undefined>(undefined);
  loading = $state(true);

  /** Counts artifact uploads seen live, so the artifact browser knows to list again. */
  artifactsChanged = $state(0);
  #unsubscribe: (() => void) | undefined;
  #reloadTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly runId: string) {}

  /** Loads the run and follows a script that is still logging to it. */
  start(): void {
    void this.load();
    this.#unsubscribe = liveEvents.subscribe({
      onEvent: (event) => {
        // A bulk change names its runs, or only the experiment when it touched too many to name.
        if (event.type === 'runs.changed') {
          if (event.runIds.includes(this.runId) || (event.runIds.length === 0 && event.experimentId === this.run?.info.experimentId)) this.#reloadSoon();
          return;
        }
        if (!('runId' in event) || event.runId !== this.runId) return;
        if (event.type === 'artifact.added') this.artifactsChanged++;
        else this.#reloadSoon();
      },
      onResync: () => {
        this.#reloadSoon();
        this.artifactsChanged++;
      },
    });
  }

  /** Stops following; the page is gone. */
  dispose(): void {
    this.#unsubscribe?.();
    clearTimeout(this.#reloadTimer);
  }

  /** Events arriving together (a batch of metrics) cause one reload, not one each. */
  #reloadSoon(): void {
    clearTimeout(this.#reloadTimer);
    this.#reloadTimer = setTimeout(() => void this.load(), 250);
  }

  /** Tags by key. */
  tags = $derived(new Map((this.run?.data.tags ?? []).map((t) => [t.key, t.value])));

  async load(): Promise<void> {
    try {
      const { run } = await api.call('runs.get', { runId: this.runId });
      this.run = run;
      this.error = undefined;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
      this.loading = false;
      return;
    }
    this.loading = false;
    try {
      this.versions = (await api.call('registry.versionsOfRun', { runId: this.runId })).versions;
    } catch (err) {
      reportError('Loading the model versions of this run', err);
    }
    const parentId = this.run.data.tags.find((t) => t.key === 'mlflow.parentRunId')?.value;
    if (parentId !== undefined) {
      try {
        this.parentName = (await api.call('runs.get', { runId: parentId })).run.info.runName;
      } catch {
        // A parent purged (or never logged here) leaves its id, which the page shows instead.
        this.parentName = undefined;
      }
    }
    try {
      const { runs } = await api.call('runs.search', {
        experimentIds: [this.run.info.experimentId],
        filter: `tags.mlflow.parentRunId = '${this.runId}'`,
        maxResults: 50,
      });
      this.children = runs.map((r) => ({ runId: r.info.runId, name: r.info.runName, status: r.info.status }));
    } catch (err) {
      reportError('Loading the child runs', err);
    }
  }

  /** Renames the run and reloads; false when it failed (the toast says why). */
  async rename(runName: string): Promise<boolean> {
    try {
      await api.call('runs.update', { runId: this.runId, runName });
      await this.load();
      return true;
    } catch (err) {
      reportError('Renaming the run', err);
      return false;
    }
  }

  /** Sets a tag and reloads; false when it failed (the toast says why). */
  async setTag(key: string, value: string): Promise<boolean> {
    try {
      await api.call('runs.setTag', { runId: this.runId, key, value });
      await this.load();
      return true;
    } catch (err) {
      reportError(`Setting the tag “${key}”`, err);
      return false;
    }
  }

  async deleteTag(key: string): Promise<boolean> {
    try {
      await api.call('runs.deleteTag', { runId: this.runId, key });
      await this.load();
      return true;
    } catch (err) {
      reportError(`Deleting the tag “${key}”`, err);
      return false;
    }
  }
}
