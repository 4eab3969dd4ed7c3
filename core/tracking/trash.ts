/**
 * The trash: deleted experiments and runs stay restorable until purged. A purge removes their
 * catalog rows and then their artifact folders, and reports the bytes it freed.
 */
import { FlowdeskError, invalid, notFound } from '#core/api/errors.ts';
import type { PurgeReport, TrashEntry } from '#core/api/entities.ts';
import type { Handlers } from '#core/api/contract.ts';
import type { EventBus } from '#core/api/events.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import type { Catalog, Db } from '#core/catalog/catalog.ts';
import { deleteTraceRows, tracesOfRuns } from '#core/tracing/trace-trash.ts';

export type TrashHandlers = Pick<Handlers, 'trash.list' | 'trash.purge'>;

const RUN_FOLDER = /^[0-9a-f]{32}$/;

/** The folder holding everything of one run (its artifacts and anything else stored beside them). */
const runFolder = (experimentId: number, runUuid: string) => `${experimentId}/${runUuid}`;

/** Registered model versions whose files lie in a store folder (an experiment's or a run's). */
function versionsUsing(db: Db, folder: string) {
  // Folder names are digits, hex and '/', so they hold no LIKE wildcards.
  return db.selectFrom('model_versions').select(['model_name', 'version']).where('storage_location', 'like', `mlflow-artifacts:/${folder}/%`).orderBy('model_name').orderBy('version').execute();
}

/** Deletes the catalog rows of runs, including metric points, which carry no foreign key. */
async function deleteRunRows(trx: Db, runIds: number[]): Promise<void> {
  for (let i = 0; i < runIds.length; i += 500) {
    const chunk = runIds.slice(i, i + 500);
    const series = trx.selectFrom('metric_series').select('id').where('run_id', 'in', chunk);
    await trx.deleteFrom('metrics').where('series_id', 'in', series).execute();
    await trx.deleteFrom('metric_buckets').where('series_id', 'in', series).execute();
    await trx.deleteFrom('runs').where('id', 'in', chunk).execute();
  }
}

export function createTrash(deps: { catalog: Catalog; artifacts: ArtifactStore; events: EventBus }): TrashHandlers & {
  sweepOrphans(): Promise<number>;
} {
  const { catalog, artifacts, events } = deps;
  const db = catalog.db;

  return {
    async 'trash.list'() {
      const experiments = await db.selectFrom('experiments').selectAll().where('lifecycle_stage', '=', 'deleted').orderBy('deleted_time', 'desc').execute();
      const runs = await db
        .selectFrom('runs')
        .innerJoin('experiments', 'experiments.experiment_id', 'runs.experiment_id')
        .select(['runs.run_uuid', 'runs.name', 'runs.experiment_id', 'runs.deleted_time'])
        .where('runs.lifecycle_stage', '=', 'deleted')
        .where('experiments.lifecycle_stage', '=', 'active')
        .orderBy('runs.deleted_time', 'desc')
        .execute();
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
      let experimentQuery = db.selectFrom('experiments').select(['experiment_id', 'lifecycle_stage', 'deleted_time']);
      let runQuery = db.selectFrom('runs').select(['id', 'run_uuid', 'experiment_id', 'lifecycle_stage', 'deleted_time']);
      if (explicit) {
        const experimentIds = (input.experimentIds ?? []).map((id) => (/^\d{1,15}$/.test(id) ? Number(id) : -1));
        experimentQuery = experimentQuery.where('experiment_id', 'in', experimentIds.length ? experimentIds : [-1]);
        runQuery = runQuery.where('run_uuid', 'in', input.runIds?.length ? input.runIds : ['']);
      } else {
        experimentQuery = experimentQuery.where('lifecycle_stage', '=', 'deleted');
        runQuery = runQuery.where('lifecycle_stage', '=', 'deleted');
      }
      if (input.deletedBefore !== undefined) {
        experimentQuery = experimentQuery.where('deleted_time', '<', input.deletedBefore);
        runQuery = runQuery.where('deleted_time', '<', input.deletedBefore);
      }
      const experiments = await experimentQuery.execute();
      const runs = await runQuery.execute();
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
        const versions = await versionsUsing(db, folder);
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
          const inside = await trx.selectFrom('runs').select('id').where('experiment_id', 'in', purgedExperimentIds).execute();
          await deleteRunRows(trx, inside.map((r) => r.id));
          await trx.deleteFrom('experiments').where('experiment_id', 'in', purgedExperimentIds).execute();
        }
        await deleteRunRows(trx, runsAlone.map((r) => r.id));
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
      const experimentIds = new Set((await db.selectFrom('experiments').select('experiment_id').execute()).map((e) => String(e.experiment_id)));
      for (const top of await artifacts.list('')) {
        if (!top.isDir || !/^\d+$/.test(top.path)) continue;
        if (!experimentIds.has(top.path)) {
          bytes += await artifacts.du(top.path);
          await artifacts.delete(top.path);
          continue;
        }
        const children = (await artifacts.list(top.path)).filter((c) => c.isDir && RUN_FOLDER.test(c.path));
        if (children.length === 0) continue;
        const known = new Set(
          (await db.selectFrom('runs').select('run_uuid').where('run_uuid', 'in', children.map((c) => c.path)).execute()).map((r) => r.run_uuid),
        );
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
