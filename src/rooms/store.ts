/**
 * Rooms SQL: the only file that queries `rooms`, `events`, `current_state`, `room_aliases`, `presence`.
 */
import { sql, type Insertable, type Kysely, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { Dialect } from '../store/database.ts';
import type { Database, EventsTable, PresenceTable } from '../store/schema.ts';
import { createEventWriter, currentStateOf, findEventByTxn } from './event-writer-store.ts';
import type { EventFilter, SendGuard } from './types.ts';

/** A place in a room's timeline: a stream position, or an instant (ms). */
export type EventPosition = { kind: 'stream' | 'ts'; value: number };

/** An `events` row (content as JSON text). */
export type EventRow = Selectable<EventsTable>;
/** A `presence` row. */
export type PresenceRow = Selectable<PresenceTable>;

/**
 * A new event to store (`membership` feeds `current_state` for `m.room.member`; state events also
 * update `current_state`). Its `origin_server_ts` is stamped by {@link RoomsStore.insertEvents} under
 * the write lock.
 */
export type NewEventRow = Omit<Insertable<EventsTable>, 'stream_ordering' | 'origin_server_ts'> & {
  state_key: string | null;
  txn_id: string | null;
  token_id: number | null;
  dedupe_key: string | null;
  membership: string | null;
};

/** Reads a room's current state inside the write transaction (for authorization rules). */
export interface StateReader {
  /** Content of the current state event (type, state_key), or null. */
  content(type: string, state_key: string): Promise<Record<string, unknown> | null>;
}

/** Options of {@link RoomsStore.insertEvents}. */
export interface InsertOptions {
  /**
   * Authorization of the first row against the room's current state, inside the transaction after the
   * write lock is taken, so no concurrent membership or power-level change slips between check and
   * write; throws to refuse.
   */
  authorize?: (state: StateReader) => Promise<void>;
  /** A redaction: prune this event's content (JSON text) and point it at the redaction event. */
  redact?: { event_id: string; content: string };
  /**
   * The clock, read once the write lock is held: every row is stamped with that instant, so time
   * order follows stream order (a stamp taken before waiting for the lock could be older than an
   * event committed meanwhile, and a reader paging by time would skip or repeat it).
   */
  now: () => number;
  /** A client transaction id of the (single) event: when one is stored already, it is returned instead. */
  txn?: { sender: string; txnId: string };
  /** Checked inside the transaction, after the txn lookup, before the insert. */
  guard?: SendGuard;
}

/** What {@link RoomsStore.insertEvents} did: stored the rows, or found the transaction's earlier event. */
export type InsertResult = { orderings: number[]; ts: number } | { existing: EventRow };

/** Narrows an `events` select by an {@link EventFilter}. */
function applyFilter(filter: EventFilter | undefined) {
  return <Q extends SelectQueryBuilder<Database, 'events', object>>(q: Q): Q =>
    filter?.not_token_sender === undefined
      ? q
      : (q.where((eb) => eb.or([eb('sender', '!=', filter.not_token_sender!), eb('token_id', 'is', null)])) as Q);
}


/** Builds the rooms queries over `db` (`dialect` picks how event writes are serialized). */
export function createRoomsStore(db: Kysely<Database>, dialect: Dialect) {
  const writer = createEventWriter(db, dialect);
  return {
    /** @throws the unique violation when `alias` is taken */
    async insertRoom(room_id: string, creator: string, created_at: number, alias?: string, visibility: 'public' | 'private' = 'private'): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('rooms').values({ room_id, creator, created_at, visibility }).execute();
        if (alias) await trx.insertInto('room_aliases').values({ room_alias: alias, room_id }).execute();
      });
    },
    /** PostgreSQL only: `NOTIFY channel, payload` (for the cross-instance event bus). */
    notify: async (channel: string, payload: string): Promise<void> => {
      await sql`select pg_notify(${channel}, ${payload})`.execute(db);
    },
    roomIdByAlias: async (alias: string) =>
      (await db.selectFrom('room_aliases').select('room_id').where('room_alias', '=', alias).executeTakeFirst())?.room_id,

    /** See {@link createEventWriter}: batched, serialized event writes. */
    insertEvents: writer.insertEvents,
    findEventByTxn: (sender: string, txnId: string) => findEventByTxn(db, sender, txnId),
    roomExists: async (room_id: string) => (await db.selectFrom('rooms').select('room_id').where('room_id', '=', room_id).executeTakeFirst()) !== undefined,
    /** The newest stream position (0 when there are no events). */
    /** Both stream heads in one read (every `/sync` starts with them): the events' and the room updates'. */
    streamHeads: async () => {
      const row = (
        await sql<{ events: number | string | null; updates: number | string | null }>`select (select max(stream_ordering) from events) as events, (select max(stream_id) from room_updates) as updates`.execute(db)
      ).rows[0];
      return { events: Number(row?.events ?? 0), updates: Number(row?.updates ?? 0) };
    },
    maxStreamOrdering: async () => Number((await db.selectFrom('events').select((eb) => eb.fn.max('stream_ordering').as('m')).executeTakeFirst())?.m ?? 0),
    findEvent: (event_id: string) => db.selectFrom('events').selectAll().where('event_id', '=', event_id).executeTakeFirst(),
    /** Current state events of a room, optionally of one type. */
    currentState: (room_id: string, type?: string) =>
      currentStateOf(db, room_id)
        .$if(type !== undefined, (q) => q.where('s.type', '=', type!))
        .orderBy('e.stream_ordering')
        .execute(),
    /** Current state events of a room set strictly between two positions (a gappy sync's state). */
    currentStateBetween: (room_id: string, after: number, before: number) =>
      currentStateOf(db, room_id).where('e.stream_ordering', '>', after).where('e.stream_ordering', '<', before).orderBy('e.stream_ordering').execute(),
    stateEvent: (room_id: string, type: string, state_key: string) =>
      currentStateOf(db, room_id).where('s.type', '=', type).where('s.state_key', '=', state_key).executeTakeFirst(),
    /** The room's state as it was at stream position `at` (inclusive): the newest state event per key up to it. */
    stateAt: (room_id: string, at: number) =>
      db
        .selectFrom('events as e')
        .selectAll('e')
        .where('e.room_id', '=', room_id)
        .where('e.state_key', 'is not', null)
        .where('e.stream_ordering', '<=', at)
        .where(({ eb, selectFrom }) =>
          eb(
            'e.stream_ordering',
            '=',
            selectFrom('events as f')
              .select((f) => f.fn.max('f.stream_ordering').as('m'))
              .whereRef('f.room_id', '=', 'e.room_id')
              .whereRef('f.type', '=', 'e.type')
              .whereRef('f.state_key', '=', 'e.state_key')
              .where('f.stream_ordering', '<=', at),
          ),
        )
        .orderBy('e.stream_ordering')
        .execute(),
    /** `user_id`'s member event in a room as it was at stream position `at` (one index probe), or undefined. */
    memberEventAt: async (room_id: string, user_id: string, at: number): Promise<{ membership: string | null; stream_ordering: number } | undefined> => {
      const row = await db
        .selectFrom('events')
        .select(['content', 'stream_ordering'])
        .where('room_id', '=', room_id)
        .where('type', '=', 'm.room.member')
        .where('state_key', '=', user_id)
        .where('stream_ordering', '<=', at)
        .orderBy('stream_ordering', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!row) return undefined;
      const membership = (JSON.parse(row.content) as { membership?: unknown }).membership;
      return { membership: typeof membership === 'string' ? membership : null, stream_ordering: Number(row.stream_ordering) };
    },
    /** Rooms `user_id` has a membership in, with the stream position of that membership event. */
    membershipsOfUser: (user_id: string) =>
      db
        .selectFrom('current_state as s')
        .innerJoin('events as e', 'e.event_id', 's.event_id')
        .select(['s.room_id', 's.membership', 'e.stream_ordering'])
        .where('s.type', '=', 'm.room.member')
        .where('s.state_key', '=', user_id)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('room_forgotten as f').select('f.room_id').whereRef('f.room_id', '=', 's.room_id').where('f.user_id', '=', user_id))),
        )
        .execute(),
    /** Users with `membership` in any of `room_ids`. */
    membersOfRooms: async (room_ids: string[], membership: string) =>
      room_ids.length === 0
        ? []
        : db
            .selectFrom('current_state')
            .select(['room_id', 'state_key as user_id'])
            .where('room_id', 'in', room_ids)
            .where('type', '=', 'm.room.member')
            .where('membership', '=', membership)
            .execute(),
    /**
     * A page of a room's timeline between positions: `dir` `f` reads `(from, to]` oldest first, `b`
     * reads `(to, from]` newest first; either bound may be absent.
     */
    timelinePage: (room_id: string, dir: 'f' | 'b', from: number | undefined, to: number | undefined, limit: number) =>
      db
        .selectFrom('events')
        .selectAll()
        .where('room_id', '=', room_id)
        .$if(dir === 'f' && from !== undefined, (q) => q.where('stream_ordering', '>', from!))
        .$if(dir === 'f' && to !== undefined, (q) => q.where('stream_ordering', '<=', to!))
        .$if(dir === 'b' && from !== undefined, (q) => q.where('stream_ordering', '<=', from!))
        .$if(dir === 'b' && to !== undefined, (q) => q.where('stream_ordering', '>', to!))
        .orderBy('stream_ordering', dir === 'f' ? 'asc' : 'desc')
        .limit(limit)
        .execute(),
    /** Number of users with `membership` in a room. */
    countMembers: async (room_id: string, membership: string) =>
      Number(
        (await db
          .selectFrom('current_state')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('room_id', '=', room_id)
          .where('type', '=', 'm.room.member')
          .where('membership', '=', membership)
          .executeTakeFirst())?.n ?? 0,
      ),
    /** Events of `type` sent by others after position `after` in a room, counted up to `cap` (unread counts). */
    countEventsAfter: async (room_id: string, type: string, after: number, not_sender: string, cap: number) =>
      Number(
        (
          await sql<{ n: number | string }>`select count(*) as n from (
              select 1 from events
               where room_id = ${room_id} and stream_ordering > ${after} and type = ${type} and sender <> ${not_sender}
               order by stream_ordering desc limit ${cap}) recent`.execute(db)
        ).rows[0]?.n ?? 0,
      ),
    membershipOf: async (room_id: string, user_id: string) =>
      (
        await db
          .selectFrom('current_state')
          .select('membership')
          .where('room_id', '=', room_id)
          .where('type', '=', 'm.room.member')
          .where('state_key', '=', user_id)
          .executeTakeFirst()
      )?.membership ?? null,

    /**
     * Events of `types` in a room after a position, oldest first: strictly after a stream position,
     * or created after an instant (`origin_server_ts`, for legacy ISO cursors).
     */
    eventsAfter: (room_id: string, types: string[], after: EventPosition, limit: number, filter?: EventFilter) =>
      db
        .selectFrom('events')
        .selectAll()
        .where('room_id', '=', room_id)
        .where('type', 'in', types)
        .where(after.kind === 'stream' ? 'stream_ordering' : 'origin_server_ts', '>', after.value)
        .$call(applyFilter(filter))
        .orderBy('stream_ordering')
        .limit(limit)
        .execute(),
    /** The newest `limit` events of `types`, newest first. */
    latestEvents: (room_id: string, types: string[], limit: number, filter?: EventFilter) =>
      db
        .selectFrom('events')
        .selectAll()
        .where('room_id', '=', room_id)
        .where('type', 'in', types)
        .$call(applyFilter(filter))
        .orderBy('stream_ordering', 'desc')
        .limit(limit)
        .execute(),
    /**
     * Refresh the users of a batch of heartbeats who are present, in at most two UPDATEs (runtime and
     * not); returns 1 per item refreshed, 0 for those not present (the caller then takes the slow path
     * and announces them). The batch's latest `now` and strictest `sinceTs` apply to all its items.
     */
    async refreshPresenceBatch(items: Array<{ user_id: string; now: number; sinceTs: number; viaRuntime: boolean }>): Promise<number[]> {
      if (items.length === 0) return [];
      const now = items.reduce((max, it) => (it.now > max ? it.now : max), items[0]!.now);
      const since = items.reduce((max, it) => (it.sinceTs > max ? it.sinceTs : max), items[0]!.sinceTs);
      const refreshed = new Set<string>();
      // `sql` template: this runs for every heartbeat, where Kysely's builder cost more than SQLite.
      for (const viaRuntime of [true, false]) {
        const users = [...new Set(items.filter((it) => it.viaRuntime === viaRuntime).map((it) => it.user_id))];
        if (users.length === 0) continue;
        const { rows } = await sql<{ user_id: string }>`update presence
             set last_active_ts = ${now}${viaRuntime ? sql`, via_runtime = 1` : sql``}
           where user_id in (${sql.join(users)}) and presence <> 'offline' and last_active_ts >= ${since}
           returning user_id`.execute(db);
        for (const r of rows) refreshed.add(r.user_id);
      }
      return items.map((it) => (refreshed.has(it.user_id) ? 1 : 0));
    },
    getPresence: (user_id: string) => db.selectFrom('presence').selectAll().where('user_id', '=', user_id).executeTakeFirst(),
    /** Presence rows of many users (absent users have none). */
    getPresences: async (user_ids: string[]) => (user_ids.length === 0 ? [] : db.selectFrom('presence').selectAll().where('user_id', 'in', user_ids).execute()),
    async upsertPresence(row: PresenceRow): Promise<void> {
      await db
        .insertInto('presence')
        .values(row)
        .onConflict((oc) =>
          oc.column('user_id').doUpdateSet({ presence: row.presence, last_active_ts: row.last_active_ts, via_runtime: row.via_runtime }),
        )
        .execute();
    },
    async setStatusMessage(user_id: string, status_msg: string | null): Promise<void> {
      await db.updateTable('presence').set({ status_msg }).where('user_id', '=', user_id).execute();
    },
    async deletePresence(user_id: string): Promise<number> {
      const r = await db.deleteFrom('presence').where('user_id', '=', user_id).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    /** Online users active since `sinceTs`, newest first, at most `limit`. */
    presentSince: (sinceTs: number, limit: number) =>
      db
        .selectFrom('presence')
        .selectAll()
        .where('presence', '!=', 'offline')
        .where('last_active_ts', '>=', sinceTs)
        .orderBy('last_active_ts', 'desc')
        .limit(limit)
        .execute(),
  };
}

/** The rooms store's API. */
export type RoomsStore = ReturnType<typeof createRoomsStore>;
