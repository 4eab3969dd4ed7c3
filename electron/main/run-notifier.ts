/**
 * OS notifications when a run finishes or fails, for experiments that opted in (the experiment
 * tag `flowdesk.notify` = `true`). Driven by the core's run events: each run is announced once
 * per ending, and only runs that ended while the app was running, so reopening the app or
 * retagging an old run never notifies.
 */
import type { Handlers } from '#core/api/contract.ts';
import type { EventBus } from '#core/api/events.ts';
import { NOTIFY_TAG } from '#core/api/settings-contract.ts';

/** The run statuses that are announced, with how each is said. */
const ENDINGS: Record<string, string> = { FINISHED: 'finished', FAILED: 'failed' };

export interface RunNotification {
  title: string;
  body: string;
  experimentId: string;
  runId: string;
}

export interface RunNotifierDeps {
  events: EventBus;
  handlers: Pick<Handlers, 'runs.get' | 'experiments.get'>;
  notify: (notification: RunNotification) => void;
  /** Runs that ended before this time (ms) are never announced. */
  since: number;
  log: (message: string, err?: unknown) => void;
}

/** Whether an experiment's tags opt it into notifications. */
export function notifiesFor(tags: readonly { key: string; value: string }[]): boolean {
  return tags.some((t) => t.key === NOTIFY_TAG && t.value === 'true');
}

/** Listens to run events until the returned function is called; `settled` resolves when the checks in flight are done. */
export function startRunNotifier(deps: RunNotifierDeps): { stop: () => void; settled: () => Promise<void> } {
  const announced = new Set<string>();
  const inFlight = new Set<Promise<void>>();

  async function check(experimentId: string, runId: string): Promise<void> {
    // The experiment first: most experiments do not opt in, and then the run is never read.
    const { experiment } = await deps.handlers['experiments.get']({ experimentId });
    if (!notifiesFor(experiment.tags)) return;
    const { run } = await deps.handlers['runs.get']({ runId });
    const { status, endTime, runName } = run.info;
    const ending = ENDINGS[status];
    const key = `${runId}:${status}:${endTime ?? ''}`;
    // A run ended without an end time (a client that sent only the status) ended just now.
    if (!ending || (endTime !== undefined && endTime < deps.since) || announced.has(key)) return;
    announced.add(key);
    deps.notify({ title: `Run ${ending}: ${runName || runId.slice(0, 8)}`, body: `In ${experiment.name}`, experimentId, runId });
  }

  const stop = deps.events.subscribe((event) => {
    if (event.type !== 'run.updated') return;
    const pending = check(event.experimentId, event.runId)
      .catch((err: unknown) => deps.log(`Could not check run ${event.runId} for a notification`, err))
      .finally(() => inFlight.delete(pending));
    inFlight.add(pending);
  });
  return { stop, settled: async () => void (await Promise.all([...inFlight])) };
}
