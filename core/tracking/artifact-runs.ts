/**
 * Which run a file in the artifact store belongs to, so that files written or deleted through the
 * MLflow artifact proxy (which addresses the store, not runs) are announced on the run they
 * changed. The server's routes reach it through the composition root, never the catalog.
 */
import type { EventBus } from '#core/api/events.ts';
import type { Db } from '#core/catalog/catalog.ts';

/** A store path inside a run's artifacts: `<experiment>/<run uuid>/artifacts/<path in the run>`. */
const RUN_ARTIFACT = /^(\d+)\/([0-9a-f]{32})\/artifacts\/(.+)$/;

/** Announces changes to runs' artifacts made by store path. */
export interface ArtifactRuns {
  /** Tells the UI a file landed in a run's artifacts (`artifact.added`); paths outside runs are ignored. */
  announceAdded(storePath: string): Promise<void>;
  /** Tells the UI a run's artifacts changed by a delete (`run.updated`); paths outside runs are ignored. */
  announceDeleted(storePath: string): Promise<void>;
}

/** The `ArtifactRuns` of one catalog and event bus. */
export function createArtifactRuns(deps: { db: Db; events: EventBus }): ArtifactRuns {
  /**
   * The run whose artifacts hold a store path, when the path is inside a run the catalog knows.
   * One indexed read, not `runs.get`: it runs on every upload, only to address an event.
   */
  async function runOf(storePath: string): Promise<{ experimentId: string; runId: string; path: string } | undefined> {
    const match = RUN_ARTIFACT.exec(storePath);
    if (!match) return undefined;
    const [experimentId, runId, path] = [match[1]!, match[2]!, match[3]!];
    const run = await deps.db.selectFrom('runs').select('experiment_id').where('run_uuid', '=', runId).executeTakeFirst();
    return run && String(run.experiment_id) === experimentId ? { experimentId, runId, path } : undefined;
  }
  return {
    async announceAdded(storePath) {
      const run = await runOf(storePath);
      if (run) deps.events.publish({ type: 'artifact.added', ...run });
    },
    async announceDeleted(storePath) {
      const run = await runOf(storePath);
      if (run) deps.events.publish({ type: 'run.updated', experimentId: run.experimentId, runId: run.runId });
    },
  };
}
