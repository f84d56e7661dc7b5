/**
 * The debugger's queries (CONVENTIONS "SQL and migrations"): debug sessions in `debug_sessions`
 * (000009-debugger). A step claims its session first (`busy_until`), so two steps of one session never
 * run at once, on one instance or across several; every write that ends a session is conditional on
 * it still being open, so a stop is never undone by a step finishing after it.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../store/schema.ts';

/** A `debug_sessions` row. */
export type SessionRow = Selectable<Database['debug_sessions']>;

/** What a step writes back. */
export interface SessionUpdate {
  snapshot: string;
  calls: string;
  step: number;
  status: 'open' | 'closed';
  answer: string | null;
  updated_at: number;
  expires_at: number;
}

/** Builds the debugger's queries over `db`. */
export function createDebuggerStore(db: Kysely<Database>) {
  return {
    async insertSession(row: SessionRow): Promise<void> {
      await db.insertInto('debug_sessions').values(row).execute();
    },

    /** The session, whatever its state (the caller checks expiry against its clock). */
    findSession: (id: string): Promise<SessionRow | undefined> => db.selectFrom('debug_sessions').selectAll().where('id', '=', id).executeTakeFirst(),

    /**
     * Claim the open, unexpired session `id` of `agentId` for one step until `busyUntil` (ms): the row,
     * or undefined when it is closed, expired, unknown, another agent's, or another step holds it.
     */
    claimSession: (id: string, agentId: string, now: number, busyUntil: number): Promise<SessionRow | undefined> =>
      db
        .updateTable('debug_sessions')
        .set({ busy_until: busyUntil })
        .where('id', '=', id)
        .where('agent_id', '=', agentId)
        .where('status', '=', 'open')
        .where('expires_at', '>', now)
        .where((eb) => eb.or([eb('busy_until', 'is', null), eb('busy_until', '<', now)]))
        .returningAll()
        .executeTakeFirst(),

    /** Write a step's result and release the claim; false when the session was closed meanwhile (a stop). */
    async saveStep(id: string, update: SessionUpdate): Promise<boolean> {
      const r = await db
        .updateTable('debug_sessions')
        .set({ ...update, busy_until: null })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    /** Release a claim without writing (the step could not run). */
    async releaseSession(id: string): Promise<void> {
      await db.updateTable('debug_sessions').set({ busy_until: null }).where('id', '=', id).execute();
    },

    /** Close an open session with `answer` (a stop, an interruption, an expired hold); false when it was not open. */
    async closeSession(id: string, answer: string, now: number, expiresAt: number): Promise<boolean> {
      const r = await db
        .updateTable('debug_sessions')
        .set({ status: 'closed', answer, updated_at: now, expires_at: expiresAt, busy_until: null })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    /** Mark a session as holding a live call (live debug). */
    async setLive(id: string): Promise<void> {
      await db.updateTable('debug_sessions').set({ live: 1 }).where('id', '=', id).execute();
    },

    /** Open live sessions of `agentId`, newest first. */
    listLiveSessions: (agentId: string, now: number): Promise<Pick<SessionRow, 'id' | 'created_at'>[]> =>
      db
        .selectFrom('debug_sessions')
        .select(['id', 'created_at'])
        .where('agent_id', '=', agentId)
        .where('live', '=', 1)
        .where('status', '=', 'open')
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute(),

    /** Forget sessions past their expiry; the number deleted. */
    async deleteExpired(now: number): Promise<number> {
      const r = await db.deleteFrom('debug_sessions').where('expires_at', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

/** The debugger's store. */
export type DebuggerStore = ReturnType<typeof createDebuggerStore>;
