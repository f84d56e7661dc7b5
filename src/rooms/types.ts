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
