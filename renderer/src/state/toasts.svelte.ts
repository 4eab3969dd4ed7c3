/**
 * The one error reporter: every failed call ends here and shows as a toast, so no failure is
 * silent and none needs its own dialog. Filter errors are the one exception: the filter box shows
 * them inline, where the mistake is.
 */
import { FlowdeskError } from '#core/api/errors.ts';

/** A message on screen. */
export interface Toast {
  id: number;
  /** What the person was doing, e.g. "Renaming the experiment". */
  title: string;
  message: string;
  kind: 'error' | 'info';
  /** A button on the toast, such as Undo; pressing it runs `run` and dismisses the toast. */
  action?: ToastAction;
}

export interface ToastAction {
  label: string;
  run: () => void;
}

/** How long a toast stays; errors stay until dismissed, since they may need reading twice. */
const INFO_MS = 5000;

class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;

  /** Shows a toast and returns its id. */
  show(kind: Toast['kind'], title: string, message: string, action?: ToastAction): number {
    const id = this.#next++;
    // The newest few are enough: a flood of failures (server gone) must not bury the window.
    this.items = [...this.items.slice(-4), { id, title, message, kind, action }];
    if (kind === 'info') setTimeout(() => this.dismiss(id), INFO_MS);
    return id;
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

/** The toasts on screen; `Toasts.svelte` renders them. */
export const toasts = new Toasts();

/** Reports a failure as a toast. `action` says what failed, in words a person uses. */
export function reportError(action: string, err: unknown): void {
  const message = err instanceof FlowdeskError || err instanceof Error ? err.message : String(err);
  toasts.show('error', action, message);
  // Kept in the console too, with the stack, for whoever debugs it.
  console.error(`${action}:`, err);
}

/** Reports a success worth a word (an undoable change, say, with its Undo as the action). */
export function notify(title: string, message = '', action?: ToastAction): void {
  toasts.show('info', title, message, action);
}
