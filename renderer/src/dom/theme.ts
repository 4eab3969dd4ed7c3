/** The window's theme: follows the OS unless the settings pick light or dark. */
import type { Theme } from '#core/api/settings-contract.ts';
import { theme as windowTheme } from '#renderer/state/theme.svelte.ts';

/** Applies a theme to the page (app.css reads `data-theme`; the charts read `theme.dark`). */
export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  windowTheme.pinned = theme === 'system' ? undefined : theme;
}
