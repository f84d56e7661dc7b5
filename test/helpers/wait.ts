/**
 * The one way tests wait (CONVENTIONS "Tests wait on conditions"): poll a condition until it holds or
 * a deadline passes. Never a fixed sleep: time the test does not need is time the suite wastes, and
 * time it needs but does not get is a flake. Anything time-based in the server runs on the injectable
 * clock (`ManualClock`) instead.
 */

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Longest wait, ms (default 10 000). */
  timeoutMs?: number;
  /** Pause between polls, ms (default 10). */
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  what?: string;
}

/**
 * Resolve with the first truthy value `condition` returns (sync or async); retry every `intervalMs`.
 * A throwing condition counts as "not yet" until the deadline, when its last error is reported.
 * @throws Error `timed out after <ms> ms waiting for <what>` (with the last error, if any)
 */
export async function waitFor<T>(
  condition: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions | number = {},
): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 10, what = 'condition' } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
