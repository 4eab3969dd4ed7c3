/**
 * What the desktop window can ask of the Electron main process beyond the contract: files
 * dropped or picked in a dialog copied into a run, where the server listens, and moving the data
 * folder. These methods read paths on this machine, so they travel only over IPC (never HTTP),
 * and the page never names a path: dropped files are resolved by the preload, picked ones by the
 * main process's own dialog.
 */
import { z } from 'zod';
import type { MethodName } from './contract.ts';
import type { DispatchResult } from './dispatch.ts';
import type { FlowdeskEvent } from './events.ts';
import { method } from './contract-method.ts';
import { OWNER_WINDOW } from './access.ts';
import { teamContract } from './team-contract.ts';

export { CALL_CHANNEL, EVENT_CHANNEL } from './ipc-channels.ts';

const id = z.string().min(1).max(64);

/** What travels on the call channel: a method name and its input (checked by the method's schema). */
export const callPayload = z.object({ name: z.string().min(1).max(100), input: z.unknown() }).strict();

/** Where imported files go: a run's artifacts, or a new run of an experiment. */
export const importTarget = z.union([z.object({ runId: id }), z.object({ experimentId: id })]);
export type ImportTarget = z.infer<typeof importTarget>;

export const importReport = z.object({
  experimentId: z.string(),
  runId: z.string(),
  /** Regular files copied, and their bytes. */
  files: z.number(),
  bytes: z.number(),
  /** What was not copied and why (a symbolic link, a device, unreadable). */
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
});
export type ImportReport = z.infer<typeof importReport>;

/** Names the window gives an import so that its progress events can be told apart. */
const importId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);

export const desktopContract = {
  'desktop.info': method(
    'Where the localhost server listens (for MLFLOW_TRACKING_URI), the data folder and the version.',
    z.object({}),
    z.object({ serverUrl: z.string(), dataDir: z.string(), version: z.string() }),
    OWNER_WINDOW,
  ),
  'desktop.importPaths': method(
    "Copies dropped files and folders into a run's artifacts (or a new run of an experiment). Reached only through the preload's file-drop helper, which resolves the paths itself.",
    z.object({ importId, target: importTarget, paths: z.array(z.string().min(1).max(4096)).min(1).max(1000) }),
    importReport,
    OWNER_WINDOW,
  ),
  'desktop.attachFiles': method(
    "Asks for files (or a folder) in the OS dialog and copies them like a drop; no report when the dialog is cancelled.",
    z.object({ importId, target: importTarget, folder: z.boolean().optional() }),
    z.object({ report: importReport.optional() }),
    OWNER_WINDOW,
  ),
  'desktop.chooseDataFolder': method(
    'Asks for a new data folder in the OS dialog; Flowdesk restarts on it. No folder when cancelled.',
    z.object({}),
    z.object({ dataDir: z.string().optional() }),
    OWNER_WINDOW,
  ),
  ...teamContract,
};

export type DesktopMethodName = keyof typeof desktopContract;
export type DesktopInput<M extends DesktopMethodName> = z.input<(typeof desktopContract)[M]['input']>;
export type DesktopOutput<M extends DesktopMethodName> = z.output<(typeof desktopContract)[M]['output']>;
export type DesktopHandlers = {
  [M in DesktopMethodName]: (input: z.output<(typeof desktopContract)[M]['input']>) => Promise<z.input<(typeof desktopContract)[M]['output']>>;
};

/** Commands of the application menu, carried out by the window. */
export const MENU_COMMANDS = ['new-experiment', 'attach-files', 'import-folder', 'import-data', 'settings', 'quick-start'] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

/** Progress of copying imported files, for a progress bar. */
export interface ImportProgress {
  type: 'import.progress';
  importId: string;
  /** The file being copied, relative to what was dropped. */
  path: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/** What the window hears on the event channel. */
export type DesktopEvent = FlowdeskEvent | ImportProgress | { type: 'menu.command'; command: MenuCommand };

/**
 * `window.api` in the desktop app, as the preload exposes it. `F` is the DOM's File, kept generic
 * because this module is free of DOM types.
 */
export interface WindowApi<F = unknown> {
  /** One contract call; the result is data, errors included. */
  call(name: MethodName, input: unknown): Promise<DispatchResult>;
  /** One desktop call other than `desktop.importPaths`, which only `importFiles` reaches. */
  desktop(name: Exclude<DesktopMethodName, 'desktop.importPaths'>, input: unknown): Promise<DispatchResult>;
  /** Copies dropped files (File objects of a drop event) into a run or a new run. */
  importFiles(files: readonly F[], target: ImportTarget, importId: string): Promise<DispatchResult>;
  /** Starts importing a dropped folder (an mlruns/ folder, TensorBoard logs) with `imports.start`, its path resolved by the preload. */
  importData(folder: F): Promise<DispatchResult>;
  /** Listens to the event channel until the returned function is called. */
  onEvent(listener: (event: DesktopEvent) => void): () => void;
}
