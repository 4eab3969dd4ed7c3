/** Mounts the window and makes sure no failure goes unreported. */
import { mount } from 'svelte';
import Root from './Root.svelte';
import { session } from '#renderer/state/session.svelte.ts';
import { reportError } from '#renderer/state/toasts.svelte.ts';
import './app.css';

// A failure no code caught still reaches the person, as a toast, never as a silently broken view.
window.addEventListener('unhandledrejection', (event) => reportError('Something failed', event.reason));
window.addEventListener('error', (event) => reportError('Something failed', event.error ?? event.message));

// Files dropped outside a drop target are refused: without this the window would navigate to
// the dropped file. Drop targets (run and experiment pages) handle their drops first.
for (const type of ['dragover', 'drop'] as const) {
  document.addEventListener(type, (event) => {
    if (event.defaultPrevented) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'none';
  });
}

mount(Root, { target: document.getElementById('app')! });
session.start().catch((err: unknown) => {
  // Show the window anyway: its views report the unreachable server as they load.
  session.state = 'open';
  reportError('Connecting to Flowdesk', err);
});
