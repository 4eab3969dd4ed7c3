/**
 * The trash: deleted experiments and runs stay restorable until purged. A purge removes their
 * catalog rows and then their artifact folders, and reports the bytes it freed.
 */
import { FlowdeskError, invalid, notFound } from '#core/api/errors.ts';
import type { PurgeReport, TrashEntry } from '#core/api/entities.ts';
import type { Handlers } from '#core/api/contract.ts';
import type { EventBus } from '#core/api/events.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import type { Catalog } from '#core/catalog/catalog.ts';
import { deleteTraceRows, tracesOfRuns } from '#core/tracing/trace-trash.ts';
import * as repo from './tracking-repository.ts';

export type TrashHandlers = Pick<Handlers, 'trash.list' | 'trash.purge'>;

const RUN_FOLDER = /^[0-9a-f]{32}$/;

/** The folder holding everything of one run (its artifacts and anything else stored beside them). */
const runFolder = (experimentId: number, runUuid: string) => `${experimentId}/${runUuid}`;

export function createTrash(deps: { catalog: Catalog; artifacts: ArtifactStore; events: EventBus }): TrashHandlers & {
  sweepOrphans(): Promise<number>;
} {
  const { catalog, artifacts, events } = deps;
  const db = catalog.db;

  return {
    async 'trash.list'() {
      const experiments = await repo.deletedExperiments(db);
      const runs = await repo.deletedRunsOfLiveExperiments(db);
      const entries: TrashEntry[] = [];
      for (const e of experiments) {
        entries.push({
          kind: 'experiment',
          id: String(e.experiment_id),
          name: e.name,
          experimentId: String(e.experiment_id),
          deletedTime: Number(e.deleted_time ?? 0),
          bytes: await artifacts.du(String(e.experiment_id)),
        });
      }
      for (const r of runs) {
        entries.push({
          kind: 'run',
          id: r.run_uuid,
          name: r.name,
          experimentId: String(r.experiment_id),
          deletedTime: Number(r.deleted_time ?? 0),
          bytes: await artifacts.du(runFolder(r.experiment_id, r.run_uuid)),
        });
      }
      return { entries };
    },

    async 'trash.purge'(input): Promise<PurgeReport> {
      const explicit = input.experimentIds !== undefined || input.runIds !== undefined;
      const filter: repo.PurgeFilter = { deletedBefore: input.deletedBefore };
      if (explicit) {
        // An id that is not a number names no experiment; -1 matches none.
        filter.ids = { experimentIds: (input.experimentIds ?? []).map((id) => (/^\d{1,15}$/.test(id) ? Number(id) : -1)), runUuids: input.runIds ?? [] };
      }
      const experiments = await repo.experimentsToPurge(db, filter);
      const runs = await repo.runsToPurge(db, filter);
      if (explicit) {
        const found = new Set([...experiments.map((e) => String(e.experiment_id)), ...runs.map((r) => r.run_uuid)]);
        const missing = [...(input.experimentIds ?? []), ...(input.runIds ?? [])].filter((id) => !found.has(id));
        if (missing.length > 0 && input.deletedBefore === undefined) throw notFound(`Nothing in the catalog with id ${missing.map((m) => `'${m}'`).join(', ')}`);
        const live = [...experiments, ...runs].filter((x) => x.lifecycle_stage !== 'deleted');
        if (live.length > 0) throw invalid(`Only deleted experiments and runs can be purged; delete them first (${live.length} still active)`);
      }
      // Files a registered model version points into must outlive the run that made them: an
      // explicit purge of such a run is refused, a purge of everything leaves it in the trash.
      const kept: PurgeReport['kept'] = [];
      const usable = async <T>(kind: 'experiment' | 'run', id: string, folder: string, item: T): Promise<T[]> => {
        const versions = await repo.versionsUsingFolder(db, folder);
        if (versions.length === 0) return [item];
        const names = versions.map((v) => `version ${v.version} of '${v.model_name}'`).join(', ');
        if (explicit) throw new FlowdeskError('INVALID_STATE', `Cannot purge ${kind} ${id}: registered model ${names} use${versions.length === 1 ? 's' : ''} its artifacts; delete those versions first`);
        kept.push({ kind, id, reason: `used by registered model ${names}` });
        return [];
      };
      const purgedExperiments = (await Promise.all(experiments.map((e) => usable('experiment', String(e.experiment_id), String(e.experiment_id), e)))).flat();
      // Runs inside a purged experiment go with it, whatever their own state.
      const purgedExperimentIds = purgedExperiments.map((e) => e.experiment_id);
      const candidates = runs.filter((r) => !experiments.some((e) => e.experiment_id === r.experiment_id));
      const runsAlone = (await Promise.all(candidates.map((r) => usable('run', r.run_uuid, runFolder(r.experiment_id, r.run_uuid), r)))).flat();
      // Traces made in a purged run go with it; those of a purged experiment go with the experiment.
      const runTraces = await tracesOfRuns(db, runsAlone.map((r) => r.run_uuid));
      const folders = [...purgedExperimentIds.map(String), ...runsAlone.map((r) => runFolder(r.experiment_id, r.run_uuid)), ...runTraces.folders];
      let bytes = 0;
      for (const folder of folders) bytes += await artifacts.du(folder);

      await catalog.write(async (trx) => {
        if (purgedExperimentIds.length > 0) {
          const inside = await repo.runIdsOfExperiments(trx, purgedExperimentIds);
          await repo.deleteRunRows(trx, inside.map((r) => r.id));
          await repo.deleteExperiments(trx, purgedExperimentIds);
        }
        await repo.deleteRunRows(trx, runsAlone.map((r) => r.id));
        await deleteTraceRows(trx, runTraces.ids);
      });
      // Rows first, files second: a crash in between leaves only orphan folders, which gc sweeps.
      for (const folder of folders) {
        if ((await artifacts.stat(folder)) !== undefined) await artifacts.delete(folder);
      }
      if (folders.length > 0) {
        events.publish({ type: 'trash.purged', experimentIds: purgedExperimentIds.map(String), runIds: runsAlone.map((r) => r.run_uuid) });
      }
      return { experimentsPurged: purgedExperimentIds.length, runsPurged: runsAlone.length, bytesReclaimed: bytes, kept };
    },

    /** Deletes artifact folders whose experiment or run is no longer in the catalog; returns bytes freed. */
    async sweepOrphans() {
      let bytes = 0;
      const experimentIds = new Set((await repo.allExperimentIds(db)).map((e) => String(e.experiment_id)));
      for (const top of await artifacts.list('')) {
        if (!top.isDir || !/^\d+$/.test(top.path)) continue;
        if (!experimentIds.has(top.path)) {
          bytes += await artifacts.du(top.path);
          await artifacts.delete(top.path);
          continue;
        }
        const children = (await artifacts.list(top.path)).filter((c) => c.isDir && RUN_FOLDER.test(c.path));
        if (children.length === 0) continue;
        const known = new Set((await repo.knownRunUuids(db, children.map((c) => c.path))).map((r) => r.run_uuid));
        for (const child of children) {
          if (known.has(child.path)) continue;
          const folder = `${top.path}/${child.path}`;
          bytes += await artifacts.du(folder);
          await artifacts.delete(folder);
        }
      }
      return bytes;
    },
  };
}
