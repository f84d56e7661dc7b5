/**
 * FSleep: passes its `Input` on after a delay in whole seconds (SmythOS `FSleep.class.ts`). Unlike
 * SmythOS's bare `setTimeout`, a cancelled or timed-out run ends the wait at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { ComponentType } from '../engine/component.ts';

/** Node fires a longer timer after 1 ms (TimeoutOverflowWarning); clamp so a huge delay waits instead of skipping. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `data` of an FSleep component: `delay` in seconds (number or numeric string; `parseInt`, default 1). */
export const fSleepConfig = z.looseObject({
  delay: z.union([z.string(), z.number()]).nullish(),
});

/**
 * The wait of an FSleep in ms, as SmythOS computes it: `parseInt(delay || 1) * 1000` — `0` and `''` mean
 * 1 s, a fraction is truncated, a non-number or a negative number means no wait.
 */
export function sleepDelayMs(delay: unknown): number {
  const seconds = parseInt(String(delay || 1), 10);
  const ms = seconds * 1000;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0;
}

/**
 * FSleep: input `Input` → output `Output` (the same value) after {@link sleepDelayMs}.
 * @throws the abort reason when `context.signal` fires during the wait (cancelled run or run timeout).
 * Source: SRE `Components/FSleep.class.ts`.
 */
export const fSleep: ComponentType = {
  name: 'FSleep',
  doc: 'Waits, then passes its `Input` on as `Output`. Config: `delay` in whole seconds (default 1; 0 also means 1, as in SmythOS; fractions are truncated). The wait ends early, with an error, when the run is cancelled or reaches its timeout.',
  configSchema: fSleepConfig,
  async process(input, component, context) {
    const ms = sleepDelayMs((component.data as z.infer<typeof fSleepConfig>).delay);
    if (context.signal.aborted) throw toError(context.signal.reason);
    await sleep(ms, undefined, { signal: context.signal }).catch((err: unknown) => {
      throw context.signal.aborted ? toError(context.signal.reason) : err;
    });
    return { Output: input.Input };
  },
};

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason ?? 'The run was cancelled'));
}
