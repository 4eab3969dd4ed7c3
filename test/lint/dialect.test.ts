/**
 * The dialect rule of eslint.config.js: outside core/catalog no code tests whether the catalog is
 * SQLite or PostgreSQL; the differences are asked of core/catalog/dialect-sql.ts.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function dialectViolations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

describe('dialect rule', () => {
  it.each([
    ['core/search/x.ts', "export const escape = (dialect: string) => (dialect === 'postgres' ? 'escape' : '');"],
    ['core/tracking/x.ts', "export const plain = (dialect: string) => dialect !== 'sqlite';"],
    ['core/users/x.ts', "export const fromLeft = (catalog: { dialect: string }) => 'postgres' == catalog.dialect;"],
    ['core/server/x.ts', "export function pick(dialect: string) {\n  switch (dialect) {\n    case 'sqlite':\n      return 1;\n    default:\n      return 2;\n  }\n}"],
    ['electron/main/x.ts', "export const onTeam = (dialect: string) => dialect === 'postgres';"],
  ])('refuses %s: %s', async (file, code) => {
    expect(await dialectViolations(file, code)).toEqual([expect.stringContaining('dialectSql')]);
  });

  it.each([
    ['core/catalog/x.ts', "export const onTeam = (dialect: string) => dialect === 'postgres';"],
    ['core/search/x.ts', "import { dialectSql } from '#core/catalog/dialect-sql.ts';\nexport const escape = (dialect: 'sqlite' | 'postgres') => dialectSql(dialect).likeEscape;"],
    ['core/cli/x.ts', "export const isUrl = (text: string) => text.startsWith('postgres://') || text === 'postgresql';"],
  ])('allows %s: %s', async (file, code) => {
    expect(await dialectViolations(file, code)).toEqual([]);
  });
});
