import { afterEach } from 'vitest';
import { createClient, type Client } from '#core/api/client.ts';
import { dispatch } from '#core/api/dispatch.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { tempDir } from './temp-dir.ts';

/**
 * A Flowdesk on a fresh data folder, closed after the test, with a contract client that goes
 * through `dispatch` exactly as IPC and HTTP do (input validation included).
 */
export async function testFlowdesk(
  options: { now?: () => number; defaultActor?: () => string; artifacts?: string } = {},
): Promise<{ fd: Flowdesk; api: Client; dataDir: string }> {
  const dataDir = tempDir();
  const fd = await openFlowdesk({ dataDir, now: options.now, defaultActor: options.defaultActor, artifacts: options.artifacts });
  afterEach(() => fd.close());
  const api = createClient((name, input) => dispatch(fd.handlers, name, input, () => undefined));
  return { fd, api, dataDir };
}
