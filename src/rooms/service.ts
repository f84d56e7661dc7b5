/**
 * Rooms: the spine (DESIGN §1). Stores Matrix-shaped events in one global order, keeps current
 * state and membership, owns the shared room `#shared:<server_name>`, per-user presence, and wakes
 * waiting readers through the {@link EventBus}. Knows nothing of HTTP.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { createBatcher } from '../lib/batcher.ts';
import type { BusNotification, EventBus } from './event-bus.ts';
import { RoomErrors } from './errors.ts';
import { createRoomFanout, type RoomFanout, type RoomWatcher } from './fanout.ts';
import type { EventPosition, EventRow, NewEventRow, RoomsStore } from './store.ts';
import type { EventFilter, PresenceState, RoomEvent, SendGuard } from './types.ts';

/** What the rooms service needs. */
export interface RoomsDeps {
  store: RoomsStore;
  bus: EventBus;
  clock: Clock;
  serverName: string;
}

/** Local part of the server's own user, which creates the shared room. */
export const SYSTEM_LOCALPART = 'orrery';

/** Options of {@link RoomsService.sendEvent}. */
export interface SendOptions {
  /** Client transaction id: resending the same id returns the first event (Matrix txnId semantics). */
  txnId?: string;
  /** The access/runtime token that sent it (rate limits per token). */
  tokenId?: number;
  /** Key for "same content recently" checks ({@link SendGuard.duplicateWindowMs}); stored, never sent to clients. */
  dedupeKey?: string;
  /** Rate and duplicate rules checked atomically with the insert; `verify` throws to refuse. */
  guard?: SendGuard;
}


function toEvent(row: EventRow): RoomEvent {
  return {
    stream_ordering: Number(row.stream_ordering),
    event_id: row.event_id,
    room_id: row.room_id,
    type: row.type,
    ...(row.state_key !== null ? { state_key: row.state_key } : {}),
    sender: row.sender,
    content: JSON.parse(row.content) as Record<string, unknown>,
    origin_server_ts: Number(row.origin_server_ts),
    ...(row.token_id !== null && row.token_id !== undefined ? { token_id: Number(row.token_id) } : {}),
  };
}

const opaqueId = () => randomBytes(18).toString('base64url');

/** Builds the rooms service. */
export function createRoomsService(deps: RoomsDeps) {
  const { store, bus, clock, serverName } = deps;
  const systemUserId = `@${SYSTEM_LOCALPART}:${serverName}`;
  const sharedAlias = `#shared:${serverName}`;
  let sharedRoomId: string | undefined;
  // Heartbeats arriving together are written in one transaction (one commit).
  const presenceRefresher = createBatcher(store.refreshPresenceBatch);

  function row(room_id: string, sender: string, type: string, content: Record<string, unknown>, state_key: string | null, opts: SendOptions = {}): NewEventRow {
    return {
      event_id: `$${opaqueId()}`,
      room_id,
      type,
      state_key,
      sender,
      content: JSON.stringify(content),
      txn_id: opts.txnId ?? null,
      token_id: opts.tokenId ?? null,
      dedupe_key: opts.dedupeKey ?? null,
      membership: type === 'm.room.member' ? String(content.membership ?? '') : null,
    };
  }

  function announce(events: RoomEvent[]): RoomEvent[] {
    for (const e of events) bus.publish({ kind: 'event', room_id: e.room_id, stream_ordering: e.stream_ordering, type: e.type });
    return events;
  }

  async function persist(rows: NewEventRow[]): Promise<RoomEvent[]> {
    const result = await store.insertEvents(rows, { now: () => clock.now() });
    if (!('orderings' in result)) throw new Error('unreachable: no transaction id given');
    return announce(rows.map(({ membership: _m, ...r }, i) => toEvent({ ...r, origin_server_ts: result.ts, stream_ordering: result.orderings[i]! })));
  }

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
    /**
     * Create a public room: `m.room.create`, the creator's join, power levels, join rules, and
     * optional name and canonical alias, in one transaction.
     */
    async createRoom(input: { creator: string; alias?: string; name?: string; topic?: string }): Promise<string> {
      const room_id = `!${opaqueId()}:${serverName}`;
      await store.insertRoom(room_id, input.creator, clock.now(), input.alias);
      const rows = [
        row(room_id, input.creator, 'm.room.create', { creator: input.creator, room_version: '11' }, ''),
        row(room_id, input.creator, 'm.room.member', { membership: 'join' }, input.creator),
        row(room_id, input.creator, 'm.room.power_levels', { users: { [input.creator]: 100 }, users_default: 0, events_default: 0, state_default: 50 }, ''),
        row(room_id, input.creator, 'm.room.join_rules', { join_rule: 'public' }, ''),
        row(room_id, input.creator, 'm.room.history_visibility', { history_visibility: 'shared' }, ''),
      ];
      if (input.name) rows.push(row(room_id, input.creator, 'm.room.name', { name: input.name }, ''));
      if (input.topic) rows.push(row(room_id, input.creator, 'm.room.topic', { topic: input.topic }, ''));
      if (input.alias) rows.push(row(room_id, input.creator, 'm.room.canonical_alias', { alias: input.alias }, ''));
      await persist(rows);
      return room_id;
    },

    /** The shared room's id, creating the room (owned by the server user) on first call. */
    async ensureSharedRoom(): Promise<string> {
      if (sharedRoomId) return sharedRoomId;
      sharedRoomId = await store.roomIdByAlias(sharedAlias);
      if (!sharedRoomId) {
        try {
          sharedRoomId = await service.createRoom({ creator: systemUserId, alias: sharedAlias, name: 'Shared space', topic: 'The shared space of this Orrery.' });
        } catch (error) {
          // Another instance created it first.
          sharedRoomId = await store.roomIdByAlias(sharedAlias);
          if (!sharedRoomId) throw error;
        }
      }
      return sharedRoomId;
    },

    /** Join `user_id` to `room_id` (no-op when already joined). */
    async join(room_id: string, user_id: string): Promise<void> {
      if ((await store.membershipOf(room_id, user_id)) === 'join') return;
      await persist([row(room_id, user_id, 'm.room.member', { membership: 'join' }, user_id)]);
    },

    /**
     * Send a timeline event as `sender` (who must be joined). With `txnId`, a repeat returns the
     * first event instead of storing a second one, also when the repeats arrive at the same time.
     * `guard` is checked atomically with the insert.
     * @throws DomainError notJoined, or whatever `options.guard.verify` throws
     */
    async sendEvent(room_id: string, sender: string, type: string, content: Record<string, unknown>, options: SendOptions = {}): Promise<{ event: RoomEvent; duplicate: boolean }> {
      if (options.txnId) {
        const prior = await store.findEventByTxn(sender, options.txnId);
        if (prior) return { event: toEvent(prior), duplicate: true };
      }
      if ((await store.membershipOf(room_id, sender)) !== 'join') throw new DomainError(RoomErrors.notJoined);
      const newRow = row(room_id, sender, type, content, null, options);
      const result = await store.insertEvents([newRow], {
        now: () => clock.now(),
        ...(options.txnId ? { txn: { sender, txnId: options.txnId } } : {}),
        ...(options.guard ? { guard: options.guard } : {}),
      });
      if ('existing' in result) return { event: toEvent(result.existing), duplicate: true };
      const [event] = announce([toEvent({ ...newRow, origin_server_ts: result.ts, stream_ordering: result.orderings[0]! })]);
      return { event: event!, duplicate: false };
    },

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
          if (n.kind === 'resync') finish(true);
          else if (n.kind === 'event' && n.room_id === room_id && n.stream_ordering > after && (!types || types.includes(n.type))) finish(true);
        });
        const timer = setTimeout(() => finish(false), timeoutMs);
        signal?.addEventListener('abort', onAbort);
      });
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

    /** Mark `user_id` online now (a heartbeat, a post); publishes a presence change when it appears. */
    async touchPresence(user_id: string, viaRuntime: boolean, windowMs: number): Promise<void> {
      const now = clock.now();
      // Hot path (a heartbeat of someone already present): one UPDATE, nothing to announce.
      if ((await presenceRefresher.add({ user_id, now, sinceTs: now - windowMs, viaRuntime })) === 1) return;
      const prior = await store.getPresence(user_id);
      await store.upsertPresence({ user_id, presence: 'online', last_active_ts: now, status_msg: prior?.status_msg ?? null, via_runtime: viaRuntime ? 1 : (prior?.via_runtime ?? 0) });
      const wasPresent = prior && prior.presence !== 'offline' && now - Number(prior.last_active_ts) <= windowMs;
      if (!wasPresent) bus.publish({ kind: 'presence', user_id, present: true });
    },

    /** Remove `user_id`'s presence (clean shutdown, token expiry, revocation). */
    async clearPresence(user_id: string): Promise<void> {
      if ((await store.deletePresence(user_id)) > 0) bus.publish({ kind: 'presence', user_id, present: false });
    },

    /** Users seen within `windowMs`, newest first, at most 200. */
    async listPresent(windowMs: number): Promise<PresenceState[]> {
      const rows = await store.presentSince(clock.now() - windowMs, 200);
      return rows.map((r) => ({
        user_id: r.user_id,
        presence: r.presence as PresenceState['presence'],
        last_active_ts: Number(r.last_active_ts),
        via_runtime: r.via_runtime === 1,
      }));
    },
  };
  return service;
}

export type { RoomWatcher };

/** The rooms service API. */
export type RoomsService = ReturnType<typeof createRoomsService>;
