/**
 * The compare view's state: the runs named in the link, loaded through the contract, and the ids
 * that name no run (shown as a message, not as a blank page). Other failures go to the toasts.
 */
import { FlowdeskError } from '#core/api/errors.ts';
import type { Run } from '#core/api/entities.ts';
import { api } from './api.ts';
import type { CompareRun } from './compare-data.ts';
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
    const results = await Promise.all(
      this.runIds.map((runId) =>
        api.call('runs.get', { runId }).then(
          ({ run }) => ({ runId, run }),
          (err: unknown) => ({ runId, err }),
        ),
      ),
    );
    const runs: Run[] = [];
    const missing: string[] = [];
    let error: string | undefined;
    for (const r of results) {
      if ('run' in r) runs.push(r.run);
      // A malformed id is as missing as an unknown one; both come from a link, not from a bug.
      else if (r.err instanceof FlowdeskError && (r.err.code === 'RESOURCE_DOES_NOT_EXIST' || r.err.code === 'INVALID_PARAMETER_VALUE')) missing.push(r.runId);
      else {
        error = r.err instanceof Error ? r.err.message : String(r.err);
        reportError('Loading the runs to compare', r.err);
      }
    }
    this.runs = runs.map(toCompareRun);
    this.versions = runs.map((run) => new Map(run.data.metrics.map((m) => [m.key, `${m.step}/${m.timestamp}/${m.value}`])));
    this.missing = missing;
    this.error = error;
    this.loading = false;
  }
}
