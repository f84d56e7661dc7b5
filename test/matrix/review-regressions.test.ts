/**
 * Regressions found by reviewing the Matrix surface from outside (issue 8), one test each, on both
 * databases: the event writer's outcomes, sync replays, concurrent room updates, canonical aliases,
 * transaction-id scope, forgotten rooms, long path parameters, user-search wildcards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertMxError, enc, mxRegister, mxRoom, nextTxn, sendText, type MxUser } from './mx.ts';

let s: TestServer;
let alice: MxUser;
let bob: MxUser;

before(async () => {
  s = await startTestServer({ RATE_LIMIT_MAX: '100000' });
  alice = await mxRegister(s, 'rv-alice');
  bob = await mxRegister(s, 'rv-bob');
});
after(() => s.close());

describe('the batched event writer', () => {
  test('a send that fails with a database-side error fails alone; the sends beside it are really stored', async () => {
    const { rooms } = s.orrery.services;
    const roomId = await mxRoom(alice, [bob]);
    const broken = { countWindowMs: 1000, lookbackMs: 1000, verify: () => { throw new Error('the guard broke'); } };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => rooms.sendEvent(roomId, bob.userId, 'm.room.message', { msgtype: 'm.text', body: `w${i}` }, i === 5 ? { guard: broken } : {})),
    );
    assert.equal(outcomes[5]!.status, 'rejected');
    for (const [i, o] of outcomes.entries()) {
      if (i === 5) continue;
      assert.equal(o.status, 'fulfilled', `send ${i}`);
      const id = (o as PromiseFulfilledResult<{ event: { event_id: string } }>).value.event.event_id;
      assert.equal((await bob.call('GET', `/rooms/${enc(roomId)}/event/${enc(id)}`)).status, 200, `send ${i} is stored`);
    }
  });

  test('a refused send retried with its transaction id at once is refused every time, never answered with an event', async () => {
    const roomId = await mxRoom(alice);
    const txn = nextTxn();
    const answers = await Promise.all(Array.from({ length: 8 }, () => sendText(bob, roomId, 'not a member', txn)));
    for (const a of answers) assertMxError(a, 403, 'M_FORBIDDEN');
  });
});

test('a display-name change does not replay the room timeline in the next sync', async () => {
  const roomId = await mxRoom(alice, [bob]);
  for (let i = 0; i < 12; i++) assert.equal((await sendText(alice, roomId, `old ${i}`)).status, 200);
  const base = await bob.call('GET', '/sync?timeout=0');
  assert.equal((await bob.call('PUT', `/profile/${enc(bob.userId)}/displayname`, { displayname: 'Bobby' })).status, 200);
  const next = await bob.call('GET', `/sync?timeout=0&since=${enc(base.body.next_batch)}`);
  const joined = next.body.rooms.join[roomId];
  const bodies = joined.timeline.events.map((e: { type: string; content: { body?: string } }) => e.content.body ?? e.type);
  assert.deepEqual(bodies, ['m.room.member'], 'only the profile change, no old messages');
  assert.equal(joined.timeline.limited, false);
});

test('concurrent account-data, typing and receipt writes all succeed and the last one wins', async () => {
  const roomId = await mxRoom(alice, [bob]);
  const sent = await sendText(alice, roomId, 'read me');
  const writes = await Promise.all([
    ...Array.from({ length: 15 }, (_, i) => bob.call('PUT', `/user/${enc(bob.userId)}/account_data/m.direct`, { n: i })),
    ...Array.from({ length: 10 }, () => bob.call('PUT', `/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, { typing: true, timeout: 5000 })),
    ...Array.from({ length: 10 }, () => bob.call('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(sent.body.event_id)}`, {})),
  ]);
  assert.deepEqual([...new Set(writes.map((w) => w.status))], [200]);
  const got = await bob.call('GET', `/user/${enc(bob.userId)}/account_data/m.direct`);
  assert.equal(typeof got.body.n, 'number');
});

test('m.room.canonical_alias may only name aliases of the room itself (M_BAD_ALIAS)', async () => {
  const roomId = await mxRoom(alice);
  const res = await alice.call('PUT', `/rooms/${enc(roomId)}/state/m.room.canonical_alias/`, { alias: '#shared:localhost' });
  assertMxError(res, 400, 'M_BAD_ALIAS');
  const own = await mxRoom(alice, [], { preset: 'public_chat', room_alias_name: 'rv-own' });
  assert.equal((await alice.call('PUT', `/rooms/${enc(own)}/state/m.room.canonical_alias/`, { alias: '#rv-own:localhost' })).status, 200);
});

test('a redaction reusing a message transaction id is a new request, not a repeat of the message', async () => {
  const roomId = await mxRoom(alice);
  const txn = nextTxn();
  const sent = await sendText(alice, roomId, 'to be redacted', txn);
  const redacted = await alice.call('PUT', `/rooms/${enc(roomId)}/redact/${enc(sent.body.event_id)}/${enc(txn)}`, {});
  assert.equal(redacted.status, 200);
  assert.notEqual(redacted.body.event_id, sent.body.event_id);
  const event = await alice.call('GET', `/rooms/${enc(roomId)}/event/${enc(sent.body.event_id)}`);
  assert.deepEqual(event.body.content, {});
});

test('an invite to a room the user once forgot reaches their sync', async () => {
  const roomId = await mxRoom(alice, [bob]);
  assert.equal((await bob.call('POST', `/rooms/${enc(roomId)}/leave`, {})).status, 200);
  assert.equal((await bob.call('POST', `/rooms/${enc(roomId)}/forget`, {})).status, 200);
  const base = await bob.call('GET', '/sync?timeout=0');
  assert.equal((await alice.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: bob.userId })).status, 200);
  const next = await bob.call('GET', `/sync?timeout=0&since=${enc(base.body.next_batch)}`);
  assert.ok(next.body.rooms.invite[roomId], JSON.stringify(next.body.rooms));
});

test('aliases and ids up to 255 characters work as path parameters', async () => {
  const name = `rv-${'x'.repeat(190)}`;
  const roomId = await mxRoom(alice, [], { preset: 'public_chat', room_alias_name: name });
  const res = await alice.call('GET', `/directory/room/${enc(`#${name}:localhost`)}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.room_id, roomId);
});

test('user search treats % and _ as letters', async () => {
  await mxRegister(s, 'rv_under');
  const all = await alice.call('POST', '/user_directory/search', { search_term: '%', limit: 50 });
  assert.equal(all.body.results.length, 0, 'no one has % in their name');
  const under = await alice.call('POST', '/user_directory/search', { search_term: 'rv_', limit: 50 });
  assert.deepEqual(under.body.results.map((r: { user_id: string }) => r.user_id), ['@rv_under:localhost']);
});
