/**
 * Rooms: presence, one for both surfaces (DESIGN §1): runtime heartbeats and Matrix
 * `PUT /presence/{userId}/status` or `/sync?set_presence=` write the same row. A user is `online`
 * while active within the presence window; an `online` row older than the window reads as `offline`
 * (a bot that stopped heartbeating is gone). Changes are also stored as `presence` room updates so
 * a Matrix `/sync` carries them.
 */
import { createBatcher } from '../lib/batcher.ts';
import type { RoomsContext } from './room-events.ts';
import type { PresenceRow } from './store.ts';
import type { PresenceState, PresenceView } from './types.ts';

/** Builds the presence part of the rooms service; `windowMs` is the presence window (ms). */
export function createPresence(ctx: RoomsContext, windowMs: number) {
  const { store, updates, bus, clock } = ctx;
  // Heartbeats arriving together are written in one transaction (one commit).
  const presenceRefresher = createBatcher(store.refreshPresenceBatch);

  async function recordChange(user_id: string, view: Omit<PresenceView, 'user_id'>): Promise<void> {
    await updates.putUpdate({ kind: 'presence', room_id: '', user_id, type: '', content: JSON.stringify({ ...view, ts: clock.now() }), ts: clock.now() });
    bus.publish({ kind: 'update', room_id: '', user_id });
  }

  const presence = {
    /** Mark `user_id` online now (a heartbeat, a post, a sync); announces the change when it appears. */
    async touchPresence(user_id: string, viaRuntime: boolean, presenceWindowMs: number = windowMs): Promise<void> {
      const now = clock.now();
      // Hot path (a heartbeat of someone already present): one UPDATE, nothing to announce.
      if ((await presenceRefresher.add({ user_id, now, sinceTs: now - presenceWindowMs, viaRuntime })) === 1) return;
      const prior = await store.getPresence(user_id);
      await store.upsertPresence({ user_id, presence: 'online', last_active_ts: now, status_msg: prior?.status_msg ?? null, via_runtime: viaRuntime ? 1 : (prior?.via_runtime ?? 0) });
      const wasPresent = prior && prior.presence !== 'offline' && now - Number(prior.last_active_ts) <= presenceWindowMs;
      if (!wasPresent) {
        await recordChange(user_id, { presence: 'online', last_active_ago: 0, currently_active: true, ...(prior?.status_msg ? { status_msg: prior.status_msg } : {}) });
        bus.publish({ kind: 'presence', user_id, present: true });
      }
    },

    /** Remove `user_id`'s presence (clean shutdown, token expiry, revocation). */
    async clearPresence(user_id: string): Promise<void> {
      if ((await store.deletePresence(user_id)) > 0) {
        await recordChange(user_id, { presence: 'offline', currently_active: false });
        bus.publish({ kind: 'presence', user_id, present: false });
      }
    },

    /** Set presence explicitly (Matrix `PUT /presence/{userId}/status`): state and status message. */
    async setPresence(user_id: string, state: PresenceView['presence'], status_msg: string | undefined): Promise<void> {
      const now = clock.now();
      const prior = await store.getPresence(user_id);
      const unchanged = prior && prior.presence === state && (prior.status_msg ?? undefined) === status_msg && now - Number(prior.last_active_ts) <= windowMs;
      if (unchanged) {
        // No news for anyone (a `/sync?set_presence=unavailable` loop sets it on every poll): once
        // announced, each repeat would wake the user's own sync at once, for ever.
        await store.upsertPresence({ ...prior, last_active_ts: now });
        return;
      }
      await store.upsertPresence({ user_id, presence: state, last_active_ts: now, status_msg: status_msg ?? null, via_runtime: prior?.via_runtime ?? 0 });
      await store.setStatusMessage(user_id, status_msg ?? null);
      await recordChange(user_id, { presence: state, last_active_ago: 0, currently_active: state === 'online', ...(status_msg ? { status_msg } : {}) });
      bus.publish({ kind: 'presence', user_id, present: state !== 'offline' });
    },

    /** `user_id`'s presence as Matrix reports it (never seen → offline). */
    async getPresence(user_id: string): Promise<PresenceView> {
      return (await presence.getPresences([user_id]))[0]!;
    },

    /** Presence of many users, in the order given, in one read (a first sync lists a whole room's). */
    async getPresences(user_ids: string[]): Promise<PresenceView[]> {
      const now = clock.now();
      const rows = new Map<string, PresenceRow>();
      for (let i = 0; i < user_ids.length; i += 500) for (const r of await store.getPresences(user_ids.slice(i, i + 500))) rows.set(r.user_id, r);
      return user_ids.map((user_id) => {
        const row = rows.get(user_id);
        if (!row) return { user_id, presence: 'offline', currently_active: false };
        const ago = now - Number(row.last_active_ts);
        const stale = row.presence === 'online' && ago > windowMs;
        return {
          user_id,
          presence: stale ? 'offline' : (row.presence as PresenceView['presence']),
          last_active_ago: Math.max(0, ago),
          currently_active: !stale && row.presence === 'online',
          ...(row.status_msg ? { status_msg: row.status_msg } : {}),
        };
      });
    },

    /** Users seen within `presenceWindowMs`, newest first, at most 200. */
    async listPresent(presenceWindowMs: number = windowMs): Promise<PresenceState[]> {
      const rows = await store.presentSince(clock.now() - presenceWindowMs, 200);
      return rows.map((r) => ({
        user_id: r.user_id,
        presence: r.presence as PresenceState['presence'],
        last_active_ts: Number(r.last_active_ts),
        via_runtime: r.via_runtime === 1,
      }));
    },
  };
  return presence;
}
