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
  ])('refuses %s: %s', async (file, code) => {
    expect(await violations(file, code)).not.toEqual([]);
  });

  it.each([
    ['core/tracking/x.ts', "import { openCatalog } from '#core/catalog/catalog.ts';\nimport { readFileSync } from 'node:fs';"],
    ['core/api/x.ts', "import { z } from 'zod';\nimport { invalid } from './errors.ts';"],
    ['renderer/src/x.ts', "import { createClient } from '#core/api/client.ts';"],
    ['electron/preload/x.ts', "import { contextBridge } from 'electron';\nimport { contract } from '#core/api/contract.ts';"],
    ['electron/main/x.ts', "import { app } from 'electron';\nimport { openCatalog } from '#core/catalog/catalog.ts';"],
    ['electron/main/x.ts', "import type { BrowserWindow } from 'electron';\nimport { join } from 'node:path';\nimport { registerIpc } from './ipc.ts';"],
  ])('allows %s: %s', async (file, code) => {
    expect(await violations(file, code)).toEqual([]);
  });
});
