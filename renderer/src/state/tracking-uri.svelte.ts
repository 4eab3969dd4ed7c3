/**
 * The address scripts log to (MLFLOW_TRACKING_URI): the page's own origin in a browser; in the
 * desktop app, where the page comes from app://, the localhost server's URL.
 */
import { desktop, desktopCall } from './desktop.ts';
import { reportError } from './toasts.svelte.ts';

class TrackingUri {
  value = $state(desktop ? 'http://127.0.0.1:…' : location.origin);

  constructor() {
    if (desktop) this.refresh();
  }

  /** Asks the app again (after the port changed). */
  refresh(): void {
    desktopCall('desktop.info', {}).then(
      (info) => (this.value = info.serverUrl),
      (err: unknown) => reportError('Finding the address scripts log to', err),
    );
  }
}

export const trackingUri = new TrackingUri();
