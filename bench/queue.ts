/**
 * Queue bench (issue 9, item 8): throughput (jobs/s) and enqueue → handler start latency on the
 * embedded adapter (SQLite) and the PostgreSQL adapter, side by side with the raw libraries in the
 * same run: Graphile Worker 0.16 (the one the adapter wraps) and pg-boss 10 (the candidate not
 * chosen, docs/decisions/0002-queue-library.md). pg-boss is not a dependency: it is loaded from
 * BENCH_PGBOSS (a path to its package, e.g. after `npm install --prefix /tmp/pgboss pg-boss@10`),
 * and its rows are skipped without it.
 *
 * Every system gets the same work: a no-op handler at concurrency 10 (pg-boss: 10 workers fetching
 * batches of 10, its nearest equivalent), a fresh database, 50 warm-up jobs, then
 * - latency: BENCH_QUEUE_SAMPLES (default 200) jobs one at a time on an idle queue, from the call to
 *   enqueue to the handler starting;
 * - throughput: BENCH_QUEUE_JOBS (default 5000 on SQLite, 2000 on PostgreSQL) jobs enqueued 20 at a
 *   time while the workers run, from the first enqueue to the last handler.
 * BENCH_QUEUE_ROUNDS (default 3) rounds, each running every system once in turn, so a change in the
 * machine's load (it is shared) falls on all of them alike; a row gives the median jobs/s, its range,
 * and latency percentiles over the samples of every round.
 * BENCH_QUEUE_SYSTEMS (comma list of `embedded`, `graphile`, `adapter`, `pgboss`; default all) picks rows.
 * Targets: embedded ≥ 2,000 jobs/s; the PostgreSQL adapter ≥ 80 % of raw Graphile Worker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Logger, run } from 'graphile-worker';
import { createQueue } from '../src/queue/queue.ts';
import { openStore } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { percentile } from './lib.ts';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SAMPLES = Number(process.env.BENCH_QUEUE_SAMPLES ?? 200);
const JOBS_SQLITE = Number(process.env.BENCH_QUEUE_JOBS ?? 5000);
const JOBS_PG = Number(process.env.BENCH_QUEUE_JOBS ?? 2000);
const CONCURRENCY = 10;
const IN_FLIGHT = 20;
const WARMUP = 50;
const ROUNDS = Number(process.env.BENCH_QUEUE_ROUNDS ?? 3);
const SYSTEMS = (process.env.BENCH_QUEUE_SYSTEMS ?? 'embedded,graphile,adapter,pgboss').split(',');

/** One row of the queue bench. */
export interface QueueBenchRow {
  system: string;
  database: 'SQLite' | 'PostgreSQL';
  samples: number;
  p50: number;
  p99: number;
  jobs: number;
  /** Median over the rounds. */
  jobsPerS: number;
  /** Lowest and highest over the rounds. */
  jobsPerSRange: [number, number];
  /** Jobs/s of each round, in order (rows of one run are comparable round by round). */
  jobsPerSByRound: number[];
  rounds: number;
  /** Why the row is missing, when it is. */
  skipped?: string;
}

/** A system under test: it calls `onStart(i)` when the handler of job `i` starts. */
interface System {
  enqueue(i: number): Promise<unknown>;
  close(): Promise<void>;
}
type Setup = (onStart: (i: number) => void) => Promise<System>;

const silent = new Logger(() => () => undefined);

async function freshPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `orrery_bench_q_${randomBytes(5).toString('hex')}`;
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/** Latency and throughput of one system, measured as the header says. */
async function measure(setup: Setup, jobs: number): Promise<{ latencies: number[]; jobsPerS: number }> {
  const waiting = new Map<number, (t: number) => void>();
  let started = 0;
  let allStarted: (() => void) | null = null;
  let target = Infinity;
  const system = await setup((i) => {
    const t = performance.now();
    waiting.get(i)?.(t);
    waiting.delete(i);
    if (++started === target) allStarted?.();
  });
  try {
    const startOf = (i: number) => new Promise<number>((r) => waiting.set(i, r));
    let next = 0;
    for (let k = 0; k < WARMUP; k++) {
      const s = startOf(next);
      await system.enqueue(next++);
      await s;
    }
    const latencies: number[] = [];
    for (let k = 0; k < SAMPLES; k++) {
      const s = startOf(next);
      const t0 = performance.now();
      await system.enqueue(next++);
      latencies.push((await s) - t0);
    }
    started = 0;
    target = jobs;
    const done = new Promise<void>((r) => (allStarted = r));
    const t0 = performance.now();
    const first = next;
    let cursor = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (cursor < jobs) await system.enqueue(first + cursor++);
      }),
    );
    await done;
    const seconds = (performance.now() - t0) / 1000;
    return { latencies, jobsPerS: jobs / seconds };
  } finally {
    await system.close();
  }
}

const embedded: Setup = async (onStart) => {
  const dataPath = mkdtempSync(path.join(tmpdir(), 'orrery-bench-queue-'));
  const store = openStore({ dataPath });
  await migrateToLatest(store);
  const queue = createQueue({ store, options: { concurrency: CONCURRENCY } });
  queue.work<number, null>('bench', (i) => {
    onStart(i);
    return null;
  });
  await queue.start();
  return {
    enqueue: (i) => queue.enqueue({ type: 'bench', payload: i }),
    async close() {
      await queue.stop();
      await store.close();
      rmSync(dataPath, { recursive: true, force: true });
    },
  };
};

const orreryPostgres: Setup = async (onStart) => {
  const database = await freshPgDatabase();
  const store = openStore({ databaseUrl: database.url, dataPath: tmpdir(), pgPoolMax: CONCURRENCY });
  await migrateToLatest(store);
  const queue = createQueue({ store, databaseUrl: database.url, options: { concurrency: CONCURRENCY } });
  queue.work<number, null>('bench', (i) => {
    onStart(i);
    return null;
  });
  await queue.start();
  return {
    enqueue: (i) => queue.enqueue({ type: 'bench', payload: i }),
    async close() {
      await queue.stop();
      await store.close();
      await database.drop();
    },
  };
};

const rawGraphile: Setup = async (onStart) => {
  const database = await freshPgDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: CONCURRENCY + 4 });
  pool.on('error', () => undefined);
  const runner = await run({
    pgPool: pool,
    logger: silent,
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    taskList: { bench: async (payload) => onStart((payload as { i: number }).i) },
  });
  return {
    enqueue: (i) => runner.addJob('bench', { i }),
    async close() {
      await runner.stop();
      await pool.end();
      await database.drop();
    },
  };
};

/** pg-boss 10 from BENCH_PGBOSS, or undefined. */
async function loadPgBoss(): Promise<any> {
  const where = process.env.BENCH_PGBOSS;
  if (!where) return undefined;
  const mod = await import(path.resolve(where, 'src/index.js'));
  return mod.default ?? mod;
}

const rawPgBoss =
  (PgBoss: any): Setup =>
  async (onStart) => {
    const database = await freshPgDatabase();
    const boss = new PgBoss({ connectionString: database.url, max: CONCURRENCY + 4, supervise: false, schedule: false });
    boss.on('error', () => undefined);
    await boss.start();
    await boss.createQueue('bench');
    for (let w = 0; w < CONCURRENCY; w++) {
      // Its shortest poll (0.5 s); a worker fetches again at once only when a fetch took longer.
      await boss.work('bench', { batchSize: CONCURRENCY, pollingIntervalSeconds: 0.5 }, async (jobs: Array<{ data: { i: number } }>) => {
        for (const j of jobs) onStart(j.data.i);
      });
    }
    return {
      enqueue: (i) => boss.send('bench', { i }),
      async close() {
        await boss.stop({ graceful: true, wait: true, timeout: 5000 });
        await database.drop();
      },
    };
  };

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** Every row, SQLite first; PostgreSQL rows are skipped when BENCH_PG_URL does not answer. */
export async function benchQueue(): Promise<QueueBenchRow[]> {
  const systems: Array<{ system: string; database: QueueBenchRow['database']; setup: Setup; jobs: number }> = [];
  const skipped: QueueBenchRow[] = [];
  const skip = (system: string, why: string) =>
    skipped.push({ system, database: 'PostgreSQL', samples: 0, p50: NaN, p99: NaN, jobs: 0, jobsPerS: NaN, jobsPerSRange: [NaN, NaN], jobsPerSByRound: [], rounds: 0, skipped: why });
  if (SYSTEMS.includes('embedded')) systems.push({ system: 'Orrery queue, embedded adapter', database: 'SQLite', setup: embedded, jobs: JOBS_SQLITE });
  if (await pgReachable()) {
    if (SYSTEMS.includes('graphile')) systems.push({ system: 'raw Graphile Worker 0.16', database: 'PostgreSQL', setup: rawGraphile, jobs: JOBS_PG });
    if (SYSTEMS.includes('adapter')) systems.push({ system: 'Orrery queue, PostgreSQL adapter', database: 'PostgreSQL', setup: orreryPostgres, jobs: JOBS_PG });
    if (SYSTEMS.includes('pgboss')) {
      const PgBoss = await loadPgBoss().catch(() => undefined);
      if (PgBoss) systems.push({ system: 'raw pg-boss 10', database: 'PostgreSQL', setup: rawPgBoss(PgBoss), jobs: JOBS_PG });
      else skip('raw pg-boss 10', 'BENCH_PGBOSS not set (pg-boss is not a dependency)');
    }
  } else {
    for (const s of ['raw Graphile Worker 0.16', 'Orrery queue, PostgreSQL adapter', 'raw pg-boss 10']) skip(s, `PostgreSQL not reachable at ${PG_URL}`);
  }
  const results = systems.map(() => ({ latencies: [] as number[], rates: [] as number[] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, s] of systems.entries()) {
      const r = await measure(s.setup, s.jobs);
      results[k]!.latencies.push(...r.latencies);
      results[k]!.rates.push(r.jobsPerS);
    }
  }
  const rows: QueueBenchRow[] = systems.map((s, k) => {
    const { latencies, rates } = results[k]!;
    return {
      system: s.system,
      database: s.database,
      samples: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      jobs: s.jobs,
      jobsPerS: percentile(rates, 50),
      jobsPerSRange: [Math.min(...rates), Math.max(...rates)],
      jobsPerSByRound: rates,
      rounds: rates.length,
    };
  });
  return [...rows, ...skipped];
}
