import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { DesktopEvent, ImportProgress } from '#core/api/desktop-contract.ts';
import { createFileImporter } from '#core/tracking/file-import.ts';
import { createDesktopHandlers } from '../../electron/main/desktop-handlers.ts';
import { registerIpc, sendEvent } from '../../electron/main/ipc.ts';
import { createWindowApi } from '../../electron/preload/window-api.ts';
import { fakeFrame, fakeIpcPair } from '../helpers/fake-ipc.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { createTeamConnection } from '../../electron/main/team-connection.ts';
import { fakeSafeStorage } from '../helpers/fake-safe-storage.ts';

const BIG = 200 * 1024 * 1024;

/**
 * A dropped folder: regular files, a nested folder, a 200 MB file (written as real bytes at its
 * start and end, sparse between), links to a secret outside the tree (file and folder), a link
 * inside the tree, and a FIFO. Beside it, the secret.
 */
function droppedTree() {
  const root = tempDir('flowdesk-drop-');
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'outside secret');
  const tree = join(root, 'results');
  mkdirSync(join(tree, 'plots', 'deep'), { recursive: true });
  writeFileSync(join(tree, 'metrics.csv'), 'step,loss\n0,1.0\n1,0.5\n');
  writeFileSync(join(tree, 'plots', 'loss.svg'), '<svg/>');
  writeFileSync(join(tree, 'plots', 'deep', 'notes.md'), '# notes');
  const fd = openSync(join(tree, 'model.bin'), 'w');
  writeSync(fd, Buffer.from('HEAD'), 0, 4, 0);
  writeSync(fd, Buffer.from('TAIL'), 0, 4, BIG - 4);
  closeSync(fd);
  symlinkSync(join(outside, 'secret.txt'), join(tree, 'secret-link.txt'));
  symlinkSync(outside, join(tree, 'outside-dir'));
  symlinkSync(join(tree, 'metrics.csv'), join(tree, 'plots', 'inside-link.csv'));
  execFileSync('mkfifo', [join(tree, 'pipe')]);
  const single = join(root, 'summary.json');
  writeFileSync(single, '{"ok":true}');
  return { root, tree, single };
}

/** The real desktop handlers and IPC handler, reached through the real preload helper over a fake pair. */
async function desktopWindow(dialogPaths: string[] = []) {
  const { fd, api } = await testFlowdesk();
  const frame = fakeFrame('app://flowdesk/index.html');
  const ipc = fakeIpcPair(() => frame);
  const importer = createFileImporter({ catalog: fd.catalog, artifacts: fd.artifacts, events: fd.events, handlers: fd.handlers });
  const showOpenDialog = vi.fn(async () => ({ canceled: dialogPaths.length === 0, filePaths: dialogPaths }));
  const desktop = createDesktopHandlers({
    importer,
    dialog: { showOpenDialog } as never,
    window: () => undefined,
    send: (event) => sendEvent(ipc.webContents, event),
    info: async () => ({ serverUrl: 'http://127.0.0.1:5000', dataDir: fd.dataDir, version: 'test' }),
    moveDataDir: () => undefined,
    team: createTeamConnection({ dataDir: fd.dataDir, safeStorage: fakeSafeStorage(), send: () => undefined, log: () => undefined }),
  });
  registerIpc({ ipcMain: ipc.ipcMain, trustedFrame: () => frame, handlers: fd.handlers, desktop, log: () => undefined });
  // As the app does: the core's events go to the window too.
  fd.events.subscribe((event) => sendEvent(ipc.webContents, event));
  const windowApi = createWindowApi<{ path: string }>({ ipcRenderer: ipc.ipcRenderer, getPathForFile: (f) => f.path });
  const events: DesktopEvent[] = [];
  windowApi.onEvent((event) => events.push(event));
  return { fd, api, windowApi, events, showOpenDialog };
}

/** Every file path under a run's artifacts, listed through the contract. */
async function listAll(api: Awaited<ReturnType<typeof testFlowdesk>>['api'], runId: string, path = ''): Promise<Record<string, number | undefined>> {
  const { files } = await api.call('artifacts.list', { runId, path: path || undefined });
  const out: Record<string, number | undefined> = {};
  for (const f of files) {
    const full = path ? `${path}/${f.path}` : f.path;
    if (f.isDir) Object.assign(out, await listAll(api, runId, full));
    else out[full] = f.fileSize;
  }
  return out;
}

describe('dropping files onto a run', () => {
  it('copies only the regular files of the tree, reports the links and the pipe, with progress, and the catalog lists them', async () => {
    const { tree, single } = droppedTree();
    const { api, windowApi, events, fd } = await desktopWindow();
    const { run } = await api.call('runs.create', {});
    const runId = run.info.runId;

    const result = await windowApi.importFiles([{ path: tree }, { path: single }], { runId }, 'drop-1');
    expect(result.ok).toBe(true);
    const report = (result as { value: { files: number; bytes: number; skipped: { path: string; reason: string }[] } }).value;
    expect(report.files).toBe(5);
    expect(report.bytes).toBe(BIG + 22 + 6 + 7 + 11);
    expect(report.skipped.map((s) => s.path).sort()).toEqual(['results/outside-dir', 'results/pipe', 'results/plots/inside-link.csv', 'results/secret-link.txt']);
    expect(report.skipped.find((s) => s.path === 'results/secret-link.txt')!.reason).toMatch(/symbolic link/);
    const last = events.filter((e): e is ImportProgress => e.type === 'import.progress').at(-1);
    expect(last).toMatchObject({ importId: 'drop-1', filesDone: 5, filesTotal: 5, bytesDone: report.bytes, bytesTotal: report.bytes });

    expect(await listAll(api, runId)).toEqual({
      'results/metrics.csv': 22,
      'results/model.bin': BIG,
      'results/plots/deep/notes.md': 7,
      'results/plots/loss.svg': 6,
      'summary.json': 11,
    });
    // Nothing of the outside secret arrived anywhere in the store.
    const stored = join(fd.dataDir, 'artifacts');
    const small = readdirSync(stored, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name !== 'model.bin');
    expect(small).toHaveLength(4);
    for (const entry of small) expect(readFileSync(join(entry.parentPath, entry.name), 'utf8')).not.toContain('outside secret');
  }, 120_000);

  it('reports progress in bytes for a large file, rising to the total', async () => {
    const { tree } = droppedTree();
    const { api, windowApi, events } = await desktopWindow();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await windowApi.importFiles([{ path: join(tree, 'model.bin') }], { runId }, 'big-1');
    const progress = events.filter((e): e is ImportProgress => e.type === 'import.progress');
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.every((p) => p.importId === 'big-1' && p.path === 'model.bin' && p.bytesTotal === BIG && p.filesTotal === 1)).toBe(true);
    const done = progress.map((p) => p.bytesDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBe(BIG);
    expect(progress.at(-1)!.filesDone).toBe(1);
    expect(events).toContainEqual({ type: 'artifact.added', experimentId: '0', runId, path: 'model.bin' });
  }, 120_000);

  it('keeps the bytes exactly: start, sparse middle and end', async () => {
    const { tree } = droppedTree();
    const { api, windowApi, fd } = await desktopWindow();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await windowApi.importFiles([{ path: join(tree, 'model.bin') }], { runId }, 'big-2');
    const { stream, bytes } = await fd.artifacts.read(`0/${runId}/artifacts/model.bin`, { start: BIG - 8 });
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(bytes).toBe(8);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([0, 0, 0, 0, ...Buffer.from('TAIL')]));
    const head = await fd.artifacts.read(`0/${runId}/artifacts/model.bin`, { start: 0, end: 3 });
    for await (const c of head.stream) expect((c as Buffer).toString()).toBe('HEAD');
  }, 120_000);

  it('creates a finished run when the drop lands on an experiment', async () => {
    const { single, tree } = droppedTree();
    const { api, windowApi } = await desktopWindow();
    const { experimentId } = await api.call('experiments.create', { name: 'drops' });
    const result = await windowApi.importFiles([{ path: single }, { path: join(tree, 'plots') }], { experimentId }, 'exp-1');
    const report = (result as { ok: true; value: { runId: string; experimentId: string } }).value;
    expect(report.experimentId).toBe(experimentId);
    const { run } = await api.call('runs.get', { runId: report.runId });
    expect(run.info).toMatchObject({ experimentId, status: 'FINISHED', runName: 'summary.json and 1 more' });
    expect(Object.keys(await listAll(api, report.runId)).sort()).toEqual(['plots/deep/notes.md', 'plots/loss.svg', 'summary.json']);
  });

  it('refuses relative paths, unknown runs and runs in the trash, copying nothing', async () => {
    const { single } = droppedTree();
    const { api, windowApi } = await desktopWindow();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    expect(await windowApi.importFiles([{ path: 'relative/file.txt' }], { runId }, 'x')).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER_VALUE' } });
    expect(await windowApi.importFiles([{ path: single }], { runId: 'f'.repeat(32) }, 'x')).toMatchObject({ ok: false, error: { code: 'RESOURCE_DOES_NOT_EXIST' } });
    await api.call('runs.delete', { runId });
    expect(await windowApi.importFiles([{ path: single }], { runId }, 'x')).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER_VALUE' } });
    expect(await listAll(api, runId)).toEqual({});
  });

  it('attaches files picked in the native dialog, and does nothing when it is cancelled', async () => {
    const { single } = droppedTree();
    const picked = await desktopWindow([single]);
    const runId = (await picked.api.call('runs.create', {})).run.info.runId;
    expect(await picked.windowApi.desktop('desktop.attachFiles', { importId: 'pick-1', target: { runId } })).toMatchObject({ ok: true, value: { report: { files: 1 } } });
    expect(picked.showOpenDialog.mock.calls[0]).toEqual([{ title: 'Attach files', properties: ['openFile', 'multiSelections'] }]);
    expect(await listAll(picked.api, runId)).toEqual({ 'summary.json': 11 });
    expect(readFileSync(single, 'utf8')).toBe('{"ok":true}');

    const cancelled = await desktopWindow([]);
    const other = (await cancelled.api.call('runs.create', {})).run.info.runId;
    expect(await cancelled.windowApi.desktop('desktop.attachFiles', { importId: 'pick-2', target: { runId: other }, folder: true })).toEqual({ ok: true, value: {} });
    expect(cancelled.showOpenDialog.mock.calls[0]).toEqual([{ title: 'Import a folder', properties: ['openDirectory', 'multiSelections'] }]);
  });
});
