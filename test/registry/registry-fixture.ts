import type { Client } from '#core/api/client.ts';
import type { FlowdeskEvent } from '#core/api/events.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { addUser } from '#core/users/users.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import type { ExecutionPolicy } from '#core/execution/execution-policy.ts';

/** The OS user stand-in every registry test runs as, so histories compare exactly. */
export const DEFAULT_ACTOR = 'os-user';

/** A clock that advances one millisecond per reading, so every change has its own time. */
export function ticking(start = 1_700_000_000_000): () => number {
  let t = start;
  return () => t++;
}

export interface RegistryFixture {
  fd: Flowdesk;
  api: Client;
  dataDir: string;
  /** The catalog option the engine was opened with (a PostgreSQL URL in the postgres project). */
  catalog: string | undefined;
  /** An active run in the Default experiment, to register versions from. */
  runId: string;
  /** Every event published since the fixture was made. */
  events: FlowdeskEvent[];
}

/**
 * A Flowdesk with a ticking clock, a fixed default actor, one run, and its events recorded.
 * `withUsers` adds an approver first, as on a team server: new models then start protected;
 * `execution` lets projects run and models be served, as after a person's confirmation.
 */
export async function registryFixture(options: { withUsers?: boolean; execution?: ExecutionPolicy } = {}): Promise<RegistryFixture> {
  const { fd, api, dataDir, catalog } = await testFlowdesk({ now: ticking(), defaultActor: () => DEFAULT_ACTOR, execution: options.execution });
  if (options.withUsers) await addUser(fd.catalog, 'approver', 'approver', 1_600_000_000_000);
  const { run } = await api.call('runs.create', {});
  const events: FlowdeskEvent[] = [];
  fd.events.subscribe((e) => events.push(e));
  return { fd, api, dataDir, catalog, runId: run.info.runId, events };
}

/** Creates model `name` with `count` versions registered from `runs:/<run>/model`. */
export async function modelWithVersions(f: RegistryFixture, name: string, count: number): Promise<void> {
  await f.api.call('registry.createModel', { name });
  for (let i = 0; i < count; i++) await f.api.call('registry.createVersion', { name, source: `runs:/${f.runId}/model` });
}
