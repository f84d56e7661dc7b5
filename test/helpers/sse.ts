/**
 * A test reader of a Server-Sent Events response: collects the decoded text as it arrives.
 */
import assert from 'node:assert/strict';

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
    /** Resolves once `re` matches the text so far; fails after `ms`. */
    async until(re: RegExp, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!re.test(state.text)) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${re} in ${JSON.stringify(state.text.slice(-300))}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    /** Stop reading and wait for the reader to settle. */
    async cancel() {
      await reader.cancel();
      await done;
    },
  };
}
