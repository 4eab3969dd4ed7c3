/**
 * IPC: one `invoke` channel for every call, answered through the contract's `dispatch` (or the
 * desktop table's, for the few calls that only the desktop window makes), and one channel for
 * events pushed to the window. A call is served only when it comes from the main frame of the
 * app's window showing an app:// page; its payload is checked before anything else reads it, and
 * every failure returns as error data. While connected to a team server, contract calls go to it
 * over HTTP instead; the channel and the sender check stay the same.
 *
 * The window is the machine's owner (`WINDOW_OWNER`): `dispatch` lets it call every method,
 * including the desktop ones that no other transport reaches. On a team server it is whoever its
 * token names, and that server decides.
 */
import type { IpcMain, IpcMainInvokeEvent, WebFrameMain } from 'electron';
import type { Transport } from '#core/api/client.ts';
import type { Handlers, MethodName } from '#core/api/contract.ts';
import { CALL_CHANNEL, callPayload, desktopContract, EVENT_CHANNEL, type DesktopEvent, type DesktopHandlers } from '#core/api/desktop-contract.ts';
import { WINDOW_OWNER } from '#core/api/access.ts';
import { dispatch, dispatchIn, describeIssues, type DispatchResult } from '#core/api/dispatch.ts';
import { isAppUrl } from './window.ts';

export interface IpcDeps {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  /** The frame whose calls are served: the app window's main frame, while it exists. */
  trustedFrame: () => WebFrameMain | null | undefined;
  handlers: Handlers;
  /** The team server's contract, while the app is connected to one: contract calls go there instead. */
  remote?: () => Transport | undefined;
  desktop: DesktopHandlers;
  log: (message: string, err?: unknown) => void;
}

/** Whether a call comes from the trusted frame, showing the app's own page. */
export function isTrustedSender(frame: WebFrameMain | null | undefined, trusted: WebFrameMain | null | undefined): boolean {
  return frame != null && trusted != null && frame === trusted && isAppUrl(frame.url);
}

/** Serves the call channel until the returned function is called. */
export function registerIpc(deps: IpcDeps): () => void {
  const onInternal = (err: unknown) => deps.log('Internal error in an IPC call', err);
  deps.ipcMain.handle(CALL_CHANNEL, async (event: IpcMainInvokeEvent, payload: unknown): Promise<DispatchResult> => {
    if (!isTrustedSender(event.senderFrame, deps.trustedFrame())) {
      deps.log(`Refused an IPC call from ${event.senderFrame?.url ?? 'a frame that is gone'}`);
      return { ok: false, error: { code: 'PERMISSION_DENIED', message: 'Refused: this frame may not call Flowdesk' } };
    }
    const call = callPayload.safeParse(payload);
    if (!call.success) {
      return { ok: false, error: { code: 'INVALID_PARAMETER_VALUE', message: `Malformed call: ${describeIssues(call.error)}` } };
    }
    const { name, input } = call.data;
    if (Object.hasOwn(desktopContract, name)) return dispatchIn(desktopContract, deps.desktop, name, input, WINDOW_OWNER, onInternal);
    // The app's own settings (theme, port, token for local scripts) stay on this machine.
    const remote = name.startsWith('settings.') ? undefined : deps.remote?.();
    if (remote) return remote(name as MethodName, input);
    return dispatch(deps.handlers, name, input, WINDOW_OWNER, onInternal);
  });
  return () => deps.ipcMain.removeHandler(CALL_CHANNEL);
}

/** Sends one event to the window, if it is still there. */
export function sendEvent(contents: { isDestroyed(): boolean; send(channel: string, event: DesktopEvent): void } | undefined, event: DesktopEvent): void {
  if (contents && !contents.isDestroyed()) contents.send(EVENT_CHANNEL, event);
}
