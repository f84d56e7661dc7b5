/**
 * Rooms: reading a room (Matrix client-server spec "Getting events for a room", "History visibility"):
 * state, single events, context, pagination and members, each behind one visibility rule: a joined
 * member reads everything; a former member reads up to the moment they stopped being joined; a
 * `world_readable` room is readable by anyone signed in; nobody else reads anything (someone invited
 * or banned who never joined included).
 */
import { DomainError } from '../lib/errors.ts';
import { RoomErrors } from './errors.ts';
import { toEvent, type RoomsContext } from './room-events.ts';
import type { RoomsStore } from './store.ts';
import type { RoomEvent } from './types.ts';

/** Most membership changes walked back to find a user's last join (beyond it they read nothing). */
const MAX_MEMBERSHIP_STEPS = 50;

/**
 * Where `user_id`'s last time as a joined member of `room_id` ended, looking back from their member
 * event at stream position `position` (a `leave` or `ban`): the position of the event that took them
 * out of `join`, or undefined when they were never joined (a rejected or revoked invite, a ban of an
 * outsider) — they read nothing then. Walks their earlier membership changes, one index probe each.
 */
export async function joinEndedAt(store: RoomsStore, room_id: string, user_id: string, position: number): Promise<number | undefined> {
  let end = position;
  for (let step = 0; step < MAX_MEMBERSHIP_STEPS; step++) {
    const before = await store.memberEventAt(room_id, user_id, end - 1);
    if (!before) return undefined;
    if (before.membership === 'join') return end;
    end = before.stream_ordering;
  }
  return undefined;
}

/** A page of `/messages`: events in the direction read, and the positions around them. */
export interface MessagesPage {
  chunk: RoomEvent[];
  /** The position the page started at. */
  start: number;
  /** Where the next page starts, absent when there is nothing more to read. */
  end?: number;
  /** State events for the chunk's senders (lazy-loading members is not done: always empty). */
  state: RoomEvent[];
}

/** Builds the history part of the rooms service. */
export function createHistory(ctx: RoomsContext) {
  const { store } = ctx;

  /**
   * The last stream position `user_id` may read in `room_id` (Infinity while joined).
   * @throws DomainError roomNotFound | cannotRead
   */
  async function readableUpTo(room_id: string, user_id: string): Promise<number> {
    const member = await store.stateEvent(room_id, 'm.room.member', user_id);
    const membership = member ? (JSON.parse(member.content) as { membership?: string }).membership : undefined;
    if (membership === 'join') return Infinity;
    const visibility = await store.stateEvent(room_id, 'm.room.history_visibility', '');
    if (visibility && (JSON.parse(visibility.content) as { history_visibility?: string }).history_visibility === 'world_readable') return Infinity;
    if (member && (membership === 'leave' || membership === 'ban')) {
      // A former member reads up to where their membership ended; someone never joined, nothing.
      const end = await joinEndedAt(store, room_id, user_id, Number(member.stream_ordering));
      if (end !== undefined) return end;
    }
    if (!(await store.roomExists(room_id))) throw new DomainError(RoomErrors.roomNotFound);
    throw new DomainError(RoomErrors.cannotRead);
  }

  async function stateFor(room_id: string, upTo: number): Promise<RoomEvent[]> {
    return (Number.isFinite(upTo) ? await store.stateAt(room_id, upTo) : await store.currentState(room_id)).map(toEvent);
  }

  const history = {
    readableUpTo,

    /** The room's state as `user_id` may see it. @throws DomainError roomNotFound | cannotRead */
    async roomState(room_id: string, user_id: string): Promise<RoomEvent[]> {
      return stateFor(room_id, await readableUpTo(room_id, user_id));
    },

    /** One state event's content. @throws DomainError roomNotFound | cannotRead | stateNotFound */
    async stateContent(room_id: string, user_id: string, type: string, state_key: string): Promise<Record<string, unknown>> {
      const upTo = await readableUpTo(room_id, user_id);
      const event = (await stateFor(room_id, upTo)).find((e) => e.type === type && e.state_key === state_key);
      if (!event) throw new DomainError(RoomErrors.stateNotFound);
      return event.content;
    },

    /** One event. @throws DomainError roomNotFound | cannotRead | eventNotFound */
    async event(room_id: string, user_id: string, event_id: string): Promise<RoomEvent> {
      const upTo = await readableUpTo(room_id, user_id);
      const row = await store.findEvent(event_id);
      if (!row || row.room_id !== room_id || Number(row.stream_ordering) > upTo) throw new DomainError(RoomErrors.eventNotFound);
      return toEvent(row);
    },

    /**
     * A page of the timeline from position `from` in direction `dir` (`b`: older, newest first; `f`:
     * newer, oldest first), stopping at `to`. Positions are stream orderings; a page going back from
     * `p` includes the event at `p`.
     * @throws DomainError roomNotFound | cannotRead
     */
    async messages(room_id: string, user_id: string, q: { from?: number | undefined; to?: number | undefined; dir: 'f' | 'b'; limit: number }): Promise<MessagesPage> {
      const upTo = await readableUpTo(room_id, user_id);
      const head = Number.isFinite(upTo) ? upTo : await store.maxStreamOrdering();
      let from = q.from ?? (q.dir === 'b' ? head : 0);
      if (q.dir === 'b') from = Math.min(from, head);
      const to = q.dir === 'f' ? Math.min(q.to ?? head, head) : q.to;
      const rows = await store.timelinePage(room_id, q.dir, from, to, q.limit);
      const chunk = rows.map(toEvent);
      const last = chunk.at(-1);
      const end = last === undefined ? undefined : q.dir === 'b' ? last.stream_ordering - 1 : last.stream_ordering;
      const more = chunk.length === q.limit;
      return { chunk, start: from, ...(end !== undefined && (more || q.dir === 'f') ? { end } : {}), state: [] };
    },

    /**
     * Events around `event_id`: up to `limit` split before and after, and the state at the last one.
     * @throws DomainError roomNotFound | cannotRead | eventNotFound
     */
    async context(room_id: string, user_id: string, event_id: string, limit: number) {
      const event = await history.event(room_id, user_id, event_id);
      const upTo = await readableUpTo(room_id, user_id);
      const before = (await store.timelinePage(room_id, 'b', event.stream_ordering - 1, undefined, Math.floor(limit / 2))).map(toEvent);
      const afterCap = Number.isFinite(upTo) ? upTo : undefined;
      const after = (await store.timelinePage(room_id, 'f', event.stream_ordering, afterCap, Math.ceil(limit / 2))).map(toEvent);
      const lastPos = after.at(-1)?.stream_ordering ?? event.stream_ordering;
      return {
        event,
        events_before: before,
        events_after: after,
        start: (before.at(-1)?.stream_ordering ?? event.stream_ordering) - 1,
        end: lastPos,
        state: await stateFor(room_id, Number.isFinite(upTo) ? Math.min(upTo, lastPos) : lastPos),
      };
    },

    /**
     * The room's `m.room.member` events as `user_id` may see them, narrowed to `membership` or away
     * from `not_membership`.
     * @throws DomainError roomNotFound | cannotRead
     */
    async members(room_id: string, user_id: string, q: { membership?: string | undefined; not_membership?: string | undefined } = {}): Promise<RoomEvent[]> {
      const upTo = await readableUpTo(room_id, user_id);
      const all = (await stateFor(room_id, upTo)).filter((e) => e.type === 'm.room.member');
      return all.filter((e) => (!q.membership || e.content.membership === q.membership) && (!q.not_membership || e.content.membership !== q.not_membership));
    },

    /**
     * Joined members with their room profile; only for a joined member (spec: `joined_members`).
     * @throws DomainError roomNotFound | notJoined
     */
    async joinedMembers(room_id: string, user_id: string): Promise<Record<string, { display_name?: string; avatar_url?: string }>> {
      if ((await store.membershipOf(room_id, user_id)) !== 'join') {
        if (!(await store.roomExists(room_id))) throw new DomainError(RoomErrors.roomNotFound);
        throw new DomainError(RoomErrors.notJoined);
      }
      const joined: Record<string, { display_name?: string; avatar_url?: string }> = {};
      for (const e of await store.currentState(room_id, 'm.room.member')) {
        const c = JSON.parse(e.content) as Record<string, unknown>;
        if (c.membership !== 'join' || e.state_key === null) continue;
        joined[e.state_key] = {
          ...(typeof c.displayname === 'string' ? { display_name: c.displayname } : {}),
          ...(typeof c.avatar_url === 'string' ? { avatar_url: c.avatar_url } : {}),
        };
      }
      return joined;
    },

    /** Events by id, whatever their room (to render `redacted_because` of events already readable). */
    async eventsByIds(event_ids: string[]): Promise<Map<string, RoomEvent>> {
      const out = new Map<string, RoomEvent>();
      for (const id of event_ids) {
        const row = await store.findEvent(id);
        if (row) out.set(id, toEvent(row));
      }
      return out;
    },

    /** Ids of the rooms `user_id` is joined to. */
    async joinedRooms(user_id: string): Promise<string[]> {
      return (await store.membershipsOfUser(user_id)).filter((m) => m.membership === 'join').map((m) => m.room_id);
    },
  };
  return history;
}
