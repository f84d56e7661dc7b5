/**
 * Rooms SQL beside the event log: `room_updates` (account data, receipts, typing, presence changes
 * in one position order), `room_forgotten`, room aliases and the room directory's visibility. The
 * event log itself is `store.ts`.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { isUniqueViolation, type Dialect } from '../store/database.ts';
import type { Database, RoomUpdatesTable } from '../store/schema.ts';

/** A `room_updates` row (content as JSON text). */
export type UpdateRow = Selectable<RoomUpdatesTable>;
/** What kind of update a row is. */
export type UpdateKind = 'account_data' | 'receipt' | 'typing' | 'presence';

/**
 * PostgreSQL advisory lock held by every `room_updates` write until it commits, as events have theirs
 * (src/rooms/event-writer-store.ts): positions then become visible in order (a sync that saw 12
 * before 11 committed would skip 11 for ever), and two writers of one key cannot both delete and
 * then both insert (a unique-key violation). SQLite has one writer anyway.
 */
const UPDATES_WRITE_LOCK = [0x6f727279, 2] as const;

/** Builds the queries over `db`. */
export function createUpdatesStore(db: Kysely<Database>, dialect: Dialect) {
  return {
    /**
     * Store the newest value of (kind, room_id, user_id, type), replacing the previous one with a new,
     * higher `stream_id` (a sync since an older position sees it once). Returns the position.
     */
    async putUpdate(row: Omit<UpdateRow, 'stream_id'>): Promise<number> {
      return db.transaction().execute(async (trx) => {
        if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${UPDATES_WRITE_LOCK[0]}, ${UPDATES_WRITE_LOCK[1]})`.execute(trx);
        await trx
          .deleteFrom('room_updates')
          .where('kind', '=', row.kind)
          .where('room_id', '=', row.room_id)
          .where('user_id', '=', row.user_id)
          .where('type', '=', row.type)
          .execute();
        const r = await trx.insertInto('room_updates').values(row).returning('stream_id').executeTakeFirstOrThrow();
        return Number(r.stream_id);
      });
    },
    /**
     * Updates with `after < stream_id <= upto`: of `user_id` itself (account data: global and per
     * room), or in `room_ids` (receipts, typing), or presence of the joined members of `presence_rooms`.
     */
    updatesBetween: (q: { user_id: string; room_ids: string[]; presence_rooms: string[]; after: number; upto: number }) =>
      db
        .selectFrom('room_updates')
        .selectAll()
        .where('stream_id', '>', q.after)
        .where('stream_id', '<=', q.upto)
        .where((eb) =>
          eb.or([
            eb.and([eb('kind', '=', 'account_data'), eb('user_id', '=', q.user_id)]),
            ...(q.room_ids.length > 0 ? [eb.and([eb('kind', 'in', ['receipt', 'typing']), eb('room_id', 'in', q.room_ids)])] : []),
            ...(q.presence_rooms.length > 0
              ? [
                  eb.and([
                    eb('kind', '=', 'presence'),
                    eb(
                      'user_id',
                      'in',
                      eb
                        .selectFrom('current_state')
                        .select('state_key')
                        .where('room_id', 'in', q.presence_rooms)
                        .where('type', '=', 'm.room.member')
                        .where('membership', '=', 'join'),
                    ),
                  ]),
                ]
              : []),
          ]),
        )
        .orderBy('stream_id')
        .execute(),
    /** Current typing rows of a room (the caller drops the expired ones). */
    typingIn: (room_id: string) => db.selectFrom('room_updates').selectAll().where('kind', '=', 'typing').where('room_id', '=', room_id).execute(),
    /** Every receipt in a room. */
    receiptsIn: (room_id: string) => db.selectFrom('room_updates').selectAll().where('kind', '=', 'receipt').where('room_id', '=', room_id).execute(),
    /** One update row. */
    findUpdate: (kind: UpdateKind, room_id: string, user_id: string, type: string) =>
      db
        .selectFrom('room_updates')
        .selectAll()
        .where('kind', '=', kind)
        .where('room_id', '=', room_id)
        .where('user_id', '=', user_id)
        .where('type', '=', type)
        .executeTakeFirst(),

    async forgetRoom(user_id: string, room_id: string): Promise<void> {
      await db.insertInto('room_forgotten').values({ user_id, room_id }).onConflict((oc) => oc.doNothing()).execute();
    },
    async unforgetRoom(user_id: string, room_id: string): Promise<void> {
      await db.deleteFrom('room_forgotten').where('user_id', '=', user_id).where('room_id', '=', room_id).execute();
    },

    /** Map `alias` to `room_id`; false when the alias is taken. */
    async insertAlias(alias: string, room_id: string): Promise<boolean> {
      try {
        await db.insertInto('room_aliases').values({ room_alias: alias, room_id }).execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    async deleteAlias(alias: string): Promise<number> {
      return Number((await db.deleteFrom('room_aliases').where('room_alias', '=', alias).executeTakeFirst()).numDeletedRows);
    },
    aliasesOf: async (room_id: string) =>
      (await db.selectFrom('room_aliases').select('room_alias').where('room_id', '=', room_id).orderBy('room_alias').execute()).map((r) => r.room_alias),

    async setVisibility(room_id: string, visibility: 'public' | 'private'): Promise<void> {
      await db.updateTable('rooms').set({ visibility }).where('room_id', '=', room_id).execute();
    },
    visibilityOf: async (room_id: string) => (await db.selectFrom('rooms').select('visibility').where('room_id', '=', room_id).executeTakeFirst())?.visibility,
    /** Public rooms, largest first, with their joined-member count: a page of `limit` from `offset`. */
    publicRooms: (limit: number, offset: number) =>
      db
        .selectFrom('rooms as r')
        .select(['r.room_id'])
        .select(sql<number>`(select count(*) from current_state s where s.room_id = r.room_id and s.type = 'm.room.member' and s.membership = 'join')`.as('joined'))
        .where('r.visibility', '=', 'public')
        .orderBy('joined', 'desc')
        .orderBy('r.room_id')
        .limit(limit)
        .offset(offset)
        .execute(),
    countPublicRooms: async () =>
      Number((await db.selectFrom('rooms').select((eb) => eb.fn.countAll().as('n')).where('visibility', '=', 'public').executeTakeFirst())?.n ?? 0),
  };
}

/** The updates store's API. */
export type UpdatesStore = ReturnType<typeof createUpdatesStore>;
