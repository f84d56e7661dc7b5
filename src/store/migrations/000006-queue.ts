/**
 * 000006 — the durable job queue's table (src/queue, DESIGN §5). One row per job, the record of truth
 * on both dialects: state, attempts, lease, result. The embedded adapter claims rows itself; the
 * PostgreSQL adapter lets Graphile Worker (its own `graphile_worker` schema, installed by the library)
 * deliver them and keeps here what the library does not: dedupe for any state, results, cancel,
 * leases renewed while a handler runs.
 */
import { sql, type Kysely } from 'kysely';
import { addSerialKey, isPostgres } from '../migration-helpers.ts';

/** Creates the table and its indexes. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await addSerialKey(db, db.schema.createTable('queue_jobs'), 'id')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    // NULLs are distinct in a unique index on both dialects, so only real keys dedupe.
    .addColumn('job_key', 'text', (c) => c.unique())
    .addColumn('group_key', 'text')
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('timeout_ms', 'bigint', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('lease_token', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .execute();
  if (!isPostgres(db)) {
    // The embedded claim: ready jobs of a type in queue order.
    await db.schema.createIndex('queue_jobs_claim_idx').on('queue_jobs').columns(['state', 'type', 'priority desc', 'run_at', 'id']).execute();
    // Group checks: one running per group, the group's first ready job.
    await db.schema.createIndex('queue_jobs_group_idx').on('queue_jobs').columns(['group_key', 'state', 'id']).execute();
    // The prune. (Lease renewals go by id; the expired-lease sweep reads the few running rows through the claim index.)
    await db.schema.createIndex('queue_jobs_finished_idx').on('queue_jobs').column('finished_at').execute();
    return;
  }
  // PostgreSQL: Graphile Worker claims, so no claim or group index; every index here is written on
  // each state change of each job, so the two the sweep and the prune need are partial (rows in
  // their state only).
  await db.schema.createIndex('queue_jobs_lease_idx').on('queue_jobs').column('lease_expires_at').where(sql.ref('state'), '=', 'running').execute();
  await db.schema.createIndex('queue_jobs_finished_idx').on('queue_jobs').column('finished_at').where(sql.ref('finished_at'), 'is not', null).execute();
}

/** Drops it. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('queue_jobs').execute();
}
