/**
 * 000009 — debugger sessions (src/debugger; issue 11; research/smythos.md §6): every debug session's
 * whole state lives here, so any instance can take the next step (SmythOS keeps part of it in one
 * process's memory and needs sticky routing). Times are integer ms; JSON is text; booleans 0/1.
 * - `id`: `dbg-…` (started at an endpoint) or `inj-…` (started by an injection), as SmythOS names them.
 * - `request`: the skill call the session debugs (method, path, body, query, headers; uploads base64).
 * - `snapshot`: the run between steps (src/agents/engine/run-state.ts `RunSnapshot`).
 * - `calls`: every component call so far, as the run record will hold them.
 * - `status`: `open` or `closed`; a closed session stays readable until `expires_at`.
 * - `answer`: once closed, the final answer `{status, body}` (a held live call is answered with it).
 * - `live`: 1 while a plain call is held for this session (live debug, §6.6).
 * - `busy_until`: a step in progress claims the session until then, so two steps never interleave.
 * - `agents.mock_data`: the agent's stubbed component outputs (§6.5), JSON, null for none.
 */
import type { Kysely } from 'kysely';

/** Creates the table. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('debug_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addColumn('calls', 'text', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('answer', 'text')
    .addColumn('live', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('busy_until', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('debug_sessions_agent_idx').on('debug_sessions').columns(['agent_id', 'live', 'status']).execute();
  await db.schema.createIndex('debug_sessions_expiry_idx').on('debug_sessions').column('expires_at').execute();
  await db.schema.alterTable('agents').addColumn('mock_data', 'text').execute();
}

/** Drops the table. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('agents').dropColumn('mock_data').execute();
  await db.schema.dropTable('debug_sessions').execute();
}
