/**
 * Rooms: the spine (DESIGN §1). Stores Matrix-shaped events in one global order, keeps current
 * state and membership under the spec's authorization rules, owns the shared room
 * `#shared:<server_name>`, presence, account data, receipts and typing, computes `/sync`, and wakes
 * waiting readers through the {@link EventBus}. Knows nothing of HTTP. This file composes the parts,
 * one per seam: `membership.ts`, `authoring.ts`, `history.ts`, `updates.ts`, `presence.ts`, `sync.ts`.
 */
import type { Clock } from '../lib/clock.ts';
import { waitOnBus, type BusNotification, type EventBus } from './event-bus.ts';
import { createAuthoring, type SendOptions } from './authoring.ts';
import { createRoomFanout, type RoomFanout, type RoomWatcher } from './fanout.ts';
import { createHistory } from './history.ts';
import { createMembership, type CreateRoomInput } from './membership.ts';
import { createPresence } from './presence.ts';
import { createWakePacer } from './wake-pacer.ts';
import { storedEvent, toEvent, type RoomsContext } from './room-events.ts';
import type { EventPosition, InsertOptions, NewEventRow, RoomsStore } from './store.ts';
import { createSync } from './sync.ts';
import type { EventFilter, RoomEvent } from './types.ts';
import { createUpdates } from './updates.ts';
import type { UpdatesStore } from './updates-store.ts';

/** What the rooms service needs. */
export interface RoomsDeps {
  store: RoomsStore;
  updates: UpdatesStore;
  bus: EventBus;
  clock: Clock;
  serverName: string;
  /** How long a user stays present after their last activity, ms (runtime `presenceWindowMs`). */
  presenceWindowMs: number;
  /** Longest a woken `/sync` is held while the process is busy, ms (SYNC_WAKE_MAX_DELAY_MS; 0: never). */
  syncWakeMaxDelayMs?: number;
}

/** Default of {@link RoomsDeps.syncWakeMaxDelayMs}. */
export const DEFAULT_SYNC_WAKE_MAX_DELAY_MS = 250;

/** Local part of the server's own user, which creates the shared room. */
export const SYSTEM_LOCALPART = 'orrery';

/** Builds the rooms service. */
export function createRoomsService(deps: RoomsDeps) {
  const { store, bus, clock, serverName } = deps;
  const systemUserId = `@${SYSTEM_LOCALPART}:${serverName}`;
  const sharedAlias = `#shared:${serverName}`;
  let sharedRoomId: string | undefined;

  function announce(events: RoomEvent[]): RoomEvent[] {
    for (const e of events) {
      bus.publish({ kind: 'event', room_id: e.room_id, stream_ordering: e.stream_ordering, type: e.type, ...(e.type === 'm.room.member' ? { state_key: e.state_key } : {}) });
    }
    return events;
  }

  const ctx: RoomsContext = {
    store,
    updates: deps.updates,
    bus,
    clock,
    serverName,
    async persist(rows: NewEventRow[], options: Omit<InsertOptions, 'now'> = {}): Promise<RoomEvent[]> {
      const result = await store.insertEvents(rows, { ...options, now: () => clock.now() });
      if ('existing' in result) return [toEvent(result.existing)];
      return announce(rows.map((r, i) => storedEvent(r, result.orderings[i]!, result.ts)));
    },
  };
  const membership = createMembership(ctx);
  const authoring = createAuthoring(ctx);
  const history = createHistory(ctx);
  const updates = createUpdates(ctx);
  const presence = createPresence(ctx, deps.presenceWindowMs);
  const pacer = createWakePacer({ maxDelayMs: deps.syncWakeMaxDelayMs ?? DEFAULT_SYNC_WAKE_MAX_DELAY_MS });
  const sync = createSync(ctx, { updates, presence, pacer });

  // One fan-out per (room, event types), shared by every watcher of it. Created synchronously on first
  // use, so watchers arriving in the same turn share one (a `??=` around an `await` once built one per
  // caller, each reading every event again: 81k reads for 500 messages).
  const fanouts = new Map<string, RoomFanout>();
  const fanoutOf = (room_id: string, types: string[]): RoomFanout => {
    const key = `${room_id}\u0000${types.join(',')}`;
    let fanout = fanouts.get(key);
    if (!fanout) fanouts.set(key, (fanout = createRoomFanout(service, room_id, types)));
    return fanout;
  };

  const service = {
    ...membership,
    ...authoring,
    ...history,
    ...updates,
    ...presence,
    ...sync,

    /** The shared room's id, creating the room (owned by the server user) on first call. */
    async ensureSharedRoom(): Promise<string> {
      if (sharedRoomId) return sharedRoomId;
      sharedRoomId = await store.roomIdByAlias(sharedAlias);
      if (!sharedRoomId) {
        try {
          sharedRoomId = await membership.createRoom({
            creator: systemUserId,
            alias: sharedAlias,
            name: 'Shared space',
            topic: 'The shared space of this Orrery.',
            preset: 'public_chat',
            visibility: 'public',
          });
        } catch (error) {
          // Another instance created it first.
          sharedRoomId = await store.roomIdByAlias(sharedAlias);
          if (!sharedRoomId) throw error;
        }
      }
      return sharedRoomId;
    },

    /** Alias of the shared room (`#shared:<server_name>`). */
    sharedAlias,

    /**
     * Events of `types` strictly after stream position `after` (a number), or created after `{ts}` (ms);
     * oldest first; narrowed by `filter`.
     */
    async eventsAfter(room_id: string, types: string[], after: number | { ts: number }, limit: number, filter?: EventFilter): Promise<RoomEvent[]> {
      const position: EventPosition = typeof after === 'number' ? { kind: 'stream', value: after } : { kind: 'ts', value: after.ts };
      return (await store.eventsAfter(room_id, types, position, limit, filter)).map(toEvent);
    },
    /** The newest `limit` events of `types`, returned oldest first; narrowed by `filter`. */
    async latestEvents(room_id: string, types: string[], limit: number, filter?: EventFilter): Promise<RoomEvent[]> {
      return (await store.latestEvents(room_id, types, limit, filter)).map(toEvent).reverse();
    },
    /**
     * Follow `room_id`'s events of `types` live: every event after stream position `from` (default:
     * the current head), in order, without gaps or repeats, then each new one as it is stored, and
     * every presence change. One store read per new event however many watch. Returns `close`.
     */
    watchRoom(room_id: string, types: string[], from: number | undefined, watcher: RoomWatcher): Promise<() => void> {
      return fanoutOf(room_id, types).watch(from, watcher);
    },

    /**
     * Resolve when an event of one of `types` lands in `room_id` after `after`, or after `timeoutMs`,
     * or when `signal` aborts. Resolves `true` if woken by an event, or by a `resync` (the caller
     * re-reads and may find nothing new).
     */
    waitForEvent(room_id: string, after: number, timeoutMs: number, signal?: AbortSignal, types?: string[]): Promise<boolean> {
      return waitOnBus(bus, (n) => n.kind === 'event' && n.room_id === room_id && n.stream_ordering > after && (!types || types.includes(n.type)), timeoutMs, signal);
    },

    /** Subscribe to every bus notification; returns the unsubscribe function. */
    subscribe: (listener: (n: BusNotification) => void) => bus.subscribe(listener),

    /**
     * Tell every instance that a credential of `user_id` was revoked, so that streams and long-polls
     * held open with it are checked again and closed (the bus reaches other instances on PostgreSQL).
     */
    announceCredentialsRevoked(user_id: string): void {
      bus.publish({ kind: 'credentials_revoked', user_id });
    },

  };
  return service;
}

export type { CreateRoomInput, RoomWatcher, SendOptions };

/** The rooms service API. */
export type RoomsService = ReturnType<typeof createRoomsService>;
