/**
 * The embedded adapter: the queue in the SQLite database Orrery already uses. Workers claim with one
 * statement (sqlite-store.ts); an enqueue in this process wakes the workers of its type at once, with
 * no polling; the engine's slow poll finds what other processes enqueued, retries that came due and
 * expired leases. Source: DESIGN §5 ("the embedded adapter lives in the same SQLite database").
 */
import { randomBytes } from 'node:crypto';
import { createBatcher } from '../../lib/batcher.ts';
import { cancelJob, failLease, releaseLeases, requeueFinished, type NewJobRow, type Verdict } from '../jobs-store.ts';
import type { Engine, QueueDriver } from '../engine.ts';
import { applyVerdictsSqlite, claimJobs, insertJobsSqlite } from './sqlite-store.ts';

interface TypeState {
  running: number;
  scheduled: boolean;
  claiming: boolean;
  again: boolean;
}

/** The driver of the embedded adapter, over `engine.db` (SQLite). */
export function createEmbeddedDriver(engine: Engine): QueueDriver {
  const { db, clock, options, log } = engine;
  // One owner per queue instance: a process may hold several (tests do), each with its own leases.
  const owner = `embedded-${process.pid}-${randomBytes(4).toString('hex')}`;
  const types = new Map<string, TypeState>();
  let taking = false;
  // Enqueues and verdicts of one turn of the event loop share a transaction, so a burst costs one
  // commit rather than one per job (the ≥ 2,000 jobs/s target, bench/queue.ts).
  const inserts = createBatcher((rows: NewJobRow[]) => db.transaction().execute((trx) => insertJobsSqlite(trx, rows)));
  const verdicts = createBatcher((items: Verdict[]) => db.transaction().execute((trx) => applyVerdictsSqlite(trx, items)));

  const stateOf = (type: string) => {
    let s = types.get(type);
    if (!s) types.set(type, (s = { running: 0, scheduled: false, claiming: false, again: false }));
    return s;
  };

  /** Coalesce wake-ups of one turn of the event loop into one claim. */
  function schedule(type: string) {
    if (!taking || !engine.handlers.has(type)) return;
    const s = stateOf(type);
    if (s.claiming) {
      s.again = true;
      return;
    }
    if (s.scheduled) return;
    s.scheduled = true;
    setImmediate(() => void pump(type));
  }

  async function pump(type: string) {
    const s = stateOf(type);
    s.scheduled = false;
    const registration = engine.handlers.get(type);
    if (!taking || !registration) return;
    const limit = registration.concurrency - s.running;
    if (limit <= 0) return;
    s.claiming = true;
    s.again = false;
    let rows: Awaited<ReturnType<typeof claimJobs>> = [];
    try {
      rows = await claimJobs(db, { type, limit, now: clock.now(), leaseMs: options.leaseMs, owner });
    } catch (error) {
      log.warn({ err: error, type }, 'queue: claiming jobs failed');
    } finally {
      s.claiming = false;
    }
    for (const row of rows) {
      s.running += 1;
      void engine
        .run({
          id: String(row.id),
          type: row.type,
          token: row.lease_token,
          attempt: Number(row.attempts),
          maxAttempts: Number(row.max_attempts),
          timeoutMs: Number(row.timeout_ms),
          payload: row.payload,
        })
        .finally(() => {
          s.running -= 1;
          // Claim again once half the slots are free: under load a claim then takes several jobs
          // instead of one per completion.
          if (s.running <= Math.floor(registration.concurrency / 2)) schedule(type);
        });
    }
    // A full claim may have left more behind; a wake during the claim may have added some.
    if (rows.length === limit || s.again) schedule(type);
  }

  return {
    adapter: 'embedded',
    enqueue: (row) => inserts.add(row),
    finish: (items) => Promise.all(items.map((v) => verdicts.add(v))),
    async release(leases, now, error) {
      const rows = await releaseLeases(db, leases, now, error);
      for (const type of new Set(rows.map((r) => r.type))) schedule(type);
    },
    async retry(id, now) {
      const row = await requeueFinished(db, id, now);
      if (row) schedule(row.type);
      return row !== undefined;
    },
    cancel: (id, now, reason) => cancelJob(db, id, now, reason),
    async failExpired(lease, now, error) {
      await failLease(db, lease, now, error);
    },
    forgetWorkers: async () => undefined,
    async start() {
      taking = true;
      for (const type of engine.handlers.keys()) schedule(type);
    },
    added: schedule,
    wake: schedule,
    poll() {
      for (const type of engine.handlers.keys()) schedule(type);
    },
    stopTaking() {
      taking = false;
    },
    close: async () => undefined,
  };
}
