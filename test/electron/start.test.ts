import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm start', () => {
  it("says in one line that Electron's binary is missing, then serves and prints the URL to open", async () => {
    const dataDir = tempDir();
    // An Electron dist folder with no binary in it: the launcher tries an install, finds none, and serves.
    const noElectron = tempDir();
    const child = spawn(process.execPath, [join(root, 'bin/start.js'), '--port', '0', '--data-dir', dataDir], {
      cwd: root,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: noElectron },
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        // The last line serve prints: by then the whole greeting is in.
        const match = /export MLFLOW_TRACKING_URI=(http:\/\/\S+)\n/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.on('exit', (code) => reject(new Error(`the launcher exited (${code}) before serving:\n${output}`)));
    });
    try {
      const lines = output.trim().split('\n');
      expect(lines[0]).toMatch(/^Electron's binary is not installed .*runs as a local server: open the URL below in a browser\.$/);
      expect(lines.filter((l) => /Electron/.test(l))).toHaveLength(1);
      expect(output).toContain(`Listening on ${url}`);
      expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: 'OK' });
      const page = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(existsSync(join(dataDir, 'server.json'))).toBe(true);
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false);
  });
});
