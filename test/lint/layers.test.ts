import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it.each([
    ['core/tracking/x.ts', "import { app } from 'electron';"],
    ['core/tracking/x.ts', "import App from '../../renderer/src/App.svelte';"],
    ['core/server/x.ts', "import { createWindow } from '../../electron/main/window.ts';"],
    ['core/api/x.ts', "import { readFileSync } from 'node:fs';"],
    ['core/api/x.ts', "import { Kysely } from 'kysely';"],
    ['core/api/x.ts', "import { openCatalog } from '#core/catalog/catalog.ts';"],
    ['renderer/src/x.ts', "import { ipcRenderer } from 'electron';"],
    ['renderer/src/x.ts', "import { openCatalog } from '#core/catalog/catalog.ts';"],
    ['renderer/src/x.ts', "import { readFile } from 'node:fs/promises';"],
    ['electron/preload/x.ts', "import { openCatalog } from '#core/catalog/catalog.ts';"],
    ['electron/main/x.ts', "import App from '../../renderer/src/App.svelte';"],
    ['electron/main/x.ts', "import { z } from 'zod';"],
    ['electron/main/x.ts', "import Fastify from 'fastify';"],
    // Adapters reach the engine only through the contract, the composition root and core/platform.
    ['core/server/x.ts', "import { openCatalog } from '#core/catalog/catalog.ts';"],
    ['core/server/x.ts', "import { hasUsers } from '#core/users/users.ts';"],
    ['core/server/x.ts', "import { createTrackingService } from '../tracking/tracking-service.ts';"],
    ['core/server/x.ts', "import { main } from '#core/cli/main.ts';"],
    ['core/sdk/x.ts', "import { runCli } from '#core/cli/main.ts';"],
    ['core/sdk/x.ts', "import { startServer } from '#core/server/server.ts';"],
    ['core/sdk/x.ts', "import { readMlmodel } from '#core/models/describe-model.ts';"],
    ['core/cli/x.ts', "import { openCatalog } from '#core/catalog/catalog.ts';"],
    ['core/cli/x.ts', "import { addUser } from '#core/users/users.ts';"],
    ['core/cli/x.ts', "import { installAuth } from '#core/server/auth.ts';"],
    ['core/cli/x.ts', "import { FlowdeskClient } from '#core/sdk/flowdesk-client.ts';"],
    // Only the CLI starts the server; the engine shares HTTP helpers through core/platform.
    ['core/models/x.ts', "import { sendError } from '#core/server/server.ts';"],
    ['core/tracking/x.ts', "import { isLoopback } from '#core/server/manners.ts';"],
    // The window reaches data through its contract client, and names folders instead of climbing.
    ['renderer/src/views/x.ts', "import { Kysely } from 'kysely';"],
    ['renderer/src/views/x.ts', "import { FlowdeskClient } from 'flowdesk/sdk';"],
    ['renderer/src/views/x.ts', "import { router } from '../state/router.svelte.ts';"],
    // renderer/src/lib holds pure functions only.
    ['renderer/src/lib/x.ts', "import { router } from '#renderer/state/router.svelte.ts';"],
    ['renderer/src/lib/x.ts', "import { dropTarget } from '#renderer/dom/drop-target.ts';"],
    ['renderer/src/lib/x.ts', "import RunsTable from '#renderer/components/RunsTable.svelte';"],
    ['renderer/src/lib/x.ts', "import { untrack } from 'svelte';"],
  ])('refuses %s: %s', async (file, code) => {
    expect(await violations(file, code)).not.toEqual([]);
  });

  it.each([
    ['core/tracking/x.ts', "import { openCatalog } from '#core/catalog/catalog.ts';\nimport { readFileSync } from 'node:fs';"],
    ['core/api/x.ts', "import { z } from 'zod';\nimport { invalid } from './errors.ts';"],
    ['renderer/src/x.ts', "import { createClient } from '#core/api/client.ts';"],
    ['renderer/src/views/x.ts', "import { router } from '#renderer/state/router.svelte.ts';\nimport { formatBytes } from '#renderer/lib/bytes.ts';\nimport { sibling } from './sibling.ts';"],
    ['renderer/src/lib/x.ts', "import { formatBytes } from './bytes.ts';\nimport type { Run } from '#core/api/entities.ts';"],
    ['electron/preload/x.ts', "import { contextBridge } from 'electron';\nimport { contract } from '#core/api/contract.ts';"],
    ['electron/main/x.ts', "import { app } from 'electron';\nimport { openCatalog } from '#core/catalog/catalog.ts';"],
    ['electron/main/x.ts', "import type { BrowserWindow } from 'electron';\nimport { join } from 'node:path';\nimport { registerIpc } from './ipc.ts';"],
    ['core/server/x.ts', "import Fastify from 'fastify';\nimport { FlowdeskError } from '#core/api/errors.ts';\nimport type { Flowdesk } from '#core/flowdesk.ts';\nimport { sendError } from '#core/platform/http-body.ts';\nimport { installAuth } from './auth.ts';"],
    ['core/cli/x.ts', "import { openFlowdesk } from '#core/flowdesk.ts';\nimport { startServer } from '#core/server/server.ts';\nimport { defaultDataDir } from '#core/platform/data-dir.ts';"],
    ['core/sdk/x.ts', "import { createClient } from '#core/api/client.ts';\nimport { defaultDataDir } from '#core/platform/data-dir.ts';"],
    ['core/models/x.ts', "import { parseJsonBody } from '#core/platform/wire-json.ts';\nimport { installManners } from '#core/platform/http-manners.ts';"],
  ])('allows %s: %s', async (file, code) => {
    expect(await violations(file, code)).toEqual([]);
  });
});
