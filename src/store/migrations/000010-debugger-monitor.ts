/**
 * 000010 — the debugger's monitor streams (src/debugger/monitor.ts; issue 11 item 4; research/smythos.md
 * §6.7). Times are integer ms; event payloads are text exactly as the SSE `data:` line carries them.
 * - `debug_monitors`: one row per monitor a user opened on an agent (`GET /agent/:agentId/monitor`).
 *   `id` is the unguessable `mon-…` a run names in `X-MONITOR-ID`; `start_id` the newest event row when
 *   it was opened (its stream starts after it); it stays open until `expires_at`, which its streams
 *   push forward while they are connected.
 * - `debug_monitor_events`: what runs reported, in chunks: one row holds the events one batch write had
 *   for one agent and one set of monitors, however many monitors they go to. `monitor_ids` is
 *   `,id1,id2,` (the leading and trailing commas make `like '%,id,%'` exact); `events` two lines per
 *   event, its SSE event name (`agent`, `component`, `llm/passthrough/content`, …) and its data line.
 *   `id` orders the chunks; an event's position in a stream (its resume point, `Last-Event-ID`) is
 *   `id * 1024 + its index in the chunk`. Rows older than an hour are pruned.
 */
import type { Kysely } from 'kysely';
import { addSerialKey } from '../migration-helpers.ts';

/** Creates the tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('debug_monitors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('start_id', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('debug_monitors_expiry_idx').on('debug_monitors').column('expires_at').execute();

  await addSerialKey(db, db.schema.createTable('debug_monitor_events'), 'id')
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('monitor_ids', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('debug_monitor_events_agent_idx').on('debug_monitor_events').columns(['agent_id', 'id']).execute();
  await db.schema.createIndex('debug_monitor_events_age_idx').on('debug_monitor_events').column('created_at').execute();
}

/** Drops the tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('debug_monitor_events').execute();
  await db.schema.dropTable('debug_monitors').execute();
}
