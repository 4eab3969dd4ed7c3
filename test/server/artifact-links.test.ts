/**
 * Say what is wrong: a loop of symbolic links in the artifact folder (made outside Flowdesk) is a
 * 400 that says so when it is listed, downloaded or written through, never a 500 (which MLflow
 * clients would retry for minutes); the rest of the folder is served as before.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

describe('a symbolic link loop in the artifact folder', () => {
  it('is a 400 naming the loop when listed, downloaded or written through, and its neighbours still work', async () => {
    const { url, dataDir } = await startTestServer();
    const folder = join(dataDir, 'artifacts', '0', 'r', 'artifacts');
    mkdirSync(folder, { recursive: true });
    symlinkSync('b', join(folder, 'a'));
    symlinkSync('a', join(folder, 'b'));
    symlinkSync('self', join(folder, 'self'));
    writeFileSync(join(folder, 'fine.txt'), 'fine');
    const attempts: [string, string, string?][] = [
      ['GET', `${PROXY}?path=0/r/artifacts/a`],
      ['GET', `${PROXY}?path=0/r/artifacts/self/x`],
      ['GET', `${PROXY}/0/r/artifacts/a`],
      ['GET', `${PROXY}/0/r/artifacts/self/x.txt`],
      ['PUT', `${PROXY}/0/r/artifacts/a/new.txt`, 'x'],
      ['DELETE', `${PROXY}/0/r/artifacts/self/x.txt`],
    ];
    for (const [method, path, body] of attempts) {
      const response = await fetch(`${url}${path}`, { method, body });
      const answer = (await response.json()) as { error_code: string; message: string };
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 400 });
      expect(answer.message).toContain('loop of symbolic links');
    }
    const listing = (await (await fetch(`${url}${PROXY}?path=0/r/artifacts`)).json()) as { files: { path: string }[] };
    expect(listing.files.map((f) => f.path)).toEqual(['fine.txt']);
    expect(await (await fetch(`${url}${PROXY}/0/r/artifacts/fine.txt`)).text()).toBe('fine');
  });
});
