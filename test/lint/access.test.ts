/**
 * Who may call what is decided in one place: the contract's declarations, checked by `checkAccess`
 * in core/api/access.ts (through `dispatch`, or for the artifact store's byte routes through
 * STORE_ACCESS). No other file of the engine, the server or the Electron main process compares
 * roles, keeps a table of them, or checks access against anything but a declaration.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The one file that compares roles. */
const ENFORCEMENT = 'core/api/access.ts';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

const RULES: [string, RegExp][] = [
  ['a role table or role ranking', /\b(METHOD_ROLES|roleAllows|ACCESS_ROLES\.indexOf|ROLES\.indexOf)\b/],
  ['a role compared', /\brole\s*(===|!==|==|!=)\s*(['"]|\w+\.role\b)|(===|!==|==|!=)\s*['"](reader|writer|approver|owner)['"]/],
  ['access checked against something other than a declaration', /\bcheckAccess\((?![^)]*(STORE_ACCESS|spec\.access|access))/],
];

function offences(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return RULES.filter(([, pattern]) => pattern.test(text)).map(([what]) => `${file}: ${what}`);
}

describe('authorization', () => {
  it('is decided only by the declarations, in one place', () => {
    const files = [...sources('core'), ...sources('electron/main')].filter((file) => file !== ENFORCEMENT);
    expect(files.length).toBeGreaterThan(50);
    expect(files.flatMap(offences)).toEqual([]);
  });

  it('catches a route-level role check', () => {
    expect(RULES.some(([, pattern]) => pattern.test("if (principal.role !== 'writer') throw denied();"))).toBe(true);
    expect(RULES.some(([, pattern]) => pattern.test('if (!roleAllows(principal.role, needed)) throw denied();'))).toBe(true);
    expect(RULES.some(([, pattern]) => pattern.test("checkAccess('x', { role: 'reader', reach: 'team' }, caller);"))).toBe(true);
  });
});
