/**
 * 000003 — `events.dedupe_key`: a sender-supplied key (runtime: SHA-256 of the normalised text) so
 * that "the same message sent too recently" is one indexed lookup instead of reading and parsing the
 * sender's recent events on every post (docs/runtime-connect.md, quirk 4).
 */
import type { Kysely } from 'kysely';

/** Adds the column and its index. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').addColumn('dedupe_key', 'text').execute();
  await db.schema.createIndex('events_dedupe_idx').on('events').columns(['room_id', 'sender', 'dedupe_key', 'origin_server_ts']).execute();
}

/** Drops them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('events_dedupe_idx').execute();
  await db.schema.alterTable('events').dropColumn('dedupe_key').execute();
}
