/**
 * 000002 — rooms (DESIGN §1: Matrix-shaped events in one global order, current state, members,
 * aliases, presence) and Runtime Connect (invites; runtime tokens live in `access_tokens`).
 */
import type { Kysely } from 'kysely';
import { addSerialKey } from '../migration-helpers.ts';

/** Creates the rooms and runtime tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rooms')
    .addColumn('room_id', 'text', (c) => c.primaryKey())
    .addColumn('creator', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await addSerialKey(db, db.schema.createTable('events'), 'stream_ordering')
    .addColumn('event_id', 'text', (c) => c.notNull().unique())
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.room_id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('state_key', 'text')
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('origin_server_ts', 'bigint', (c) => c.notNull())
    .addColumn('txn_id', 'text')
    // Internal metadata (not part of the event): which access/runtime token sent it.
    .addColumn('token_id', 'bigint')
    .execute();
  await db.schema.createIndex('events_room_stream_idx').on('events').columns(['room_id', 'stream_ordering']).execute();
  await db.schema.createIndex('events_sender_ts_idx').on('events').columns(['room_id', 'sender', 'origin_server_ts']).execute();
  await db.schema.createIndex('events_token_ts_idx').on('events').columns(['token_id', 'origin_server_ts']).execute();
  await db.schema.createIndex('events_txn_idx').on('events').columns(['sender', 'txn_id']).unique().execute();

  await db.schema
    .createTable('current_state')
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.room_id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('state_key', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('membership', 'text')
    .addPrimaryKeyConstraint('current_state_pk', ['room_id', 'type', 'state_key'])
    .execute();
  await db.schema.createIndex('current_state_member_idx').on('current_state').columns(['state_key', 'type', 'membership']).execute();

  await db.schema
    .createTable('room_aliases')
    .addColumn('room_alias', 'text', (c) => c.primaryKey())
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.room_id').onDelete('cascade'))
    .execute();

  await db.schema
    .createTable('presence')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('presence', 'text', (c) => c.notNull())
    .addColumn('last_active_ts', 'bigint', (c) => c.notNull())
    .addColumn('status_msg', 'text')
    .addColumn('via_runtime', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('presence_active_idx').on('presence').column('last_active_ts').execute();

  await addSerialKey(db, db.schema.createTable('runtime_invites'), 'invite_id')
    .addColumn('code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('max_claims', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('used_claims', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('used_at', 'bigint')
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

}

/** Drops them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['runtime_invites', 'presence', 'room_aliases', 'current_state', 'events', 'rooms']) {
    await db.schema.dropTable(t).execute();
  }
}
