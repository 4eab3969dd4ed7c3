/**
 * The preload: exposes `window.api` (see window-api.ts) to the isolated page, and nothing else.
 * Bundled into one CommonJS file (out/preload/index.cjs), as sandboxed preloads must be.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createWindowApi } from './window-api.ts';

contextBridge.exposeInMainWorld('api', createWindowApi<File>({ ipcRenderer, getPathForFile: (file) => webUtils.getPathForFile(file) }));
