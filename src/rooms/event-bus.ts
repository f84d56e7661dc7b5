/**
 * The event bus: wakes waiting readers (long-polls, SSE streams, bots) the moment an event is stored
 * or presence changes (DESIGN §1, §4), and tells open streams that a credential was revoked. This
 * file holds the interface and the in-process implementation; `pg-event-bus.ts` carries the same
 * notifications across instances with LISTEN/NOTIFY.
 */
import { EventEmitter } from 'node:events';

/**
 * What the bus carries: a pointer to a stored event, a room update (account data, receipt, typing,
 * presence change: `src/rooms/updates-store.ts`), a presence change, a revoked credential of a
 * user (open streams re-check theirs), or `resync`: notifications may have been missed (a
 * cross-instance bus reconnected), so readers re-read from their positions. The debugger's two kinds
 * ride the same bus, so a debug session or a monitor is served by any instance.
 */
export type BusNotification =
  | { kind: 'event'; room_id: string; stream_ordering: number; type: string; state_key?: string }
  | { kind: 'update'; room_id: string; user_id: string }
  | { kind: 'presence'; user_id: string; present: boolean }
  | { kind: 'credentials_revoked'; user_id: string }
  | { kind: 'resync' }
  /** The debugger (src/debugger): a debug session changed (a held live call may now be answered). */
  | { kind: 'debug_session'; session_id: string; agent_id: string }
  /** The debugger's monitor streams: events for these monitors are stored, up to id `up_to`. */
  | { kind: 'monitor'; monitor_ids: string[]; up_to: number };

/** Publish/subscribe of {@link BusNotification}s. */
export interface EventBus {
  publish(notification: BusNotification): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (notification: BusNotification) => void): () => void;
}

/** An in-process bus (one Orrery instance; the SQLite default). See `pg-event-bus.ts` for many. */
export function createInProcessEventBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish: (n) => void emitter.emit('n', n),
    subscribe(listener) {
      emitter.on('n', listener);
      return () => emitter.off('n', listener);
    },
  };
}

/**
 * Wait on `bus` until `matches` accepts a notification (or a `resync` arrives): resolves `true`
 * then, `false` after `timeoutMs` or when `signal` aborts. `onSubscribed` receives a function that
 * ends the wait as woken, for a check of the caller's own made once the subscription is in place. Subscription, timer and abort
 * listener are always released.
 */
export function waitOnBus(
  bus: EventBus,
  matches: (n: BusNotification) => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
  onSubscribed?: (woken: () => void) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (woken: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(woken);
    };
    const onAbort = () => finish(false);
    const unsubscribe = bus.subscribe((n) => {
      if (n.kind === 'resync' || matches(n)) finish(true);
    });
    const timer = setTimeout(() => finish(false), timeoutMs);
    if (signal?.aborted) finish(false);
    signal?.addEventListener('abort', onAbort);
    onSubscribed?.(() => finish(true));
  });
}

