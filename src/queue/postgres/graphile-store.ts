/**
 * The PostgreSQL adapter's SQL: `queue_jobs` stays the record of truth, and every time a row becomes
 * deliverable (enqueue, retry, release, admin retry) a Graphile Worker job carrying only its id is
 * added in the same statement or transaction, so a row is never queued without a delivery. Graphile
 * Worker brings LISTEN/NOTIFY wake-ups, `SKIP LOCKED` claims and named queues (our groups); what it
 * lacks — dedupe in any state, results, cancel, renewed leases — lives in `queue_jobs`.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { cancelJob, failLease, releaseLeases, requeueFinished, type Lease, type NewJobRow, type RequeuedRow, type Verdict } from '../jobs-store.ts';

/** Graphile Worker task identifier of a queue job type. */
export const taskIdentifier = (type: string): string => `orrery:${type}`;
/** Graphile Worker queue (serial, FIFO within a priority) of a group. */
const queueName = (group: string | null) => (group === null ? null : `orrery:${group}`);
/** NOTIFY channel for `cancel:<id>` and `done:<id>,<id>…` between processes. */
export const QUEUE_CHANNEL = 'orrery_queue';

/**
 * `graphile_worker.add_job` for a row; the library runs lower priorities first, ours higher, hence the
 * minus. Runs at `run_at` (ms, our clock) converted to a timestamp.
 */
function addJobCall(row: { id: unknown; type: unknown; group: unknown; priority: unknown; runAt: unknown }): RawBuilder<unknown> {
  return sql`graphile_worker.add_job(
    identifier => ${sql`'orrery:' || ${row.type}`},
    payload => json_build_object('id', ${row.id}::text),
    queue_name => ${row.group},
    run_at => to_timestamp(${row.runAt}::double precision / 1000),
    priority => -(${row.priority}::integer))`;
}

/** Insert (or dedupe) and add its delivery, in one statement. */
export async function enqueueDelivered(db: Kysely<Database>, row: NewJobRow): Promise<{ id: string; deduped: boolean }> {
  const r = await sql<{ id: number }>`
    with ins as (
      insert into queue_jobs (type, payload, job_key, group_key, priority, state, attempts, max_attempts, timeout_ms, run_at, created_at)
      values (${row.type}, ${row.payload}, ${row.job_key}, ${row.group_key}, ${row.priority}, 'queued', 0, ${row.max_attempts}, ${row.timeout_ms}, ${row.run_at}, ${row.created_at})
      on conflict (job_key) do nothing
      returning id, type, group_key, priority, run_at)
    select ins.id, (${addJobCall({ id: sql`ins.id`, type: sql`ins.type`, group: sql`${queueName(row.group_key)}::text`, priority: sql`ins.priority`, runAt: sql`ins.run_at` })}).id as lib_id
      from ins`.execute(db);
  if (r.rows[0]) return { id: String(r.rows[0].id), deduped: false };
  const existing = await db.selectFrom('queue_jobs').select('id').where('job_key', '=', row.job_key).executeTakeFirstOrThrow();
  return { id: String(existing.id), deduped: true };
}

/** Add deliveries for rows moved back to `queued`. */
async function redeliver(db: Kysely<Database>, rows: RequeuedRow[]): Promise<void> {
  if (!rows.length) return;
  const values = sql.join(
    rows.map((r) => sql`(${Number(r.id)}::bigint, ${r.type}::text, ${queueName(r.group_key)}::text, ${r.priority}::integer, ${r.run_at}::bigint)`),
  );
  await sql`select ${addJobCall({ id: sql`v.id`, type: sql`v.type`, group: sql`v.queue_name`, priority: sql`v.priority`, runAt: sql`v.run_at` })}
    from (values ${values}) as v(id, type, queue_name, priority, run_at)`.execute(db);
}

/** A new delivery for a job that is still queued (its current delivery came while stopping). */
export async function redeliverQueued(db: Kysely<Database>, id: string): Promise<void> {
  await sql`select ${addJobCall({ id: sql`j.id`, type: sql`j.type`, group: sql`'orrery:' || j.group_key`, priority: sql`j.priority`, runAt: sql`j.run_at` })}
    from queue_jobs j where j.id = ${Number(id)} and j.state = 'queued'`.execute(db);
}

/** A row a delivery has started: the attempt's fence and the handler's input. */
export interface StartedRow {
  id: number;
  type: string;
  payload: string;
  attempts: number;
  max_attempts: number;
  timeout_ms: number;
  lease_token: string;
}

/**
 * Start the deliveries of `items` in one statement: each queued row becomes running with its own
 * token. A row in any other state (cancelled, finished, or running after a duplicate delivery) is
 * not started; its delivery is then simply acknowledged.
 *
 * `db` is the adapter's asynchronous-commit connection pool (adapter.ts): no WAL flush of its own
 * (PostgreSQL "Asynchronous Commit"), so a job costs the library's own flushes and not two more.
 * Losing this write, which only a PostgreSQL crash within ~3 × wal_writer_delay can do, leaves the
 * row queued; the attempt's verdict then matches no row and the adapter delivers the job again, so
 * it still runs.
 */
export async function startDelivered(
  db: Kysely<Database>,
  items: Array<{ id: string; owner: string; token: string }>,
  now: number,
  leaseMs: number,
): Promise<StartedRow[]> {
  const values = sql.join(items.map((i) => sql`(${Number(i.id)}::bigint, ${i.owner}::text, ${i.token}::text)`));
  const r = await sql<StartedRow>`
    update queue_jobs j
       set state = 'running', attempts = j.attempts + 1, started_at = ${now}::bigint,
           lease_token = v.token, lease_owner = v.owner, lease_expires_at = ${now + leaseMs}::bigint
      from (values ${values}) as v(id, owner, token)
     where j.id = v.id and j.state = 'queued'
    returning j.id, j.type, j.payload, j.attempts, j.max_attempts, j.timeout_ms, j.lease_token`.execute(db);
  return r.rows;
}

/**
 * Store verdicts, fenced by token, in one statement: retries get a new delivery and finished jobs
 * are announced on {@link QUEUE_CHANNEL} (data-modifying CTEs all run, and the SELECT CTEs run because
 * the result refers to them). On the asynchronous-commit pool, as {@link startDelivered}: a verdict
 * lost to a PostgreSQL crash leaves the job running under a lease nobody renews, so the lease sweep
 * runs it again (at-least-once holds).
 */
export async function finishDelivered(db: Kysely<Database>, verdicts: Verdict[]): Promise<boolean[]> {
  const values = sql.join(
    verdicts.map(
      (v) =>
        sql`(${Number(v.id)}::bigint, ${v.token}::text, ${v.state}::text, ${v.result}::text, ${v.error}::text, ${v.runAt}::bigint, ${v.state === 'queued' ? null : v.now}::bigint)`,
    ),
  );
  const r = await sql<{ id: number }>`
    with v(id, token, state, result, error, run_at, finished_at) as (values ${values}),
    upd as (
      update queue_jobs j
         set state = v.state, result = v.result, error = v.error, run_at = coalesce(v.run_at, j.run_at), finished_at = v.finished_at,
             lease_token = null, lease_owner = null, lease_expires_at = null
        from v
       where j.id = v.id and j.lease_token = v.token and j.state = 'running'
      returning j.id, j.type, j.group_key, j.priority, j.run_at, j.state),
    redo as (
      select ${addJobCall({ id: sql`upd.id`, type: sql`upd.type`, group: sql`'orrery:' || upd.group_key`, priority: sql`upd.priority`, runAt: sql`upd.run_at` })} as job
        from upd where upd.state = 'queued'),
    note as (
      select pg_notify(${QUEUE_CHANNEL}, 'done:' || string_agg(upd.id::text, ',')) as sent
        from upd where upd.state <> 'queued' having count(*) > 0)
    select upd.id, (select count(*) from redo) as redone, (select count(*) from note) as noted from upd`.execute(db);
  const applied = new Set(r.rows.map((x) => String(x.id)));
  return verdicts.map((v) => applied.has(v.id));
}

/** Release leases (stop, expired lease) and redeliver, in one transaction. */
export async function releaseDelivered(db: Kysely<Database>, leases: Lease[], now: number, error: string | null): Promise<void> {
  if (!leases.length) return;
  await db.transaction().execute(async (trx) => redeliver(trx, await releaseLeases(trx, leases, now, error)));
}

/** Queue a failed or cancelled job again and redeliver it. */
export async function retryDelivered(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await requeueFinished(trx, id, now);
    if (row) await redeliver(trx, [row]);
    return row !== undefined;
  });
}

/** Cancel and tell the other processes (the one running it aborts its handler). */
export async function cancelAnnounced(db: Kysely<Database>, id: string, now: number, reason: string | null): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const ok = await cancelJob(trx, id, now, reason);
    if (ok) await notify(trx, `cancel:${id}`);
    return ok;
  });
}

/** Fail an expired last attempt and announce it. */
export async function failAnnounced(db: Kysely<Database>, lease: Lease, now: number, error: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (await failLease(trx, lease, now, error)) await notify(trx, `done:${lease.id}`);
  });
}

async function notify(db: Kysely<Database>, payload: string): Promise<void> {
  await sql`select pg_notify(${QUEUE_CHANNEL}, ${payload})`.execute(db);
}
