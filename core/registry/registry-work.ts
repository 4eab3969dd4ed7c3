/**
 * One registry change as a unit of work: it runs in one write of the catalog's group-commit
 * writer, the history entries it records are appended in the same transaction (so a change and
 * its record commit or fail together), and its events go out only after the commit.
 */
import { userInfo } from 'node:os';
import type { EventBus, FlowdeskEvent } from '#core/api/events.ts';
import type { Catalog, Db } from '#core/catalog/catalog.ts';
import { recordChanges, type Change, type ChangeStamp } from './registry-history.ts';
import type { ModelVersionRow, RegisteredModelRow } from './registry-rows.ts';

/** One registry write in progress: its transaction, who and when, and what it changed. */
export interface Work {
  trx: Db;
  stamp: ChangeStamp;
  /** Appends a history entry when the work commits. */
  record(change: Change): void;
  /** Publishes an event after the work commits. */
  notify(event: FlowdeskEvent): void;
}

/** Runs `fn` as one unit of work by `actor` (the default actor when absent) and answers its result. */
export type Mutate = <T>(actor: string | undefined, fn: (work: Work) => Promise<T>) => Promise<T>;

/** The OS user's name; 'unknown' where the platform has none (a container without a passwd entry). */
export function osUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/**
 * The unit-of-work runner over a catalog, a clock and an event bus. With `unrecorded`, the changes
 * are made but no history entry is appended: the history of what they copy arrives as recorded
 * elsewhere (`flowdesk migrate`'s copy of a model it creates).
 */
export function createMutate(deps: { catalog: Catalog; events: EventBus; now: () => number; defaultActor: () => string; unrecorded?: boolean }): Mutate {
  return async (actor, fn) => {
    const stamp: ChangeStamp = { time: deps.now(), actor: actor ?? deps.defaultActor() };
    const { result, published } = await deps.catalog.write(async (trx) => {
      const changes: Change[] = [];
      const pending: FlowdeskEvent[] = [];
      const value = await fn({ trx, stamp, record: (c) => changes.push(c), notify: (e) => pending.push(e) });
      if (!deps.unrecorded) await recordChanges(trx, stamp, changes);
      return { result: value, published: pending };
    });
    for (const event of published) deps.events.publish(event);
    return result;
  };
}

/** The model as a history entry names it. */
export function ref(model: RegisteredModelRow): { id: number; name: string } {
  return { id: Number(model.id), name: model.name };
}

/** Bumps a model's update time to the work's time. */
export async function touchModel(work: Work, model: RegisteredModelRow): Promise<void> {
  await work.trx.updateTable('registered_models').set({ last_updated_time: work.stamp.time }).where('id', '=', model.id).execute();
}

/** Bumps a version's update time to the work's time. */
export async function touchVersion(work: Work, version: ModelVersionRow): Promise<void> {
  await work.trx.updateTable('model_versions').set({ last_updated_time: work.stamp.time }).where('id', '=', version.id).execute();
}
