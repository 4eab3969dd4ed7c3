/**
 * The target's side of `flowdesk migrate` (the `migrate.*` methods): experiments and runs written
 * as the source recorded them. Everything else a migration carries (params, tags, metrics,
 * artifacts, the registry) arrives through the ordinary methods, held to the same rules as any
 * other writer, so the values the laptop accepted are accepted here by the same checks.
 */
import type { Handlers } from '#core/api/contract.ts';
import { alreadyExists, invalid } from '#core/api/errors.ts';
import type { EventBus } from '#core/api/events.ts';
import type { Catalog } from '#core/catalog/catalog.ts';
import { insertRecordedRun } from '#core/tracking/imported-run.ts';
import { toRunInfo } from '#core/tracking/mappers.ts';
import { getExperimentRow } from '#core/tracking/tracking-service.ts';
import { validateExperimentName, validateExperimentTag, validateRunName } from '#core/tracking/validation.ts';

export type MigrateReceiverHandlers = Pick<Handlers, 'migrate.putExperiment' | 'migrate.trashExperiment' | 'migrate.putRun' | 'migrate.putLoggedModel'>;

/** The `migrate.*` handlers over a catalog. */
export function createMigrateReceiver(deps: { catalog: Catalog; events: EventBus }): MigrateReceiverHandlers {
  const { catalog, events } = deps;
  return {
    async 'migrate.putExperiment'(input) {
      validateExperimentName(input.name);
      input.tags.forEach(validateExperimentTag);
      const { experimentId, created } = await catalog.write(async (trx) => {
        const found = await trx
          .selectFrom('experiments')
          .select(['experiment_id', 'lifecycle_stage'])
          .where('name', '=', input.name)
          .orderBy('lifecycle_stage')
          .executeTakeFirst();
        let id = found?.experiment_id;
        if (id === undefined) {
          ({ experiment_id: id } = await trx
            .insertInto('experiments')
            .values({ name: input.name, artifact_location: '', lifecycle_stage: 'active', creation_time: input.creationTime, last_update_time: input.lastUpdateTime })
            .returning('experiment_id')
            .executeTakeFirstOrThrow());
          await trx.updateTable('experiments').set({ artifact_location: `mlflow-artifacts:/${id}` }).where('experiment_id', '=', id).execute();
        }
        const existing = new Set((await trx.selectFrom('experiment_tags').select('key').where('experiment_id', '=', id).execute()).map((t) => t.key));
        const fresh = [...new Map(input.tags.map((t) => [t.key, t])).values()].filter((t) => !existing.has(t.key));
        if (fresh.length > 0) await trx.insertInto('experiment_tags').values(fresh.map((t) => ({ experiment_id: id, key: t.key, value: t.value }))).execute();
        return { experimentId: String(id), created: found === undefined };
      });
      events.publish({ type: 'experiment.changed', experimentId });
      return { experimentId, created };
    },

    async 'migrate.trashExperiment'(input) {
      await catalog.write(async (trx) => {
        const row = await getExperimentRow(trx, input.experimentId);
        if (row.lifecycle_stage === 'deleted') return;
        await trx
          .updateTable('experiments')
          .set({ lifecycle_stage: 'deleted', deleted_time: input.deletedTime, last_update_time: input.deletedTime })
          .where('experiment_id', '=', row.experiment_id)
          .execute();
        await trx
          .updateTable('runs')
          .set({ lifecycle_stage: 'deleted', deleted_time: input.deletedTime })
          .where('experiment_id', '=', row.experiment_id)
          .where('lifecycle_stage', '=', 'active')
          .execute();
      });
      events.publish({ type: 'experiment.changed', experimentId: input.experimentId });
      return {};
    },

    async 'migrate.putRun'(input) {
      validateRunName(input.runName);
      if (input.lifecycleStage === 'deleted' && input.deletedTime === undefined) throw invalid(`Run ${input.runId} is deleted but has no deletedTime`);
      const { row, created } = await catalog.write(async (trx) => {
        const experiment = await getExperimentRow(trx, input.experimentId);
        const existing = await trx.selectFrom('runs').selectAll().where('run_uuid', '=', input.runId).executeTakeFirst();
        const recorded = {
          name: input.runName,
          status: input.status,
          start_time: input.startTime,
          end_time: input.endTime ?? null,
          lifecycle_stage: input.lifecycleStage,
          deleted_time: input.lifecycleStage === 'deleted' ? input.deletedTime! : null,
        };
        if (existing) {
          if (existing.experiment_id !== experiment.experiment_id) {
            throw alreadyExists(`Run ${input.runId} already exists on this server in experiment ${existing.experiment_id}, not in ${input.experimentId}`);
          }
          await trx.updateTable('runs').set(recorded).where('id', '=', existing.id).execute();
          return { row: { ...existing, ...recorded }, created: false };
        }
        // New runs arrive only in a live experiment, as with runs.create; the trash comes last.
        if (experiment.lifecycle_stage !== 'active') {
          throw invalid(`The experiment ${input.experimentId} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`);
        }
        const inserted = await insertRecordedRun(trx, experiment, {
          runId: input.runId,
          name: input.runName,
          userId: input.userId,
          status: input.status,
          startTime: input.startTime,
          endTime: input.endTime ?? null,
          lifecycleStage: input.lifecycleStage,
          deletedTime: input.deletedTime ?? null,
        });
        return { row: inserted, created: true };
      });
      events.publish({ type: created ? 'run.created' : 'run.updated', experimentId: String(row.experiment_id), runId: row.run_uuid });
      return { runInfo: toRunInfo(row) };
    },

    async 'migrate.putLoggedModel'(input) {
      const experimentId = await catalog.write(async (trx) => {
        const experiment = await getExperimentRow(trx, input.experimentId);
        const existing = await trx.selectFrom('logged_models').select(['model_id', 'experiment_id']).where('model_id', '=', input.modelId).executeTakeFirst();
        const recorded = { name: input.name, status: input.status, creation_time: input.creationTime, last_updated_time: input.lastUpdatedTime };
        if (existing) {
          if (existing.experiment_id !== experiment.experiment_id) {
            throw alreadyExists(`Logged model ${input.modelId} already exists on this server in experiment ${existing.experiment_id}, not in ${input.experimentId}`);
          }
          await trx.updateTable('logged_models').set(recorded).where('model_id', '=', input.modelId).execute();
          return experiment.experiment_id;
        }
        if (experiment.lifecycle_stage !== 'active') {
          throw invalid(`The experiment ${input.experimentId} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`);
        }
        await trx
          .insertInto('logged_models')
          .values({
            ...recorded,
            model_id: input.modelId,
            experiment_id: experiment.experiment_id,
            model_type: input.modelType ?? null,
            source_run_id: input.sourceRunId ?? null,
            artifact_uri: `${experiment.artifact_location}/models/${input.modelId}/artifacts`,
            lifecycle_stage: 'active',
            deleted_time: null,
          })
          .execute();
        return experiment.experiment_id;
      });
      events.publish({ type: 'experiment.changed', experimentId: String(experimentId) });
      return {};
    },
  };
}
