/**
 * The desktop-only calls (see core/api/desktop-contract.ts): importing dropped or picked files
 * with progress pushed to the window, where the server listens, moving the data folder, and the
 * connection to a team server.
 */
import type { BrowserWindow, Dialog } from 'electron';
import type { DesktopEvent, DesktopHandlers, ImportTarget } from '#core/api/desktop-contract.ts';
import type { FileImporter } from '#core/tracking/file-import.ts';
import type { TeamConnection } from './team-connection.ts';
import { createTeamImporter } from './team-import.ts';

export interface DesktopHandlerDeps {
  importer: FileImporter;
  dialog: Pick<Dialog, 'showOpenDialog'>;
  window: () => BrowserWindow | undefined;
  send: (event: DesktopEvent) => void;
  /** Waits for a server restart in progress, so the URL is the one scripts can reach now. */
  info: () => Promise<{ serverUrl: string; dataDir: string; version: string }>;
  /** Records the new data folder and restarts the app on it. */
  moveDataDir: (dataDir: string) => void;
  team: TeamConnection;
}

export function createDesktopHandlers(deps: DesktopHandlerDeps): DesktopHandlers {
  const importInto = (importId: string, target: ImportTarget, paths: readonly string[]) => {
    // While connected, the run is on the team server: files go up through its artifact proxy.
    const team = deps.team.current();
    const transport = deps.team.transport();
    const importer = team && transport ? createTeamImporter({ ...team, transport }) : deps.importer;
    return importer(target, paths, (progress) => deps.send({ type: 'import.progress', importId, ...progress }));
  };

  const pick = async (properties: ('openFile' | 'openDirectory' | 'multiSelections' | 'createDirectory')[], title: string) => {
    const win = deps.window();
    const options = { title, properties };
    const result = win ? await deps.dialog.showOpenDialog(win, options) : await deps.dialog.showOpenDialog(options);
    return result.canceled ? [] : result.filePaths;
  };

  return {
    async 'desktop.info'() {
      return deps.info();
    },
    async 'desktop.importPaths'(input) {
      return importInto(input.importId, input.target, input.paths);
    },
    async 'desktop.attachFiles'(input) {
      const paths = await pick(input.folder ? ['openDirectory', 'multiSelections'] : ['openFile', 'multiSelections'], input.folder ? 'Import a folder' : 'Attach files');
      if (paths.length === 0) return {};
      return { report: await importInto(input.importId, input.target, paths) };
    },
    async 'desktop.chooseDataFolder'() {
      const [dataDir] = await pick(['openDirectory', 'createDirectory'], 'Choose the data folder');
      if (dataDir === undefined) return {};
      deps.moveDataDir(dataDir);
      return { dataDir };
    },
    async 'desktop.teamStatus'() {
      return deps.team.status();
    },
    async 'desktop.testTeam'(input) {
      return deps.team.test(input.url, input.token);
    },
    async 'desktop.connectTeam'(input) {
      return deps.team.connect(input.url, input.token, input.storePlainText ?? false);
    },
    async 'desktop.disconnectTeam'() {
      return deps.team.disconnect();
    },
  };
}
