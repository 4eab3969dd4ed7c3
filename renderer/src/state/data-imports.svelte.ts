/**
 * Imports of other tools' data (an `mlruns/` folder, a folder of TensorBoard logs) started from
 * the window: the *Import…* dialog's path, *File → Import…*, or a folder dropped onto the window
 * in the desktop app. Each runs in the core (`imports.start`); its progress and end arrive as
 * events, and its summary (counts, what was skipped and why) is read with `imports.get` once it
 * ended, then stays on screen until dismissed.
 */
import type { FlowdeskEvent } from '#core/api/events.ts';
import type { ImportStatus } from '#core/api/imports-contract.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import { api } from './api.ts';
import { desktop } from './desktop.ts';
import { liveEvents } from './live-events.svelte.ts';
import { session } from './session.svelte.ts';
import { reportError } from './toasts.svelte.ts';

/** Whether this window may import: imports read paths of this machine, so only its owner may. */
export function mayImport(): boolean {
  return session.state !== 'signed-in' || session.role === 'owner';
}

class DataImports {
  /** Imports started from this window, oldest first. */
  jobs = $state.raw<ImportStatus[]>([]);
  /** Whether the *Import…* dialog is open, and the path it opens with. */
  dialog = $state.raw<{ path: string } | undefined>(undefined);
  #listening = false;

  /** Opens the *Import…* dialog, with a path to start from. */
  open(path = ''): void {
    this.dialog = { path };
  }

  close(): void {
    this.dialog = undefined;
  }

  /**
   * Starts importing `source`. A source the core refuses (no such folder, neither kind) throws
   * with its message, for the dialog to show beside the path.
   */
  async start(source: string): Promise<void> {
    this.#listen();
    const { importId } = await api.call('imports.start', { source });
    await this.#started(importId, source);
  }

  /**
   * Imports a folder dropped onto the window. The desktop app resolves its path in the preload;
   * a browser never learns a dropped folder's path, so there the dialog opens to type it.
   */
  async startDropped(data: DataTransfer): Promise<void> {
    const folder = [...data.files][0];
    if (!folder) return;
    if (!mayImport()) {
      reportError('Importing a folder', new FlowdeskError('PERMISSION_DENIED', "Only this machine's owner can import data"));
      return;
    }
    if (!desktop) {
      this.open();
      return;
    }
    this.#listen();
    try {
      const result = await desktop.importData(folder);
      if (!result.ok) throw FlowdeskError.fromData(result.error);
      await this.#started((result.value as { importId: string }).importId, folder.name);
    } catch (err) {
      reportError(`Importing ${folder.name}`, err);
    }
  }

  async #started(importId: string, source: string): Promise<void> {
    this.#put({
      importId,
      source,
      state: 'running',
      progress: { phase: 'runs', experiments: 0, runs: 0, points: 0, files: 0, bytes: 0 },
    });
    // Events sent before this window knew the id (a small import may already be over) are caught up here.
    await this.#refresh(importId);
  }

  /** Asks the core to stop a running import: the finished runs stay, the next import continues. */
  async stop(importId: string): Promise<void> {
    try {
      await api.call('imports.stop', { importId });
    } catch (err) {
      reportError('Stopping the import', err);
    }
  }

  /** Removes an ended import's summary from the window. */
  dismiss(importId: string): void {
    this.jobs = this.jobs.filter((j) => j.importId !== importId);
  }

  #put(status: ImportStatus): void {
    const known = this.jobs.some((j) => j.importId === status.importId);
    this.jobs = known ? this.jobs.map((j) => (j.importId === status.importId ? status : j)) : [...this.jobs, status];
  }

  async #refresh(importId: string): Promise<void> {
    try {
      const { import: status } = await api.call('imports.get', { importId });
      if (this.jobs.some((j) => j.importId === importId)) this.#put(status);
    } catch (err) {
      reportError('Reading how the import went', err);
    }
  }

  #onEvent(event: FlowdeskEvent): void {
    if (event.type === 'imports.progress') {
      const job = this.jobs.find((j) => j.importId === event.importId);
      if (job && job.state === 'running') this.#put({ ...job, progress: event.progress });
    } else if (event.type === 'imports.finished') {
      if (this.jobs.some((j) => j.importId === event.importId)) void this.#refresh(event.importId);
    }
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    liveEvents.subscribe({
      onEvent: (event) => this.#onEvent(event),
      // Events missed while the stream was down: ask for the state of every import still running.
      onResync: () => {
        for (const job of this.jobs) if (job.state === 'running') void this.#refresh(job.importId);
      },
    });
  }
}

export const dataImports = new DataImports();
