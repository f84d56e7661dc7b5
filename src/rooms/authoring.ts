/**
 * Rooms: sending timeline and state events and redacting them (Matrix client-server spec "Sending
 * events to a room", "Redactions"; power-level rules of room version 11). Checks run inside the write
 * transaction with the insert.
 */
import { DomainError } from '../lib/errors.ts';
import { RoomErrors } from './errors.ts';
import { roomRules } from './membership.ts';
import { powerLevelsChangeRefusal, powerLevelsOf, requiredLevel, userLevel } from './power-levels.ts';
import { newEventRow, storedEvent, toEvent, type RoomsContext } from './room-events.ts';
import type { RoomEvent, SendGuard, SendPolicy } from './types.ts';

/** Options of `sendEvent`. */
export interface SendOptions {
  /** Client transaction id: resending the same id returns the first event (Matrix txnId semantics). */
  txnId?: string | undefined;
  /** The access/runtime token that sent it (rate limits per token). */
  tokenId?: number | undefined;
  /** Key for "same content recently" checks ({@link SendGuard.duplicateWindowMs}); stored, never sent to clients. */
  dedupeKey?: string | undefined;
  /** Rate and duplicate rules checked atomically with the insert; `verify` throws to refuse. */
  guard?: SendGuard | undefined;
}

/** Content keys a redaction keeps, per event type (room version 11 redaction algorithm). */
const KEPT_KEYS: Record<string, string[]> = {
  'm.room.member': ['membership', 'join_authorised_via_users_server'],
  'm.room.join_rules': ['join_rule', 'allow'],
  'm.room.power_levels': ['ban', 'events', 'events_default', 'invite', 'kick', 'redact', 'state_default', 'users', 'users_default'],
  'm.room.history_visibility': ['history_visibility'],
  'm.room.redaction': ['redacts'],
};

/** The content an event keeps once redacted. */
export function prunedContent(type: string, content: Record<string, unknown>): Record<string, unknown> {
  if (type === 'm.room.create') return content;
  const keep = KEPT_KEYS[type] ?? [];
  return Object.fromEntries(Object.entries(content).filter(([k]) => keep.includes(k)));
}

const forbidden = (message: string) => new DomainError(RoomErrors.forbidden, { message });

/** Largest number of events an unread count looks at (a badge shows "99+" long before). */
export const MAX_UNREAD_COUNT = 100;

/** Builds the authoring part of the rooms service. */
export function createAuthoring(ctx: RoomsContext) {
  const { store, clock } = ctx;

  const policies = new Map<string, SendPolicy>();

  /**
   * `m.room.canonical_alias` may only name aliases that point at the room (spec: 400 `M_BAD_ALIAS`),
   * or anyone could dress a room up as `#shared`.
   * @throws DomainError badAlias
   */
  async function checkAliases(room_id: string, content: Record<string, unknown>): Promise<void> {
    const named = [content.alias, ...(Array.isArray(content.alt_aliases) ? content.alt_aliases : [])].filter((a) => a !== undefined && a !== null);
    for (const alias of named) {
      if (typeof alias !== 'string' || (await store.roomIdByAlias(alias)) !== room_id) {
        throw new DomainError(RoomErrors.badAlias, { message: `${String(alias)} does not point to this room` });
      }
    }
  }

  const authoring = {
    /** Make `policy` judge every timeline send into `room_id` that brings no guard of its own. */
    setSendPolicy(room_id: string, policy: SendPolicy): void {
      policies.set(room_id, policy);
    },

    /** Whether `user_id` is joined with the level to send state of `type` (outside a write: advisory). */
    async canSendState(room_id: string, user_id: string, type: string): Promise<boolean> {
      if (!(await store.roomExists(room_id))) throw new DomainError(RoomErrors.roomNotFound);
      const rules = await roomRules({
        content: async (t, k) => {
          const row = await store.stateEvent(room_id, t, k);
          return row ? (JSON.parse(row.content) as Record<string, unknown>) : null;
        },
      });
      return (await rules.membership(user_id)) === 'join' && userLevel(rules.pl, user_id) >= requiredLevel(rules.pl, type, true);
    },

    /**
     * Send a timeline event as `sender`, who must be joined with the event type's level. With
     * `txnId`, a repeat returns the first event instead of storing a second one, also when the
     * repeats arrive at the same time. `guard` (else the room's {@link SendPolicy}) is checked
     * atomically with the insert.
     * @throws DomainError roomNotFound | notJoined | forbidden, or whatever the guard's `verify` throws
     */
    async sendEvent(room_id: string, sender: string, type: string, content: Record<string, unknown>, sendOptions: SendOptions = {}): Promise<{ event: RoomEvent; duplicate: boolean }> {
      const policy = sendOptions.guard ? undefined : policies.get(room_id)?.({ sender, tokenId: sendOptions.tokenId, type, content });
      const options: SendOptions = policy ? { ...sendOptions, ...policy } : sendOptions;
      if (options.txnId) {
        const prior = await store.findEventByTxn(sender, options.txnId);
        if (prior) return { event: toEvent(prior), duplicate: true };
      }
      const row = newEventRow(room_id, sender, type, content, null, options);
      const result = await store.insertEvents([row], {
        now: () => clock.now(),
        authorize: async (state) => {
          const rules = await roomRules(state);
          if ((await rules.membership(sender)) !== 'join') throw new DomainError(RoomErrors.notJoined);
          if (userLevel(rules.pl, sender) < requiredLevel(rules.pl, type, false)) throw forbidden(`You don't have permission to send ${type} events`);
        },
        ...(options.txnId ? { txn: { sender, txnId: options.txnId } } : {}),
        ...(options.guard ? { guard: options.guard } : {}),
      });
      if ('existing' in result) return { event: toEvent(result.existing), duplicate: true };
      const event = storedEvent(row, result.orderings[0]!, result.ts);
      ctx.bus.publish({ kind: 'event', room_id, stream_ordering: event.stream_ordering, type });
      return { event, duplicate: false };
    },

    /**
     * Set a piece of room state (not membership: the membership operations own `m.room.member`,
     * except a joined user's own profile change). Needs the type's state level; a `state_key` that
     * is a user id other than the sender's is refused; power-level changes follow
     * {@link powerLevelsChangeRefusal}.
     * @throws DomainError roomNotFound | notJoined | forbidden
     */
    async sendState(room_id: string, sender: string, type: string, state_key: string, content: Record<string, unknown>, tokenId?: number): Promise<RoomEvent> {
      if (!(await store.roomExists(room_id))) throw new DomainError(RoomErrors.roomNotFound);
      if (type === 'm.room.create') throw forbidden('m.room.create cannot be changed');
      if (type === 'm.room.canonical_alias') await checkAliases(room_id, content);
      const [event] = await ctx.persist([newEventRow(room_id, sender, type, content, state_key, { tokenId })], {
        authorize: async (state) => {
          const rules = await roomRules(state);
          if ((await rules.membership(sender)) !== 'join') throw new DomainError(RoomErrors.notJoined);
          if (type === 'm.room.member') {
            if (state_key !== sender || content.membership !== 'join') throw forbidden('use the membership endpoints to change membership');
            return;
          }
          if (state_key.startsWith('@') && state_key !== sender) throw forbidden('you cannot set state owned by another user');
          const own = userLevel(rules.pl, sender);
          if (own < requiredLevel(rules.pl, type, true)) throw forbidden(`You don't have permission to send ${type} events`);
          if (type === 'm.room.power_levels') {
            const refusal = powerLevelsChangeRefusal(rules.pl, powerLevelsOf(content, null), sender);
            if (refusal) throw forbidden(refusal);
          }
        },
      });
      return event!;
    },

    /**
     * Redact `event_id`: its content is pruned to what the spec keeps, for good, and an
     * `m.room.redaction` event records who did it. The original sender may always redact; others
     * need the `redact` level. Idempotent per `txnId`.
     * @throws DomainError roomNotFound | eventNotFound | notJoined | forbidden
     */
    async redact(room_id: string, sender: string, event_id: string, reason: string | undefined, options: { txnId?: string; tokenId?: number } = {}): Promise<RoomEvent> {
      if (options.txnId) {
        const prior = await store.findEventByTxn(sender, options.txnId);
        if (prior) return toEvent(prior);
      }
      const target = await store.findEvent(event_id);
      if (!target || target.room_id !== room_id) throw new DomainError(RoomErrors.eventNotFound);
      const row = newEventRow(room_id, sender, 'm.room.redaction', { redacts: event_id, ...(reason ? { reason } : {}) }, null, options);
      const [event] = await ctx.persist([row], {
        authorize: async (state) => {
          const rules = await roomRules(state);
          if ((await rules.membership(sender)) !== 'join') throw new DomainError(RoomErrors.notJoined);
          if (target.sender !== sender && userLevel(rules.pl, sender) < rules.pl.redact) throw forbidden("You don't have permission to redact events");
        },
        redact: { event_id, content: JSON.stringify(prunedContent(target.type, JSON.parse(target.content) as Record<string, unknown>)) },
        // Concurrent repeats of one txnId: the first stores, the others get its event (not a unique-key 500).
        ...(options.txnId ? { txn: { sender, txnId: options.txnId } } : {}),
      });
      return event!;
    },
  };
  return authoring;
}
