/**
 * 000008 — agents (src/agents; issue 10; research/smythos.md §1-§2): definitions, deployed versions,
 * the per-agent key vault, runs with every component call, and key/value memory. Times are integer
 * ms like every Orrery table; JSON is text; booleans are integers 0/1.
 * - `agents.id`: `a` + 20 base32 characters, so it is a valid DNS label (`<agentId>.<domain>` routing).
 * - `agents.document` / `agent_versions.document`: the `.smyth` text exactly as imported; a version's
 *   document never changes after deploy.
 * - `agent_keys.ciphertext`: base64 of IV (12 bytes) | GCM tag (16 bytes) | AES-256-GCM ciphertext
 *   (src/agents/vault.ts); the plaintext is stored nowhere.
 * - `agent_runs.version`: null for a run of the draft. `ended_at` null while running.
 * - `agent_calls`: one row per component call, `seq` in call order within its run.
 * - `agent_memory.expires_at`: null for no expiry.
 * Deleting an agent deletes everything below it (the service deletes explicitly too, so no dialect's
 * foreign-key setting matters).
 */
import type { Kysely } from 'kysely';

/** Creates the tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('agents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('skill_access', 'text', (c) => c.notNull().defaultTo('owner'))
    .addColumn('skill_key_name', 'text', (c) => c.defaultTo('API_KEY'))
    .addColumn('debug_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('agents_owner_idx').on('agents').columns(['owner_id', 'created_at']).execute();

  await db.schema
    .createTable('agent_versions')
    .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('agent_versions_pk', ['agent_id', 'version'])
    .execute();

  await db.schema
    .createTable('agent_keys')
    .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('agent_keys_pk', ['agent_id', 'name'])
    .execute();

  // No foreign key to `agents`: runs are written in batches after the answer, possibly after the
  // agent was deleted; the service deletes an agent's runs itself.
  await db.schema
    .createTable('agent_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('skill', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('http_status', 'integer')
    .addColumn('caller_id', 'text')
    .addColumn('correlation_id', 'text', (c) => c.notNull())
    .addColumn('parent_run_id', 'text')
    .addColumn('debug_session_id', 'text')
    .addColumn('steps', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .execute();
  await db.schema.createIndex('agent_runs_agent_idx').on('agent_runs').columns(['agent_id', 'started_at', 'id']).execute();
  await db.schema.createIndex('agent_runs_parent_idx').on('agent_runs').column('parent_run_id').execute();

  await db.schema
    .createTable('agent_calls')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('component_id', 'text', (c) => c.notNull())
    .addColumn('component_name', 'text', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('source_id', 'text')
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('output', 'text')
    .addColumn('error', 'text')
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .addColumn('logs', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('agent_calls_pk', ['run_id', 'seq'])
    .execute();

  await db.schema
    .createTable('agent_memory')
    .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('memory_name', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addPrimaryKeyConstraint('agent_memory_pk', ['agent_id', 'memory_name', 'key'])
    .execute();
}

/** Drops them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['agent_memory', 'agent_calls', 'agent_runs', 'agent_keys', 'agent_versions', 'agents']) {
    await db.schema.dropTable(table).execute();
  }
}
