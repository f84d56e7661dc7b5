/**
 * What the Rooms page knows, folded from Matrix responses by one pure reducer: joined rooms with
 * their timeline, names and members; pending invites; messages on their way (local echo).
 * Words: a *timeline* is a room's events oldest first; `prevBatch` is the token to page back from
 * (`null` once the room's first event is loaded); a *pending* message is sent but not yet synced.
 */
import type { MessagesResponse, SyncResponse } from './matrix-client.ts';

/** A room event (spec "Room Events"); state events carry `state_key`. */
export interface MatrixEvent {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  unsigned?: { transaction_id?: string; prev_content?: Record<string, unknown> };
}
/** A stripped state event of an invite (spec "StrippedStateEvent"). */
export interface StrippedEvent {
  type: string;
  sender: string;
  state_key: string;
  content: Record<string, unknown>;
}

/** A joined room. */
export interface Room {
  roomId: string;
  /** `m.room.name`; null when the room has none, undefined while unknown. */
  name?: string | null;
  alias?: string;
  topic?: string;
  events: MatrixEvent[];
  prevBatch?: string | null;
  /** Display names and memberships from `m.room.member` state, by user id. */
  members: Record<string, { displayName?: string; membership: string }>;
  /** Bumped by every membership change seen live, so the member list knows to reload. */
  memberChanges: number;
}
/** An invite waiting for an answer. */
export interface Invite {
  roomId: string;
  name?: string;
  alias?: string;
  inviter?: string;
}
/** A message sent from this page that the sync has not brought back yet. */
export interface Pending {
  txnId: string;
  roomId: string;
  body: string;
  eventId?: string;
  failed?: string;
}

/** The page's state. */
export interface RoomsState {
  rooms: Record<string, Room>;
  invites: Record<string, Invite>;
  pending: Pending[];
}

/** Everything that changes {@link RoomsState}. */
export type RoomsAction =
  | { type: 'joined'; roomIds: string[] }
  | { type: 'sync'; response: SyncResponse; me: string }
  | { type: 'older'; roomId: string; page: MessagesResponse }
  | { type: 'named'; roomId: string; name: string | null }
  | { type: 'created'; roomId: string; name?: string }
  | { type: 'gone'; roomId: string }
  | { type: 'sending'; pending: Pending }
  | { type: 'sent'; txnId: string; eventId?: string; failed?: string };

const MAX_EVENTS = 500;

/** The state before anything loads. */
export const emptyRooms: RoomsState = { rooms: {}, invites: {}, pending: [] };

const emptyRoom = (roomId: string): Room => ({ roomId, events: [], members: {}, memberChanges: 0 });

/** A room's state event folded into its name, alias, topic and members. */
function applyState(room: Room, e: { type: string; state_key?: string; content: Record<string, unknown> }): Room {
  const c = e.content;
  if (e.type === 'm.room.name') return { ...room, name: typeof c.name === 'string' && c.name ? c.name : null };
  if (e.type === 'm.room.canonical_alias') return { ...room, alias: typeof c.alias === 'string' ? c.alias : undefined };
  if (e.type === 'm.room.topic') return { ...room, topic: typeof c.topic === 'string' ? c.topic : undefined };
  if (e.type === 'm.room.member' && e.state_key !== undefined) {
    const displayName = typeof c.displayname === 'string' && c.displayname ? c.displayname : undefined;
    return { ...room, members: { ...room.members, [e.state_key]: { displayName, membership: String(c.membership) } } };
  }
  return room;
}

/** Events appended after `events`, skipping ones already there; the oldest dropped past the cap. */
function appendEvents(events: MatrixEvent[], incoming: MatrixEvent[]): MatrixEvent[] {
  const seen = new Set(events.map((e) => e.event_id));
  return [...events, ...incoming.filter((e) => !seen.has(e.event_id))].slice(-MAX_EVENTS);
}

function syncRoom(prev: Room | undefined, roomId: string, j: NonNullable<NonNullable<SyncResponse['rooms']>['join']>[string]): Room {
  let room = prev ?? emptyRoom(roomId);
  for (const e of j.state?.events ?? []) room = applyState(room, e);
  const timeline = j.timeline?.events ?? [];
  const fresh = room.events.length === 0 || j.timeline?.limited === true;
  const events = fresh ? appendEvents([], timeline) : appendEvents(room.events, timeline);
  let memberChanges = room.memberChanges;
  for (const e of timeline) {
    if (e.state_key === undefined) continue;
    room = applyState(room, e);
    if (e.type === 'm.room.member') memberChanges += 1;
  }
  // The room's first event loaded means there is nothing older to page back to.
  const prevBatch = events.some((e) => e.type === 'm.room.create') ? null : fresh ? (j.timeline?.prev_batch ?? room.prevBatch) : room.prevBatch;
  return { ...room, events, prevBatch, memberChanges };
}

function inviteFrom(roomId: string, events: StrippedEvent[], me: string): Invite {
  const invite: Invite = { roomId };
  for (const e of events) {
    if (e.type === 'm.room.name' && typeof e.content.name === 'string') invite.name = e.content.name;
    if (e.type === 'm.room.canonical_alias' && typeof e.content.alias === 'string') invite.alias = e.content.alias;
    if (e.type === 'm.room.member' && e.state_key === me) invite.inviter = e.sender;
  }
  return invite;
}

function without<V>(record: Record<string, V>, key: string): Record<string, V> {
  if (!(key in record)) return record;
  const rest = { ...record };
  delete rest[key];
  return rest;
}

/** Folds one action into the state. */
export function reduceRooms(state: RoomsState, action: RoomsAction): RoomsState {
  switch (action.type) {
    case 'joined': {
      const rooms = { ...state.rooms };
      for (const id of action.roomIds) rooms[id] ??= emptyRoom(id);
      return { ...state, rooms };
    }
    case 'sync': {
      const r = action.response.rooms ?? {};
      const rooms = { ...state.rooms };
      let invites = state.invites;
      for (const [id, j] of Object.entries(r.join ?? {})) {
        rooms[id] = syncRoom(rooms[id], id, j);
        invites = without(invites, id);
      }
      for (const [id, i] of Object.entries(r.invite ?? {})) {
        invites = { ...invites, [id]: inviteFrom(id, i.invite_state?.events ?? [], action.me) };
      }
      for (const id of Object.keys(r.leave ?? {})) {
        delete rooms[id];
        invites = without(invites, id);
      }
      const synced = new Set<string>();
      for (const j of Object.values(r.join ?? {})) {
        for (const e of j.timeline?.events ?? []) {
          synced.add(e.event_id);
          if (e.unsigned?.transaction_id) synced.add(e.unsigned.transaction_id);
        }
      }
      const pending = state.pending.filter((p) => !synced.has(p.txnId) && !(p.eventId && synced.has(p.eventId)));
      return { rooms, invites, pending };
    }
    case 'older': {
      const room = state.rooms[action.roomId];
      if (!room) return state;
      const seen = new Set(room.events.map((e) => e.event_id));
      const older = [...action.page.chunk].reverse().filter((e) => !seen.has(e.event_id));
      let next: Room = { ...room, events: [...older, ...room.events] };
      // Older state only fills in members not known yet: current state wins.
      for (const e of [...(action.page.state ?? []), ...older]) {
        if (e.type === 'm.room.member' && e.state_key !== undefined && !next.members[e.state_key]) next = applyState(next, e);
      }
      const done = !action.page.end || action.page.chunk.length === 0 || next.events.some((e) => e.type === 'm.room.create');
      return { ...state, rooms: { ...state.rooms, [action.roomId]: { ...next, prevBatch: done ? null : action.page.end } } };
    }
    case 'named': {
      const room = state.rooms[action.roomId];
      if (!room || room.name !== undefined) return state;
      return { ...state, rooms: { ...state.rooms, [action.roomId]: { ...room, name: action.name } } };
    }
    case 'created': {
      const room = state.rooms[action.roomId] ?? emptyRoom(action.roomId);
      return {
        ...state,
        rooms: { ...state.rooms, [action.roomId]: action.name && room.name === undefined ? { ...room, name: action.name } : room },
        invites: without(state.invites, action.roomId),
      };
    }
    case 'gone':
      return { ...state, rooms: without(state.rooms, action.roomId), invites: without(state.invites, action.roomId) };
    case 'sending':
      return { ...state, pending: [...state.pending, action.pending] };
    case 'sent': {
      // The sync may have brought the event back before the send answered.
      const arrived = (p: Pending) => !!action.eventId && !!state.rooms[p.roomId]?.events.some((e) => e.event_id === action.eventId);
      return {
        ...state,
        pending: state.pending
          .filter((p) => p.txnId !== action.txnId || !arrived(p))
          .map((p) => (p.txnId === action.txnId ? { ...p, eventId: action.eventId ?? p.eventId, failed: action.failed } : p)),
      };
    }
  }
}

/** What to call a room: its name, else its canonical alias, else its id. */
export function roomLabel(room: { roomId: string; name?: string | null; alias?: string }): string {
  return room.name || room.alias || room.roomId;
}

/** What to call a user in a room: their display name there, else their localpart. */
export function memberLabel(room: Room | undefined, userId: string): string {
  return room?.members[userId]?.displayName ?? userId.replace(/^@/, '').replace(/:.*$/, '');
}

/** Rooms, most recently active first. */
export function sortedRooms(rooms: Record<string, Room>): Room[] {
  const last = (r: Room) => r.events.at(-1)?.origin_server_ts ?? 0;
  return Object.values(rooms).sort((a, b) => last(b) - last(a) || roomLabel(a).localeCompare(roomLabel(b)));
}
