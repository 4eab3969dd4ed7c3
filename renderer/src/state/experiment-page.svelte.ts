/**
 * The experiment an experiment page (its runs, its traces) is about: read when the page opens
 * and again whenever the sidebar's list changes (renames, restores), also when it is in the trash
 * (the sidebar lists active ones only); `missing` once the server says it does not exist.
 */
import type { Experiment } from '#core/api/entities.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import { api } from './api.ts';
import { experiments } from './experiments.svelte.ts';
import { reportError } from './toasts.svelte.ts';

export class ExperimentPage {
  readonly experimentId: string;
  experiment = $state.raw<Experiment | undefined>(undefined);
  /** The server does not know the experiment (purged, or a stale link). */
  missing = $state(false);

  /** Create it while a component initialises: it follows the experiment list for that component's life. */
  constructor(experimentId: string) {
    this.experimentId = experimentId;
    $effect(() => {
      void experiments.list; // re-read after renames and restores
      void this.reload();
    });
  }

  /** Reads the experiment again (after a change this page made to it). */
  async reload(): Promise<void> {
    try {
      this.experiment = (await api.call('experiments.get', { experimentId: this.experimentId })).experiment;
    } catch (err) {
      if (err instanceof FlowdeskError && err.code === 'RESOURCE_DOES_NOT_EXIST') this.missing = true;
      else reportError('Loading the experiment', err);
    }
  }
}
