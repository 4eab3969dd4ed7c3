/**
 * The desktop app's `window.api` (exposed by the Electron preload), or undefined in a plain
 * browser. Views check `desktop` to offer what only the app can do (native dialogs, moving the
 * data folder, notifications) and fall back to HTTP otherwise.
 */
import type { DesktopEvent, DesktopInput, DesktopMethodName, DesktopOutput, WindowApi } from '#core/api/desktop-contract.ts';
import { FlowdeskError } from '#core/api/errors.ts';

declare global {
  interface Window {
    api?: WindowApi<File>;
  }
}

export const desktop: WindowApi<File> | undefined = window.api;

/** One desktop call (not importPaths: dropped files go through `desktop.importFiles`). */
export async function desktopCall<M extends Exclude<DesktopMethodName, 'desktop.importPaths'>>(name: M, input: DesktopInput<M>): Promise<DesktopOutput<M>> {
  if (!desktop) throw new FlowdeskError('NOT_IMPLEMENTED', 'Only the desktop app can do this');
  const result = await desktop.desktop(name, input);
  if (!result.ok) throw FlowdeskError.fromData(result.error);
  // The schemas load with the first desktop call, not with the window (see core/api/client.ts).
  const { desktopContract } = await import('#core/api/desktop-contract.ts');
  return desktopContract[name].output.parse(result.value) as DesktopOutput<M>;
}

/** Listens to the desktop event channel (nothing in a browser) until the returned function is called. */
export function onDesktopEvent(listener: (event: DesktopEvent) => void): () => void {
  return desktop ? desktop.onEvent(listener) : () => undefined;
}
