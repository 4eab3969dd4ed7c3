/**
 * The registry board's shape, computed from what the contract returns: a column per stage (always
 * the four, in stage order) and a column per alias, each with its cards, whether a move onto it needs
 * an approval, and the requests waiting for one. Pure, so it is unit-tested without a window.
 */
import type { FlowdeskEvent } from '#core/api/events.ts';
import { MODEL_STAGES, type ModelAlias, type ModelProtection, type ModelVersion, type TransitionRequest } from '#core/api/entities.ts';

/** Where a card can be dropped: a stage, or an alias. */
export interface BoardTarget {
  kind: 'stage' | 'alias';
  /** The stage's name, or the alias. */
  target: string;
}

/** One column of the board. */
export interface BoardColumn extends BoardTarget {
  /** A move onto it makes a request instead of moving. */
  protected: boolean;
  /** Its cards: the versions in the stage, newest first, or the one version the alias names. */
  versions: ModelVersion[];
  /** Pending requests to move a version onto it, oldest first. */
  pending: TransitionRequest[];
}

/** How a column is named on screen and in accessible labels. */
export function columnLabel(target: BoardTarget): string {
  return target.kind === 'alias' ? `@${target.target}` : target.target;
}

/** A stable key for a column (stages and aliases may share a word). */
export function columnKey(target: BoardTarget): string {
  return `${target.kind}:${target.target}`;
}

/**
 * The board's columns. Aliases get a column when one points at a version, when the alias is
 * protected (so a first move onto `production` has somewhere to go) or when a request waits for it;
 * they are sorted by name after the four stages.
 */
export function boardColumns(versions: readonly ModelVersion[], aliases: readonly ModelAlias[], protection: ModelProtection, requests: readonly TransitionRequest[]): BoardColumn[] {
  const pending = requests.filter((r) => r.status === 'pending').sort((a, b) => a.requestedAt - b.requestedAt);
  const pendingOnto = (kind: BoardTarget['kind'], target: string) => pending.filter((r) => r.kind === kind && r.target === target);
  const byNumber = new Map(versions.map((v) => [v.version, v]));
  const newestFirst = [...versions].sort((a, b) => b.version - a.version);

  const stages: BoardColumn[] = MODEL_STAGES.map((stage) => ({
    kind: 'stage',
    target: stage,
    protected: protection.stages.includes(stage),
    versions: newestFirst.filter((v) => v.currentStage === stage),
    pending: pendingOnto('stage', stage),
  }));

  const aliasNames = new Set([...aliases.map((a) => a.alias), ...protection.aliases, ...pending.filter((r) => r.kind === 'alias').map((r) => r.target)]);
  const aliasColumns: BoardColumn[] = [...aliasNames]
    .sort((a, b) => a.localeCompare(b))
    .map((alias) => {
      const pointsAt = aliases.find((a) => a.alias === alias);
      const version = pointsAt === undefined ? undefined : byNumber.get(pointsAt.version);
      return {
        kind: 'alias',
        target: alias,
        protected: protection.aliases.includes(alias),
        versions: version === undefined ? [] : [version],
        pending: pendingOnto('alias', alias),
      };
    });
  return [...stages, ...aliasColumns];
}

/** The pending requests that would move `version`, oldest first. */
export function pendingFor(requests: readonly TransitionRequest[], version: number): TransitionRequest[] {
  return requests.filter((r) => r.status === 'pending' && r.version === version).sort((a, b) => a.requestedAt - b.requestedAt);
}

/** What dropping a version onto a column does. */
export type MovePlan =
  /** Nothing to do; `reason` says why, for a note on screen. */
  | { kind: 'none'; reason: string }
  /** An unprotected target: the move is made at once. */
  | { kind: 'apply' }
  /** A protected target: a request is made (with a comment), and the version stays until approved. */
  | { kind: 'request' };

/** Decides what a drop of `version` onto `column` does. */
export function planMove(column: BoardColumn, version: ModelVersion): MovePlan {
  const label = columnLabel(column);
  if (column.kind === 'stage' ? version.currentStage === column.target : version.aliases.includes(column.target)) {
    return { kind: 'none', reason: `Version ${version.version} is already ${column.kind === 'stage' ? 'in' : 'at'} ${label}.` };
  }
  if (column.pending.some((r) => r.version === version.version)) {
    return { kind: 'none', reason: `A request to move version ${version.version} to ${label} is already waiting for approval.` };
  }
  return column.protected ? { kind: 'request' } : { kind: 'apply' };
}

/** Where a pending request would move its version, as a person reads it: "Production", "@champion". */
export function requestTargetLabel(request: Pick<TransitionRequest, 'kind' | 'target'>): string {
  return columnLabel(request);
}

/** Whether a live event is about the model named `name` (under that name now, or before a rename). */
export function concernsModel(event: FlowdeskEvent, name: string): boolean {
  if (event.type === 'registry.changed') return event.name === name || event.previousName === name;
  if (event.type === 'registry.request') return event.name === name;
  return false;
}
