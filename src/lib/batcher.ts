/**
 * Micro-batching for hot write paths (CONVENTIONS "batch forms on hot paths"): calls made in the same
 * turn of the event loop are flushed together (one transaction, one commit), and each caller's
 * promise settles with its own result once the batch is written. Nothing is acknowledged before it
 * is stored.
 */

/** Collects items and flushes them together; `add` resolves with the item's own result. */
export interface Batcher<T, R> {
  add(item: T): Promise<R>;
}

/**
 * `flush(items)` must return one result per item, in order; if it throws, every caller of that
 * batch gets the error. At most `maxBatch` items go into one flush (default 500).
 */
export function createBatcher<T, R>(flush: (items: T[]) => Promise<R[]>, maxBatch = 500): Batcher<T, R> {
  let pending: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  let scheduled = false;

  async function run(): Promise<void> {
    scheduled = false;
    while (pending.length) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(batch.length);
      try {
        const results = await flush(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]!));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
  }

  return {
    add(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(() => void run());
        }
      });
    },
  };
}
