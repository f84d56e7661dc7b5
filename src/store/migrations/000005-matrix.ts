/**
 * 000005 — what the Matrix client-server API needs beyond the spine (docs/matrix.md):
 * - `access_tokens.device_id`: a device per login (spec "Relationship between access tokens and devices");
 * - `users.avatar_url`: the profile's second field beside `display_name`;
 * - `rooms.visibility`: `public` rooms are listed in the room directory (`/publicRooms`);
 * - `events.redacted_because`: the redaction event id, set when an event's content is pruned;
 * - `room_updates`: one position-ordered stream of the per-user and per-room data that are not
 *   events (account data, read receipts, typing, presence changes), the second part of a sync token;
 * - `room_forgotten`: rooms a user forgot (left rooms no longer in their sync);
 * - `matrix_filters`, `openid_tokens`: the Matrix module's own small tables.
 */
import { sql, type Kysely } from 'kysely';
import { addSerialKey } from '../migration-helpers.ts';

/** Adds the columns and tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('access_tokens').addColumn('device_id', 'text').execute();
  await db.schema.alterTable('users').addColumn('avatar_url', 'text').execute();
  await db.schema.alterTable('rooms').addColumn('visibility', 'text', (c) => c.notNull().defaultTo('private')).execute();
  await db.schema.alterTable('events').addColumn('redacted_because', 'text').execute();
  // State as it was at a position (`stateAt`, a former member's view, a membership at a sync token):
  // the newest event per (room, type, state_key) up to a position is one index probe.
  await db.schema.createIndex('events_state_idx').on('events').columns(['room_id', 'type', 'state_key', 'stream_ordering']).execute();
  // The shared space of an existing install is listed in the room directory, as a new one is.
  await sql`update rooms set visibility = 'public' where room_id in (select room_id from room_aliases where room_alias like '#shared:%')`.execute(db);

  await addSerialKey(db, db.schema.createTable('room_updates'), 'stream_id')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('room_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('room_updates_key_idx').on('room_updates').columns(['kind', 'room_id', 'user_id', 'type']).unique().execute();
  await db.schema.createIndex('room_updates_user_idx').on('room_updates').columns(['user_id', 'stream_id']).execute();
  await db.schema.createIndex('room_updates_room_idx').on('room_updates').columns(['room_id', 'stream_id']).execute();

  await db.schema
    .createTable('room_forgotten')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.room_id').onDelete('cascade'))
    .addPrimaryKeyConstraint('room_forgotten_pk', ['user_id', 'room_id'])
    .execute();

  await addSerialKey(db, db.schema.createTable('matrix_filters'), 'filter_id')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('filter', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('openid_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

/** Drops them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['openid_tokens', 'matrix_filters', 'room_forgotten', 'room_updates']) await db.schema.dropTable(t).execute();
  await db.schema.dropIndex('events_state_idx').execute();
  await db.schema.alterTable('events').dropColumn('redacted_because').execute();
  await db.schema.alterTable('rooms').dropColumn('visibility').execute();
  await db.schema.alterTable('users').dropColumn('avatar_url').execute();
  await db.schema.alterTable('access_tokens').dropColumn('device_id').execute();
}
