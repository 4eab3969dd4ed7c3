import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const component = (imports: string) => `<script lang="ts">\n${imports}\n</script>\n<p>x</p>\n`;

describe('layer rules in Svelte components', () => {
  it.each([
    ["import { openCatalog } from '#core/catalog/catalog.ts';"],
    ["import { readFile } from 'node:fs/promises';"],
    ["import { ipcRenderer } from 'electron';"],
  ])('refuses %s', async (code) => {
    expect(await violations('renderer/src/components/X.svelte', component(code))).not.toEqual([]);
  });

  it('allows the contract', async () => {
    expect(await violations('renderer/src/components/X.svelte', component("import { createClient } from '#core/api/client.ts';"))).toEqual([]);
  });
});
