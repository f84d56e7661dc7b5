/**
 * Rooms: what a sync carries besides events (Matrix client-server spec "Client config" account data,
 * "Receipts", "Typing notifications", "Fully read markers") and room aliases and the directory
 * ("Room aliases", "Listing rooms"). Updates are stored in `room_updates` with a position of their
 * own and announced on the bus, so a waiting `/sync` on any instance wakes.
 */
import { DomainError } from '../lib/errors.ts';
import { RoomErrors } from './errors.ts';
import type { RoomsContext } from './room-events.ts';
import type { BasicEvent } from './types.ts';
import type { UpdateKind } from './updates-store.ts';

/** Longest typing notification kept, ms (spec leaves it to the server). */
export const MAX_TYPING_MS = 120_000;

/** A public room as the directory lists it (spec `PublicRoomsChunk`). */
export interface PublicRoom {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  avatar_url?: string;
  join_rule?: string;
}

/** Builds the updates part of the rooms service. */
export function createUpdates(ctx: RoomsContext) {
  const { store, updates, bus, clock } = ctx;

  async function put(kind: UpdateKind, room_id: string, user_id: string, type: string, content: Record<string, unknown>): Promise<number> {
    const id = await updates.putUpdate({ kind, room_id, user_id, type, content: JSON.stringify(content), ts: clock.now() });
    bus.publish({ kind: 'update', room_id, user_id });
    return id;
  }

  async function requireJoined(room_id: string, user_id: string): Promise<void> {
    if ((await store.membershipOf(room_id, user_id)) === 'join') return;
    if (!(await store.roomExists(room_id))) throw new DomainError(RoomErrors.roomNotFound);
    throw new DomainError(RoomErrors.notJoined);
  }

  const api = {
    /** Store account data of `type` for `user_id`, global (`room_id` null) or for one room. */
    async setAccountData(user_id: string, room_id: string | null, type: string, content: Record<string, unknown>): Promise<void> {
      if (room_id !== null && !(await store.roomExists(room_id))) throw new DomainError(RoomErrors.roomNotFound);
      await put('account_data', room_id ?? '', user_id, type, content);
    },
    /** Account data content, or null when never set. */
    async getAccountData(user_id: string, room_id: string | null, type: string): Promise<Record<string, unknown> | null> {
      const row = await updates.findUpdate('account_data', room_id ?? '', user_id, type);
      return row ? (JSON.parse(row.content) as Record<string, unknown>) : null;
    },

    /**
     * Record that `user_id` has read up to `event_id` (receipt type `m.read` or `m.read.private`;
     * private receipts are only synced to their owner).
     * @throws DomainError roomNotFound | notJoined | eventNotFound
     */
    async setReceipt(room_id: string, user_id: string, receipt_type: string, event_id: string, thread_id?: string): Promise<void> {
      await requireJoined(room_id, user_id);
      const event = await store.findEvent(event_id);
      if (!event || event.room_id !== room_id) throw new DomainError(RoomErrors.eventNotFound);
      await put('receipt', room_id, user_id, receipt_type, { event_id, ts: clock.now(), stream_ordering: Number(event.stream_ordering), ...(thread_id ? { thread_id } : {}) });
    },

    /**
     * `user_id` starts (for `timeoutMs`, at most {@link MAX_TYPING_MS}) or stops typing in `room_id`.
     * @throws DomainError roomNotFound | notJoined
     */
    async setTyping(room_id: string, user_id: string, typing: boolean, timeoutMs: number): Promise<void> {
      await requireJoined(room_id, user_id);
      await put('typing', room_id, user_id, '', { expires_ts: typing ? clock.now() + Math.min(Math.max(timeoutMs, 0), MAX_TYPING_MS) : 0 });
    },

    /** The `m.typing` and `m.receipt` ephemeral events of a room as `viewer` sees them now. */
    async ephemeral(room_id: string, viewer: string, include: { typing: boolean; receipts: boolean }): Promise<BasicEvent[]> {
      const out: BasicEvent[] = [];
      if (include.typing) {
        const now = clock.now();
        let user_ids = (await updates.typingIn(room_id)).filter((r) => Number((JSON.parse(r.content) as { expires_ts: number }).expires_ts) > now).map((r) => r.user_id);
        if (user_ids.length > 0) {
          // Someone who left (or was kicked or banned) while typing is not typing here any more.
          const joined = new Set((await store.membersOfRooms([room_id], 'join')).map((m) => m.user_id));
          user_ids = user_ids.filter((u) => joined.has(u));
        }
        out.push({ type: 'm.typing', content: { user_ids } });
      }
      if (include.receipts) {
        const content: Record<string, Record<string, Record<string, { ts: number; thread_id?: string }>>> = {};
        for (const r of await updates.receiptsIn(room_id)) {
          if (r.type === 'm.read.private' && r.user_id !== viewer) continue;
          const c = JSON.parse(r.content) as { event_id: string; ts: number; thread_id?: string };
          ((content[c.event_id] ??= {})[r.type] ??= {})[r.user_id] = { ts: c.ts, ...(c.thread_id ? { thread_id: c.thread_id } : {}) };
        }
        if (Object.keys(content).length > 0) out.push({ type: 'm.receipt', content });
      }
      return out;
    },

    /** Position of `user_id`'s `m.read` receipt in `room_id` (0 when none). */
    async readPosition(room_id: string, user_id: string): Promise<number> {
      const row = await updates.findUpdate('receipt', room_id, user_id, 'm.read');
      return row ? Number((JSON.parse(row.content) as { stream_ordering?: number }).stream_ordering ?? 0) : 0;
    },

    /** The room an alias names. @throws DomainError aliasNotFound */
    async resolveAlias(alias: string): Promise<string> {
      const room_id = await store.roomIdByAlias(alias);
      if (!room_id) throw new DomainError(RoomErrors.aliasNotFound);
      return room_id;
    },
    /** Map `alias` to `room_id`. @throws DomainError roomNotFound | aliasTaken */
    async createAlias(alias: string, room_id: string): Promise<void> {
      if (!(await store.roomExists(room_id))) throw new DomainError(RoomErrors.roomNotFound);
      if (!(await updates.insertAlias(alias, room_id))) throw new DomainError(RoomErrors.aliasTaken);
    },
    /**
     * Remove an alias: allowed to members of its room with the state level (the spec lets the
     * alias's creator too; Orrery does not record creators, docs/matrix.md).
     * @throws DomainError aliasNotFound | forbidden
     */
    async deleteAlias(alias: string, user_id: string, mayChangeState: (room_id: string) => Promise<boolean>): Promise<void> {
      const room_id = await api.resolveAlias(alias);
      if (!(await mayChangeState(room_id))) throw new DomainError(RoomErrors.forbidden, { message: 'You do not have permission to delete this alias' });
      await updates.deleteAlias(alias);
    },
    /** Aliases of a room. */
    aliasesOf: (room_id: string): Promise<string[]> => updates.aliasesOf(room_id),

    /** Publish a room in the directory or withdraw it. @throws DomainError roomNotFound */
    async setVisibility(room_id: string, visibility: 'public' | 'private'): Promise<void> {
      if (!(await store.roomExists(room_id))) throw new DomainError(RoomErrors.roomNotFound);
      await updates.setVisibility(room_id, visibility);
    },
    /** A room's directory visibility. @throws DomainError roomNotFound */
    async visibilityOf(room_id: string): Promise<'public' | 'private'> {
      const v = await updates.visibilityOf(room_id);
      if (v === undefined) throw new DomainError(RoomErrors.roomNotFound);
      return v === 'public' ? 'public' : 'private';
    },

    /** A page of the public room directory, with the total count. */
    async publicRooms(limit: number, offset: number, term?: string): Promise<{ chunk: PublicRoom[]; total: number }> {
      const rows = await updates.publicRooms(term ? 500 : limit, term ? 0 : offset);
      const chunk: PublicRoom[] = [];
      for (const r of rows) {
        const state = new Map((await store.currentState(r.room_id)).map((e) => [`${e.type}|${e.state_key}`, JSON.parse(e.content) as Record<string, unknown>]));
        const str = (type: string, key: string) => (typeof state.get(`${type}|`)?.[key] === 'string' ? (state.get(`${type}|`)![key] as string) : undefined);
        const room: PublicRoom = {
          room_id: r.room_id,
          num_joined_members: Number(r.joined),
          world_readable: str('m.room.history_visibility', 'history_visibility') === 'world_readable',
          guest_can_join: str('m.room.guest_access', 'guest_access') === 'can_join',
          ...(str('m.room.name', 'name') ? { name: str('m.room.name', 'name')! } : {}),
          ...(str('m.room.topic', 'topic') ? { topic: str('m.room.topic', 'topic')! } : {}),
          ...(str('m.room.canonical_alias', 'alias') ? { canonical_alias: str('m.room.canonical_alias', 'alias')! } : {}),
          ...(str('m.room.avatar', 'url') ? { avatar_url: str('m.room.avatar', 'url')! } : {}),
          ...(str('m.room.join_rules', 'join_rule') ? { join_rule: str('m.room.join_rules', 'join_rule')! } : {}),
        };
        if (term && ![room.name, room.topic, room.canonical_alias].some((s) => s?.toLowerCase().includes(term.toLowerCase()))) continue;
        chunk.push(room);
      }
      if (term) return { chunk: chunk.slice(offset, offset + limit), total: chunk.length };
      return { chunk, total: await updates.countPublicRooms() };
    },
  };
  return api;
}
