import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWakePacer } from './wake-pacer.ts';

test('wake pacer: a process that is not saturated answers at once', () => {
  // 0.6: a server answering one conversation at a time under a loaded machine (bench/bot-runner.ts).
  const pacer = createWakePacer({ maxDelayMs: 250, utilization: () => 0.6 });
  assert.equal(pacer.delayMs(), 0);
  assert.equal(pacer.settle(), undefined);
});

test('wake pacer: the hold grows with utilization above the threshold, up to the maximum', () => {
  let u = 0.75;
  const pacer = createWakePacer({ maxDelayMs: 200, busyAbove: 0.5, sampleMs: 0, utilization: () => u });
  assert.equal(pacer.delayMs(), 100);
  u = 1;
  assert.equal(pacer.delayMs(), 200);
  u = 0.5;
  assert.equal(pacer.delayMs(), 0);
});

test('wake pacer: every sync held meanwhile is released together, by one timer', async () => {
  const pacer = createWakePacer({ maxDelayMs: 20, utilization: () => 1 });
  const first = pacer.settle();
  assert.ok(first);
  const all = Array.from({ length: 50 }, () => pacer.settle());
  for (const p of all) assert.equal(p, first);
  const started = performance.now();
  await Promise.all(all);
  assert.ok(performance.now() - started >= 15);
  // Released: the next busy wake starts a new hold.
  const next = pacer.settle();
  assert.ok(next && next !== first);
  await next;
});

test('wake pacer: maxDelayMs 0 turns it off however busy', () => {
  const pacer = createWakePacer({ maxDelayMs: 0, utilization: () => 1 });
  assert.equal(pacer.settle(), undefined);
});

test('wake pacer: a held sync is let go when its signal aborts (the client left, its timeout is near)', async () => {
  const pacer = createWakePacer({ maxDelayMs: 1000, utilization: () => 1 });
  const gone = new AbortController();
  const held = pacer.settle(gone.signal);
  assert.ok(held);
  let released = false;
  void held.then(() => (released = true));
  await Promise.resolve();
  assert.equal(released, false);
  gone.abort();
  await held;
  assert.equal(pacer.settle(gone.signal), undefined, 'an aborted signal is not held at all');
});

test('wake pacer: the first sample is a baseline, not load (a busy start-up does not hold the first syncs)', () => {
  const pacer = createWakePacer({ maxDelayMs: 250 });
  const until = performance.now() + 30;
  while (performance.now() < until) {
    /* a busy start-up */
  }
  assert.equal(pacer.delayMs(), 0);
});
