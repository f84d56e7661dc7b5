/**
 * 000007 — bot registrations and commands (src/bots, research/boxel-bot-runner.md §2,
 * docs/bot-runner.md). Ids are uuids (v4, made by the service) as the original's; times are integer
 * ms like every Orrery table; the filter is JSON text. Deleting a registration deletes its commands.
 * - `bot_registrations.is_global`: 1 for the bot runner's global registrations (admins only), whose
 *   commands apply to events from any sender.
 * - `bot_commands.command_key`: SHA-256 of the command and its filter; unique per registration, so
 *   the same mapping cannot be added twice, even by concurrent requests (a 409).
 */
import type { Kysely } from 'kysely';

/** Creates the tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('bot_registrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('is_global', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('bot_registrations_username_idx').on('bot_registrations').columns(['username', 'created_at']).execute();
  await db.schema.createIndex('bot_registrations_global_idx').on('bot_registrations').columns(['is_global', 'created_at']).execute();

  await db.schema
    .createTable('bot_commands')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bot_id', 'text', (c) => c.notNull().references('bot_registrations.id').onDelete('cascade'))
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('command_filter', 'text', (c) => c.notNull())
    .addColumn('command_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('bot_commands_bot_idx').on('bot_commands').columns(['bot_id', 'created_at']).execute();
  await db.schema.createIndex('bot_commands_key_idx').on('bot_commands').columns(['bot_id', 'command_key']).unique().execute();
}

/** Drops them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('bot_commands').execute();
  await db.schema.dropTable('bot_registrations').execute();
}
