/**
 * Power levels (Matrix client-server spec, `m.room.power_levels`; room version 11 authorization
 * rules §"Authorization rules"): who may send which event, invite, kick, ban and redact. Pure
 * functions over the event's content, so they are checked the same way inside the write transaction.
 */

/** `m.room.power_levels` content with the spec's defaults filled in. */
export interface PowerLevels {
  ban: number;
  kick: number;
  invite: number;
  redact: number;
  events_default: number;
  state_default: number;
  users_default: number;
  events: Record<string, number>;
  users: Record<string, number>;
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isInteger(v) ? v : fallback);
const levels = (v: unknown): Record<string, number> =>
  v && typeof v === 'object' ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, n]) => typeof n === 'number')) as Record<string, number> : {};

/**
 * The effective power levels of a room. Without a power-levels event the creator has 100 and
 * everyone else 0, and every action needs 0 (spec: "If the room contains no m.room.power_levels event").
 */
export function powerLevelsOf(content: Record<string, unknown> | null, creator: string | null): PowerLevels {
  if (!content) {
    return { ban: 50, kick: 50, invite: 0, redact: 50, events_default: 0, state_default: 0, users_default: 0, events: {}, users: creator ? { [creator]: 100 } : {} };
  }
  return {
    ban: num(content.ban, 50),
    kick: num(content.kick, 50),
    invite: num(content.invite, 0),
    redact: num(content.redact, 50),
    events_default: num(content.events_default, 0),
    state_default: num(content.state_default, 50),
    users_default: num(content.users_default, 0),
    events: levels(content.events),
    users: levels(content.users),
  };
}

/** `user_id`'s level. */
export function userLevel(pl: PowerLevels, user_id: string): number {
  return pl.users[user_id] ?? pl.users_default;
}

/** Level needed to send an event of `type` (a state event when `isState`). */
export function requiredLevel(pl: PowerLevels, type: string, isState: boolean): number {
  return pl.events[type] ?? (isState ? pl.state_default : pl.events_default);
}

/**
 * Why `sender` may not replace `before` with `after` (spec rule 10 of the authorization rules), or
 * null when the change is allowed: every changed level, old and new, must be at most the sender's
 * own, and another user's level may change only when it is below the sender's.
 */
export function powerLevelsChangeRefusal(before: PowerLevels, after: PowerLevels, sender: string): string | null {
  const own = userLevel(before, sender);
  const scalar = ['ban', 'kick', 'invite', 'redact', 'events_default', 'state_default', 'users_default'] as const;
  for (const key of scalar) {
    if (before[key] !== after[key] && (before[key] > own || after[key] > own)) return `You don't have permission to change the '${key}' level`;
  }
  for (const type of new Set([...Object.keys(before.events), ...Object.keys(after.events)])) {
    const a = before.events[type];
    const b = after.events[type];
    if (a !== b && ((a ?? 0) > own || (b ?? 0) > own)) return `You don't have permission to change the level of '${type}'`;
  }
  for (const user of new Set([...Object.keys(before.users), ...Object.keys(after.users)])) {
    const a = before.users[user];
    const b = after.users[user];
    if (a === b) continue;
    if (user !== sender && (a ?? before.users_default) >= own) return `You don't have permission to change the level of ${user}`;
    if ((b ?? 0) > own) return `You cannot raise ${user} above your own level`;
  }
  return null;
}
