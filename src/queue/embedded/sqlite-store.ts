/**
 * The embedded adapter's hot path on SQLite — insert, claim, verdict — as fixed SQL texts run through
 * `executeQuery` (Kysely's builder cost ~0.2 ms per statement here, more than SQLite itself, and
 * these run once per job; the statements are prepared once, src/store/sqlite/open.ts).
 *
 * The claim: one UPDATE … RETURNING takes the ready jobs of a type in queue order
 * (priority descending, then `run_at`, then id) and leases them. A single statement is atomic in
 * SQLite, so two processes on one database file never claim the same job (the second waits on the
 * write lock, busy timeout 5 s). A grouped job qualifies only when nothing of its group runs and it is
 * its group's first ready job, so one claim never takes two jobs of a group.
 */
import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { NewJobRow, Verdict } from '../jobs-store.ts';

/** A claimed row. */
export interface ClaimedRow {
  id: number;
  type: string;
  payload: string;
  attempts: number;
  max_attempts: number;
  timeout_ms: number;
  lease_token: string;
}

/** Lease up to `limit` ready jobs of `type` to `owner` until `now + leaseMs`. */
export async function claimJobs(
  db: Kysely<Database>,
  q: { type: string; limit: number; now: number; leaseMs: number; owner: string },
): Promise<ClaimedRow[]> {
  const r = await sql<ClaimedRow>`
    update queue_jobs
       set state = 'running', attempts = attempts + 1, started_at = ${q.now},
           lease_token = lower(hex(randomblob(12))), lease_owner = ${q.owner}, lease_expires_at = ${q.now + q.leaseMs}
     where id in (
       select j.id from queue_jobs j
        where j.state = 'queued' and j.type = ${q.type} and j.run_at <= ${q.now}
          and (j.group_key is null or (
                not exists (select 1 from queue_jobs r where r.group_key = j.group_key and r.state = 'running')
            and not exists (select 1 from queue_jobs h
                             where h.group_key = j.group_key and h.state = 'queued' and h.run_at <= ${q.now} and h.id <> j.id
                               and (h.priority > j.priority
                                    or (h.priority = j.priority and (h.run_at < j.run_at or (h.run_at = j.run_at and h.id < j.id)))))))
        order by j.priority desc, j.run_at, j.id
        limit ${q.limit})
    returning id, type, payload, attempts, max_attempts, timeout_ms, lease_token`.execute(db);
  return r.rows;
}

const INSERT = `insert into queue_jobs (type, payload, job_key, group_key, priority, state, attempts, max_attempts, timeout_ms, run_at, created_at)
  values (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?) on conflict (job_key) do nothing returning id`;
const BY_KEY = 'select id from queue_jobs where job_key = ?';

/** Insert (or dedupe) each row; run it in a transaction so a batch is one commit. Results in order. */
export async function insertJobsSqlite(db: Kysely<Database>, rows: NewJobRow[]): Promise<Array<{ id: string; deduped: boolean }>> {
  const out = [];
  for (const r of rows) {
    const params = [r.type, r.payload, r.job_key, r.group_key, r.priority, r.max_attempts, r.timeout_ms, r.run_at, r.created_at];
    const inserted = (await db.executeQuery<{ id: number }>(CompiledQuery.raw(INSERT, params))).rows[0];
    if (inserted) out.push({ id: String(inserted.id), deduped: false });
    else {
      const existing = (await db.executeQuery<{ id: number }>(CompiledQuery.raw(BY_KEY, [r.job_key]))).rows[0]!;
      out.push({ id: String(existing.id), deduped: true });
    }
  }
  return out;
}

const VERDICT = `update queue_jobs
   set state = ?, result = ?, error = ?, run_at = coalesce(?, run_at), finished_at = ?,
       lease_token = null, lease_owner = null, lease_expires_at = null
 where id = ? and lease_token = ? and state = 'running'
 returning id`;

/**
 * Store verdicts, each only if its attempt still holds the job (state running, same token): a worker
 * whose job was cancelled or taken over matches no row. Per verdict, whether it was applied.
 */
export async function applyVerdictsSqlite(db: Kysely<Database>, verdicts: Verdict[]): Promise<boolean[]> {
  const out = [];
  for (const v of verdicts) {
    const params = [v.state, v.result, v.error, v.runAt, v.state === 'queued' ? null : v.now, Number(v.id), v.token];
    out.push((await db.executeQuery(CompiledQuery.raw(VERDICT, params))).rows.length > 0);
  }
  return out;
}
