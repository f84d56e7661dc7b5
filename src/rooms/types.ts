/**
 * Rooms vocabulary (Matrix client-server spec names).
 * - event: `{event_id, room_id, type, state_key?, sender, content, origin_server_ts}` plus Orrery's
 *   global `stream_ordering`, the cursor of every feed and sync.
 * - state event: an event with a `state_key`; the newest per (type, state_key) is the room's current state.
 * - membership: `content.membership` of `m.room.member` (join, leave, invite, ban).
 * - presence: `online | unavailable | offline` with `last_active_ts` (ms).
 */

/** A stored event. `content` is parsed JSON. */
export interface RoomEvent {
  stream_ordering: number;
  event_id: string;
  room_id: string;
  type: string;
  state_key?: string;
  sender: string;
  content: Record<string, unknown>;
  origin_server_ts: number;
  /**
   * Server-internal, never sent to clients as is: the access or runtime token the event was sent
   * with (absent for web-session and server events). Matrix keeps the sending device the same way.
   */
  token_id?: number;
  /** Server-internal: the client transaction id it was sent with (echoed to its sender as `unsigned.transaction_id`). */
  txn_id?: string;
  /** Event id of the redaction that pruned this event's content. */
  redacted_because?: string;
}

/** A state event reduced to what a room preview needs (`invite_state`, spec "Stripped state"). */
export interface StrippedStateEvent {
  type: string;
  state_key: string;
  sender: string;
  content: Record<string, unknown>;
}

/** Opaque positions of a sync: the event stream and the room-updates stream. */
export interface SyncPosition {
  events: number;
  updates: number;
}

/** An ephemeral or account-data event in a sync (`{type, content}`). */
export interface BasicEvent {
  type: string;
  content: Record<string, unknown>;
}

/** A user's presence as Matrix reports it. */
export interface PresenceView {
  user_id: string;
  presence: 'online' | 'unavailable' | 'offline';
  /** ms since the last activity, absent when never active */
  last_active_ago?: number;
  status_msg?: string;
  currently_active: boolean;
}

/** A joined room's part of a sync. */
export interface JoinedRoomSync {
  timeline: RoomEvent[];
  limited: boolean;
  /** Position before the first timeline event (for `/messages?dir=b`). */
  prev_batch: number;
  state: RoomEvent[];
  ephemeral: BasicEvent[];
  account_data: BasicEvent[];
  /** Messages from others after the user's read receipt. */
  notification_count: number;
}

/** The result of one sync computation (rooms' view; `src/matrix` renders it as the spec's JSON). */
export interface SyncResult {
  next: SyncPosition;
  join: Map<string, JoinedRoomSync>;
  invite: Map<string, StrippedStateEvent[]>;
  leave: Map<string, { timeline: RoomEvent[]; state: RoomEvent[]; prev_batch: number }>;
  account_data: BasicEvent[];
  presence: PresenceView[];
  /** Rooms whose events wake this sync, and users whose presence does. */
  wake: { rooms: Set<string>; users: { has(user_id: string): boolean } };
}

/** Options of a sync computation. */
export interface SyncOptions {
  since?: SyncPosition;
  /** Timeline events per room (default 10). */
  timelineLimit?: number;
  fullState?: boolean;
  includeLeave?: boolean;
}

/**
 * A server-side narrowing of a timeline read, like a Matrix `RoomEventFilter`:
 * `not_token_sender` leaves out the events this user sent with a token (their bots' posts) and keeps
 * the ones they sent from a web session.
 */
export interface EventFilter {
  not_token_sender?: string;
}

/** A user's presence row. */
export interface PresenceState {
  user_id: string;
  presence: 'online' | 'unavailable' | 'offline';
  last_active_ts: number;
  via_runtime: boolean;
}

/** How many events one scope sent within {@link SendGuard.countWindowMs}, and when its newest was sent. */
export interface SendCount {
  count: number;
  /** ms, or null when it sent nothing within {@link SendGuard.lookbackMs} */
  newestTs: number | null;
}

/**
 * What a send guard sees, computed inside the write transaction with indexed queries (never by
 * reading and parsing recent events): the sender's own events of this type in this room, split by
 * how they were sent, and the sending token's events anywhere.
 */
export interface SendStats {
  /** All of the sender's events of the type in the room. */
  bySender: SendCount;
  /** Those sent from a web session (no token). */
  bySenderWithoutToken: SendCount;
  /** Events sent with the same token (null when the send has no token). */
  byToken: SendCount | null;
  /** An earlier event of the sender in the room carries the same `dedupeKey` within `duplicateWindowMs`. */
  duplicate: boolean;
}

/**
 * A caller's rule on sends (rate limits, duplicate text), checked atomically with the insert: event
 * writes are serialized, and the windows end at the send's own timestamp, taken once the write lock
 * is held, so no concurrent send can slip between the check and the write, and none counts as later
 * than this one.
 */
export interface SendGuard {
  /** Events within this many ms before the send are counted. */
  countWindowMs: number;
  /** `newestTs` looks back this far, ms; keep it ≥ the longest cooldown that matters. */
  lookbackMs: number;
  /** Look for the send's `dedupeKey` among the sender's events within this many ms. */
  duplicateWindowMs?: number;
  /** Throw (the caller's own error) to refuse the send; `now` is the send's timestamp, ms. */
  verify(stats: SendStats, now: number): void;
}

/** A send, as a room's {@link SendPolicy} sees it. */
export interface PolicySend {
  sender: string;
  /** The access or runtime token it came with (absent for web sessions). */
  tokenId?: number | undefined;
  type: string;
  content: Record<string, unknown>;
}

/**
 * A room's own rule on sends, whatever API they come through (the shared space's Runtime Connect
 * limits apply to a Matrix client's messages too): the guard and duplicate key for a send, or
 * undefined when the rule does not concern it.
 */
export type SendPolicy = (send: PolicySend) => { guard: SendGuard; dedupeKey?: string } | undefined;

