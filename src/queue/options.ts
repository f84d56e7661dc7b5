/**
 * The queue's options with their defaults, checked once when a queue is built (invalid values fail at
 * once, never silently fall back: CONVENTIONS "Options and errors").
 */
import type { QueueOptions } from './types.ts';

/** {@link QueueOptions} with every default filled in. */
export type ResolvedQueueOptions = Required<QueueOptions>;

/** The defaults, documented on {@link QueueOptions}. */
export const QUEUE_DEFAULTS: ResolvedQueueOptions = {
  leaseMs: 30_000,
  pollIntervalMs: 1_000,
  retentionMs: 7 * 24 * 3600_000,
  pruneIntervalMs: 60_000,
  concurrency: 10,
  defaultMaxAttempts: 3,
  defaultTimeoutMs: 300_000,
  retryBaseMs: 1_000,
  retryMaxMs: 300_000,
  stopTimeoutMs: 10_000,
};

/**
 * Fill in defaults and check ranges.
 * @throws Error `queue option <name> must be …` for a value out of range.
 */
export function resolveQueueOptions(options: QueueOptions = {}): ResolvedQueueOptions {
  const resolved = { ...QUEUE_DEFAULTS };
  for (const [name, value] of Object.entries(options) as Array<[keyof QueueOptions, number | undefined]>) {
    if (value === undefined) continue;
    if (!(name in QUEUE_DEFAULTS)) throw new Error(`unknown queue option ${name}`);
    const min = name === 'retentionMs' || name === 'stopTimeoutMs' ? 0 : 1;
    if (!Number.isInteger(value) || value < min) throw new Error(`queue option ${name} must be an integer ≥ ${min}, got ${value}`);
    resolved[name] = value;
  }
  // Leases are renewed on every poll: one late poll must not cost a running job its lease.
  if (resolved.leaseMs < 2 * resolved.pollIntervalMs) throw new Error('queue option leaseMs must be at least twice pollIntervalMs (leases are renewed on each poll)');
  return resolved;
}
