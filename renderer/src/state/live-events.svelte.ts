/**
 * The server's push events (Server-Sent Events at /api/flowdesk/v1/events), shared by every view
 * through one connection. After the connection drops and comes back, subscribers are asked to
 * resync, since events sent meanwhile are lost.
 */
import type { FlowdeskEvent } from '#core/api/events.ts';
import { desktop } from './desktop.ts';
import { session } from './session.svelte.ts';

const EVENTS_URL = '/api/flowdesk/v1/events';
/** The event names the server sends; SSE delivers named events only to listeners of that name. */
const EVENT_TYPES = [
  'experiment.changed',
  'run.created',
  'run.updated',
  'metrics.logged',
  'artifact.added',
  'trash.purged',
  'traces.changed',
  'runs.changed',
  'registry.changed',
  'registry.request',
  'imports.progress',
  'imports.finished',
] as const satisfies readonly FlowdeskEvent['type'][];
/** Wait before reopening a stream the browser gave up on (it retries by itself otherwise). */
const REOPEN_MS = 3000;

/** What a view hears. */
export interface LiveSubscriber {
  onEvent(event: FlowdeskEvent): void;
  /** Called when the stream is back after a drop: refetch what may have changed. */
  onResync?(): void;
}

class LiveEvents {
  /** Shown in the window so a person knows whether what they see is current. */
  status = $state<'connecting' | 'live' | 'reconnecting'>('connecting');
  #subscribers = new Set<LiveSubscriber>();
  #opened = false;
  #dropped = false;

  /** Listens until the returned function is called. */
  subscribe(subscriber: LiveSubscriber): () => void {
    this.#subscribers.add(subscriber);
    if (!this.#opened) {
      this.#opened = true;
      this.#open();
    }
    return () => this.#subscribers.delete(subscriber);
  }

  #open(): void {
    // In the desktop app events arrive over IPC from the same process that runs the core: the
    // channel cannot drop, so there is nothing to reconnect.
    if (desktop) {
      this.status = 'live';
      desktop.onEvent((event) => {
        if (!(EVENT_TYPES as readonly string[]).includes(event.type)) return;
        for (const s of this.#subscribers) s.onEvent(event as FlowdeskEvent);
      });
      return;
    }
    // EventSource sends no headers: on a server that needs a token it carries a ticket, fresh at each reopen.
    const source = new EventSource(session.withTicket(EVENTS_URL));
    source.addEventListener('open', () => {
      this.status = 'live';
      if (this.#dropped) for (const s of this.#subscribers) s.onResync?.();
      this.#dropped = false;
    });
    source.addEventListener('error', () => {
      this.status = 'reconnecting';
      this.#dropped = true;
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(() => this.#open(), REOPEN_MS);
      }
    });
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        const event = JSON.parse((message as MessageEvent<string>).data) as FlowdeskEvent;
        for (const s of this.#subscribers) s.onEvent(event);
      });
    }
  }
}

/** The one event stream of the window. */
export const liveEvents = new LiveEvents();

/**
 * Loads now, then again shortly after any of the given events (or a resync), for as long as the
 * calling component lives. Events come in bursts while a script logs; a burst causes one reload.
 * `concerns` narrows them further (say, to one registered model).
 * Call it during component setup: it registers an effect.
 */
export function reloadOnEvents(load: () => Promise<void>, types: readonly FlowdeskEvent['type'][], delayMs: number, concerns: (event: FlowdeskEvent) => boolean = () => true): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(), delayMs);
  };
  $effect(() => {
    void load();
    const unsubscribe = liveEvents.subscribe({
      onEvent: (event) => {
        if (types.includes(event.type) && concerns(event)) soon();
      },
      onResync: soon,
    });
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  });
}
