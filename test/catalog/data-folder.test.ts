/**
 * The data folder on disk: private modes for the folder and every file that holds data or a
 * secret, and one owner at a time within a process too (the CLI tests cover separate processes).
 */
import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '#core/catalog/catalog.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { startServer } from '#core/server/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('the data folder', () => {
  it('is created 0700, and its catalog, settings, server.json and secrets 0600', async () => {
    const dataDir = join(tempDir(), 'data');
    const fd = await openFlowdesk({ dataDir });
    const server = await startServer({ flowdesk: fd, port: 0, version: 'test', log: () => undefined });
    try {
      await fd.handlers['experiments.create']({ name: 'written' });
      await fd.handlers['settings.update']({ requireToken: true });
      expect(modeOf(dataDir)).toBe(0o700);
      const files = ['catalog.sqlite', 'catalog.sqlite-wal', 'catalog.sqlite-shm', 'settings.json', 'server.json', 'ticket-secret', 'flowdesk.lock', 'owner.json'];
      expect(Object.fromEntries(files.map((file) => [file, modeOf(join(dataDir, file)).toString(8)]))).toEqual(Object.fromEntries(files.map((file) => [file, '600'])));
    } finally {
      await server.close();
      await fd.close();
    }
  });

  it('makes the files of an older, world-readable catalog private when it opens them', async () => {
    const path = join(tempDir(), 'catalog.sqlite');
    await (await openCatalog(path)).close();
    chmodSync(path, 0o644);
    const catalog = await openCatalog(path);
    try {
      await catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'probe', value: '1' }).execute());
      expect([modeOf(path), modeOf(`${path}-wal`)]).toEqual([0o600, 0o600]);
    } finally {
      await catalog.close();
    }
  });

  it('is refused to a second opener in the same process, naming the owner, until the first closes it', async () => {
    const dataDir = tempDir();
    const first = await openFlowdesk({ dataDir });
    await expect(openFlowdesk({ dataDir })).rejects.toThrow(`A Flowdesk process (pid ${process.pid}) has ${dataDir} open`);
    await first.close();
    const again = await openFlowdesk({ dataDir });
    await again.close();
  });
});
