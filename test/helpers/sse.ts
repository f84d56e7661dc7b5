/**
 * A test reader of a Server-Sent Events response: collects the decoded text as it arrives.
 */
import { waitFor } from './wait.ts';

/** Reads `res`'s body into `state.text` until cancelled or ended. */
export function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const state = { text: '' };
  const decoder = new TextDecoder();
  const done = (async () => {
    for (;;) {
      const { value, done: ended } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (ended) return;
      state.text += decoder.decode(value, { stream: true });
    }
  })();
  return {
    state,
    /** Resolves once `re` matches the text so far; fails after `ms`, showing the text's end. */
    async until(re: RegExp, ms = 5000) {
      await waitFor(
        () => {
          if (re.test(state.text)) return true;
          throw new Error(`${re} not in ${JSON.stringify(state.text.slice(-300))}`);
        },
        { timeoutMs: ms, intervalMs: 5, what: String(re) },
      );
    },
    /** Stop reading and wait for the reader to settle. */
    async cancel() {
      await reader.cancel();
      await done;
    },
  };
}
