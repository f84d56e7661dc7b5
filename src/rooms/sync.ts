/**
 * Rooms: `/sync` computed over the spine (Matrix client-server spec "Syncing"). A position is the
 * pair (event stream, room-updates stream); a sync answers everything after `since` up to the
 * positions read at its start, so two syncs never miss or repeat an event. Long-polling waits on the
 * bus for an event in one of the user's rooms, a membership change of the user, an update for them
 * or their rooms, or a presence change of someone sharing a room.
 */
import { joinEndedAt } from './history.ts';
import type { createUpdates } from './updates.ts';
import type { createPresence } from './presence.ts';
import { MAX_UNREAD_COUNT } from './authoring.ts';
import { waitOnBus } from './event-bus.ts';
import { toEvent, type RoomsContext } from './room-events.ts';
import { createRecentTimeline } from './recent-timeline.ts';
import type { WakePacer } from './wake-pacer.ts';
import type { BasicEvent, JoinedRoomSync, PresenceView, RoomEvent, StrippedStateEvent, SyncOptions, SyncPosition, SyncResult } from './types.ts';

/** Timeline events per room when the filter names no limit. */
export const DEFAULT_TIMELINE_LIMIT = 10;
/** Event types copied into `invite_state` (spec "Stripped state", recommended set). */
const INVITE_STATE_TYPES = new Set(['m.room.create', 'm.room.name', 'm.room.avatar', 'm.room.topic', 'm.room.join_rules', 'm.room.canonical_alias', 'm.room.encryption']);

const stripped = (e: RoomEvent): StrippedStateEvent => ({ type: e.type, state_key: e.state_key ?? '', sender: e.sender, content: e.content });

/** Builds the sync part of the rooms service. */
export function createSync(ctx: RoomsContext, parts: { updates: ReturnType<typeof createUpdates>; presence: ReturnType<typeof createPresence>; pacer?: WakePacer }) {
  const { store, updates: updatesStore, bus } = ctx;
  const { updates, presence } = parts;
  const recent = createRecentTimeline({ store, subscribe: (listener) => bus.subscribe(listener) });

  /**
   * A joined room's part of a sync. `fresh`: the user was not joined at `since` (the room is new to
   * them: its latest timeline and full state); `fullState`: the client asked for full state (the
   * timeline still starts at `since`).
   */
  async function joinedRoom(room_id: string, user_id: string, since: SyncPosition | undefined, upto: SyncPosition, limit: number, flags: { fresh: boolean; fullState: boolean }, updateRows: Map<string, Set<string>>): Promise<JoinedRoomSync | null> {
    const incremental = since !== undefined && !flags.fresh;
    // Newest first, one more than the limit (to know whether it is `limited`); from memory when the
    // room's recent window reaches back to `since` (a busy room's syncs then read nothing each).
    const sinceEvents = since?.events ?? 0;
    const recentView = incremental ? await recent.view(room_id, sinceEvents, upto.events) : undefined;
    const fromMemory = recentView && sinceEvents >= recentView.start ? recentView.events.filter((e) => e.stream_ordering > sinceEvents) : undefined;
    const page = fromMemory ? fromMemory.slice(-(limit + 1)).reverse() : (await store.timelinePage(room_id, 'b', upto.events, incremental ? sinceEvents : undefined, limit + 1)).map(toEvent);
    const limited = page.length > limit;
    const timeline = page.slice(0, limit).reverse();
    const changed = updateRows.get(room_id);
    if (incremental && !flags.fullState && timeline.length === 0 && !changed) return null;
    const timelineIds = new Set(timeline.map((e) => e.event_id));
    let state: RoomEvent[] = [];
    if (!incremental || flags.fullState) {
      state = (await store.currentState(room_id)).map(toEvent).filter((e) => !timelineIds.has(e.event_id));
    } else if (limited) {
      // State that changed in the gap between `since` and the timeline's start (none, when the
      // gap is in memory and holds no state event).
      const gapStart = timeline[0]?.stream_ordering ?? upto.events;
      const gapHasState = !fromMemory || fromMemory.some((e) => e.state_key !== undefined && e.stream_ordering < gapStart);
      if (gapHasState) state = (await store.currentStateBetween(room_id, sinceEvents, gapStart)).map(toEvent);
    }
    const kinds = incremental ? { typing: changed?.has('typing') ?? false, receipts: changed?.has('receipt') ?? false } : { typing: true, receipts: true };
    const ephemeral = kinds.typing || kinds.receipts ? await updates.ephemeral(room_id, user_id, kinds) : [];
    const account_data: BasicEvent[] = [];
    for (const type of changed?.has('account_data') || !incremental ? await roomAccountDataTypes(room_id, user_id, since, upto) : []) {
      const content = await updates.getAccountData(user_id, room_id, type);
      if (content) account_data.push({ type, content });
    }
    const readAt = await updates.readPosition(room_id, user_id);
    const unread = recentView ? unreadInMemory(recentView, readAt, user_id) : undefined;
    return {
      timeline,
      limited,
      prev_batch: (timeline[0]?.stream_ordering ?? upto.events + 1) - 1,
      state,
      ephemeral,
      account_data,
      notification_count: unread ?? (await store.countEventsAfter(room_id, 'm.room.message', readAt, user_id, MAX_UNREAD_COUNT)),
    };
  }

  /**
   * Messages from others after `readAt`, capped at MAX_UNREAD_COUNT, from a room's recent window;
   * `undefined` when the window does not reach back far enough to tell.
   */
  function unreadInMemory(view: { start: number; events: readonly RoomEvent[] }, readAt: number, user_id: string): number | undefined {
    let n = 0;
    for (let i = view.events.length - 1; i >= 0; i--) {
      const e = view.events[i]!;
      if (e.stream_ordering <= readAt) return n;
      if (e.type === 'm.room.message' && e.sender !== user_id && ++n >= MAX_UNREAD_COUNT) return n;
    }
    return readAt >= view.start ? n : undefined;
  }

  async function roomAccountDataTypes(room_id: string, user_id: string, since: SyncPosition | undefined, upto: SyncPosition): Promise<string[]> {
    const rows = await updatesStore.updatesBetween({ user_id, room_ids: [], presence_rooms: [], after: since?.updates ?? 0, upto: upto.updates });
    return rows.filter((r) => r.kind === 'account_data' && r.room_id === room_id).map((r) => r.type);
  }

  // Joined members per room, for the presence wake set: read once, dropped when a membership event of
  // the room is announced (from any instance) or the bus asks for a resync. A read that raced a
  // change is not kept (`version`).
  const members = new Map<string, { version: number; set?: Set<string> }>();
  bus.subscribe((n) => {
    if (n.kind === 'resync') members.clear();
    else if (n.kind === 'event' && n.type === 'm.room.member') members.set(n.room_id, { version: (members.get(n.room_id)?.version ?? 0) + 1 });
  });
  async function joinedMembersOf(room_id: string): Promise<Set<string>> {
    const cached = members.get(room_id);
    if (cached?.set) return cached.set;
    const version = cached?.version ?? 0;
    const set = new Set((await store.membersOfRooms([room_id], 'join')).map((m) => m.user_id));
    if ((members.get(room_id)?.version ?? 0) === version) members.set(room_id, { version, set });
    return set;
  }

  const sync = {
    /** The positions a sync started now would end at. */
    async currentPosition(): Promise<SyncPosition> {
      return store.streamHeads();
    },

    /**
     * Everything `user_id` should learn since `options.since` (everything, without it): joined rooms'
     * timelines (newest `timelineLimit`, `limited` when more), state, ephemeral events and room
     * account data; invites with their stripped state; rooms left since; global account data; the
     * presence of users sharing a room.
     */
    async computeSync(user_id: string, options: SyncOptions = {}): Promise<SyncResult> {
      const upto = await sync.currentPosition();
      const since = options.since;
      const limit = options.timelineLimit ?? DEFAULT_TIMELINE_LIMIT;
      const memberships = await store.membershipsOfUser(user_id);
      const joinedIds = memberships.filter((m) => m.membership === 'join').map((m) => m.room_id);
      const memberSets = await Promise.all(joinedIds.map(joinedMembersOf));
      const coMembers = { has: (u: string) => memberSets.some((set) => set.has(u)) };
      // Nothing on the updates stream since `since` (a message-only wake): nothing to read.
      const updateRows =
        (since?.updates ?? 0) >= upto.updates ? [] : await updatesStore.updatesBetween({ user_id, room_ids: joinedIds, presence_rooms: joinedIds, after: since?.updates ?? 0, upto: upto.updates });
      const changedByRoom = new Map<string, Set<string>>();
      for (const r of updateRows) if (r.room_id) (changedByRoom.get(r.room_id) ?? changedByRoom.set(r.room_id, new Set()).get(r.room_id)!).add(r.kind);

      const result: SyncResult = { next: upto, join: new Map(), invite: new Map(), leave: new Map(), account_data: [], presence: [], wake: { rooms: new Set(joinedIds), users: coMembers } };
      for (const m of memberships) {
        const position = Number(m.stream_ordering);
        if (position > upto.events) continue;
        const changedSince = !since || position > since.events;
        if (m.membership === 'join') {
          // Joined since `since` (not a profile change of someone already joined): the room is new to them.
          const fresh = since !== undefined && changedSince && (await store.memberEventAt(m.room_id, user_id, since.events))?.membership !== 'join';
          const room = await joinedRoom(m.room_id, user_id, since, upto, limit, { fresh, fullState: Boolean(options.fullState) }, changedByRoom);
          if (room) result.join.set(m.room_id, room);
        } else if (m.membership === 'invite' && (changedSince || options.fullState)) {
          const state = (await store.currentState(m.room_id)).map(toEvent);
          // The room's preview, the invite itself and the inviter's own member event (their name).
          const invite = state.find((e) => e.type === 'm.room.member' && e.state_key === user_id);
          const invite_state = state
            .filter((e) => INVITE_STATE_TYPES.has(e.type) || (e.type === 'm.room.member' && (e.state_key === user_id || e.state_key === invite?.sender)))
            .map(stripped);
          result.invite.set(m.room_id, invite_state);
          result.wake.rooms.add(m.room_id);
        } else if ((m.membership === 'leave' || m.membership === 'ban') && ((since && changedSince) || options.includeLeave)) {
          // History up to where their membership ended (none if they never joined), then their own
          // leave or ban, so a rejected invite or an outsider's ban shows nothing of the room.
          const end = await joinEndedAt(store, m.room_id, user_id, position);
          const timeline = end === undefined ? [] : (await store.timelinePage(m.room_id, 'b', end, since?.events, limit)).map(toEvent).reverse();
          if (end !== position) {
            const own = await store.stateEvent(m.room_id, 'm.room.member', user_id);
            if (own && (!since || Number(own.stream_ordering) > since.events)) timeline.push(toEvent(own));
          }
          result.leave.set(m.room_id, { timeline, state: [], prev_batch: (timeline[0]?.stream_ordering ?? position + 1) - 1 });
        }
      }
      const presenceOf = new Set<string>();
      for (const r of updateRows) {
        if (r.kind === 'account_data' && r.room_id === '') result.account_data.push({ type: r.type, content: JSON.parse(r.content) as Record<string, unknown> });
        if (r.kind === 'presence') presenceOf.add(r.user_id);
      }
      // One read for everyone's presence (a first sync in #shared lists the whole space's).
      result.presence = await presence.getPresences([...presenceOf]);
      return result;
    },

    /**
     * Resolves when a long-poll that continues from a token should compute its answer: at once when
     * the process is not busy, otherwise after a short hold shared by every sync arriving meanwhile
     * (wake-pacer.ts), so that a room in full flow is answered in fewer, fuller batches.
     */
    async paceSync(signal?: AbortSignal): Promise<void> {
      await parts.pacer?.settle(signal);
    },

    /** True when a sync result has nothing for the client (a long-poll keeps waiting). */
    isEmpty(r: SyncResult): boolean {
      return r.join.size === 0 && r.invite.size === 0 && r.leave.size === 0 && r.account_data.length === 0 && r.presence.length === 0;
    },

    /**
     * Resolve after `timeoutMs`, on `signal`, or as soon as something in `wake` (the previous
     * result's rooms and co-members) or addressed to `user_id` happens; true when woken. With
     * `from`, also at once when anything was stored after it before the wait began (a notification
     * published between the caller's read and this subscription is not lost).
     */
    async waitForSync(user_id: string, wake: SyncResult['wake'], timeoutMs: number, signal?: AbortSignal, from?: SyncPosition): Promise<boolean> {
      const woken = await waitOnBus(
        bus,
        (n) =>
          (n.kind === 'event' && (wake.rooms.has(n.room_id) || (n.type === 'm.room.member' && n.state_key === user_id))) ||
          (n.kind === 'update' && (n.user_id === user_id || (n.room_id ? wake.rooms.has(n.room_id) : wake.users.has(n.user_id)))),
        timeoutMs,
        signal,
        from &&
          ((woken) =>
            void sync.currentPosition().then(
              (now) => {
                if (now.events > from.events || now.updates > from.updates) woken();
              },
              () => undefined,
            )),
      );
      return woken;
    },
  };
  return sync;
}

export type { PresenceView };
