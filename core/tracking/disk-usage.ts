/**
 * Disk usage per experiment: what each experiment's artifact folder takes, so people can see
 * where their disk went before emptying the trash.
 */
import type { Handlers } from '#core/api/contract.ts';
import type { ExperimentDiskUsage } from '#core/api/entities.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import type { Db } from '#core/catalog/catalog.ts';

export type DiskUsageHandlers = Pick<Handlers, 'experiments.diskUsage'>;

/** The `experiments.diskUsage` handler over a catalog and its artifact store. */
export function createDiskUsage(deps: { db: Db; artifacts: ArtifactStore }): DiskUsageHandlers {
  const { db, artifacts } = deps;
  return {
    async 'experiments.diskUsage'() {
      const rows = await db.selectFrom('experiments').select(['experiment_id', 'name', 'lifecycle_stage']).execute();
      const experiments: ExperimentDiskUsage[] = [];
      // One experiment at a time: a walk of every folder at once would open too many handles.
      for (const row of rows) {
        experiments.push({
          experimentId: String(row.experiment_id),
          name: row.name,
          lifecycleStage: row.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
          bytes: await artifacts.du(String(row.experiment_id)),
        });
      }
      // Largest first; ties by name so the order is stable between refreshes.
      experiments.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
      return { experiments, totalBytes: experiments.reduce((sum, e) => sum + e.bytes, 0) };
    },
  };
}
