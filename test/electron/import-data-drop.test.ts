/**
 * A folder dropped onto the desktop window is imported as other tools' data: the preload turns
 * the dropped File into its path (never a string from the page) and starts `imports.start` over
 * the real IPC handler; the import's end reaches the window on the event channel.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DesktopEvent } from '#core/api/desktop-contract.ts';
import { registerIpc, sendEvent } from '../../electron/main/ipc.ts';
import { createWindowApi } from '../../electron/preload/window-api.ts';
import { fakeFrame, fakeIpcPair } from '../helpers/fake-ipc.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { writeScalarEventFile } from '../import/tensorboard-logs.ts';

async function desktopWindow() {
  const { fd, api } = await testFlowdesk();
  const frame = fakeFrame('app://flowdesk/index.html');
  const ipc = fakeIpcPair(() => frame);
  registerIpc({ ipcMain: ipc.ipcMain, trustedFrame: () => frame, handlers: fd.handlers, desktop: {} as never, log: () => undefined });
  fd.events.subscribe((event) => sendEvent(ipc.webContents, event));
  const windowApi = createWindowApi<{ path: string }>({ ipcRenderer: ipc.ipcRenderer, getPathForFile: (f) => f.path });
  return { api, windowApi };
}

describe('dropping a folder of data onto the desktop window', () => {
  it('imports the dropped TensorBoard folder by its resolved path and reports the end on the event channel', async () => {
    const root = tempDir('flowdesk-drop-data-');
    mkdirSync(join(root, 'runs', 'a'), { recursive: true });
    await writeScalarEventFile(join(root, 'runs', 'a'), 300, ['loss']);
    const { api, windowApi } = await desktopWindow();
    const finished = new Promise<DesktopEvent>((resolve) => windowApi.onEvent((event) => event.type === 'imports.finished' && resolve(event)));

    const result = await windowApi.importData({ path: join(root, 'runs') });
    expect(result.ok).toBe(true);
    const importId = (result as { value: { importId: string } }).value.importId;
    expect(await finished).toMatchObject({ type: 'imports.finished', importId, state: 'done' });
    const { import: status } = await api.call('imports.get', { importId });
    expect(status.summary!.runs.imported).toBe(1);
    expect(status.summary!.points.added).toBe(300);
  });

  it('refuses a dropped item that has no path on this computer', async () => {
    const { windowApi } = await desktopWindow();
    expect(await windowApi.importData({ path: '' })).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER_VALUE' } });
  });
});
