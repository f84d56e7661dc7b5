/**
 * Rooms: creating rooms and changing membership (Matrix client-server spec "Room membership",
 * "Creation"; authorization rules of room version 11 for `m.room.member`). Every rule is checked
 * inside the write transaction ({@link StateReader}), so a ban and a join, or two invites, cannot
 * interleave between check and write.
 */
import { DomainError } from '../lib/errors.ts';
import { RoomErrors } from './errors.ts';
import { powerLevelsOf, userLevel, type PowerLevels } from './power-levels.ts';
import { newEventRow, opaqueId, type RoomsContext } from './room-events.ts';
import type { NewEventRow, StateReader } from './store.ts';
import type { RoomEvent } from './types.ts';

/** What {@link createMembership}'s `createRoom` accepts (spec `POST /createRoom`, names as there). */
export interface CreateRoomInput {
  creator: string;
  /** Full alias `#local:server`, reserved with the room. */
  alias?: string | undefined;
  name?: string | undefined;
  topic?: string | undefined;
  preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat' | undefined;
  visibility?: 'public' | 'private' | undefined;
  invite?: string[] | undefined;
  initial_state?: Array<{ type: string; state_key?: string | undefined; content: Record<string, unknown> }> | undefined;
  power_level_content_override?: Record<string, unknown> | undefined;
  is_direct?: boolean | undefined;
  creation_content?: Record<string, unknown> | undefined;
  /** The creator's member-event profile (`displayname`, `avatar_url`). */
  profile?: Record<string, unknown> | undefined;
}

/** The room's rules as the authorization checks need them, read inside the write transaction. */
export interface RoomRules {
  pl: PowerLevels;
  membership(user_id: string): Promise<string | null>;
  joinRule: string;
}

/** Reads the power levels, join rule and memberships of a room through `state`. */
export async function roomRules(state: StateReader): Promise<RoomRules> {
  const create = await state.content('m.room.create', '');
  if (!create) throw new DomainError(RoomErrors.roomNotFound);
  const pl = powerLevelsOf(await state.content('m.room.power_levels', ''), typeof create.creator === 'string' ? create.creator : null);
  const joinRule = String((await state.content('m.room.join_rules', ''))?.join_rule ?? 'invite');
  return {
    pl,
    joinRule,
    membership: async (user_id) => {
      const m = (await state.content('m.room.member', user_id))?.membership;
      return typeof m === 'string' ? m : null;
    },
  };
}

const forbidden = (message: string) => new DomainError(RoomErrors.forbidden, { message });

/** Builds the membership part of the rooms service. */
export function createMembership(ctx: RoomsContext) {
  const { store, updates, clock, serverName } = ctx;

  /** Persist one member event under `authorize`, unless `skip` says the change is a no-op. */
  async function changeMembership(
    room_id: string,
    sender: string,
    target: string,
    content: Record<string, unknown>,
    authorize: (rules: RoomRules) => Promise<void>,
  ): Promise<RoomEvent> {
    if (!(await store.roomExists(room_id))) throw new DomainError(RoomErrors.roomNotFound);
    const [event] = await ctx.persist([newEventRow(room_id, sender, 'm.room.member', content, target)], {
      authorize: async (state) => authorize(await roomRules(state)),
    });
    return event!;
  }

  const membership = {
    /**
     * Create a room: `m.room.create`, the creator's join, power levels (with the override merged),
     * the canonical alias, the preset's join rule and history visibility, `initial_state`, name,
     * topic, then the invites, in one transaction, as the spec orders them.
     * @throws DomainError aliasTaken when `alias` maps to another room
     */
    async createRoom(input: CreateRoomInput): Promise<string> {
      const room_id = `!${opaqueId()}:${serverName}`;
      const preset = input.preset ?? (input.visibility === 'public' ? 'public_chat' : 'private_chat');
      try {
        await store.insertRoom(room_id, input.creator, clock.now(), input.alias, input.visibility ?? 'private');
      } catch (error) {
        if (input.alias && (await store.roomIdByAlias(input.alias))) throw new DomainError(RoomErrors.aliasTaken);
        throw error;
      }
      const c = input.creator;
      const invitees = [...new Set(input.invite ?? [])].filter((u) => u !== c);
      const users: Record<string, number> = { [c]: 100 };
      if (preset === 'trusted_private_chat') for (const u of invitees) users[u] = 100;
      const pl = {
        users,
        users_default: 0,
        events: { 'm.room.name': 50, 'm.room.power_levels': 100, 'm.room.history_visibility': 100, 'm.room.canonical_alias': 50, 'm.room.avatar': 50, 'm.room.tombstone': 100, 'm.room.server_acl': 100, 'm.room.encryption': 100 },
        events_default: 0,
        state_default: 50,
        ban: 50,
        kick: 50,
        redact: 50,
        invite: 0,
        ...(input.power_level_content_override ?? {}),
      };
      const row = (type: string, content: Record<string, unknown>, state_key: string | null = '') => newEventRow(room_id, c, type, content, state_key);
      const rows: NewEventRow[] = [
        row('m.room.create', { room_version: '11', ...(input.creation_content ?? {}), creator: c }),
        row('m.room.member', { ...(input.profile ?? {}), membership: 'join' }, c),
        row('m.room.power_levels', pl),
      ];
      if (input.alias) rows.push(row('m.room.canonical_alias', { alias: input.alias }));
      rows.push(row('m.room.join_rules', { join_rule: preset === 'public_chat' ? 'public' : 'invite' }));
      rows.push(row('m.room.history_visibility', { history_visibility: 'shared' }));
      if (preset !== 'public_chat') rows.push(row('m.room.guest_access', { guest_access: 'can_join' }));
      for (const s of input.initial_state ?? []) {
        if (s.type === 'm.room.create' || s.type === 'm.room.member') continue;
        rows.push(row(s.type, s.content, s.state_key ?? ''));
      }
      if (input.name) rows.push(row('m.room.name', { name: input.name }));
      if (input.topic) rows.push(row('m.room.topic', { topic: input.topic }));
      for (const u of invitees) rows.push(row('m.room.member', { membership: 'invite', ...(input.is_direct ? { is_direct: true } : {}) }, u));
      await ctx.persist(rows);
      return room_id;
    },

    /**
     * Join `user_id` to `room_id`: allowed when the join rule is `public` or the user is invited,
     * never when banned; a no-op when already joined.
     * @throws DomainError roomNotFound | banned | notInvited
     */
    async join(room_id: string, user_id: string, profile: Record<string, unknown> = {}): Promise<RoomEvent | null> {
      if ((await store.membershipOf(room_id, user_id)) === 'join') return null;
      const event = await changeMembership(room_id, user_id, user_id, { ...profile, membership: 'join' }, async (rules) => {
        const current = await rules.membership(user_id);
        if (current === 'ban') throw new DomainError(RoomErrors.banned);
        if (rules.joinRule !== 'public' && current !== 'invite' && current !== 'join') throw new DomainError(RoomErrors.notInvited);
      });
      await updates.unforgetRoom(user_id, room_id);
      return event;
    },

    /**
     * `sender` invites `target`: the sender must be joined with the `invite` level; the target must
     * be neither joined nor banned.
     * @throws DomainError roomNotFound | notJoined | forbidden
     */
    async invite(room_id: string, sender: string, target: string, extra: Record<string, unknown> = {}): Promise<RoomEvent> {
      const event = await changeMembership(room_id, sender, target, { ...extra, membership: 'invite' }, async (rules) => {
        if ((await rules.membership(sender)) !== 'join') throw new DomainError(RoomErrors.notJoined);
        const current = await rules.membership(target);
        if (current === 'ban') throw forbidden(`${target} is banned from the room`);
        if (current === 'join') throw forbidden(`${target} is already in the room`);
        if (userLevel(rules.pl, sender) < rules.pl.invite) throw forbidden('You do not have permission to invite users');
      });
      // A room the target once forgot is theirs to see again: the invite must reach their sync.
      await updates.unforgetRoom(target, room_id);
      return event;
    },

    /**
     * `user_id` leaves (or rejects an invite); a no-op when already out.
     * @throws DomainError roomNotFound | forbidden (never in the room)
     */
    async leave(room_id: string, user_id: string, reason?: string): Promise<RoomEvent | null> {
      if (!(await store.roomExists(room_id))) throw new DomainError(RoomErrors.roomNotFound);
      const current = await store.membershipOf(room_id, user_id);
      if (current === 'leave' || current === 'ban') return null;
      if (current === null) throw forbidden(`${user_id} is not in the room`);
      return changeMembership(room_id, user_id, user_id, { membership: 'leave', ...(reason ? { reason } : {}) }, async (rules) => {
        const now = await rules.membership(user_id);
        if (now !== 'join' && now !== 'invite' && now !== 'knock') throw forbidden(`${user_id} is not in the room`);
      });
    },

    /**
     * `sender` kicks `target` (joined or invited): needs the `kick` level and a level above the target's.
     * @throws DomainError roomNotFound | notJoined | forbidden
     */
    async kick(room_id: string, sender: string, target: string, reason?: string): Promise<RoomEvent> {
      return changeMembership(room_id, sender, target, { membership: 'leave', ...(reason ? { reason } : {}) }, async (rules) => {
        if ((await rules.membership(sender)) !== 'join') throw new DomainError(RoomErrors.notJoined);
        const current = await rules.membership(target);
        if (current !== 'join' && current !== 'invite') throw forbidden(`${target} is not in the room`);
        const own = userLevel(rules.pl, sender);
        if (own < rules.pl.kick || own <= userLevel(rules.pl, target)) throw forbidden('You do not have permission to kick this user');
      });
    },

    /**
     * `sender` bans `target`: needs the `ban` level and a level above the target's.
     * @throws DomainError roomNotFound | notJoined | forbidden
     */
    async ban(room_id: string, sender: string, target: string, reason?: string): Promise<RoomEvent> {
      return changeMembership(room_id, sender, target, { membership: 'ban', ...(reason ? { reason } : {}) }, async (rules) => {
        if ((await rules.membership(sender)) !== 'join') throw new DomainError(RoomErrors.notJoined);
        const own = userLevel(rules.pl, sender);
        if (own < rules.pl.ban || own <= userLevel(rules.pl, target)) throw forbidden('You do not have permission to ban this user');
      });
    },

    /**
     * `sender` lifts `target`'s ban (membership becomes `leave`): needs the `ban` level.
     * @throws DomainError roomNotFound | notJoined | forbidden (not banned, or too low a level)
     */
    async unban(room_id: string, sender: string, target: string, reason?: string): Promise<RoomEvent> {
      return changeMembership(room_id, sender, target, { membership: 'leave', ...(reason ? { reason } : {}) }, async (rules) => {
        if ((await rules.membership(sender)) !== 'join') throw new DomainError(RoomErrors.notJoined);
        if ((await rules.membership(target)) !== 'ban') throw forbidden(`${target} is not banned`);
        const own = userLevel(rules.pl, sender);
        if (own < rules.pl.ban || own <= userLevel(rules.pl, target)) throw forbidden('You do not have permission to unban this user');
      });
    },

    /**
     * Forget a room the user has left: it no longer appears in their sync.
     * @throws DomainError roomNotFound | stillJoined
     */
    async forget(room_id: string, user_id: string): Promise<void> {
      if (!(await store.roomExists(room_id))) throw new DomainError(RoomErrors.roomNotFound);
      const current = await store.membershipOf(room_id, user_id);
      if (current === 'join' || current === 'invite') throw new DomainError(RoomErrors.stillJoined);
      await updates.forgetRoom(user_id, room_id);
    },

    /** `user_id`'s membership of `room_id` (`join`, `invite`, `leave`, `ban`) or null. */
    membershipOf: (room_id: string, user_id: string): Promise<string | null> => store.membershipOf(room_id, user_id),
  };
  return membership;
}
