/**
 * The desktop app connected to a team server: the URL and the token kept in `team.json` in the
 * data folder (the token encrypted with Electron's safeStorage, or in plain text only when the
 * person allowed it), a contract transport with the Bearer header, and the team's SSE stream
 * forwarded as the window's events. Nothing here touches the local core.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Transport } from '#core/api/client.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import type { FlowdeskEvent } from '#core/api/events.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { savedTeam, teamWho, type TeamStatus, type TeamWho } from '#core/api/team-contract.ts';
import { writeFileAtomic } from '#core/platform/atomic-write.ts';
import { readEventStream } from '#core/platform/event-stream.ts';
import type { ElectronApi } from './electron-api.ts';

export const TEAM_FILE = 'team.json';
const SESSION_PATH = '/api/flowdesk/v1/auth/session';
const EVENTS_PATH = '/api/flowdesk/v1/events';
/** How long to wait before opening the event stream again after it dropped. */
const RECONNECT_MS = 2000;

export interface TeamConnectionDeps {
  dataDir: string;
  safeStorage: ElectronApi['safeStorage'];
  /** Receives the team's live events while connected. */
  send: (event: FlowdeskEvent) => void;
  log: (message: string, err?: unknown) => void;
}

export interface TeamConnection {
  /** The team server in use, or undefined on local data. */
  current(): { url: string; token: string } | undefined;
  /** The contract over HTTP to the team server, while connected. */
  transport(): Transport | undefined;
  status(): TeamStatus;
  test(url: string, token: string): Promise<TeamWho>;
  connect(url: string, token: string, storePlainText: boolean): Promise<TeamStatus>;
  disconnect(): TeamStatus;
  /** Resumes the saved connection, if any (at start). */
  resume(): Promise<void>;
  close(): void;
}

const base = (url: string) => url.replace(/\/+$/, '');

/** Asks the team server who the token belongs to; every failure becomes a sentence for the person. */
export async function whoAmI(url: string, token: string): Promise<TeamWho> {
  let response: Response;
  try {
    response = await fetch(`${base(url)}${SESSION_PATH}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new FlowdeskError('INVALID_STATE', `Cannot reach ${base(url)}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const body = (await response.json().catch(() => undefined)) as { message?: string } | undefined;
  if (response.status === 401) throw new FlowdeskError('UNAUTHENTICATED', `The team server refused the token: ${body?.message ?? 'not valid'}`);
  if (!response.ok) throw new FlowdeskError('INVALID_STATE', `The team server answered ${response.status}${body?.message ? `: ${body.message}` : ''}`);
  const who = teamWho.safeParse(body);
  if (!who.success) throw new FlowdeskError('INVALID_STATE', `${base(url)} does not answer like a Flowdesk server`);
  return who.data;
}

/**
 * Reads the team's SSE stream with the Bearer header (EventSource cannot send one) and hands
 * each event over; reopens it after a drop until stopped. Returns the function that stops it.
 */
export function followEvents(url: string, token: string, send: (event: FlowdeskEvent) => void, log: TeamConnectionDeps['log']): () => void {
  const abort = new AbortController();
  const run = async () => {
    while (!abort.signal.aborted) {
      try {
        const response = await fetch(`${base(url)}${EVENTS_PATH}`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
        if (!response.ok || !response.body) throw new Error(`the event stream answered ${response.status}`);
        await readEventStream(response.body, (data) => send(JSON.parse(data) as FlowdeskEvent));
      } catch (err) {
        if (abort.signal.aborted) return;
        log('The team server event stream dropped; reopening it', err);
      }
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  };
  void run();
  return () => abort.abort();
}

export function createTeamConnection(deps: TeamConnectionDeps): TeamConnection {
  const file = join(deps.dataDir, TEAM_FILE);
  let active: { url: string; token: string; transport: Transport; stop: () => void; name: string | null; role: string | null; remembered: boolean } | undefined;
  let problem: string | undefined;

  const status = (): TeamStatus => ({
    encryption: deps.safeStorage.isEncryptionAvailable(),
    remembered: active?.remembered ?? false,
    ...(active ? { url: active.url, name: active.name, role: active.role } : {}),
    ...(problem ? { problem } : {}),
  });

  const stop = () => {
    active?.stop();
    active = undefined;
  };

  const use = (url: string, token: string, who: TeamWho, remembered: boolean) => {
    stop();
    problem = undefined;
    active = {
      url: base(url),
      token,
      transport: createHttpTransport({ baseUrl: url, fetch, token }),
      stop: followEvents(url, token, deps.send, deps.log),
      name: who.name,
      role: who.role,
      remembered,
    };
  };

  return {
    current: () => (active ? { url: active.url, token: active.token } : undefined),
    transport: () => active?.transport,
    status,
    test: whoAmI,
    async connect(url, token, storePlainText) {
      const who = await whoAmI(url, token);
      const encrypt = deps.safeStorage.isEncryptionAvailable();
      const remembered = encrypt || storePlainText;
      if (remembered) {
        const stored = encrypt ? { encrypted: deps.safeStorage.encryptString(token).toString('base64') } : { plain: token };
        writeFileAtomic(file, `${JSON.stringify({ url: base(url), token: stored }, null, 2)}\n`, 0o600);
      } else {
        rmSync(file, { force: true });
      }
      use(url, token, who, remembered);
      return status();
    },
    disconnect() {
      stop();
      problem = undefined;
      rmSync(file, { force: true });
      return status();
    },
    async resume() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problem = `Cannot read ${TEAM_FILE}: ${(err as Error).message}`;
        return;
      }
      let url = '';
      try {
        const saved = savedTeam.parse(JSON.parse(text));
        url = saved.url;
        const token = 'encrypted' in saved.token ? deps.safeStorage.decryptString(Buffer.from(saved.token.encrypted, 'base64')) : saved.token.plain;
        use(saved.url, token, await whoAmI(saved.url, token), true);
      } catch (err) {
        // The window opens on local data and Settings says why: a server down must not blank it.
        problem = url ? `Could not reconnect to ${url}: ${(err as Error).message}` : `${TEAM_FILE} is not valid: ${(err as Error).message}`;
        deps.log(problem);
      }
    },
    close: stop,
  };
}
