import type { RequestStatus } from './entities.ts';
import type { ImportProgress, ImportState } from './imports-contract.ts';

/** Push events: what changed, sent on one channel so views refresh while a script logs. */
export type FlowdeskEvent =
  | { type: 'experiment.changed'; experimentId: string }
  | { type: 'run.created'; experimentId: string; runId: string }
  | { type: 'run.updated'; experimentId: string; runId: string }
  | { type: 'metrics.logged'; experimentId: string; runId: string; keys: string[] }
  | { type: 'artifact.added'; experimentId: string; runId: string; path: string }
  | { type: 'trash.purged'; experimentIds: string[]; runIds: string[] }
  /**
   * Many runs of an experiment changed together (runs.deleteMany, restoreMany, setTagMany):
   * `runIds` names them when there are at most MAX_NAMED_RUNS, else is empty (some of the
   * experiment's runs changed: reload them).
   */
  | { type: 'runs.changed'; experimentId: string; runIds: string[] }
  /** Traces of an experiment were created, changed or deleted. */
  | { type: 'traces.changed'; experimentId: string; traceIds: string[] }
  /** A registered model or one of its versions changed; `previousName` on a rename. */
  | { type: 'registry.changed'; name: string; version?: number; previousName?: string }
  /** A transition request was created, approved, rejected or cancelled. */
  | { type: 'registry.request'; requestId: string; name: string; version: number; status: RequestStatus }
  /** How far an import got (imports.start); sent a few times a second at most. */
  | { type: 'imports.progress'; importId: string; progress: ImportProgress }
  /** An import ended; `experimentIds` are where its runs went (imports.get has the summary). */
  | { type: 'imports.finished'; importId: string; state: Exclude<ImportState, 'running'>; experimentIds: string[] }
  /** A user was revoked: servers cut their open streams at once. Never sent to windows. */
  | { type: 'user.revoked'; name: string };

/** The most run ids a `runs.changed` event names; a bigger change is announced without them. */
export const MAX_NAMED_RUNS = 100;

export type EventListener = (event: FlowdeskEvent) => void;

/** A minimal typed event bus; the core publishes, transports subscribe. */
export interface EventBus {
  publish(event: FlowdeskEvent): void;
  subscribe(listener: EventListener): () => void;
}

/**
 * A listener that throws (say, a stream whose client went away) must neither stop the others nor
 * reach the publisher, whose write has already committed; its error goes to `onListenerError`.
 */
export function createEventBus(onListenerError: (err: unknown) => void): EventBus {
  const listeners = new Set<EventListener>();
  return {
    publish(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (err) {
          onListenerError(err);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
