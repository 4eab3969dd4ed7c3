/**
 * Real side effects a refused call must not leave, shared by the tests that check nothing ran:
 * a project whose command would create a marker file, and a port that a model server would open.
 */
import { writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './temp-dir.ts';

/** A folder without MLproject, and the file its command would create. */
export function touchingProject(): { dir: string; marker: string } {
  const dir = tempDir();
  writeFileSync(join(dir, 'README.md'), 'a folder of scripts\n');
  return { dir, marker: join(tempDir(), 'ran') };
}

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
