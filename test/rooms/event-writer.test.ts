/**
 * The batched event writer (src/rooms/event-writer-store.ts): sends that arrive together share one
 * transaction, yet each keeps its own outcome, in order, on both databases.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/server.ts';

let t: TestApp;
let room: string;
const users: string[] = [];

before(async () => {
  t = await startTestApp({});
  for (let i = 0; i < 6; i++) users.push((await t.services.accounts.createUser({ username: `writer${i}`, password: 'password123' })).userId);
  room = await t.services.rooms.createRoom({ creator: users[0]!, preset: 'public_chat' });
  for (const u of users.slice(1)) await t.services.rooms.join(room, u);
});
after(() => t.close());

const message = (body: string) => ({ msgtype: 'm.text', body });

test('one transaction id sent 40 times at once stores one event and answers it to every retry', async () => {
  const results = await Promise.all(Array.from({ length: 40 }, () => t.services.rooms.sendEvent(room, users[1]!, 'm.room.message', message('once'), { txnId: 'same-txn' })));
  assert.equal(new Set(results.map((r) => r.event.event_id)).size, 1);
  assert.equal(results.filter((r) => !r.duplicate).length, 1);
  const page = await t.services.rooms.messages(room, users[1]!, { dir: 'b', limit: 50 });
  assert.equal(page.chunk.filter((e) => e.content.body === 'once').length, 1);
});

test('a refused send in a batch fails alone; the others are stored, in order', async () => {
  const outsider = (await t.services.accounts.createUser({ username: 'writer-outsider', password: 'password123' })).userId;
  const sends = Array.from({ length: 30 }, (_, i) =>
    t.services.rooms.sendEvent(room, i % 3 === 0 ? outsider : users[2]!, 'm.room.message', message(`b${i}`)).then(
      (r) => r.event.stream_ordering,
      (e: Error) => e,
    ),
  );
  const outcomes = await Promise.all(sends);
  outcomes.forEach((o, i) => {
    if (i % 3 === 0) assert.ok(o instanceof Error && /not joined/.test(o.message), `send ${i} by a non-member is refused`);
    else assert.equal(typeof o, 'number', `send ${i} by a member is stored`);
  });
  const positions = outcomes.filter((o): o is number => typeof o === 'number');
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'positions follow the order of the calls');
});

test('a ban landing among concurrent sends: every send stored is older than the ban, none after it', async () => {
  const target = users[3]!;
  const sends = Array.from({ length: 40 }, (_, i) => t.services.rooms.sendEvent(room, target, 'm.room.message', message(`race${i}`)).then((r) => r.event.stream_ordering, () => null));
  const ban = t.services.rooms.ban(room, users[0]!, target, 'race');
  const [banEvent, ...stored] = await Promise.all([ban, ...sends]);
  const accepted = stored.filter((p): p is number => p !== null);
  assert.ok(accepted.every((p) => p < banEvent.stream_ordering), 'no send was stored after the ban');
  await assert.rejects(t.services.rooms.sendEvent(room, target, 'm.room.message', message('after')), /not joined/);
});
