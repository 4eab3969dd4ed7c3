/**
 * Moving versions onto aliases and stages, and the approval that protected targets need. A model
 * protects some aliases and stages (see `initialProtection`); a move onto one of them becomes a
 * transition request, and only an approval makes the move, in the same transaction as the
 * decision. Unprotected moves apply at once.
 */
import { MODEL_STAGES, type ModelProtection, type ModelStage, type TransitionRequest } from '#core/api/entities.ts';
import { FlowdeskError, notFound } from '#core/api/errors.ts';
import type { Db } from '#core/catalog/catalog.ts';
import { hasUsers } from '#core/users/users.ts';
import * as repo from './registry-repository.ts';
import { toTransitionRequest, type ModelVersionRow, type RegisteredModelRow } from './registry-rows.ts';
import { ref, touchModel, type Work } from './registry-work.ts';

/** What a new model protects on a server with users, until someone changes it: MLflow's production alias and stage. */
export const DEFAULT_PROTECTION: ModelProtection = { aliases: ['production'], stages: ['Production'] };

/** Nothing protected: a new model's protection where nobody else could approve. */
const NO_PROTECTION: ModelProtection = { aliases: [], stages: [] };

/**
 * What a new model protects. Approval needs people to approve: on a server with users a model
 * starts with `DEFAULT_PROTECTION`; on a laptop without users nothing is protected (the one person
 * would only be asking themselves, and unchanged MLflow promotion scripts would get a 403) until
 * they turn protection on. Models made before the first user keep what they had.
 */
export async function initialProtection(trx: Db): Promise<ModelProtection> {
  return (await hasUsers(trx)) ? DEFAULT_PROTECTION : NO_PROTECTION;
}

/** Alias protections compare case-insensitively: 'Production' must not slip past a protected 'production'. */
function protectionKey(kind: 'alias' | 'stage', target: string): string {
  return kind === 'alias' ? target.toLowerCase() : target;
}

/** A protection as it is stored: aliases lower case, sorted and unique; stages unique, in stage order. */
export function normalizedProtection(aliases: readonly string[], stages: readonly ModelStage[]): ModelProtection {
  return {
    aliases: [...new Set(aliases.map((a) => protectionKey('alias', a)))].sort(),
    stages: MODEL_STAGES.filter((s) => stages.includes(s)),
  };
}

/** A request id as the contract carries it (decimal text); anything else names no request. */
export function parseRequestId(requestId: string): number {
  if (!/^\d{1,15}$/.test(requestId)) throw notFound(`Transition request ${requestId} not found`);
  return Number(requestId);
}

/** The protected aliases (sorted, lower case) and stages (in stage order) of a model. */
export async function readProtection(trx: Db, model: RegisteredModelRow): Promise<ModelProtection> {
  const rows = await repo.protectionRows(trx, model.id);
  return {
    aliases: rows.filter((r) => r.kind === 'alias').map((r) => r.target).sort(),
    stages: MODEL_STAGES.filter((s) => rows.some((r) => r.kind === 'stage' && r.target === s)),
  };
}

/** Replaces a model's protected aliases and stages. */
export async function writeProtection(trx: Db, model: RegisteredModelRow, protection: ModelProtection): Promise<void> {
  await repo.replaceProtections(trx, model.id, [
    ...protection.aliases.map((target) => ({ kind: 'alias', target: protectionKey('alias', target) })),
    ...protection.stages.map((target) => ({ kind: 'stage', target })),
  ]);
}

/** Whether moving onto this alias or stage of the model needs an approval. */
export async function isProtected(trx: Db, model: RegisteredModelRow, kind: 'alias' | 'stage', target: string): Promise<boolean> {
  return (await repo.protectionOf(trx, model.id, kind, protectionKey(kind, target))) !== undefined;
}

/** Points `alias` at `version`, recording a set or a move; no change when it already points there. */
export async function applyAlias(work: Work, model: RegisteredModelRow, version: ModelVersionRow, alias: string): Promise<void> {
  const { trx } = work;
  const current = await repo.aliasVersion(trx, model.id, alias);
  if (current === Number(version.version)) return;
  await repo.upsertAlias(trx, model.id, alias, version.version);
  await touchModel(work, model);
  work.record({
    kind: current !== undefined ? 'alias.moved' : 'alias.set',
    model: ref(model),
    version: Number(version.version),
    before: current !== undefined ? { alias, version: current } : null,
    after: { alias, version: Number(version.version) },
  });
  work.notify({ type: 'registry.changed', name: model.name, version: Number(version.version) });
}

/** Moves a version to a stage, and archives the others in that stage when asked; each move is one history entry. */
export async function applyStage(work: Work, model: RegisteredModelRow, version: ModelVersionRow, stage: ModelStage, archiveOthers: boolean): Promise<void> {
  const { trx } = work;
  const moves: { row: ModelVersionRow; to: ModelStage }[] = [];
  if (version.current_stage !== stage) moves.push({ row: version, to: stage });
  if (archiveOthers) {
    for (const row of await repo.othersInStage(trx, model.id, stage, version.id)) moves.push({ row, to: 'Archived' });
  }
  for (const { row, to } of moves) {
    await repo.updateVersion(trx, row.id, { current_stage: to, last_updated_time: work.stamp.time });
    work.record({ kind: 'stage.transitioned', model: ref(model), version: Number(row.version), before: { stage: row.current_stage }, after: { stage: to } });
    work.notify({ type: 'registry.changed', name: model.name, version: Number(row.version) });
  }
  if (moves.length > 0) await touchModel(work, model);
}

/** Whether another version of the same model is in `stage` (what archiving would move). */
export async function hasOtherInStage(trx: Db, version: ModelVersionRow, stage: ModelStage): Promise<boolean> {
  return (await repo.anotherInStage(trx, version.registered_model_id, stage, version.id)) !== undefined;
}

/** A move onto a protected target, as a request records it. */
export interface Move {
  kind: 'alias' | 'stage';
  target: string;
  archiveExistingVersions: boolean;
  comment?: string;
}

/**
 * The pending request to move `version` onto a protected target: the identical one already
 * pending (a retried call must not pile up requests), or a new one by the work's actor.
 */
export async function requestMove(work: Work, model: RegisteredModelRow, version: ModelVersionRow, move: Move): Promise<TransitionRequest> {
  const { trx, stamp } = work;
  const existing = await repo.pendingRequest(trx, version.id, { kind: move.kind, target: move.target, archive_existing_versions: move.archiveExistingVersions ? 1 : 0 });
  if (existing) return toTransitionRequest(existing);
  const values = {
    version_id: version.id,
    kind: move.kind,
    target: move.target,
    archive_existing_versions: move.archiveExistingVersions ? 1 : 0,
    status: 'pending',
    requested_by: stamp.actor,
    requested_time: stamp.time,
    comment: move.comment ?? null,
    decided_by: null,
    decided_time: null,
    decision_comment: null,
  };
  const id = await repo.insertRequest(trx, values);
  const request = toTransitionRequest({ ...values, id, model_name: model.name, version: version.version });
  work.record({
    kind: 'request.created',
    model: ref(model),
    version: Number(version.version),
    before: null,
    after: { requestId: request.requestId, kind: move.kind, target: move.target, archiveExistingVersions: move.archiveExistingVersions, comment: move.comment ?? null },
  });
  work.notify({ type: 'registry.request', requestId: request.requestId, name: model.name, version: request.version, status: 'pending' });
  return request;
}

/** What a decision makes of a pending request, and the history kind that records it. */
const DECISIONS = {
  approved: 'request.approved',
  rejected: 'request.rejected',
  cancelled: 'request.cancelled',
} as const;

/**
 * Decides a pending request as the work's actor; only the requester may cancel, and with
 * `fourEyes` (a signed-in user decides) the requester may not approve. The state check
 * and the change are one statement (`update ... where status = 'pending'`) inside the write
 * transaction, so of two decisions racing for one request exactly one finds it pending and the
 * other gets INVALID_STATE, in one process or across processes sharing the catalog. An approval
 * makes the move in the same transaction.
 */
export async function decideRequest(
  work: Work,
  requestId: string,
  status: keyof typeof DECISIONS,
  comment: string | undefined,
  fourEyes = false,
): Promise<TransitionRequest> {
  const { trx, stamp } = work;
  const id = parseRequestId(requestId);
  const row = await repo.requestRow(trx, id);
  if (!row) throw notFound(`Transition request ${requestId} not found`);
  if (status === 'cancelled' && row.requested_by !== stamp.actor) {
    throw new FlowdeskError('PERMISSION_DENIED', `Only ${row.requested_by}, who made request ${requestId}, may cancel it; ${stamp.actor} may approve or reject it instead.`);
  }
  if (status === 'approved' && fourEyes && row.requested_by === stamp.actor) {
    throw new FlowdeskError('PERMISSION_DENIED', `User '${stamp.actor}' made request ${requestId}; another approver must approve it`);
  }
  if (!(await repo.decidePendingRequest(trx, id, { status, decided_by: stamp.actor, decided_time: stamp.time, decision_comment: comment ?? null }))) {
    throw new FlowdeskError('INVALID_STATE', `Transition request ${requestId} is ${row.status}, not pending: it can no longer be ${status}.`);
  }
  const model = await repo.modelById(trx, row.registered_model_id);
  work.record({
    kind: DECISIONS[status],
    model: ref(model),
    version: Number(row.version),
    before: { requestId, status: 'pending' },
    after: { requestId, status, comment: comment ?? null },
  });
  work.notify({ type: 'registry.request', requestId, name: model.name, version: Number(row.version), status });
  if (status === 'approved') {
    const version = await repo.versionById(trx, row.version_id);
    if (row.kind === 'alias') await applyAlias(work, model, version, row.target);
    else await applyStage(work, model, version, row.target as ModelStage, row.archive_existing_versions === 1);
  }
  return toTransitionRequest((await repo.requestRow(trx, id))!);
}
