/**
 * What `flowdesk migrate` needs on the target beyond what every client may do: experiments and
 * runs written as the laptop recorded them (the run's own id, its times, its place in the trash
 * and when it went there), where `experiments.create` and `runs.create` assign ids and times.
 * MLflow 3 logged models likewise keep their `m-` ids, so `models:/m-…` sources stay valid.
 * The registry's record (creation times and users, its history, its approval requests) and
 * traces' assessments likewise keep the times and actors the laptop recorded.
 * Owner only (the owner token on a team server): writing history as someone else recorded it is
 * a move of the whole store, not logging.
 */
import { z } from 'zod';
import { OWNER } from './access.ts';
import { method } from './contract-method.ts';
import { historyKind, historyValue, lifecycleStage, loggedModelStatus, requestStatus, runInfo, runStatus, tag } from './entities.ts';
import { assessment } from './traces-entities.ts';

const time = z.number().int().min(0);

/** The registry writes a migration makes to copy a model: `migrate.registryWrite` takes these. */
export const MIGRATION_REGISTRY_WRITES = [
  'registry.createModel',
  'registry.updateModel',
  'registry.setModelTag',
  'registry.createVersion',
  'registry.setVersionTag',
  'registry.transitionStage',
  'registry.setAlias',
  'registry.setProtection',
] as const;

export const migrateContract = {
  'migrate.putExperiment': method(
    'Finds the experiment of this name (the live one first) or creates it with the given creation and update times; adds the tags it lacks (a tag it has keeps its value). Answers its id and whether it was created here.',
    z.object({ name: z.string(), tags: z.array(tag), creationTime: time, lastUpdateTime: time }),
    z.object({ experimentId: z.string(), created: z.boolean() }),
    OWNER,
  ),
  'migrate.trashExperiment': method(
    'Puts an experiment into the trash as deleted at the given time, with its runs that are not yet in the trash (they share that time, so restoring it brings them back).',
    z.object({ experimentId: z.string().min(1), deletedTime: time }),
    z.object({}),
    OWNER,
  ),
  'migrate.putRun': method(
    "Writes a run as recorded elsewhere: created with the given id in a live experiment when it is not here, otherwise its name, status, times and lifecycle set to the given ones. A run of that id in another experiment is refused (RESOURCE_ALREADY_EXISTS). Params, tags, metrics and artifacts then arrive the ordinary way while it is active.",
    z.object({
      experimentId: z.string().min(1),
      runId: z.string().regex(/^[A-Za-z0-9][\w-]{0,63}$/, 'a run id: letters, digits, _ and -, at most 64'),
      runName: z.string(),
      userId: z.string(),
      status: runStatus,
      startTime: time,
      endTime: time.optional(),
      lifecycleStage,
      /** When it went to the trash; required with `deleted`. */
      deletedTime: time.optional(),
    }),
    z.object({ runInfo }),
    OWNER,
  ),
  'migrate.putLoggedModel': method(
    "Writes an MLflow 3 logged model as recorded elsewhere: created with the given id in a live experiment when it is not here, otherwise its status and times set to the given ones. One of that id in another experiment is refused (RESOURCE_ALREADY_EXISTS). Params, tags, metrics, files and run links then arrive the ordinary way. With deletedTime the model goes to the trash at that time, so a deleted model is sent once more with it after its contents and the runs naming it.",
    z.object({
      experimentId: z.string().min(1),
      modelId: z.string().regex(/^m-[0-9a-f]{32}$/, "a logged model id: 'm-' and 32 hex digits"),
      name: z.string().min(1),
      status: loggedModelStatus,
      modelType: z.string().optional(),
      sourceRunId: z.string().optional(),
      creationTime: time,
      lastUpdatedTime: time,
      /** When it went to the trash elsewhere; absent for a live model. */
      deletedTime: time.optional(),
    }),
    z.object({}),
    OWNER,
  ),
  'migrate.putRegistryRecord': method(
    "Writes what the registry recorded elsewhere about a model already on this server (version numbers are this server's): its times and user (those recorded when the migration created it here; otherwise the earliest creation and the latest update of both ends), its versions' times and users, its history entries with their times and actors, and its approval requests with their decisions. An entry or request already here (same time, actor and content) is not added again, so the call is safe to repeat. Answers how many entries and requests it added.",
    z.object({
      name: z.string().min(1),
      creationTime: time,
      lastUpdatedTime: time,
      userId: z.string().optional(),
      /** Whether this migration created the model here (not another machine's migration or the team). */
      createdByMigration: z.boolean(),
      versions: z.array(z.object({ version: z.number().int().min(1), creationTime: time, lastUpdatedTime: time, userId: z.string().optional() })),
      history: z.array(
        z.object({ time, actor: z.string(), kind: historyKind, name: z.string(), version: z.number().int().min(1).optional(), before: historyValue, after: historyValue }),
      ),
      requests: z.array(
        z.object({
          version: z.number().int().min(1),
          kind: z.enum(['alias', 'stage']),
          target: z.string().min(1),
          archiveExistingVersions: z.boolean(),
          status: requestStatus,
          requestedBy: z.string(),
          requestedAt: time,
          comment: z.string().optional(),
          decidedBy: z.string().optional(),
          decidedAt: time.optional(),
          decisionComment: z.string().optional(),
        }),
      ),
    }),
    z.object({ historyAdded: z.number().int(), requestsAdded: z.number().int() }),
    OWNER,
  ),
  'migrate.reserveVersions': method(
    "Makes a registered model's next version number at least `through` + 1, leaving the numbers up to `through` that no version has unused (as versions deleted elsewhere left them), so versions copied one by one keep the numbers they had and the history's entries about deleted versions name a number no other version takes. Never lowers the count. Answers the model's last version number (with `through` 0, where it stands).",
    z.object({ name: z.string().min(1), through: z.number().int().min(0) }),
    z.object({ lastVersion: z.number().int() }),
    OWNER,
  ),
  'migrate.registryWrite': method(
    "Makes one registry write (`method`, with `input` as that method takes it) by the same rules and with the same answer (`output`), but appends no history entry of its own: the migration copies a model it created here this way, and the model's history then arrives as the source recorded it (putRegistryRecord), so it holds exactly the source's entries.",
    z.object({ method: z.enum(MIGRATION_REGISTRY_WRITES), input: z.unknown() }),
    z.object({ output: z.unknown() }),
    OWNER,
  ),
  'migrate.putAssessments': method(
    "Writes a trace's assessments as recorded elsewhere: their ids, sources, times, values and validity. One of the same id is replaced, so the call is safe to repeat.",
    z.object({ traceId: z.string().min(1), assessments: z.array(assessment).max(1000) }),
    z.object({}),
    OWNER,
  ),
};
