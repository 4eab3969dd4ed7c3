/**
 * Every command of the real CLI answers `--help` (and `-h`) with its own usage, on stdout with
 * exit 0, and does nothing else: no data folder is opened, no server started.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.ts';

const flowdesk = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['bin/flowdesk.js', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

const COMMANDS = ['serve', 'gc', 'run', 'models', 'users', 'migrate', 'export', 'import'];

describe('flowdesk <command> --help', () => {
  it.each(COMMANDS)('prints the usage of %s alone and exits 0', (command) => {
    const dataDir = join(tempDir(), 'never-made');
    for (const flag of ['--help', '-h']) {
      const result = flowdesk([command, flag], { FLOWDESK_DATA_DIR: dataDir });
      expect({ flag, status: result.status, stderr: result.stderr }).toEqual({ flag, status: 0, stderr: '' });
      expect(result.stdout).toMatch(new RegExp(`^Usage:\\n  flowdesk ${command} `));
      // Only this command's usage: no other command's line.
      for (const other of COMMANDS.filter((c) => c !== command)) expect(result.stdout).not.toMatch(new RegExp(`^  flowdesk ${other} `, 'm'));
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('answers help after other options too, but leaves what follows -- to the program it runs', () => {
    expect(flowdesk(['migrate', '--to', 'http://127.0.0.1:1', '--help']).stdout).toMatch(/^Usage:\n {2}flowdesk migrate /);
    const passed = flowdesk(['run', 'no-such-project-dir', '--', '--help']);
    expect(passed.stdout).not.toMatch(/^Usage:/);
    expect(passed.status).not.toBe(0);
  });
});
