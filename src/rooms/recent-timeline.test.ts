import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInProcessEventBus } from './event-bus.ts';
import { createRecentTimeline, RECENT_EVENTS_PER_ROOM } from './recent-timeline.ts';
import type { EventRow } from './store.ts';

/** A fake store holding rows of two interleaved rooms; counts reads. */
function fakeStore() {
  const rows: EventRow[] = [];
  let reads = 0;
  let gate: Promise<void> | undefined;
  const add = (room_id: string, type = 'm.room.message', content: Record<string, unknown> = { body: 'x' }) => {
    const stream_ordering = rows.length + 1;
    rows.push({ stream_ordering, event_id: `$${stream_ordering}`, room_id, type, state_key: null, sender: '@a:x', content: JSON.stringify(content), origin_server_ts: stream_ordering, txn_id: null, token_id: null, dedupe_key: null, redacted_because: null } as unknown as EventRow);
    return stream_ordering;
  };
  const store = {
    async timelinePage(room_id: string, dir: 'f' | 'b', from: number | undefined, to: number | undefined, limit: number) {
      reads++;
      await gate;
      const inRoom = rows.filter((r) => r.room_id === room_id);
      const page = dir === 'f' ? inRoom.filter((r) => (from === undefined || r.stream_ordering > from) && (to === undefined || r.stream_ordering <= to)) : inRoom.filter((r) => (from === undefined || r.stream_ordering <= from) && (to === undefined || r.stream_ordering > to)).reverse();
      return page.slice(0, limit);
    },
  };
  return {
    store,
    add,
    head: () => rows.length,
    reads: () => reads,
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

test('recent timeline: a view holds every event of the room up to the position asked, oldest first', async () => {
  const f = fakeStore();
  const bus = createInProcessEventBus();
  const recent = createRecentTimeline({ store: f.store, subscribe: (l) => bus.subscribe(l) });
  f.add('!a');
  f.add('!b');
  f.add('!a');
  const v1 = await recent.view('!a', 0, f.head());
  assert.deepEqual(v1 && { start: v1.start, ids: v1.events.map((e) => e.stream_ordering) }, { start: 0, ids: [1, 3] });
  f.add('!b');
  f.add('!a');
  f.add('!a');
  // Asked up to 5: event 6 exists but is not part of the answer.
  const v2 = await recent.view('!a', 0, 5);
  assert.deepEqual(v2?.events.map((e) => e.stream_ordering), [1, 3, 5]);
  const v3 = await recent.view('!a', 0, 6);
  assert.deepEqual(v3?.events.map((e) => e.stream_ordering), [1, 3, 5, 6]);
});

test('recent timeline: concurrent views of a new position read the database once', async () => {
  const f = fakeStore();
  const bus = createInProcessEventBus();
  const recent = createRecentTimeline({ store: f.store, subscribe: (l) => bus.subscribe(l) });
  f.add('!a');
  await recent.view('!a', 0, f.head());
  const before = f.reads();
  f.add('!a');
  const release = f.hold();
  const views = Array.from({ length: 100 }, () => recent.view('!a', 1, f.head()));
  release();
  const answers = await Promise.all(views);
  assert.equal(f.reads() - before, 1);
  for (const v of answers) assert.deepEqual(v?.events.map((e) => e.stream_ordering), [1, 2]);
});

test('recent timeline: the window keeps the newest events and says where it starts', async () => {
  const f = fakeStore();
  const bus = createInProcessEventBus();
  const recent = createRecentTimeline({ store: f.store, subscribe: (l) => bus.subscribe(l) });
  await recent.view('!a', 0, 0);
  for (let i = 0; i < RECENT_EVENTS_PER_ROOM + 10; i++) f.add('!a');
  // Caught up in small steps, so the window trims its oldest rather than being rebuilt.
  for (let p = 1; p <= f.head(); p += 50) await recent.view('!a', 0, Math.min(p, f.head()));
  const v = await recent.view('!a', 10, f.head());
  assert.equal(v?.events.length, RECENT_EVENTS_PER_ROOM);
  assert.equal(v?.start, 10);
  assert.equal(v?.events[0]?.stream_ordering, 11);
});

test('recent timeline: a redaction in the room drops its window, so the database answers', async () => {
  const f = fakeStore();
  const bus = createInProcessEventBus();
  const recent = createRecentTimeline({ store: f.store, subscribe: (l) => bus.subscribe(l) });
  f.add('!a', 'm.room.message', { body: 'secret' });
  assert.deepEqual((await recent.view('!a', 0, 1))?.events[0]?.content, { body: 'secret' });
  // What the event writer does: prune the target and store the redaction, then announce it.
  (await f.store.timelinePage('!a', 'f', 0, 1, 1))[0]!.content = '{}';
  const r = f.add('!a', 'm.room.redaction', { redacts: '$1' });
  // Read before the notice arrives: the window sees the redaction row and gives up at once.
  assert.equal(await recent.view('!a', 0, r), undefined);
  bus.publish({ kind: 'event', room_id: '!a', stream_ordering: r, type: 'm.room.redaction' });
  assert.equal(await recent.view('!a', 0, r), undefined);
  assert.equal(recent.size(), 0);
  // Later syncs, from after the redaction, get a window again.
  f.add('!a');
  assert.deepEqual((await recent.view('!a', r, f.head()))?.events.map((e) => e.stream_ordering), [r + 1]);
});

test('recent timeline: more new events than a window holds → no window (the database answers)', async () => {
  const f = fakeStore();
  const bus = createInProcessEventBus();
  const recent = createRecentTimeline({ store: f.store, subscribe: (l) => bus.subscribe(l) });
  for (let i = 0; i < RECENT_EVENTS_PER_ROOM + 1; i++) f.add('!a');
  assert.equal(await recent.view('!a', 0, f.head()), undefined);
  assert.equal(recent.size(), 0);
});

test('recent timeline: a window dropped while a load was in flight is not installed', async () => {
  const f = fakeStore();
  const bus = createInProcessEventBus();
  const recent = createRecentTimeline({ store: f.store, subscribe: (l) => bus.subscribe(l) });
  f.add('!a');
  const release = f.hold();
  const pending = recent.view('!a', 0, 1);
  bus.publish({ kind: 'resync' });
  release();
  assert.equal(await pending, undefined);
  assert.equal(recent.size(), 0);
});
