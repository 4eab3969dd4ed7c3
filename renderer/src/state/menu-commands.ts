/**
 * Carries out the desktop menu's commands, which act on what the window shows: attach files to
 * the open run, import a folder as a run of the open experiment, import other tools' data (the
 * Import… dialog), a new experiment, the settings.
 */
import { dataImports } from './data-imports.svelte.ts';
import { onDesktopEvent } from './desktop.ts';
import { importWithDialog } from './imports.svelte.ts';
import { router } from './router.svelte.ts';
import { notify } from './toasts.svelte.ts';

/** The sidebar listens for this to open its new-experiment field. */
export const NEW_EXPERIMENT_EVENT = 'flowdesk:new-experiment';

export function startMenuCommands(): () => void {
  return onDesktopEvent((event) => {
    if (event.type !== 'menu.command') return;
    const route = router.route;
    switch (event.command) {
      case 'new-experiment':
        window.dispatchEvent(new CustomEvent(NEW_EXPERIMENT_EVENT));
        break;
      case 'settings':
        location.hash = '#/settings';
        break;
      case 'quick-start':
        location.hash = '#/start';
        break;
      case 'import-data':
        dataImports.open();
        break;
      case 'attach-files':
        if (route.view === 'run') void importWithDialog({ runId: route.runId }, false);
        else notify('Open a run first', 'Files are attached to the run whose page is open.');
        break;
      case 'import-folder':
        if (route.view === 'experiment' || route.view === 'run') void importWithDialog({ experimentId: route.experimentId }, true);
        else notify('Open an experiment first', 'The folder becomes a new run of the experiment that is open.');
        break;
    }
  });
}
