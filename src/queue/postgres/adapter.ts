/**
 * The PostgreSQL adapter: Graphile Worker 0.16 delivers jobs (LISTEN/NOTIFY wake-ups, `SKIP LOCKED`
 * claims, named queues for groups; one runner per registered type, sharing one pool), while
 * `queue_jobs` keeps the contract's state (graphile-store.ts). A delivery starts the job only if its
 * row is still queued, so duplicate or stale deliveries are acknowledged without running anything.
 * Starts and verdicts of concurrent jobs are written in batches (src/lib/batcher.ts). Cancels and
 * finished jobs are announced on a NOTIFY channel that every process LISTENs to.
 * Choice and figures: docs/decisions/0002-queue-library.md.
 */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { Logger, makeWorkerUtils, run, runMigrations, type Runner, type Task, type WorkerUtils } from 'graphile-worker';
import { createBatcher } from '../../lib/batcher.ts';
import type { Database } from '../../store/schema.ts';
import type { Engine, QueueDriver } from '../engine.ts';
import type { Verdict } from '../jobs-store.ts';
import {
  QUEUE_CHANNEL,
  cancelAnnounced,
  enqueueDelivered,
  failAnnounced,
  finishDelivered,
  releaseDelivered,
  redeliverQueued,
  retryDelivered,
  startDelivered,
  taskIdentifier,
  type StartedRow,
} from './graphile-store.ts';

/** Advisory lock key around Graphile Worker's schema install (released with its connection). */
const MIGRATE_LOCK = [0x6f727279, 6];

/** Where the adapter connects (Graphile Worker's pool and the LISTEN connection). */
export interface PostgresDriverOptions {
  databaseUrl: string;
}

/** The driver of the PostgreSQL adapter. */
export function createPostgresDriver(engine: Engine, { databaseUrl }: PostgresDriverOptions): QueueDriver {
  const { db, clock, options, log } = engine;
  // Graphile Worker's own logging goes to ours, errors and warnings only.
  const logger = new Logger(() => (level, message) => {
    if (level === 'error' || level === 'warning') log.warn({ level }, `graphile-worker: ${message}`);
  });
  let ready: Promise<void> | null = null;
  let pool: pg.Pool | null = null;
  let utils: WorkerUtils | null = null;
  let listener: pg.Client | null = null;
  const runners = new Map<string, Promise<Runner>>();
  let taking = false;

  /**
   * Graphile Worker's schema, installed by the library itself. Its first install is not safe against
   * a concurrent one (two processes starting on a new database: `graphile_worker` "already exists"),
   * so installs are serialised under an advisory lock of ours.
   */
  const ensureSchema = () =>
    (ready ??= (async () => {
      const lock = new pg.Client({ connectionString: databaseUrl });
      const p = new pg.Pool({ connectionString: databaseUrl, max: 1 });
      try {
        await lock.connect();
        await lock.query('select pg_advisory_lock($1, $2)', MIGRATE_LOCK);
        await runMigrations({ pgPool: p, logger });
      } finally {
        await p.end();
        await lock.end().catch(() => undefined);
      }
    })().catch((error) => {
      ready = null;
      throw error;
    }));

  /**
   * Starts and verdicts go through a pool of their own with `synchronous_commit = off` (see
   * startDelivered and finishDelivered for why losing them is safe); everything else, the enqueue
   * above all, commits durably through the store.
   */
  let fast: Kysely<Database> | null = null;
  const starts = createBatcher(async (items: Array<{ id: string; owner: string; token: string }>) => {
    const rows = await startDelivered(fast ?? db, items, clock.now(), options.leaseMs);
    const byToken = new Map(rows.map((r) => [r.lease_token, r]));
    return items.map((i) => byToken.get(i.token));
  });
  const verdicts = createBatcher((items: Verdict[]) => finishDelivered(fast ?? db, items));

  const deliver: Task = async (payload, helpers) => {
    const id = String((payload as { id?: unknown } | null)?.id ?? '');
    // Graphile Worker's idle workers may still fetch a job after stop() began; hand it back untouched.
    if (!taking) return redeliverQueued(db, id);
    const row: StartedRow | undefined = await starts.add({ id, owner: helpers.job.locked_by ?? 'unknown', token: engine.token() });
    if (!row) return;
    let handled!: () => void;
    const ended = new Promise<void>((r) => (handled = r));
    const verdict = engine
      .run(
        {
          id: String(row.id),
          type: row.type,
          token: row.lease_token,
          attempt: Number(row.attempts),
          maxAttempts: Number(row.max_attempts),
          timeoutMs: Number(row.timeout_ms),
          payload: row.payload,
        },
        handled,
      )
      // A dropped verdict of a row that is queued again means its start was lost (startDelivered):
      // deliver it anew (a no-op for any other state).
      .then((applied) => (applied ? undefined : redeliverQueued(db, id)))
      .catch((error) => log.warn({ err: error, jobId: id }, 'queue: redelivering a job failed'));
    // Acknowledge the delivery once the handler has ended, while the verdict is written: Graphile
    // Worker's completion and ours overlap instead of queueing one behind the other on a worker slot.
    // If this process dies in between, the job is still `running` under a lease nobody renews, and
    // the sweep runs it again. (stop() still waits for every verdict.)
    await Promise.race([ended, verdict]);
  };

  function startRunner(type: string) {
    if (runners.has(type) || !pool) return;
    const registration = engine.handlers.get(type)!;
    const runner = run({
      pgPool: pool,
      logger,
      concurrency: registration.concurrency,
      noHandleSignals: true,
      pollInterval: options.pollIntervalMs,
      taskList: { [taskIdentifier(type)]: deliver },
    });
    runner.catch((error) => log.warn({ err: error, type }, 'queue: starting a Graphile Worker runner failed'));
    runners.set(type, runner);
  }

  async function listen() {
    if (listener) return;
    const client = new pg.Client({ connectionString: databaseUrl });
    listener = client;
    client.on('error', (error) => {
      log.warn({ err: error }, 'queue: the NOTIFY listener failed; reconnecting on the next poll');
      if (listener === client) listener = null;
      void client.end().catch(() => undefined);
    });
    client.on('notification', (n) => {
      const [kind, ids] = (n.payload ?? '').split(':');
      if (kind === 'cancel' && ids) engine.cancelled(ids);
      else if (kind === 'done' && ids) engine.finished(ids.split(','));
    });
    try {
      await client.connect();
      await client.query(`listen ${QUEUE_CHANNEL}`);
    } catch (error) {
      if (listener === client) listener = null;
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  return {
    adapter: 'postgres',
    async enqueue(row) {
      await ensureSchema();
      return enqueueDelivered(db, row);
    },
    finish: (items) => Promise.all(items.map((v) => verdicts.add(v))),
    async release(leases, now, error) {
      await ensureSchema();
      await releaseDelivered(db, leases, now, error);
    },
    async retry(id, now) {
      await ensureSchema();
      return retryDelivered(db, id, now);
    },
    cancel: (id, now, reason) => cancelAnnounced(db, id, now, reason),
    failExpired: (lease, now, error) => failAnnounced(db, lease, now, error),
    async forgetWorkers(owners) {
      if (owners.length && utils) await utils.forceUnlockWorkers(owners);
    },
    async start() {
      await ensureSchema();
      taking = true;
      pool = new pg.Pool({ connectionString: databaseUrl, max: 4 + [...engine.handlers.values()].reduce((n, h) => n + h.concurrency + 1, 0) });
      pool.on('error', (error) => log.warn({ err: error }, 'queue: an idle Graphile Worker connection failed'));
      utils = await makeWorkerUtils({ pgPool: pool, logger });
      const fastPool = new pg.Pool({ connectionString: databaseUrl, max: 4, options: '-c synchronous_commit=off' });
      fastPool.on('error', (error) => log.warn({ err: error }, 'queue: an idle connection failed'));
      fast = new Kysely<Database>({ dialect: new PostgresDialect({ pool: fastPool }) });
      await listen();
      for (const type of engine.handlers.keys()) startRunner(type);
      await Promise.all(runners.values());
    },
    added(type) {
      if (taking) startRunner(type);
    },
    wake: () => undefined,
    poll() {
      if (taking && !listener) listen().catch((error) => log.warn({ err: error }, 'queue: reconnecting the NOTIFY listener failed'));
    },
    stopTaking() {
      taking = false;
      for (const r of runners.values()) void r.then((runner) => runner.stop()).catch(() => undefined);
    },
    async close() {
      await Promise.all([...runners.values()].map((r) => r.then((runner) => runner.promise).catch(() => undefined)));
      runners.clear();
      await utils?.release();
      utils = null;
      const l = listener;
      listener = null;
      await l?.end().catch(() => undefined);
      await pool?.end();
      pool = null;
      await fast?.destroy();
      fast = null;
    },
  };
}
