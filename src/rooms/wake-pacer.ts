/**
 * Rooms: pacing `/sync` wake-ups when the process is busy. A message in a room with a hundred
 * members long-polling wakes all hundred; each answer is an HTTP response with its own reads and
 * rendering, so when messages keep coming every one of them costs a hundred answers, and the
 * senders wait behind them (docs/PERFORMANCE.md, "Matrix send throughput"). Holding a continuing sync a
 * little while the event loop is saturated lets the messages arriving meanwhile go out in the same
 * answer: fewer, fuller answers (the spec's timeline is a batch anyway, `limited` past its limit)
 * and writers that keep their pace. An idle process answers at once, so the wake-up latency of a
 * quiet room is untouched.
 *
 * The load signal is the event loop's utilization (Node's `performance.eventLoopUtilization`) over
 * the last sampling interval: the share of time the loop was running code rather than waiting.
 */
import { performance } from 'node:perf_hooks';

/** Options of {@link createWakePacer}. */
export interface WakePacerOptions {
  /** Longest a woken sync is held, ms, reached at full utilization; 0 turns pacing off. */
  maxDelayMs: number;
  /** Utilization (0-1) up to which wakes are not held; above it the hold grows linearly. Default 0.7 (a server answering one conversation at a time stays below it). */
  busyAbove?: number;
  /** How often utilization is sampled, ms (each sample covers the time since the previous one). Default 250. */
  sampleMs?: number;
  /** Utilization over the last interval (tests inject it); default: Node's event-loop utilization. */
  utilization?: () => number;
}

/** The default load signal: event-loop utilization since the previous call (0 on the first). */
function eventLoopUtilization(): () => number {
  let last: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  return () => {
    const now = performance.eventLoopUtilization();
    // The first call only sets the baseline: what came before (a start-up's migrations) is not load.
    const u = last ? performance.eventLoopUtilization(now, last).utilization : 0;
    last = now;
    return u;
  };
}

/**
 * A wake pacer: `settle()` is awaited by a long-poll that continues from a token before it
 * computes its answer; it resolves at once (`undefined`) when the process is not busy, otherwise at
 * one shared moment for every sync held meanwhile (one timer, however many wait).
 */
export function createWakePacer(options: WakePacerOptions) {
  const busyAbove = options.busyAbove ?? 0.7;
  const sampleMs = options.sampleMs ?? 250;
  const sample = options.utilization ?? eventLoopUtilization();
  // -Infinity, not 0: `performance.now()` counts from the process's start, so a pacer made in its
  // first 250 ms would not sample at all (the tests failed when Node 24 reached them that early).
  let sampledAt = -Infinity;
  let busy = 0;
  let pending: Promise<void> | undefined;

  const pacer = {
    /** The hold a wake would get now, ms. */
    delayMs(): number {
      if (options.maxDelayMs <= 0) return 0;
      const now = performance.now();
      if (now - sampledAt >= sampleMs) {
        busy = sample();
        sampledAt = now;
      }
      if (busy <= busyAbove) return 0;
      return Math.round((options.maxDelayMs * Math.min(1, busy - busyAbove)) / (1 - busyAbove));
    },
    /**
     * Resolves when a held sync should compute its answer, or at once (`undefined`) when the process
     * is not busy; also as soon as `signal` aborts (the client left, or its own timeout is near).
     */
    settle(signal?: AbortSignal): Promise<void> | undefined {
      if (!pending) {
        const delay = pacer.delayMs();
        if (delay === 0) return undefined;
        pending = new Promise<void>((resolve) =>
          setTimeout(() => {
            pending = undefined;
            resolve();
          }, delay),
        );
      }
      if (!signal) return pending;
      if (signal.aborted) return undefined;
      return new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        signal.addEventListener('abort', done);
        void pending!.then(done);
      });
    },
  };
  return pacer;
}

/** A wake pacer. */
export type WakePacer = ReturnType<typeof createWakePacer>;
