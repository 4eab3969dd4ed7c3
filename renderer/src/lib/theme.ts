/** The window's theme: follows the OS unless the settings pick light or dark. */
import type { Theme } from '#core/api/settings-contract.ts';

/** Applies a theme to the page (app.css reads `data-theme`). */
export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}
