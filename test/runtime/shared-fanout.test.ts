import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

test('watchers that join while messages are being posted see each message once, in order, with no gap', async () => {
  const s = await startTestApp({ RUNTIME_SHARED_MIN_GAP_MS: '0', RUNTIME_SHARED_MAX_PER_MINUTE: '1000', RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE: '1000' });
  try {
    const { accounts, runtime } = s.orrery.services;
    const user = await accounts.createUser({ username: 'fan', password: 'password-fan' });
    const principal = { user, via: 'session' as const };
    const post = (i: number) => runtime.postShared(principal, `message ${i}`);
    const first = await post(0);
    const received: number[][] = [];
    const closers: Array<() => void> = [];
    const watch = async (after: string | undefined) => {
      const got: number[] = [];
      received.push(got);
      const w = await runtime.watchShared(after, { message: (m) => got.push(m.id), presence: () => undefined });
      closers.push(w.close);
    };
    await watch(`s${first.id - 1}`);
    const posting = (async () => {
      for (let i = 1; i <= 60; i++) await post(i);
    })();
    // Each later watcher joins once the first has seen a few more messages: at eight points of the posting.
    for (let k = 1; k <= 8; k++) {
      await waitFor(() => received[0]!.length >= k * 7, { what: `the first watcher to see ${k * 7} messages` });
      await watch(`s${first.id - 1}`);
    }
    await posting;
    // A last message arrives after everything posted before it: once every watcher has it, nothing is in flight.
    const last = await post(61);
    await waitFor(() => received.every((got) => got.includes(last.id)), { what: 'every watcher to see the last message' });
    for (const got of received) {
      assert.equal(got.length, 62, `got ${got.length}`);
      assert.deepEqual(got, [...got].sort((a, b) => a - b));
      assert.equal(new Set(got).size, got.length);
    }
    closers.forEach((c) => c());
  } finally {
    await s.close();
  }
});

test('watchers that arrive in the same turn share one fan-out: each new message is read once, not once per watcher', async () => {
  const s = await startTestApp({ RUNTIME_SHARED_MIN_GAP_MS: '0', RUNTIME_SHARED_MAX_PER_MINUTE: '1000', RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE: '1000' });
  try {
    const { accounts, runtime, rooms } = s.orrery.services;
    const user = await accounts.createUser({ username: 'crowd', password: 'password-crowd' });
    const principal = { user, via: 'session' as const };
    const got: number[][] = Array.from({ length: 200 }, () => []);
    // 200 watchers in one turn, as when a burst of stream requests is authenticated together.
    const watchers = await Promise.all(got.map((into) => runtime.watchShared(undefined, { message: (m) => into.push(m.id), presence: () => undefined })));
    let reads = 0;
    const eventsAfter = rooms.eventsAfter;
    rooms.eventsAfter = (...args) => {
      reads++;
      return eventsAfter(...args);
    };
    try {
      for (let i = 0; i < 5; i++) {
        await runtime.postShared(principal, `crowd ${i}`);
        await waitFor(() => got.every((into) => into.length === i + 1), { what: `every watcher to get message ${i}` });
      }
    } finally {
      rooms.eventsAfter = eventsAfter;
    }
    for (const into of got) assert.equal(into.length, 5);
    assert.ok(reads <= 10, `${reads} reads for 5 messages and 200 watchers`);
    for (const w of watchers) w.close();
  } finally {
    await s.close();
  }
});
