/**
 * Rooms internals shared by the service's parts: turning stored rows into {@link RoomEvent}s, building
 * new rows, opaque ids, and the {@link RoomsContext} each part is built from.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import type { EventBus } from './event-bus.ts';
import type { EventRow, InsertOptions, NewEventRow, RoomsStore } from './store.ts';
import type { RoomEvent } from './types.ts';
import type { UpdatesStore } from './updates-store.ts';

/** What every part of the rooms service is built from. */
export interface RoomsContext {
  store: RoomsStore;
  updates: UpdatesStore;
  bus: EventBus;
  clock: Clock;
  serverName: string;
  /**
   * Insert rows (one transaction, serialized with every event write) and announce them on the bus.
   * With `txn`, a transaction id stored already (or arriving in the same batch) returns that event.
   */
  persist(rows: NewEventRow[], options?: Omit<InsertOptions, 'now'>): Promise<RoomEvent[]>;
}

/** A stored row as the service's {@link RoomEvent}. */
export function toEvent(row: EventRow): RoomEvent {
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
    ...(row.txn_id ? { txn_id: row.txn_id } : {}),
    ...(row.redacted_because ? { redacted_because: row.redacted_because } : {}),
  };
}

/** A random URL-safe id body (144 bits). */
export const opaqueId = (): string => randomBytes(18).toString('base64url');

/** Per-row options of {@link newEventRow}. */
export interface RowOptions {
  txnId?: string | undefined;
  tokenId?: number | undefined;
  dedupeKey?: string | undefined;
}

/** A new event row with a fresh `$…` event id; `state_key` null for timeline events. */
export function newEventRow(
  room_id: string,
  sender: string,
  type: string,
  content: Record<string, unknown>,
  state_key: string | null,
  opts: RowOptions = {},
): NewEventRow {
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

/** A stored event built from a new row and the position and time the store gave it. */
export function storedEvent(row: NewEventRow, stream_ordering: number, ts: number): RoomEvent {
  const { membership, ...r } = row;
  void membership;
  return toEvent({ ...r, origin_server_ts: ts, stream_ordering, redacted_because: null });
}
