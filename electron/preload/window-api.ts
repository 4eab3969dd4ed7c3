/**
 * `window.api` as the preload builds it, from `ipcRenderer` and `webUtils`: contract calls and
 * desktop calls on the one call channel, events from the one event channel, and the file-drop
 * helpers. Dropped files become paths here, with `webUtils.getPathForFile`, never from strings
 * the page supplies; the page cannot reach `desktop.importPaths` any other way.
 */
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import type { DesktopEvent, WindowApi } from '../../core/api/desktop-contract.ts';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../../core/api/ipc-channels.ts';
import type { DispatchResult } from '../../core/api/dispatch.ts';

export interface PreloadDeps<F> {
  ipcRenderer: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;
  getPathForFile: (file: F) => string;
}

const refused = (message: string): DispatchResult => ({ ok: false, error: { code: 'PERMISSION_DENIED', message } });

export function createWindowApi<F = File>(deps: PreloadDeps<F>): WindowApi<F> {
  const { ipcRenderer } = deps;
  const invoke = (name: string, input: unknown) => ipcRenderer.invoke(CALL_CHANNEL, { name, input }) as Promise<DispatchResult>;
  return {
    call(name, input) {
      if (typeof name !== 'string' || name.startsWith('desktop.')) return Promise.resolve(refused(`'${String(name)}' is not a contract method`));
      return invoke(name, input);
    },
    desktop(name, input) {
      if (typeof name !== 'string' || !name.startsWith('desktop.') || (name as string) === 'desktop.importPaths') {
        return Promise.resolve(refused(`'${String(name)}' cannot be called from the page`));
      }
      return invoke(name, input);
    },
    importFiles(files, target, importId) {
      const paths = Array.from(files, (file) => deps.getPathForFile(file));
      // Files not from the disk (dragged out of another page) have no path.
      if (paths.length === 0 || paths.some((p) => p === '')) {
        return Promise.resolve({ ok: false, error: { code: 'INVALID_PARAMETER_VALUE', message: 'Only files and folders from this computer can be dropped here' } });
      }
      return invoke('desktop.importPaths', { importId, target, paths });
    },
    importData(folder) {
      const source = deps.getPathForFile(folder);
      if (source === '') return Promise.resolve({ ok: false, error: { code: 'INVALID_PARAMETER_VALUE', message: 'Only a folder from this computer can be imported' } });
      return invoke('imports.start', { source });
    },
    onEvent(listener) {
      // The page gets the event's data only, never Electron's event object (it holds `sender`).
      const forward = (_event: IpcRendererEvent, data: DesktopEvent) => listener(data);
      ipcRenderer.on(EVENT_CHANNEL, forward);
      return () => void ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    },
  };
}
