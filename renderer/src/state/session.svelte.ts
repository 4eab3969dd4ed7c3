/**
 * Who the window is signed in as, on a server that needs a token (a team server, or one with
 * users or `--token`). The token lives in sessionStorage (gone when the tab closes) or, when the
 * person ticks "remember", in localStorage; it travels only as a Bearer header. EventSource and
 * `<img src>`/download links cannot send headers, so they carry a short-lived read-only ticket
 * the server signs instead, renewed well before it expires: the token itself never enters a URL.
 * The desktop app talks to its own core over IPC, so it never signs in.
 */
import { desktop } from './desktop.ts';

const KEY = 'flowdesk.token';
/** A one-shot reason shown on the sign-in page after the window reloads to it. */
const REASON_KEY = 'flowdesk.signInReason';
const SESSION_URL = '/api/flowdesk/v1/auth/session';
const TICKET_URL = '/api/flowdesk/v1/auth/ticket';
/** Tickets last 10 minutes; renew at half that. */
const TICKET_RENEW_MS = 5 * 60_000;

interface SessionAnswer {
  required: boolean;
  name: string | null;
  role: string | null;
}

function storedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY) ?? undefined;
}

function forget(): void {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

/** The server's message in an error answer, or its status. */
async function reasonOf(response: Response): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  return body.message ?? `The server answered ${response.status}`;
}

class Session {
  /** 'open': no token needed (a laptop). */
  state = $state<'checking' | 'open' | 'signed-in' | 'sign-in'>('checking');
  name = $state<string | undefined>(undefined);
  role = $state<string | undefined>(undefined);
  /** Why the sign-in page shows (a refused or revoked token), if there is a reason to say. */
  reason = $state<string | undefined>(undefined);
  #ticket = $state<string | undefined>(undefined);
  #token: string | undefined;
  #renewal: ReturnType<typeof setInterval> | undefined;

  /** Decides what the window shows first: the app, or the sign-in page. */
  async start(): Promise<void> {
    if (desktop) {
      this.state = 'open';
      return;
    }
    this.reason = sessionStorage.getItem(REASON_KEY) ?? undefined;
    sessionStorage.removeItem(REASON_KEY);
    const token = storedToken();
    const response = await fetch(SESSION_URL, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (response.status === 401) {
      if (token) {
        forget();
        this.reason = await reasonOf(response);
      }
      this.state = 'sign-in';
      return;
    }
    if (!response.ok) throw new Error(await reasonOf(response));
    const answer = (await response.json()) as SessionAnswer;
    if (!answer.required) this.state = 'open';
    else if (token === undefined || answer.role === null) this.state = 'sign-in';
    else await this.#enter(token, answer);
  }

  /** Checks a token with the server and, if it is good, keeps it and signs in. Answers the refusal, if any. */
  async signIn(token: string, remember: boolean): Promise<string | undefined> {
    const response = await fetch(SESSION_URL, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) return reasonOf(response);
    forget();
    (remember ? localStorage : sessionStorage).setItem(KEY, token);
    this.reason = undefined;
    await this.#enter(token, (await response.json()) as SessionAnswer);
    return undefined;
  }

  /** Forgets the token and starts over at the sign-in page. */
  signOut(): void {
    forget();
    location.reload();
  }

  /** A call was refused for want of a valid token (revoked meanwhile): back to the sign-in page. */
  refused(reason: string): void {
    if (this.state !== 'signed-in') return;
    forget();
    sessionStorage.setItem(REASON_KEY, reason);
    location.reload();
  }

  /** The header every contract call carries. */
  headers(): Record<string, string> {
    return this.#token ? { authorization: `Bearer ${this.#token}` } : {};
  }

  /** A same-origin GET URL with the current ticket, for what cannot send headers. */
  withTicket(url: string): string {
    const ticket = this.#ticket;
    if (ticket === undefined) return url;
    return `${url}${url.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(ticket)}`;
  }

  async #enter(token: string, answer: SessionAnswer): Promise<void> {
    this.#token = token;
    this.name = answer.name ?? undefined;
    this.role = answer.role ?? undefined;
    await this.#renewTicket();
    clearInterval(this.#renewal);
    this.#renewal = setInterval(() => void this.#renewTicket().catch((err: unknown) => this.refused(err instanceof Error ? err.message : String(err))), TICKET_RENEW_MS);
    this.state = 'signed-in';
  }

  async #renewTicket(): Promise<void> {
    const response = await fetch(TICKET_URL, { method: 'POST', headers: this.headers() });
    if (!response.ok) throw new Error(await reasonOf(response));
    this.#ticket = ((await response.json()) as { ticket: string | null }).ticket ?? undefined;
  }
}

/** The window's one session. */
export const session = new Session();
