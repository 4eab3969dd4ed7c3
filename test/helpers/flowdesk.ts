import { onTestFinished } from 'vitest';
import { createClient, type Client } from '#core/api/client.ts';
import { IN_PROCESS_OWNER } from '#core/api/access.ts';
import { dispatch } from '#core/api/dispatch.ts';
import type { ExecutionPolicy } from '#core/execution/execution-policy.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { testCatalogOption } from './postgres.ts';
import { tempDir } from './temp-dir.ts';

/**
 * A Flowdesk on a fresh data folder, closed after the test, with a contract client that goes
 * through `dispatch` exactly as IPC and HTTP do (input validation included).
 */
export async function testFlowdesk(
  options: { now?: () => number; defaultActor?: () => string; artifacts?: string; execution?: ExecutionPolicy } = {},
): Promise<{ fd: Flowdesk; api: Client; dataDir: string; catalog: string | undefined }> {
  const dataDir = tempDir();
  const catalog = await testCatalogOption();
  const fd = await openFlowdesk({ dataDir, catalog, now: options.now, defaultActor: options.defaultActor, artifacts: options.artifacts, execution: options.execution });
  onTestFinished(() => fd.close());
  const api = createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined));
  return { fd, api, dataDir, catalog };
}
