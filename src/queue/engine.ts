/**
 * The part of the queue both adapters share: running a claimed job (abort signal, timeout, retries
 * with exponential backoff, verdicts fenced by the lease token), renewing leases, sweeping expired
 * ones, waiters, cancel, prune and the graceful stop. An adapter ({@link QueueDriver}) only stores and
 * delivers: how a job is inserted, claimed and re-delivered, and how other processes are told.
 * Source: DESIGN §5; the original's run/finalize rules, research/boxel-bot-runner.md §5.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../lib/clock.ts';
import type { Database } from '../store/schema.ts';
import {
  countJobs,
  deleteFinished,
  renewLeases,
  selectExpired,
  selectJob,
  selectJobs,
  selectOutcomes,
  toJob,
  toOutcome,
  type Lease,
  type NewJobRow,
  type Verdict,
} from './jobs-store.ts';
import type { EnqueueInput, EnqueueResult, JobHandler, JobOutcome, Queue, StopOptions, WaitOptions } from './types.ts';
import type { ResolvedQueueOptions } from './options.ts';

/** Where the queue reports problems that are no caller's (a failed poll, a lost database connection). */
export interface QueueLog {
  warn(object: Record<string, unknown>, message: string): void;
}

/** A job an adapter has claimed for this process: the attempt's fence and what the handler needs. */
export interface ClaimedJob {
  id: string;
  type: string;
  token: string;
  attempt: number;
  maxAttempts: number;
  timeoutMs: number;
  /** The payload as stored (JSON text). */
  payload: string;
}

/** A registered handler and its concurrency in this process. */
export interface Registration {
  handler: JobHandler<unknown, unknown>;
  concurrency: number;
}

/** What the engine offers its adapter. */
export interface Engine {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly options: ResolvedQueueOptions;
  readonly log: QueueLog;
  /** Handlers by type. */
  readonly handlers: Map<string, Registration>;
  /** A new random lease token. */
  token(): string;
  /**
   * Run a claimed job to its verdict; resolves once it is stored (true) or dropped (false: cancelled,
   * taken over, released, or the store failed). `handled` is called when the handler has ended (or
   * been given up on), before the verdict is written.
   */
  run(job: ClaimedJob, handled?: () => void): Promise<boolean>;
  /** Jobs finished elsewhere: wake their waiters. */
  finished(ids: string[]): void;
  /** A job was cancelled elsewhere: abort its handler if it runs here. */
  cancelled(id: string): void;
}

/** The storage and delivery half of an adapter. */
export interface QueueDriver {
  readonly adapter: Queue['adapter'];
  /** Insert (or dedupe) and make the job deliverable. */
  enqueue(row: NewJobRow): Promise<EnqueueResult>;
  /** Store verdicts; per verdict, whether it was applied (false: its attempt no longer holds the job). */
  finish(verdicts: Verdict[]): Promise<boolean[]>;
  /** Put running jobs back to `queued` now, deliverable again (fenced by their tokens). */
  release(leases: Lease[], now: number, error: string | null): Promise<void>;
  /** Queue a failed or cancelled job again. */
  retry(id: string, now: number): Promise<boolean>;
  /** Cancel a queued or running job and tell other processes. */
  cancel(id: string, now: number, reason: string | null): Promise<boolean>;
  /** Fail a running job whose lease expired on its last attempt. */
  failExpired(lease: Lease, now: number, error: string): Promise<void>;
  /** Workers of expired leases are dead: let the library forget their locks (PostgreSQL). */
  forgetWorkers(owners: string[]): Promise<void>;
  /** Begin taking jobs of the registered types. */
  start(): Promise<void>;
  /** A handler was registered while started. */
  added(type: string): void;
  /** A job of `type` may be ready now (enqueued here, or its retry time came). */
  wake(type: string): void;
  /** The fallback poll. */
  poll(): void;
  /** Take no more jobs (stop has begun). */
  stopTaking(): void;
  /** Release what the driver holds once no job runs. */
  close(): Promise<void>;
}

interface InFlight {
  token: string;
  controller: AbortController;
  /** Why the attempt ends without its own verdict, or `timeout`. */
  fate: null | 'cancelled' | 'lost' | 'released' | 'timeout';
  done: Promise<void>;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Build a {@link Queue} from the shared engine and an adapter's driver. `makeDriver` gets the engine so
 * the driver can hand it claimed jobs and notifications.
 */
export function createEngineQueue(
  deps: { db: Kysely<Database>; clock: Clock; options: ResolvedQueueOptions; log: QueueLog },
  makeDriver: (engine: Engine) => QueueDriver,
): Queue {
  const { db, clock, options, log } = deps;
  const handlers = new Map<string, Registration>();
  const inflight = new Map<string, InFlight>();
  const waiters = new Map<string, Set<() => void>>();
  let started = false;
  let stopping: Promise<void> | null = null;
  let ticker: NodeJS.Timeout | null = null;
  let ticking = false;
  let lastPrune = 0;
  const wakeTimers = new Set<NodeJS.Timeout>();

  const finished = (ids: string[]) => {
    for (const id of ids) for (const w of waiters.get(id) ?? []) w();
  };
  const abortLocal = (id: string, fate: 'cancelled' | 'lost') => {
    const entry = inflight.get(id);
    if (entry && !entry.fate) {
      entry.fate = fate;
      entry.controller.abort(new Error(fate === 'cancelled' ? 'job cancelled' : 'job lease lost'));
    }
  };

  const engine: Engine = {
    db,
    clock,
    options,
    log,
    handlers,
    token: () => randomBytes(12).toString('hex'),
    run,
    finished,
    cancelled: (id) => abortLocal(id, 'cancelled'),
  };
  const driver = makeDriver(engine);

  /** Wake the driver for `type` at `at` (a retry or a future `runAt`), sooner than the poll would. */
  function wakeAt(type: string, at: number) {
    const delay = at - clock.now();
    if (delay <= 0) return driver.wake(type);
    if (delay > options.pollIntervalMs * 10) return; // the poll finds it; don't hold thousands of timers
    const t = setTimeout(() => {
      wakeTimers.delete(t);
      driver.wake(type);
    }, delay);
    t.unref();
    wakeTimers.add(t);
  }

  async function run(job: ClaimedJob, handled?: () => void): Promise<boolean> {
    const controller = new AbortController();
    let resolveDone!: () => void;
    const entry: InFlight = { token: job.token, controller, fate: null, done: new Promise((r) => (resolveDone = r)) };
    inflight.set(job.id, entry);
    const timeoutMessage = `job timed out after ${job.timeoutMs} ms`;
    const timer = setTimeout(() => {
      if (!entry.fate) {
        entry.fate = 'timeout';
        controller.abort(new Error(timeoutMessage));
      }
    }, job.timeoutMs);
    const aborted = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }));
    let outcome: { ok: true; result: string } | { ok: false; error: string };
    try {
      const registration = handlers.get(job.type);
      if (!registration) throw new Error(`no handler for job type ${job.type}`);
      const payload = JSON.parse(job.payload) as unknown;
      const value = await Promise.race([
        (async () => registration.handler(payload, { id: job.id, attempt: job.attempt, signal: controller.signal }))(),
        aborted,
      ]);
      outcome = { ok: true, result: JSON.stringify(value === undefined ? null : value) };
    } catch (error) {
      outcome = { ok: false, error: messageOf(error) };
    } finally {
      clearTimeout(timer);
      handled?.();
    }
    try {
      // Cancelled, taken over or released: the job's state belongs to someone else now.
      if (entry.fate && entry.fate !== 'timeout') return false;
      if (entry.fate === 'timeout') outcome = { ok: false, error: timeoutMessage };
      const now = clock.now();
      let verdict: Verdict;
      if (outcome.ok) verdict = { id: job.id, token: job.token, state: 'completed', result: outcome.result, error: null, runAt: null, now };
      else if (job.attempt < job.maxAttempts) {
        const delay = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (job.attempt - 1));
        verdict = { id: job.id, token: job.token, state: 'queued', result: null, error: outcome.error, runAt: now + delay, now };
      } else verdict = { id: job.id, token: job.token, state: 'failed', result: null, error: outcome.error, runAt: null, now };
      const [applied] = await driver.finish([verdict]);
      if (applied && verdict.state !== 'queued') finished([job.id]);
      if (applied && verdict.state === 'queued') wakeAt(job.type, verdict.runAt!);
      return applied === true;
    } catch (error) {
      // The lease sweep re-runs the job when its lease expires.
      log.warn({ err: error, jobId: job.id }, 'queue: storing a verdict failed');
      return false;
    } finally {
      inflight.delete(job.id);
      resolveDone();
    }
  }

  async function tick() {
    if (ticking) return;
    ticking = true;
    try {
      if (started && !stopping) {
        driver.poll();
        await renew();
        await sweep();
        if (clock.now() - lastPrune >= options.pruneIntervalMs) {
          lastPrune = clock.now();
          await deleteFinished(db, clock.now() - options.retentionMs);
        }
      } else if (started) await renew();
      if (waiters.size) {
        const outcomes = await selectOutcomes(db, [...waiters.keys()]);
        finished([...waiters.keys()].filter((id) => outcomes.get(id) !== undefined || !outcomes.has(id)));
      }
    } catch (error) {
      log.warn({ err: error }, 'queue: poll failed');
    } finally {
      ticking = false;
    }
  }

  /** Extend this process's leases; abort jobs whose lease is gone (cancelled elsewhere, or taken over). */
  async function renew() {
    if (!inflight.size) return;
    const held = [...inflight].filter(([, e]) => !e.fate);
    const kept = await renewLeases(
      db,
      held.map(([id, e]) => ({ id, token: e.token })),
      clock.now() + options.leaseMs,
    );
    for (const [id, e] of held) if (!kept.has(e.token) && inflight.get(id) === e) abortLocal(id, 'lost');
  }

  /** Jobs of dead workers: run again, or fail when that was their last attempt. */
  async function sweep() {
    const expired = await selectExpired(db, clock.now());
    if (!expired.length) return;
    const now = clock.now();
    const retry = expired.filter((e) => e.attempts < e.max_attempts);
    for (const e of expired.filter((x) => x.attempts >= x.max_attempts)) {
      await driver.failExpired({ id: e.id, token: e.token }, now, `job lease expired on attempt ${e.attempts} of ${e.max_attempts}: its worker stopped without finishing`);
      finished([e.id]);
    }
    await driver.release(
      retry.map((e) => ({ id: e.id, token: e.token })),
      now,
      'job lease expired: its worker stopped without finishing; running it again',
    );
    await driver.forgetWorkers([...new Set(expired.map((e) => e.owner).filter((o): o is string => !!o))]);
  }

  // The poll keeps the process alive while the queue works or someone waits, as pending I/O would.
  function ensureTicker() {
    if (ticker) return;
    ticker = setInterval(() => void tick(), options.pollIntervalMs);
  }
  function dropTickerIfIdle() {
    if (ticker && !waiters.size && (!started || stopping)) {
      clearInterval(ticker);
      ticker = null;
    }
  }

  async function outcomeOf(id: string): Promise<JobOutcome | undefined | null> {
    const row = await selectJob(db, id);
    return row ? toOutcome(row) : null;
  }

  const queue: Queue = {
    adapter: driver.adapter,

    async enqueue<P>(input: EnqueueInput<P>): Promise<EnqueueResult> {
      if (typeof input.type !== 'string' || !input.type) throw new Error('enqueue: type must be a non-empty string');
      const maxAttempts = input.maxAttempts ?? options.defaultMaxAttempts;
      const timeoutMs = input.timeoutMs ?? options.defaultTimeoutMs;
      if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error('enqueue: maxAttempts must be an integer ≥ 1');
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new Error('enqueue: timeoutMs must be a positive integer (ms)');
      const priority = input.priority ?? 0;
      if (!Number.isInteger(priority) || Math.abs(priority) > 32767) throw new Error('enqueue: priority must be an integer from -32767 to 32767');
      const payload = JSON.stringify(input.payload === undefined ? null : input.payload);
      const now = clock.now();
      const runAt = input.runAt ?? now;
      const r = await driver.enqueue({
        type: input.type,
        payload,
        job_key: input.key ?? null,
        group_key: input.group ?? null,
        priority,
        max_attempts: maxAttempts,
        timeout_ms: timeoutMs,
        run_at: runAt,
        created_at: now,
      });
      if (!r.deduped) wakeAt(input.type, runAt);
      return r;
    },

    work(type, handler, workOptions = {}) {
      const concurrency = workOptions.concurrency ?? options.concurrency;
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('work: concurrency must be an integer ≥ 1');
      const isNew = !handlers.has(type);
      handlers.set(type, { handler: handler as JobHandler<unknown, unknown>, concurrency });
      if (started && !stopping && isNew) driver.added(type);
    },

    get: async (id) => {
      const row = await selectJob(db, id);
      return row ? toJob(row) : undefined;
    },

    result: async <R>(id: string) => ((await outcomeOf(id)) ?? undefined) as JobOutcome<R> | undefined,

    async wait<R>(id: string, waitOptions: WaitOptions = {}): Promise<JobOutcome<R>> {
      waitOptions.signal?.throwIfAborted();
      let wake!: () => void;
      let woken = new Promise<void>((r) => (wake = r));
      const callback = () => wake();
      let set = waiters.get(id);
      if (!set) waiters.set(id, (set = new Set()));
      set.add(callback);
      ensureTicker();
      let timer: NodeJS.Timeout | undefined;
      const stopped = new Promise<never>((_, reject) => {
        if (waitOptions.timeoutMs !== undefined) {
          timer = setTimeout(() => reject(new Error(`timed out after ${waitOptions.timeoutMs} ms waiting for job ${id}`)), waitOptions.timeoutMs);
        }
        waitOptions.signal?.addEventListener('abort', () => reject(waitOptions.signal!.reason), { once: true });
      });
      // Raced below only while idle; settled during a read it would otherwise count as unhandled.
      stopped.catch(() => undefined);
      try {
        for (;;) {
          const outcome = await outcomeOf(id);
          if (outcome === null) throw new Error(`no job ${id}`);
          if (outcome) return outcome as JobOutcome<R>;
          await Promise.race([woken, stopped]);
          woken = new Promise<void>((r) => (wake = r));
        }
      } finally {
        clearTimeout(timer);
        set.delete(callback);
        if (!set.size) waiters.delete(id);
        dropTickerIfIdle();
      }
    },

    async cancel(id, reason) {
      const ok = await driver.cancel(id, clock.now(), reason ?? null);
      if (ok) {
        abortLocal(id, 'cancelled');
        finished([id]);
      }
      return ok;
    },

    async retry(id) {
      return driver.retry(id, clock.now());
    },

    list: async (query = {}) => (await selectJobs(db, query)).map(toJob),
    counts: () => countJobs(db),
    prune: (olderThanMs = options.retentionMs) => deleteFinished(db, clock.now() - olderThanMs),

    async start() {
      if (started && !stopping) return;
      if (stopping) await stopping;
      started = true;
      stopping = null;
      await driver.start();
      ensureTicker();
      void tick();
    },

    stop(stopOptions: StopOptions = {}) {
      if (!started) return Promise.resolve();
      if (stopping) return stopping;
      stopping = (async () => {
        driver.stopTaking();
        const deadlineMs = stopOptions.deadlineMs ?? options.stopTimeoutMs;
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((r) => (timer = setTimeout(r, deadlineMs)));
        await Promise.race([Promise.all([...inflight.values()].map((e) => e.done)), deadline]);
        clearTimeout(timer);
        const left = [...inflight].filter(([, e]) => !e.fate);
        for (const [, e] of left) {
          e.fate = 'released';
          e.controller.abort(new Error('worker stopping'));
        }
        if (left.length) {
          await driver.release(
            left.map(([id, e]) => ({ id, token: e.token })),
            clock.now(),
            null,
          ).catch((error) => log.warn({ err: error }, 'queue: releasing leases on stop failed'));
        }
        await Promise.all([...inflight.values()].map((e) => e.done));
        await driver.close();
        for (const t of wakeTimers) clearTimeout(t);
        wakeTimers.clear();
        started = false;
        dropTickerIfIdle();
      })();
      return stopping;
    },
  };
  return queue;
}
