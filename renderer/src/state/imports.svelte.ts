/**
 * Files dropped (or picked) into a run, with progress. In the desktop app the main process copies
 * them (the preload turns the dropped File objects into paths) and reports progress over IPC; in
 * a browser each file is uploaded through the artifact proxy, folders walked with the File and
 * Directory Entries API, progress from the upload itself. Either way a drop onto an experiment
 * creates a run named after what was dropped.
 */
import type { ImportReport, ImportTarget } from '#core/api/desktop-contract.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import { api } from './api.ts';
import { encodePath, storeRoot } from '#renderer/lib/artifact-preview.ts';
import { desktop, desktopCall, onDesktopEvent } from './desktop.ts';
import { runHref } from '#renderer/lib/route.ts';
import { notify, reportError, toasts } from './toasts.svelte.ts';

/** One import on screen. */
export interface ImportJob {
  id: string;
  label: string;
  path: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/** How long a finished import stays on screen. */
const DONE_MS = 2500;

class Imports {
  jobs = $state.raw<ImportJob[]>([]);

  constructor() {
    onDesktopEvent((event) => {
      if (event.type === 'import.progress') this.update(event.importId, event);
    });
  }

  start(label: string): string {
    const id = crypto.randomUUID();
    this.jobs = [...this.jobs, { id, label, path: '', bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0 }];
    return id;
  }

  update(id: string, progress: Omit<ImportJob, 'id' | 'label'>): void {
    this.jobs = this.jobs.map((j) => (j.id === id ? { ...j, ...progress } : j));
  }

  finish(id: string): void {
    setTimeout(() => (this.jobs = this.jobs.filter((j) => j.id !== id)), DONE_MS);
  }
}

export const imports = new Imports();

/** Says what arrived and what was left out, and opens a run that the import created. */
function announce(target: ImportTarget, report: ImportReport): void {
  const copied = `${report.files} file${report.files === 1 ? '' : 's'} copied`;
  const skipped = report.skipped.map((s) => `${s.path}: ${s.reason}`);
  // What was left out stays on screen until read (an error-kind toast), but it is no failure.
  if (report.skipped.length > 0) toasts.show('error', `${copied}; ${report.skipped.length} left out`, skipped.slice(0, 5).join('\n') + (skipped.length > 5 ? `\n…and ${skipped.length - 5} more` : ''));
  else notify(copied, `into run ${report.runId.slice(0, 8)}`);
  if ('experimentId' in target) location.hash = runHref(report.experimentId, report.runId);
}

/** Copies what a drop event carries into the target. */
export function importDropped(data: DataTransfer, target: ImportTarget): Promise<void> {
  const files = [...data.files];
  // The entries are read now: a DataTransfer empties once the drop handler returns.
  return importFiles(files, target, desktop ? undefined : droppedEntries(data));
}

/** Copies chosen files (a file input's, or a drop's) into the target. */
export async function importFiles(files: File[], target: ImportTarget, entries?: Promise<DroppedFile[]>): Promise<void> {
  if (files.length === 0) return;
  const label = files.length === 1 ? files[0]!.name : `${files.length} items`;
  const id = imports.start(label);
  try {
    const report = desktop
      ? await viaDesktop(files, target, id)
      : await viaHttp(entries ? await entries : files.map((file) => ({ path: file.name, file })), target, id);
    announce(target, report);
  } catch (err) {
    reportError(`Adding ${label}`, err);
  } finally {
    imports.finish(id);
  }
}

/** Asks for files (or a folder) in the OS dialog, then copies them like a drop. Desktop only. */
export async function importWithDialog(target: ImportTarget, folder: boolean): Promise<void> {
  const id = imports.start(folder ? 'a folder' : 'files');
  try {
    const { report } = await desktopCall('desktop.attachFiles', { importId: id, target, folder });
    if (report) announce(target, report);
  } catch (err) {
    reportError(folder ? 'Importing a folder' : 'Attaching files', err);
  } finally {
    imports.finish(id);
  }
}

async function viaDesktop(files: File[], target: ImportTarget, id: string): Promise<ImportReport> {
  const result = await desktop!.importFiles(files, target, id);
  if (!result.ok) throw FlowdeskError.fromData(result.error);
  return result.value as ImportReport;
}

/** A file of the drop with its path relative to what was dropped. */
interface DroppedFile {
  path: string;
  file: File;
}

/** Reads a folder's entries; the API hands them out in batches until an empty one. */
async function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

async function walk(entry: FileSystemEntry, out: DroppedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path: entry.fullPath.replace(/^\/+/, ''), file });
  } else if (entry.isDirectory) {
    for (const child of await readAll((entry as FileSystemDirectoryEntry).createReader())) await walk(child, out);
  }
}

/** The files of a drop, folders walked. Entries must be taken before the event handler returns. */
async function droppedEntries(data: DataTransfer): Promise<DroppedFile[]> {
  // A file without a filesystem entry (made by a page rather than dragged from the disk) is taken as it is.
  const items = [...data.items].filter((item) => item.kind === 'file').map((item) => ({ entry: item.webkitGetAsEntry(), file: item.getAsFile() }));
  const out: DroppedFile[] = [];
  for (const { entry, file } of items) {
    if (entry) await walk(entry, out);
    else if (file) out.push({ path: file.name, file });
  }
  return out;
}

/** Uploads one file through the artifact proxy, reporting bytes as they go. */
function upload(url: string, file: File, onBytes: (loaded: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', url);
    request.setRequestHeader('content-type', 'application/octet-stream');
    request.upload.onprogress = (event) => onBytes(event.loaded);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) return resolve();
      let message = `HTTP ${request.status}`;
      try {
        message = (JSON.parse(request.responseText) as { message?: string }).message ?? message;
      } catch {
        // not JSON: the status says enough
      }
      reject(new Error(`${file.name}: ${message}`));
    };
    request.onerror = () => reject(new Error(`${file.name}: the upload was interrupted`));
    request.send(file);
  });
}

async function viaHttp(files: DroppedFile[], target: ImportTarget, id: string): Promise<ImportReport> {
  const created = 'experimentId' in target;
  const runName = files.length === 0 ? 'import' : (files[0]!.path.split('/')[0] ?? 'import');
  const run = created
    ? (await api.call('runs.create', { experimentId: target.experimentId, runName, tags: [{ key: 'flowdesk.source', value: 'import' }] })).run
    : (await api.call('runs.get', { runId: target.runId })).run;
  const root = storeRoot(run.info.artifactUri);
  if (root === undefined) throw new FlowdeskError('INVALID_STATE', 'This run keeps its artifacts outside Flowdesk; files cannot be added here');
  const bytesTotal = files.reduce((sum, f) => sum + f.file.size, 0);
  let bytesDone = 0;
  let filesDone = 0;
  try {
    for (const { path, file } of files) {
      await upload(`/api/2.0/mlflow-artifacts/artifacts/${encodePath(root)}/${encodePath(path)}`, file, (loaded) =>
        imports.update(id, { path, bytesDone: bytesDone + loaded, bytesTotal, filesDone, filesTotal: files.length }),
      );
      bytesDone += file.size;
      filesDone++;
      imports.update(id, { path, bytesDone, bytesTotal, filesDone, filesTotal: files.length });
    }
  } catch (err) {
    if (created) await api.call('runs.update', { runId: run.info.runId, status: 'FAILED', endTime: Date.now() });
    throw err;
  }
  if (created) await api.call('runs.update', { runId: run.info.runId, status: 'FINISHED', endTime: Date.now() });
  return { experimentId: run.info.experimentId, runId: run.info.runId, files: filesDone, bytes: bytesDone, skipped: [] };
}
