/**
 * The monitor streams' queries (CONVENTIONS "SQL and migrations"): monitors in `debug_monitors`,
 * what runs reported to them in `debug_monitor_events` (000010-debugger-monitor), in chunks (a row
 * holds the events of one batch for one agent and one set of monitors). Chunks are written in batches,
 * one transaction each; on PostgreSQL every batch holds an advisory lock until it commits, so chunk
 * ids become visible in order and a stream's cursor never steps over one still committing.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Dialect } from '../store/database.ts';
import type { Database } from '../store/schema.ts';

/** A `debug_monitors` row. */
export type MonitorRow = Selectable<Database['debug_monitors']>;
/** A `debug_monitor_events` row: a chunk of events. */
export type MonitorChunkRow = Selectable<Database['debug_monitor_events']>;
/** A chunk to write (the id is the database's). */
export type NewMonitorChunkRow = Omit<MonitorChunkRow, 'id'>;

/**
 * PostgreSQL advisory lock (key pair `'orry'`, `'mon'`) held by every event batch until it commits:
 * without it two instances' batches take ids in one order and commit in the other, and a stream that
 * read id 11 before 10 was visible would skip 10 for ever. SQLite has one writer anyway.
 */
const MONITOR_EVENTS_WRITE_LOCK = [0x6f727279, 0x6d6f6e] as const;
/** Rows per INSERT statement (SQLite binds at most 32766 parameters; a row binds 4). */
const ROWS_PER_INSERT = 500;

/** `like` pattern matching rows for `monitorId` (ids are base64url: no `%`, `_` is escaped). */
const monitorPattern = (monitorId: string) => `%,${monitorId.replace(/[\\%_]/g, (c) => `\\${c}`)},%`;

/** Builds the monitor queries over `db`. */
export function createMonitorStore(db: Kysely<Database>, dialect: Dialect) {
  return {
    async insertMonitor(row: MonitorRow): Promise<void> {
      await db.insertInto('debug_monitors').values(row).execute();
    },

    /** The monitors among `ids` that exist (the caller checks agent and expiry). */
    findMonitors: (ids: string[]): Promise<MonitorRow[]> =>
      ids.length ? db.selectFrom('debug_monitors').selectAll().where('id', 'in', ids).execute() : Promise.resolve([]),

    /** Keep `ids` open until `expiresAt` (ms); never shortens. */
    async touchMonitors(ids: string[], expiresAt: number): Promise<void> {
      if (!ids.length) return;
      await db.updateTable('debug_monitors').set({ expires_at: expiresAt }).where('id', 'in', ids).where('expires_at', '<', expiresAt).execute();
    },

    /** The newest chunk id (0 when there is none): a new monitor's stream starts after it. */
    async lastChunkId(): Promise<number> {
      const row = await db
        .selectFrom('debug_monitor_events')
        .select((eb) => eb.fn.max('id').as('m'))
        .executeTakeFirst();
      return Number(row?.m ?? 0);
    },

    /**
     * Write `rows` in one transaction (several INSERTs when many). Resolves with `ids`, the id of each
     * row in `rows`' order, and `before`, the highest id any batch had written before this one (0 when
     * none): every chunk up to `before` is committed, and none lies between it and this batch's ids,
     * so a stream that has seen everything up to `before` may take this batch straight from memory.
     * On PostgreSQL under {@link MONITOR_EVENTS_WRITE_LOCK}; on SQLite the write transaction is the
     * only writer.
     */
    async insertChunks(rows: NewMonitorChunkRow[]): Promise<{ before: number; ids: number[] }> {
      if (!rows.length) return { before: 0, ids: [] };
      return db.transaction().execute(async (trx) => {
        if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${MONITOR_EVENTS_WRITE_LOCK[0]}, ${MONITOR_EVENTS_WRITE_LOCK[1]})`.execute(trx);
        // Read after the lock (a statement of its own, so its snapshot sees every batch committed before).
        const top = await sql<{ m: number | string | null }>`select max(id) as m from debug_monitor_events`.execute(trx);
        const ids: number[] = [];
        for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
          const written = await trx
            .insertInto('debug_monitor_events')
            .values(rows.slice(i, i + ROWS_PER_INSERT))
            .returning('id')
            .execute();
          // RETURNING promises no order; the ids themselves are drawn row by row in VALUES order while
          // this batch is the only writer, so in ascending order they are the rows' order.
          ids.push(...written.map((r) => Number(r.id)).sort((a, b) => a - b));
        }
        return { before: Number(top.rows[0]?.m ?? 0), ids };
      });
    },

    /**
     * Chunks of `agentId` from id `fromId` on (inclusive) for any of `monitorIds`, oldest first, at
     * most `limit` (one read serves every stream of the agent on this instance).
     */
    readChunks: (agentId: string, fromId: number, monitorIds: string[], limit: number): Promise<MonitorChunkRow[]> =>
      db
        .selectFrom('debug_monitor_events')
        .selectAll()
        .where('agent_id', '=', agentId)
        .where('id', '>=', fromId)
        .where((eb) => eb.or(monitorIds.map((id) => eb('monitor_ids', 'like', sql<string>`${monitorPattern(id)} escape '\\'`))))
        .orderBy('id')
        .limit(limit)
        .execute(),

    /** Delete chunks created before `before` and monitors expired before `now` (ms). */
    async prune(before: number, now: number): Promise<void> {
      await db.deleteFrom('debug_monitor_events').where('created_at', '<', before).execute();
      await db.deleteFrom('debug_monitors').where('expires_at', '<', now).execute();
    },
  };
}

/** The monitor queries. */
export type MonitorStore = ReturnType<typeof createMonitorStore>;
