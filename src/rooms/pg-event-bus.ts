/**
 * The PostgreSQL event bus (DESIGN §4 "cross-instance fan-out of new events uses PostgreSQL
 * LISTEN/NOTIFY"): every Orrery instance on one database wakes its readers the moment any instance
 * stores an event or changes presence.
 *
 * - Local listeners are told at once, in-process, as with the in-process bus; other instances hear
 *   it through `NOTIFY` on one channel. Notifications published in one event-loop turn travel as one
 *   `NOTIFY`, and an instance ignores its own.
 * - One dedicated connection holds `LISTEN`. If it drops, it reconnects with backoff and then
 *   publishes `resync` locally, because notifications may have been missed meanwhile. Readers
 *   re-read from their positions in the database, which stays the source of truth, so nothing is lost.
 * - A `NOTIFY` that fails is followed by a `resync` to every instance once sending works again.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pRetry from 'p-retry';
import pg from 'pg';
import { createInProcessEventBus, type BusNotification, type EventBus } from './event-bus.ts';

/** PostgreSQL's payload limit is 8000 bytes; batches are split well below it. */
const MAX_PAYLOAD_CHARS = 7000;

/** Options of {@link createPgEventBus}. */
export interface PgEventBusOptions {
  /** `postgres://…` of the database every instance shares (the LISTEN connection is opened from it). */
  connectionString: string;
  /** Sends one `NOTIFY channel, payload` (through the store's pool). */
  notify(channel: string, payload: string): Promise<void>;
  /** Channel name (default `orrery_events`). */
  channel?: string;
  /** Told about connection and payload problems (they are never thrown to publishers). */
  onError?(error: unknown, context: string): void;
  /**
   * Reconnect backoff bounds, ms (default 100 … 5000): the first try comes `reconnectMinMs` after the
   * loss, each further wait doubles, up to `reconnectMaxMs`.
   */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** An {@link EventBus} across instances; `ready` resolves once listening, `close` stops it. */
export interface PgEventBus extends EventBus {
  ready(): Promise<void>;
  close(): Promise<void>;
  /** This instance's id on the channel (notifications carrying it are its own). */
  readonly instanceId: string;
  /** `ok` while listening; otherwise why not (for `/health`). */
  health(): string;
}

interface Envelope {
  o: string;
  n: BusNotification[];
}

/** Build the bus and start listening. */
export function createPgEventBus(options: PgEventBusOptions): PgEventBus {
  const channel = options.channel ?? 'orrery_events';
  const onError = options.onError ?? (() => undefined);
  const minDelay = options.reconnectMinMs ?? 100;
  const maxDelay = options.reconnectMaxMs ?? 5000;
  const instanceId = randomUUID();
  const local = createInProcessEventBus();

  let client: pg.Client | undefined;
  let closed = false;
  /** Aborted by `close()`: ends a reconnect wait at once. */
  const closing = new AbortController();
  let reconnecting = false;
  let outbox: BusNotification[] = [];
  let flushScheduled = false;
  let owesResync = false;

  function deliver(payload: string | undefined): void {
    if (!payload) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch (error) {
      onError(error, 'unreadable notification');
      return;
    }
    if (envelope.o === instanceId || !Array.isArray(envelope.n)) return;
    for (const n of envelope.n) local.publish(n);
  }

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: options.connectionString, application_name: 'orrery-listen' });
    let dead = false;
    const lost = (error?: unknown) => {
      // 'error' and 'end' may both fire for one loss; only the first one reconnects.
      if (dead) return;
      dead = true;
      if (error) onError(error, 'listen connection lost');
      if (client === c) client = undefined;
      c.removeAllListeners('end');
      void c.end().catch(() => undefined);
      scheduleReconnect();
    };
    c.on('notification', (msg) => {
      if (msg.channel === channel) deliver(msg.payload);
    });
    c.on('error', lost);
    c.on('end', () => lost());
    try {
      await c.connect();
      await c.query(`LISTEN ${c.escapeIdentifier(channel)}`);
    } catch (error) {
      dead = true;
      await c.end().catch(() => undefined);
      throw error;
    }
    if (closed) {
      await c.end();
      return;
    }
    client = c;
  }

  /** Reconnect with backoff until listening again or closed; one reconnect loop at a time. */
  function scheduleReconnect(): void {
    if (closed || reconnecting) return;
    reconnecting = true;
    const signal = closing.signal;
    delay(minDelay, undefined, { signal })
      .then(() =>
        // p-retry gives up at once on a TypeError it does not know as a network error; keep trying.
        pRetry(() => connect().catch((error: unknown) => Promise.reject(error instanceof TypeError ? new Error(error.message, { cause: error }) : error)), {
          retries: Infinity,
          factor: 2,
          minTimeout: Math.min(maxDelay, minDelay * 2),
          maxTimeout: maxDelay,
          signal,
          onFailedAttempt: ({ error }) => onError(error, 'listen reconnect failed'),
        }),
      )
      .then(
        () => {
          reconnecting = false;
          // Anything published while we were deaf is in the database: every local reader re-reads.
          local.publish({ kind: 'resync' });
        },
        () => {
          reconnecting = false; // closed meanwhile
        },
      );
  }

  async function flush(): Promise<void> {
    flushScheduled = false;
    const batch = owesResync ? [{ kind: 'resync' } as BusNotification, ...outbox] : outbox;
    outbox = [];
    owesResync = false;
    for (const payload of payloads(batch)) {
      try {
        await options.notify(channel, payload);
      } catch (error) {
        onError(error, 'notify failed');
        // Other instances missed this batch: tell them to re-read once sending works again.
        owesResync = true;
        setTimeout(scheduleFlush, minDelay * 10).unref();
        return;
      }
    }
  }

  function scheduleFlush(): void {
    if (flushScheduled || closed) return;
    flushScheduled = true;
    setImmediate(() => void flush());
  }

  /** Envelopes of at most MAX_PAYLOAD_CHARS, in order. */
  function payloads(batch: BusNotification[]): string[] {
    const out: string[] = [];
    let part: BusNotification[] = [];
    let size = 0;
    for (const n of batch) {
      const length = JSON.stringify(n).length + 1;
      if (part.length && size + length > MAX_PAYLOAD_CHARS) {
        out.push(JSON.stringify({ o: instanceId, n: part } satisfies Envelope));
        part = [];
        size = 0;
      }
      part.push(n);
      size += length;
    }
    if (part.length) out.push(JSON.stringify({ o: instanceId, n: part } satisfies Envelope));
    return out;
  }

  const started = connect();
  started.catch((error: unknown) => {
    onError(error, 'listen connect failed');
    scheduleReconnect();
  });

  return {
    instanceId,
    publish(notification) {
      local.publish(notification);
      if (notification.kind === 'resync') return;
      outbox.push(notification);
      scheduleFlush();
    },
    subscribe: local.subscribe,
    ready: () => started,
    health: () => (client ? 'ok' : closed ? 'failed: closed' : 'failed: not listening (reconnecting)'),
    async close() {
      closed = true;
      closing.abort();
      if (outbox.length) await flush();
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners('end');
        await c.end().catch(() => undefined);
      }
    },
  };
}
