/**
 * The app's settings as the window shows them (settings.* in the contract), and the theme they
 * choose, applied to the page as soon as they load or change.
 */
import type { Settings } from '#core/api/settings-contract.ts';
import { api } from './api.ts';
import { applyTheme } from '#renderer/dom/theme.ts';
import { reportError } from './toasts.svelte.ts';
import { trackingUri } from './tracking-uri.svelte.ts';
import { desktop } from './desktop.ts';

type Patch = { port?: number; requireToken?: boolean; theme?: Settings['theme']; newToken?: boolean };

class SettingsState {
  settings = $state.raw<Settings | undefined>(undefined);
  dataDir = $state('');
  error = $state<string | undefined>(undefined);

  async load(): Promise<void> {
    try {
      const answer = await api.call('settings.get', {});
      this.settings = answer.settings;
      this.dataDir = answer.dataDir;
      this.error = undefined;
      applyTheme(answer.settings.theme);
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
      reportError('Loading the settings', err);
    }
  }

  /** Saves a change; false when it failed (the toast says why). */
  async update(patch: Patch): Promise<boolean> {
    try {
      const { settings } = await api.call('settings.update', patch);
      this.settings = settings;
      applyTheme(settings.theme);
      // The desktop app restarts its server at once on a new port; desktop.info waits for it.
      if (desktop && patch.port !== undefined) trackingUri.refresh();
      return true;
    } catch (err) {
      reportError('Saving the settings', err);
      return false;
    }
  }
}

export const appSettings = new SettingsState();
