/**
 * The target's side of `flowdesk migrate` (the `migrate.*` methods): experiments, runs, logged
 * models, the registry's record (times, users, history, requests) and trace assessments written
 * as the source recorded them. Everything else a migration carries (params, tags, metrics,
 * artifacts, the registry) arrives through the ordinary methods, held to the same rules as any
 * other writer, so the values the laptop accepted are accepted here by the same checks; a model
 * the migration creates is written through the registry's own methods too, only without history
 * entries of their own (`migrate.registryWrite`).
 */
import type { Principal } from '#core/api/access.ts';
import { contract, type Handlers } from '#core/api/contract.ts';
import { describeIssues } from '#core/api/dispatch.ts';
import { alreadyExists, invalid, notFound } from '#core/api/errors.ts';
import type { EventBus } from '#core/api/events.ts';
import type { Catalog } from '#core/catalog/catalog.ts';
import { assessmentRow } from '#core/tracing/traces-service.ts';
import type { RegistryHandlers } from '#core/registry/registry-service.ts';
import { insertRecordedRun } from '#core/tracking/imported-run.ts';
import { toRunInfo } from '#core/tracking/mappers.ts';
import { getExperimentRow } from '#core/tracking/tracking-service.ts';
import { validateExperimentName, validateExperimentTag, validateRunName } from '#core/tracking/validation.ts';

export type MigrateReceiverHandlers = Pick<
  Handlers,
  'migrate.putExperiment' | 'migrate.trashExperiment' | 'migrate.putRun' | 'migrate.putLoggedModel' | 'migrate.putRegistryRecord' | 'migrate.reserveVersions' | 'migrate.registryWrite' | 'migrate.putAssessments'
>;

/** A history entry or request as one comparable string: the same content at the same time by the same actor is the same record. */
const sameRecord = (...parts: unknown[]) => JSON.stringify(parts);

/** The `migrate.*` handlers over a catalog; `unrecordedRegistry` is a registry service made with `unrecorded`. */
export function createMigrateReceiver(deps: { catalog: Catalog; events: EventBus; unrecordedRegistry: RegistryHandlers }): MigrateReceiverHandlers {
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
        const trash = input.deletedTime === undefined ? {} : { lifecycle_stage: 'deleted', deleted_time: input.deletedTime };
        const recorded = { name: input.name, status: input.status, creation_time: input.creationTime, last_updated_time: input.lastUpdatedTime, ...trash };
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
            ...trash,
          })
          .execute();
        return experiment.experiment_id;
      });
      events.publish({ type: 'experiment.changed', experimentId: String(experimentId) });
      return {};
    },

    async 'migrate.putRegistryRecord'(input) {
      const result = await catalog.write(async (trx) => {
        const model = await trx.selectFrom('registered_models').selectAll().where('name', '=', input.name).executeTakeFirst();
        if (!model) throw notFound(`Registered model '${input.name}' is not on this server`);
        // A model the team (or another machine) had first keeps the earliest creation of both.
        const earlier = input.createdByMigration || input.creationTime < model.creation_time;
        await trx
          .updateTable('registered_models')
          .set({
            creation_time: earlier ? input.creationTime : model.creation_time,
            user_id: earlier ? (input.userId ?? null) : model.user_id,
            last_updated_time: input.createdByMigration ? input.lastUpdatedTime : Math.max(input.lastUpdatedTime, model.last_updated_time),
          })
          .where('id', '=', model.id)
          .execute();
        const versionIds = new Map<number, number>();
        for (const v of await trx.selectFrom('model_versions').select(['id', 'version']).where('registered_model_id', '=', model.id).execute()) versionIds.set(Number(v.version), Number(v.id));
        const versionId = (version: number) => {
          const id = versionIds.get(version);
          if (id === undefined) throw notFound(`Version ${version} of model '${input.name}' is not on this server`);
          return id;
        };
        for (const v of input.versions) {
          await trx
            .updateTable('model_versions')
            .set({ creation_time: v.creationTime, last_updated_time: v.lastUpdatedTime, user_id: v.userId ?? null })
            .where('id', '=', versionId(v.version))
            .execute();
        }

        const json = (value: Record<string, unknown> | null) => (value === null ? null : JSON.stringify(value));
        const had = new Set(
          (await trx.selectFrom('registry_history').selectAll().where('registered_model_id', '=', model.id).execute()).map((h) =>
            sameRecord(Number(h.time), h.actor, h.kind, h.model_name, h.version === null ? null : Number(h.version), h.before_json, h.after_json),
          ),
        );
        const entries = input.history
          .map((h) => ({ time: h.time, actor: h.actor, kind: h.kind, registered_model_id: model.id, model_name: h.name, version: h.version ?? null, before_json: json(h.before), after_json: json(h.after) }))
          .filter((h) => {
            const key = sameRecord(h.time, h.actor, h.kind, h.model_name, h.version, h.before_json, h.after_json);
            if (had.has(key)) return false;
            had.add(key);
            return true;
          });
        if (entries.length > 0) await trx.insertInto('registry_history').values(entries).execute();

        const ids = [...versionIds.values()];
        const requested = new Set(
          ids.length === 0
            ? []
            : (await trx.selectFrom('registry_requests').selectAll().where('version_id', 'in', ids).execute()).map((r) => sameRecord(Number(r.version_id), r.kind, r.target, r.requested_by, Number(r.requested_time))),
        );
        let requestsAdded = 0;
        for (const r of input.requests) {
          const id = versionId(r.version);
          const key = sameRecord(id, r.kind, r.target, r.requestedBy, r.requestedAt);
          if (requested.has(key)) continue;
          requested.add(key);
          await trx
            .insertInto('registry_requests')
            .values({
              version_id: id,
              kind: r.kind,
              target: r.target,
              archive_existing_versions: r.archiveExistingVersions ? 1 : 0,
              status: r.status,
              requested_by: r.requestedBy,
              requested_time: r.requestedAt,
              comment: r.comment ?? null,
              decided_by: r.decidedBy ?? null,
              decided_time: r.decidedAt ?? null,
              decision_comment: r.decisionComment ?? null,
            })
            .execute();
          requestsAdded++;
        }
        return { historyAdded: entries.length, requestsAdded };
      });
      events.publish({ type: 'registry.changed', name: input.name });
      return result;
    },

    async 'migrate.reserveVersions'(input) {
      const lastVersion = await catalog.write(async (trx) => {
        const model = await trx.selectFrom('registered_models').select(['id', 'last_version']).where('name', '=', input.name).executeTakeFirst();
        if (!model) throw notFound(`Registered model '${input.name}' is not on this server`);
        const last = Math.max(Number(model.last_version), input.through);
        if (last !== Number(model.last_version)) await trx.updateTable('registered_models').set({ last_version: last }).where('id', '=', model.id).execute();
        return last;
      });
      return { lastVersion };
    },

    async 'migrate.registryWrite'(input, caller) {
      // The inner input is checked by the method's own schema, as dispatch checks any call's.
      const parsed = contract[input.method].input.safeParse(input.input ?? {});
      if (!parsed.success) throw invalid(`${input.method}: ${describeIssues(parsed.error)}`);
      const write = deps.unrecordedRegistry[input.method] as (input: unknown, caller: Principal | undefined) => Promise<unknown>;
      return { output: await write(parsed.data, caller) };
    },

    async 'migrate.putAssessments'(input) {
      const experimentId = await catalog.write(async (trx) => {
        const trace = await trx.selectFrom('traces').select(['id', 'experiment_id']).where('trace_id', '=', input.traceId).executeTakeFirst();
        if (!trace) throw notFound(`Trace '${input.traceId}' is not on this server`);
        for (const a of input.assessments) {
          const row = { ...assessmentRow(Number(trace.id), a, a.createTime), assessment_id: a.assessmentId, last_update_time: a.lastUpdateTime, valid: a.valid ? 1 : 0 };
          await trx.deleteFrom('trace_assessments').where('assessment_id', '=', a.assessmentId).execute();
          await trx.insertInto('trace_assessments').values(row).execute();
        }
        return trace.experiment_id;
      });
      events.publish({ type: 'traces.changed', experimentId: String(experimentId), traceIds: [input.traceId] });
      return {};
    },
  };
}
