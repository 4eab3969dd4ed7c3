/**
 * The application menu. Commands that act on what the window shows (new experiment, attach files
 * to the open run, import a folder as a run, settings) are sent to the window, which knows where
 * it is; the theme and the scripting help are handled here.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '#core/api/desktop-contract.ts';
import type { Settings, Theme } from '#core/api/settings-contract.ts';

export interface MenuActions {
  isMac: boolean;
  theme: Theme;
  command(command: MenuCommand): void;
  setTheme(theme: Theme): void;
  showScriptHelp(): void;
}

/** The one line a script needs, plus the token line when the server requires one. */
export function scriptHelpLines(serverUrl: string, settings: Pick<Settings, 'requireToken' | 'token'>): string[] {
  const lines = [`export MLFLOW_TRACKING_URI=${serverUrl}`];
  if (settings.requireToken && settings.token) lines.push(`export MLFLOW_TRACKING_TOKEN=${settings.token}`);
  return lines;
}

export function menuTemplate(actions: MenuActions): MenuItemConstructorOptions[] {
  const themeItem = (theme: Theme, label: string): MenuItemConstructorOptions => ({
    label,
    type: 'radio',
    checked: actions.theme === theme,
    click: () => actions.setTheme(theme),
  });
  return [
    ...(actions.isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'New Experiment…', accelerator: 'CmdOrCtrl+N', click: () => actions.command('new-experiment') },
        { label: 'Attach Files to Run…', accelerator: 'CmdOrCtrl+O', click: () => actions.command('attach-files') },
        { label: 'Import Folder as Run…', accelerator: 'CmdOrCtrl+I', click: () => actions.command('import-folder') },
        { label: 'Import…', click: () => actions.command('import-data') },
        { type: 'separator' },
        { label: 'Settings…', accelerator: 'CmdOrCtrl+,', click: () => actions.command('settings') },
        { type: 'separator' },
        actions.isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { label: 'Theme', submenu: [themeItem('system', 'Follow the System'), themeItem('light', 'Light'), themeItem('dark', 'Dark')] },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'Log from a Script…', click: () => actions.showScriptHelp() },
        { label: 'Quick Start', click: () => actions.command('quick-start') },
      ],
    },
  ];
}
