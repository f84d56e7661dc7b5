/**
 * The durable job queue's one interface (DESIGN §5), implemented by the embedded adapter (the SQLite
 * database Orrery already uses) and the PostgreSQL adapter (Graphile Worker underneath). Both pass the
 * same contract suite, test/queue/contract.test.ts. Semantics follow the original's pg queue
 * (research/boxel-bot-runner.md §5) with the gaps of §9 closed: dedupe by key, retries, no NULL-group lock.
 *
 * Glossary:
 * - **job**: one unit of work of a `type`, with a JSON `payload`; it ends `completed`, `failed` or `cancelled`.
 * - **attempt**: one run of a job's handler; a job is retried until `maxAttempts` attempts have failed.
 * - **lease**: how long a worker holds a running job without renewing it; a worker renews its leases
 *   while the handler runs, so an expired lease means the worker died and the job is taken again.
 * - **group**: jobs sharing a group run one at a time (the original's concurrency group).
 *
 * All times are integer milliseconds: instants since the Unix epoch (`runAt`, `createdAt`, …),
 * durations in names ending `Ms`.
 */

/** Where a job is. `queued` includes jobs waiting for `runAt` or for their next retry. */
export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** The states a job ends in; a job in one of them is pruned after the retention. */
export const FINISHED_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

/** Every state, in lifecycle order (for counts and admin pages). */
export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'completed', 'failed', 'cancelled'];

/** What {@link Queue.enqueue} takes. */
export interface EnqueueInput<P = unknown> {
  /** The job type; a worker registered with {@link Queue.work} for it runs the job. */
  type: string;
  /** JSON-serialisable data handed to the handler. */
  payload: P;
  /**
   * Dedupe key: while a job with this key exists (any state, until pruned), enqueueing the same key
   * returns that job with `deduped: true` and enqueues nothing (e.g. a Matrix event id, so a trigger
   * seen twice makes one job).
   */
  key?: string;
  /**
   * Concurrency group: jobs of one group run one at a time, across every worker and process, in the
   * queue's order (below) — FIFO for jobs of equal priority. A job waiting for its retry does not
   * hold its group (the next one may run meanwhile). Jobs without a group (the default) run in
   * parallel with everything; unlike the original, no group is not a global lock (research §5, §9).
   */
  group?: string;
  /**
   * Higher runs first (default 0; any safe integer, negative allowed). Order of the jobs ready to run:
   * priority descending, then `runAt` ascending, then enqueue order — so FIFO among equal priorities.
   */
  priority?: number;
  /** Earliest start, ms since the epoch (default: now). */
  runAt?: number;
  /** Attempts before the job is `failed` (default: the queue's `defaultMaxAttempts`, 3); at least 1. */
  maxAttempts?: number;
  /**
   * Longest an attempt may run, ms (default: the queue's `defaultTimeoutMs`, 300 000). When it is
   * exceeded the handler's signal is aborted and the attempt fails with `job timed out after <n> ms`
   * (retried like any failure); the worker's slot is freed at once, the handler is not awaited.
   */
  timeoutMs?: number;
}

/** What {@link Queue.enqueue} returns: the job's id, and whether an existing job with the same key was returned. */
export interface EnqueueResult {
  id: string;
  deduped: boolean;
}

/** A job as stored. `result` and `error` are set once it finishes. */
export interface Job<P = unknown, R = unknown> {
  /** Opaque id (decimal digits); stable for the job's life. */
  id: string;
  type: string;
  payload: P;
  key: string | null;
  group: string | null;
  priority: number;
  state: JobState;
  /** Attempts started so far (a crashed worker's attempt counts). */
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
  /** When the job may next start (after a failed attempt: the retry time). */
  runAt: number;
  createdAt: number;
  /** Start of the latest attempt, or null. */
  startedAt: number | null;
  /** When it reached a finished state, or null. */
  finishedAt: number | null;
  /** The handler's return value (JSON) when `completed`, else null. */
  result: R | null;
  /** The last attempt's error message (also kept while a retry waits), or `cancelled` reason; else null. */
  error: string | null;
}

/** A finished job's outcome, as {@link Queue.result} and {@link Queue.wait} give it. */
export type JobOutcome<R = unknown> =
  | { state: 'completed'; result: R }
  | { state: 'failed'; error: string }
  | { state: 'cancelled'; error: string | null };

/** What a handler gets beside the payload. */
export interface JobContext {
  /** The job's id. */
  id: string;
  /** This attempt's number, from 1. */
  attempt: number;
  /**
   * Aborted when the job is cancelled, its timeout passes, or the worker stops past its deadline. A
   * handler should stop its work when it fires; what it returns afterwards is ignored.
   */
  signal: AbortSignal;
}

/**
 * Runs one job of a type. Its (awaited) return value is stored as the job's JSON result; a throw fails
 * the attempt with the error's message. At-least-once: a handler may run again for the same job (its
 * worker died mid-run), so side effects should be idempotent.
 */
export type JobHandler<P = unknown, R = unknown> = (payload: P, context: JobContext) => Promise<R> | R;

/** Options of {@link Queue.work}. */
export interface WorkOptions {
  /** Jobs of this type run at once in this process (default: the queue's `concurrency`, 10). */
  concurrency?: number;
}

/** Options of {@link Queue.wait}. */
export interface WaitOptions {
  /** Stops waiting (rejects with the signal's reason); the job is not affected. */
  signal?: AbortSignal;
  /** Stops waiting after this long, rejecting with `timed out after <n> ms waiting for job <id>`. */
  timeoutMs?: number;
}

/** Filter and page of {@link Queue.list}; newest first (descending id). */
export interface ListQuery {
  state?: JobState;
  type?: string;
  group?: string;
  /** Only jobs with an id below this one (the previous page's last id). */
  beforeId?: string;
  /** Page size (default 50, at most 500). */
  limit?: number;
}

/** Jobs per state, every state present (0 when none). */
export type JobCounts = Record<JobState, number>;

/** Options of {@link Queue.stop}. */
export interface StopOptions {
  /**
   * How long in-flight jobs may finish, ms (default: the queue's `stopTimeoutMs`, 10 000). After it
   * their signals are aborted and their leases released, so another worker retakes them at once.
   */
  deadlineMs?: number;
}

/**
 * The durable job queue. Errors: `enqueue` throws on an invalid input (empty type, `maxAttempts` < 1,
 * non-positive `timeoutMs`); `wait` rejects for an unknown id, on timeout or abort; everything rejects
 * when the database fails. Ids of unknown jobs give `undefined`/`false`, never a throw, elsewhere.
 */
export interface Queue {
  /** Which adapter runs this queue. */
  readonly adapter: 'embedded' | 'postgres';
  /** Store a job (or find the one with its `key`) and wake a worker. */
  enqueue<P>(input: EnqueueInput<P>): Promise<EnqueueResult>;
  /**
   * Register the handler of `type` (one per type; registering again replaces it). Workers take jobs
   * only between {@link start} and {@link stop}; a type nobody works on stays queued for other processes.
   */
  work<P, R>(type: string, handler: JobHandler<P, R>, options?: WorkOptions): void;
  /** The job, or undefined when there is none (never existed, or pruned). */
  get(id: string): Promise<Job | undefined>;
  /** The outcome if the job has finished; undefined while it is queued or running, or unknown. */
  result<R = unknown>(id: string): Promise<JobOutcome<R> | undefined>;
  /**
   * Resolves with the outcome once the job finishes (at once when it has). A failed job resolves with
   * `{state:'failed'}`, it does not reject. Woken in-process by the worker that finished it; from other
   * processes through NOTIFY (PostgreSQL, once this queue is started) or else the `pollIntervalMs` poll.
   * @throws Error `no job <id>`, the timeout error, or the signal's reason.
   */
  wait<R = unknown>(id: string, options?: WaitOptions): Promise<JobOutcome<R>>;
  /**
   * Cancel a queued or running job: it ends `cancelled` at once; a running handler's signal is
   * aborted (in any process) and its result is discarded. False when the job is unknown or finished.
   */
  cancel(id: string, reason?: string): Promise<boolean>;
  /** Queue a `failed` or `cancelled` job again with fresh attempts. False when it is in another state or unknown. */
  retry(id: string): Promise<boolean>;
  /** Jobs matching `query`, newest first. */
  list(query?: ListQuery): Promise<Job[]>;
  /** How many jobs are in each state. */
  counts(): Promise<JobCounts>;
  /** Delete jobs finished more than `olderThanMs` ago (default: the queue's `retentionMs`); returns how many. */
  prune(olderThanMs?: number): Promise<number>;
  /** Start taking jobs for the registered types, renewing leases, recovering expired ones and pruning. */
  start(): Promise<void>;
  /**
   * Graceful stop: take no more jobs, let in-flight ones finish within the deadline, then release the
   * rest. Idempotent. The queue can still enqueue and read afterwards; the store stays open.
   */
  stop(options?: StopOptions): Promise<void>;
}

/**
 * Tuning of a queue, all optional (defaults below). Names carry their unit; meant for
 * src/config/options.ts as `QUEUE_*` options.
 */
export interface QueueOptions {
  /** How long a running job's lease lasts without renewal, ms (default 30 000); renewed on every poll, so at least twice `pollIntervalMs`. */
  leaseMs?: number;
  /**
   * Fallback poll, ms (default 1 000): finds jobs enqueued by other processes (SQLite), jobs whose
   * `runAt` or retry time came, expired leases, and cancels made elsewhere. Same-process enqueues wake
   * workers at once.
   */
  pollIntervalMs?: number;
  /** Finished jobs are deleted this long after they finished, ms (default 604 800 000, 7 days). */
  retentionMs?: number;
  /** How often the prune runs, ms (default 60 000). */
  pruneIntervalMs?: number;
  /** Default jobs at once per type in this process (default 10). */
  concurrency?: number;
  /** Default `maxAttempts` of a job (default 3). */
  defaultMaxAttempts?: number;
  /** Default `timeoutMs` of a job (default 300 000, 5 minutes). */
  defaultTimeoutMs?: number;
  /** Delay before the first retry, ms (default 1 000); doubles per failed attempt. */
  retryBaseMs?: number;
  /** Longest delay between retries, ms (default 300 000). */
  retryMaxMs?: number;
  /** Default deadline of {@link Queue.stop}, ms (default 10 000). */
  stopTimeoutMs?: number;
}
