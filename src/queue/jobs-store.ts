/**
 * The queue's SQL on `queue_jobs` that both adapters share (both dialects): insert with dedupe, reads,
 * cancel, retry, verdicts, lease renewal and sweep, prune. How jobs are claimed differs per adapter
 * (embedded/sqlite-store.ts; postgres/graphile-store.ts). Every write to a running job is fenced by its
 * `lease_token`, so a worker whose lease was taken over (or whose job was cancelled) cannot overwrite
 * the newer state: its verdict simply matches no row.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { Job, JobCounts, JobOutcome, JobState, ListQuery } from './types.ts';
import { JOB_STATES } from './types.ts';

/** A `queue_jobs` row. */
export type JobRow = Selectable<Database['queue_jobs']>;

/** A row to insert: everything but the id, the lease and the outcome. */
export interface NewJobRow {
  type: string;
  payload: string;
  job_key: string | null;
  group_key: string | null;
  priority: number;
  max_attempts: number;
  timeout_ms: number;
  run_at: number;
  created_at: number;
}

/** The end of one attempt: its fence and what the job becomes. `queued` means a retry at `runAt`. */
export interface Verdict {
  id: string;
  token: string;
  state: 'completed' | 'failed' | 'queued';
  result: string | null;
  error: string | null;
  runAt: number | null;
  now: number;
}

/** What a store function reports about a row it moved back to `queued` (the PostgreSQL adapter re-delivers it). */
export interface RequeuedRow {
  id: string;
  type: string;
  group_key: string | null;
  priority: number;
  run_at: number;
}

/** A running job whose lease has expired. */
export interface ExpiredRow {
  id: string;
  token: string;
  owner: string | null;
  attempts: number;
  max_attempts: number;
}

const toId = (id: string): number => {
  // Ids are decimal digits; anything else names no job (and must not reach the database as NaN).
  if (!/^\d{1,15}$/.test(id)) return -1;
  return Number(id);
};

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** A row as the interface's {@link Job}. */
export function toJob(row: JobRow): Job {
  return {
    id: String(row.id),
    type: row.type,
    payload: parseJson(row.payload),
    key: row.job_key,
    group: row.group_key,
    priority: Number(row.priority),
    state: row.state as JobState,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    timeoutMs: Number(row.timeout_ms),
    runAt: Number(row.run_at),
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    result: parseJson(row.result),
    error: row.error,
  };
}

/** The outcome of a row in a finished state, else undefined. */
export function toOutcome(row: Pick<JobRow, 'state' | 'result' | 'error'>): JobOutcome | undefined {
  if (row.state === 'completed') return { state: 'completed', result: parseJson(row.result) };
  if (row.state === 'failed') return { state: 'failed', error: row.error ?? 'failed' };
  if (row.state === 'cancelled') return { state: 'cancelled', error: row.error };
  return undefined;
}

/** One job by id. */
export async function selectJob(db: Kysely<Database>, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('queue_jobs').selectAll().where('id', '=', toId(id)).executeTakeFirst();
}

/** The outcomes of those of `ids` that have finished (for waiters polling). */
export async function selectOutcomes(db: Kysely<Database>, ids: string[]): Promise<Map<string, JobOutcome | undefined>> {
  const rows = await db
    .selectFrom('queue_jobs')
    .select(['id', 'state', 'result', 'error'])
    .where('id', 'in', ids.map(toId))
    .execute();
  const out = new Map<string, JobOutcome | undefined>();
  for (const r of rows) out.set(String(r.id), toOutcome(r));
  return out;
}

/** A page of jobs, newest first. */
export async function selectJobs(db: Kysely<Database>, query: ListQuery): Promise<JobRow[]> {
  let q = db.selectFrom('queue_jobs').selectAll();
  if (query.state) q = q.where('state', '=', query.state);
  if (query.type) q = q.where('type', '=', query.type);
  if (query.group) q = q.where('group_key', '=', query.group);
  if (query.beforeId) q = q.where('id', '<', toId(query.beforeId));
  return q
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(query.limit ?? 50, 1), 500))
    .execute();
}

/** Jobs per state, every state present. */
export async function countJobs(db: Kysely<Database>): Promise<JobCounts> {
  const rows = await db
    .selectFrom('queue_jobs')
    .select(['state', (eb) => eb.fn.countAll().as('n')])
    .groupBy('state')
    .execute();
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobCounts;
  for (const r of rows) counts[r.state as JobState] = Number(r.n);
  return counts;
}

/** Cancel a queued or running job; true when it was. Clearing the token drops the running worker's verdict. */
export async function cancelJob(db: Kysely<Database>, id: string, now: number, reason: string | null): Promise<boolean> {
  const r = await db
    .updateTable('queue_jobs')
    .set({ state: 'cancelled', finished_at: now, error: reason, lease_token: null, lease_owner: null, lease_expires_at: null })
    .where('id', '=', toId(id))
    .where('state', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Queue a failed or cancelled job again with fresh attempts; the row when it was. */
export async function requeueFinished(db: Kysely<Database>, id: string, now: number): Promise<RequeuedRow | undefined> {
  return db
    .updateTable('queue_jobs')
    .set({ state: 'queued', attempts: 0, run_at: now, started_at: null, finished_at: null, error: null, result: null })
    .where('id', '=', toId(id))
    .where('state', 'in', ['failed', 'cancelled'])
    .returning(['id', 'type', 'group_key', 'priority', 'run_at'])
    .executeTakeFirst()
    .then((r) => (r ? { ...r, id: String(r.id) } : undefined));
}

const clearLease = { lease_token: null, lease_owner: null, lease_expires_at: null } as const;

/** A running attempt: its job and its fence. */
export interface Lease {
  id: string;
  token: string;
}

/** Extend `leases` to `until`; returns the tokens still held (the others were cancelled or taken over). */
export async function renewLeases(db: Kysely<Database>, leases: Lease[], until: number): Promise<Set<string>> {
  if (!leases.length) return new Set();
  const rows = await db
    .updateTable('queue_jobs')
    .set({ lease_expires_at: until })
    .where('id', 'in', leases.map((l) => toId(l.id)))
    .where('lease_token', 'in', leases.map((l) => l.token))
    .where('state', '=', 'running')
    .returning('lease_token')
    .execute();
  return new Set(rows.map((r) => r.lease_token!));
}

/** Running jobs whose lease ended before `now`. */
export async function selectExpired(db: Kysely<Database>, now: number): Promise<ExpiredRow[]> {
  const rows = await db
    .selectFrom('queue_jobs')
    .select(['id', 'lease_token', 'lease_owner', 'attempts', 'max_attempts'])
    .where('state', '=', 'running')
    .where('lease_expires_at', '<', now)
    .limit(500)
    .execute();
  return rows.map((r) => ({ id: String(r.id), token: r.lease_token ?? '', owner: r.lease_owner, attempts: Number(r.attempts), max_attempts: Number(r.max_attempts) }));
}

/**
 * Give up the leases of `tokens`: the jobs go back to `queued` at `now` (their attempt is kept, so a
 * job that keeps killing its workers still ends `failed`). Used on stop and for expired leases.
 */
export async function releaseLeases(db: Kysely<Database>, leases: Lease[], now: number, error: string | null): Promise<RequeuedRow[]> {
  if (!leases.length) return [];
  const rows = await db
    .updateTable('queue_jobs')
    .set({ state: 'queued', run_at: now, ...(error !== null ? { error } : {}), ...clearLease })
    .where('id', 'in', leases.map((l) => toId(l.id)))
    .where('lease_token', 'in', leases.map((l) => l.token))
    .where('state', '=', 'running')
    .returning(['id', 'type', 'group_key', 'priority', 'run_at'])
    .execute();
  return rows.map((r) => ({ ...r, id: String(r.id) }));
}

/** Fail the running job of `lease` (its lease expired on its last attempt). */
export async function failLease(db: Kysely<Database>, lease: Lease, now: number, error: string): Promise<boolean> {
  const r = await db
    .updateTable('queue_jobs')
    .set({ state: 'failed', finished_at: now, error, ...clearLease })
    .where('id', '=', toId(lease.id))
    .where('lease_token', '=', lease.token)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Delete jobs that finished before `before`; returns how many. */
export async function deleteFinished(db: Kysely<Database>, before: number): Promise<number> {
  const r = await db
    .deleteFrom('queue_jobs')
    .where('state', 'in', ['completed', 'failed', 'cancelled'])
    .where('finished_at', '<', before)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
