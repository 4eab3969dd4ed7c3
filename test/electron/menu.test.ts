import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { menuTemplate, scriptHelpLines, type MenuActions } from '../../electron/main/menu.ts';

function actions(overrides: Partial<MenuActions> = {}): MenuActions {
  return { isMac: false, theme: 'system', command: vi.fn(), setTheme: vi.fn(), showScriptHelp: vi.fn(), ...overrides };
}

const items = (menu: MenuItemConstructorOptions | undefined) => (menu?.submenu ?? []) as MenuItemConstructorOptions[];
const click = (item: MenuItemConstructorOptions | undefined) => (item!.click as () => void)();

describe('the application menu', () => {
  it('sends new experiment, attach files, the two imports and settings to the window', () => {
    const a = actions();
    const file = items(menuTemplate(a).find((m) => m.label === '&File'));
    for (const label of ['New Experiment…', 'Attach Files to Run…', 'Import Folder as Run…', 'Import…', 'Settings…']) click(file.find((i) => i.label === label));
    expect(vi.mocked(a.command).mock.calls.flat()).toEqual(['new-experiment', 'attach-files', 'import-folder', 'import-data', 'settings']);
    expect(file.map((i) => i.accelerator).filter(Boolean)).toEqual(['CmdOrCtrl+N', 'CmdOrCtrl+O', 'CmdOrCtrl+I', 'CmdOrCtrl+,']);
  });

  it('switches the theme and shows the current one checked', () => {
    const a = actions({ theme: 'light' });
    const view = items(menuTemplate(a).find((m) => m.label === '&View'));
    const themes = items(view.find((i) => i.label === 'Theme'));
    expect(themes.map((t) => [t.label, t.type, t.checked])).toEqual([
      ['Follow the System', 'radio', false],
      ['Light', 'radio', true],
      ['Dark', 'radio', false],
    ]);
    click(themes[2]);
    expect(a.setTheme).toHaveBeenCalledWith('dark');
  });

  it('offers the scripting help and the quick start, and the app menu only on macOS', () => {
    const a = actions();
    const template = menuTemplate(a);
    click(items(template.find((m) => m.role === 'help'))[0]);
    expect(a.showScriptHelp).toHaveBeenCalled();
    click(items(template.find((m) => m.role === 'help'))[1]);
    expect(a.command).toHaveBeenCalledWith('quick-start');
    expect(template.some((m) => m.role === 'appMenu')).toBe(false);
    expect(menuTemplate(actions({ isMac: true }))[0]).toEqual({ role: 'appMenu' });
  });

  it('tells scripts the MLFLOW_TRACKING_URI line, and the token line when one is required', () => {
    expect(scriptHelpLines('http://127.0.0.1:5000', { requireToken: false, token: 'abc' })).toEqual(['export MLFLOW_TRACKING_URI=http://127.0.0.1:5000']);
    expect(scriptHelpLines('http://127.0.0.1:5001', { requireToken: true, token: 'abc' })).toEqual([
      'export MLFLOW_TRACKING_URI=http://127.0.0.1:5001',
      'export MLFLOW_TRACKING_TOKEN=abc',
    ]);
  });
});
