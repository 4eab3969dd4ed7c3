/**
 * Whether this Flowdesk lets the window run projects and serve models (`execution.policy`),
 * asked once by the views that have a Run or Serve button. When it is off (`flowdesk serve`
 * without --allow-run) those buttons are disabled and the server's sentence, which says how to
 * allow them, shows beside them: a press never ends in a silent refusal.
 */
import type { ExecutionMode } from '#core/api/execution-contract.ts';
import { api } from './api.ts';
import { reportError } from './toasts.svelte.ts';

class ExecutionPolicy {
  mode = $state<ExecutionMode | undefined>(undefined);
  message = $state('');
  off = $derived(this.mode === 'off');
  #asked = false;

  /** Asks the server, the first time only. */
  load(): void {
    if (this.#asked) return;
    this.#asked = true;
    api.call('execution.policy', {}).then(
      (answer) => {
        this.mode = answer.mode;
        this.message = answer.message;
      },
      (err: unknown) => {
        this.#asked = false;
        reportError('Asking whether this Flowdesk runs projects', err);
      },
    );
  }
}

/** The window's one answer. */
export const executionPolicy = new ExecutionPolicy();
