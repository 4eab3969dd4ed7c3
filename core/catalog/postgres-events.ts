/**
 * Live events across server processes that share one PostgreSQL catalog. Every event published
 * here reaches this process's subscribers at once (as on SQLite) and goes out with NOTIFY; events
 * NOTIFYed by other processes arrive on a dedicated LISTEN connection and reach the subscribers
 * here. Each process tags what it sends with a random id and ignores its own echo, so no event is
 * delivered twice locally. A lost LISTEN connection is re-opened with a growing delay.
 */
import { randomUUID } from 'node:crypto';
import type Pg from 'pg';
import { sql } from 'kysely';
import { FlowdeskError } from '#core/api/errors.ts';
import { loadPg } from './postgres-catalog.ts';
import { createEventBus, type EventBus, type FlowdeskEvent } from '#core/api/events.ts';
import type { Db } from './catalog.ts';

/** The NOTIFY channel every Flowdesk process on one database shares. */
export const EVENTS_CHANNEL = 'flowdesk_events';

/** NOTIFY payloads must stay under 8000 bytes; leave room for the envelope. */
const MAX_PAYLOAD = 7000;

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

export interface PostgresEventBus extends EventBus {
  /**
   * Resolves once the LISTEN connection is up (events from others flow from then on); rejects if
   * the first attempt fails, since a server that cannot hear the others should not start.
   */
  readonly listening: Promise<void>;
  close(): Promise<void>;
}

interface Envelope {
  origin: string;
  event: FlowdeskEvent;
}

/**
 * A metrics event names the keys logged; a batch of thousands of keys would not fit a NOTIFY, and
 * subscribers reload the run's metrics either way, so an oversized list travels empty.
 */
function payloadOf(envelope: Envelope): string {
  const text = JSON.stringify(envelope);
  if (text.length <= MAX_PAYLOAD || envelope.event.type !== 'metrics.logged') return text;
  return JSON.stringify({ ...envelope, event: { ...envelope.event, keys: [] } });
}

export function createPostgresEventBus(url: string, db: Db, report: (message: string, err: unknown) => void): PostgresEventBus {
  const origin = randomUUID();
  const local = createEventBus((err) => report('Flowdesk: an event listener failed', err));
  let client: Pg.Client | undefined;
  let closed = false;
  let delay = RECONNECT_MIN_MS;
  let retry: NodeJS.Timeout | undefined;
  let firstConnect: () => void = () => undefined;
  let firstFailure: (err: unknown) => void = () => undefined;
  let connectedOnce = false;
  // NOTIFYs still on their way, awaited on close so none runs into a closed pool.
  const sending = new Set<Promise<unknown>>();
  const listening = new Promise<void>((resolve, reject) => {
    firstConnect = resolve;
    firstFailure = reject;
  });

  function deliver(payload: string | undefined): void {
    if (!payload) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch (err) {
      report('Flowdesk: an unreadable event arrived from another process', err);
      return;
    }
    if (envelope.origin !== origin) local.publish(envelope.event);
  }

  function scheduleReconnect(): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, delay);
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  }

  async function connect(): Promise<void> {
    const pg = await loadPg();
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => deliver(message.payload));
    // 'error' and 'end' both mean the connection is gone; one reconnect covers both.
    const lost = (err?: unknown) => {
      if (client !== next) return;
      client = undefined;
      if (err) report('Flowdesk: the PostgreSQL event connection was lost; reconnecting', err);
      next.end().catch(() => undefined);
      scheduleReconnect();
    };
    next.on('error', lost);
    next.on('end', () => lost());
    try {
      await next.connect();
      await next.query(`listen ${EVENTS_CHANNEL}`);
    } catch (err) {
      next.end().catch(() => undefined);
      if (!connectedOnce) {
        closed = true;
        firstFailure(new FlowdeskError('INVALID_STATE', `Cannot listen for events from other Flowdesk processes: ${(err as Error).message}`));
        return;
      }
      report('Flowdesk: cannot listen for events from other processes; retrying', err);
      scheduleReconnect();
      return;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    connectedOnce = true;
    delay = RECONNECT_MIN_MS;
    firstConnect();
  }

  void connect();

  return {
    listening,
    subscribe: local.subscribe,
    publish(event) {
      local.publish(event);
      if (closed) return;
      // The write this event reports has committed; a failed NOTIFY costs other processes a live
      // refresh, never data, so it is reported and not thrown at the publisher.
      const sent = sql`select pg_notify(${EVENTS_CHANNEL}, ${payloadOf({ origin, event })})`
        .execute(db)
        .catch((err: unknown) => report('Flowdesk: could not send an event to other processes', err))
        .finally(() => sending.delete(sent));
      sending.add(sent);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await Promise.all(sending);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
