/**
 * The desktop app's execution policy: before a project's command runs or a model server starts,
 * a native dialog on the app's window shows exactly what will start (command line, parameters,
 * environment, folder or git URL; model, port, how it is served) and asks Run or Cancel. The page
 * cannot draw, answer or dismiss that dialog, so a script in it cannot run code by itself.
 */
import type { BrowserWindow, Dialog } from 'electron';
import { askPerson, describeAction, type ExecutionPolicy } from '#core/execution/execution-policy.ts';

/** The buttons, Cancel first: it is the default, so Enter or Escape never runs anything. */
export const CONFIRM_BUTTONS = ['Cancel', 'Run'] as const;
const RUN = CONFIRM_BUTTONS.indexOf('Run');

export interface ConfirmDialogDeps {
  dialog: Pick<Dialog, 'showMessageBox'>;
  /** The app's window, while it exists: the dialog is modal to it. */
  window: () => BrowserWindow | undefined;
}

/** A policy that asks the person in a dialog on the app's window; without a window, nothing is asked and nothing runs. */
export function confirmInDialog(deps: ConfirmDialogDeps): ExecutionPolicy {
  return askPerson(async (action) => {
    const window = deps.window();
    if (!window || window.isDestroyed()) return false;
    const { title, question, detail } = describeAction(action);
    const { response } = await deps.dialog.showMessageBox(window, {
      type: 'warning',
      title,
      message: question,
      detail,
      buttons: [...CONFIRM_BUTTONS],
      defaultId: 0,
      cancelId: 0,
      noLink: true,
    });
    return response === RUN;
  }, 'Each project run and model server is shown in a dialog outside the window, and starts only when you choose Run there.');
}
