import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBatcher } from './batcher.ts';

test('calls in one turn are flushed together, each gets its own result', async () => {
  const flushes: number[][] = [];
  const b = createBatcher(async (items: number[]) => {
    flushes.push(items);
    return items.map((x) => x * 2);
  });
  const results = await Promise.all([1, 2, 3].map((x) => b.add(x)));
  assert.deepEqual(results, [2, 4, 6]);
  assert.deepEqual(flushes, [[1, 2, 3]]);
  assert.equal(await b.add(5), 10);
  assert.equal(flushes.length, 2);
});

test('a failed flush rejects every caller of that batch, and the next batch still runs', async () => {
  let fail = true;
  const b = createBatcher(async (items: string[]) => {
    if (fail) throw new Error('disk full');
    return items;
  });
  const r = await Promise.allSettled([b.add('a'), b.add('b')]);
  assert.deepEqual(r.map((x) => x.status), ['rejected', 'rejected']);
  fail = false;
  assert.equal(await b.add('c'), 'c');
});

test('batches are capped at maxBatch', async () => {
  const sizes: number[] = [];
  const b = createBatcher(async (items: number[]) => {
    sizes.push(items.length);
    return items;
  }, 2);
  await Promise.all([1, 2, 3, 4, 5].map((x) => b.add(x)));
  assert.deepEqual(sizes, [2, 2, 1]);
});
