/**
 * The Matrix sync loop and room life cycle over HTTP, on SQLite and PostgreSQL: what wakes a parked
 * long-poll (an invite, typing, a revoked token), what a timed-out one answers, invites and leaves in
 * `/sync`, `full_state`, `transaction_id` echo to the sending device only, redaction of state and
 * membership, `createRoom`'s errors, event size, and the login throttle.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { assertMxError, enc, mxCall, mxLogin, mxRegister, nextTxn, sendText, mxRoom, type MxUser } from './mx.ts';

describe('Matrix sync loop and room life cycle', () => {
  let s: TestServer;
  let alice: MxUser;
  let bob: MxUser;
  let n = 0;
  const fresh = () => mxRegister(s, `s${++n}`);

  before(async () => {
    s = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    alice = await mxRegister(s, 'alice');
    bob = await mxRegister(s, 'bob');
  });
  after(() => s.close());


  /** Start a long-poll from `since`; resolves once it has parked, with the poll (wrapped: an async function would await it). */
  async function parkedSync(t: { mock: { method: (o: object, m: string) => { mock: { callCount(): number } } } }, user: MxUser, since: string, timeoutMs = 20_000) {
    const spy = t.mock.method(s.orrery.services.rooms, 'waitForSync');
    const before = spy.mock.callCount();
    // set_presence=offline: the poll's own presence change would answer it at once.
    const poll = user.call('GET', `/sync?since=${enc(since)}&timeout=${timeoutMs}&set_presence=offline`);
    await waitFor(() => spy.mock.callCount() > before, { what: 'the long-poll to park' });
    return { poll };
  }

  describe('long-poll wake-ups', () => {
    test('an invite wakes the invitee and arrives with its invite_state; joining moves the room to join', async (t) => {
      const carol = await fresh();
      const base = await carol.call('GET', '/sync?timeout=0&set_presence=offline');
      const { poll } = await parkedSync(t, carol, base.body.next_batch);
      const roomId = await mxRoom(alice, [], { preset: 'private_chat', name: 'Secret club', invite: [carol.userId] });
      const woke = await poll;
      const inv = woke.body.rooms.invite[roomId];
      assert.ok(inv, JSON.stringify(woke.body));
      const types = inv.invite_state.events.map((e: { type: string }) => e.type);
      assert.ok(types.includes('m.room.create') && types.includes('m.room.join_rules') && types.includes('m.room.name'), JSON.stringify(types));
      const mine = inv.invite_state.events.find((e: { type: string; state_key: string }) => e.type === 'm.room.member' && e.state_key === carol.userId);
      assert.equal(mine.content.membership, 'invite');
      assert.ok(!inv.invite_state.events.some((e: { type: string }) => e.type === 'm.room.message'), 'no timeline in invite_state');
      assert.equal((await carol.call('POST', `/join/${enc(roomId)}`, {})).status, 200);
      const joined = await carol.call('GET', `/sync?since=${enc(woke.body.next_batch)}&timeout=0`);
      assert.ok(joined.body.rooms.join[roomId], 'the room is now under join');
      assert.equal(joined.body.rooms.invite[roomId], undefined);
      assert.ok((await carol.call('GET', '/joined_rooms')).body.joined_rooms.includes(roomId));
    });

    test('typing wakes a co-member', async (t) => {
      const roomId = await mxRoom(alice, [bob]);
      const base = await bob.call('GET', '/sync?timeout=0&set_presence=offline');
      const { poll } = await parkedSync(t, bob, base.body.next_batch);
      assert.equal((await alice.call('PUT', `/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: true, timeout: 5000 })).status, 200);
      const woke = await poll;
      const typing = woke.body.rooms.join[roomId]?.ephemeral.events.find((e: { type: string }) => e.type === 'm.typing');
      assert.deepEqual(typing?.content.user_ids, [alice.userId]);
    });

    test('someone who leaves while typing stops showing as typing', async () => {
      const ivy = await fresh();
      const roomId = await mxRoom(alice, [bob, ivy]);
      assert.equal((await ivy.call('PUT', `/rooms/${enc(roomId)}/typing/${enc(ivy.userId)}`, { typing: true, timeout: 60000 })).status, 200);
      assert.equal((await ivy.call('POST', `/rooms/${enc(roomId)}/leave`, {})).status, 200);
      const r = await bob.call('GET', '/sync?timeout=0');
      const typing = r.body.rooms.join[roomId].ephemeral.events.find((e: { type: string }) => e.type === 'm.typing');
      assert.deepEqual(typing?.content.user_ids ?? [], []);
    });

    test('a long-poll with nothing to say answers after its timeout with a usable next_batch', async () => {
      const dave = await fresh();
      const base = await dave.call('GET', '/sync?timeout=0&set_presence=offline');
      const started = Date.now();
      const r = await dave.call('GET', `/sync?since=${enc(base.body.next_batch)}&timeout=300&set_presence=offline`);
      assert.equal(r.status, 200);
      assert.ok(Date.now() - started >= 250, 'it waited');
      assert.deepEqual(r.body.rooms.join, {});
      assert.equal(typeof r.body.next_batch, 'string');
    });

    test('logging out the token ends its parked long-poll', async (t) => {
      const erin = await fresh();
      const base = await erin.call('GET', '/sync?timeout=0&set_presence=offline');
      const started = Date.now();
      const { poll } = await parkedSync(t, erin, base.body.next_batch, 30_000);
      assert.equal((await erin.call('POST', '/logout', {})).status, 200);
      const ended = await poll;
      assert.ok(Date.now() - started < 15_000, `ended by the logout (${ended.status})`);
      assertMxError(await erin.call('GET', '/sync?timeout=0'), 401, 'M_UNKNOWN_TOKEN');
    });
  });

  describe('membership in /sync', () => {
    test('a kicked member gets the room under leave, with the kick and its reason', async () => {
      const frank = await fresh();
      const roomId = await mxRoom(alice, [frank]);
      const base = await frank.call('GET', '/sync?timeout=0');
      assert.equal((await alice.call('POST', `/rooms/${enc(roomId)}/kick`, { user_id: frank.userId, reason: 'bye' })).status, 200);
      const next = await frank.call('GET', `/sync?since=${enc(base.body.next_batch)}&timeout=0`);
      const left = next.body.rooms.leave[roomId];
      assert.ok(left, JSON.stringify(next.body.rooms));
      const kick = left.timeline.events.at(-1);
      assert.equal(kick.content.membership, 'leave');
      assert.equal(kick.content.reason, 'bye');
      assert.equal(kick.sender, alice.userId);
      assert.equal(next.body.rooms.join[roomId], undefined);
    });

    test('forget: a left room is no longer in an include_leave sync; forgetting a joined room is refused', async () => {
      const gina = await fresh();
      const roomId = await mxRoom(alice, [gina]);
      assertMxError(await gina.call('POST', `/rooms/${enc(roomId)}/forget`, {}), 400, 'M_UNKNOWN');
      assert.equal((await gina.call('POST', `/rooms/${enc(roomId)}/leave`, {})).status, 200);
      const withLeave = `/sync?timeout=0&filter=${enc(JSON.stringify({ room: { include_leave: true } }))}`;
      assert.ok((await gina.call('GET', withLeave)).body.rooms.leave[roomId]);
      assert.equal((await gina.call('POST', `/rooms/${enc(roomId)}/forget`, {})).status, 200);
      assert.equal((await gina.call('GET', withLeave)).body.rooms.leave[roomId], undefined);
    });

    test('full_state=true carries the room state again; the timeline still starts at since (spec)', async () => {
      const roomId = await mxRoom(alice, [bob]);
      for (let i = 0; i < 12; i++) await sendText(alice, roomId, `filler ${i}`);
      const base = await bob.call('GET', '/sync?timeout=0');
      const quiet = await bob.call('GET', `/sync?since=${enc(base.body.next_batch)}&timeout=0`);
      assert.equal(quiet.body.rooms.join[roomId], undefined);
      const full = await bob.call('GET', `/sync?since=${enc(base.body.next_batch)}&timeout=0&full_state=true`);
      const joined = full.body.rooms.join[roomId];
      const state = joined.state.events.map((e: { type: string }) => e.type);
      assert.ok(state.includes('m.room.create') && state.includes('m.room.power_levels') && state.includes('m.room.member'), JSON.stringify(state));
      // Regression: full_state also replayed the newest timeline events as if new (bots re-ran old commands).
      assert.equal(joined.timeline.events.length, 0);
    });
  });

  describe('transaction ids', () => {
    test('unsigned.transaction_id goes to the sending device only', async () => {
      const roomId = await mxRoom(alice, [bob]);
      const other = await mxLogin(s, alice);
      const sent = await sendText(alice, roomId, 'echo', 'echo-txn-1');
      const find = async (u: MxUser) => {
        const r = await u.call('GET', `/sync?timeout=0&filter=${enc(JSON.stringify({ room: { timeline: { limit: 50 } } }))}`);
        return r.body.rooms.join[roomId].timeline.events.find((e: { event_id: string }) => e.event_id === sent.body.event_id);
      };
      assert.equal((await find(alice)).unsigned.transaction_id, 'echo-txn-1');
      assert.equal((await find(other)).unsigned.transaction_id, undefined);
      assert.equal((await find(bob)).unsigned.transaction_id, undefined);
    });

    test('a redaction is idempotent per txnId too, also 10 at once (regression: concurrent repeats were a 500)', async () => {
      const roomId = await mxRoom(alice);
      const msg = await sendText(alice, roomId, 'to go');
      const txn = nextTxn();
      const results = await Promise.all(Array.from({ length: 10 }, () => alice.call('PUT', `/rooms/${enc(roomId)}/redact/${enc(msg.body.event_id)}/${txn}`, {})));
      assert.ok(results.every((r) => r.status === 200), JSON.stringify(results.map((r) => r.body)));
      assert.equal(new Set(results.map((r) => r.body.event_id)).size, 1);
    });
  });

  describe('redaction of state', () => {
    test('a redacted topic reads as empty state; a redacted member event keeps its membership', async () => {
      const roomId = await mxRoom(alice, [bob]);
      const topic = await alice.call('PUT', `/rooms/${enc(roomId)}/state/m.room.topic`, { topic: 'soon gone' });
      assert.equal((await alice.call('PUT', `/rooms/${enc(roomId)}/redact/${enc(topic.body.event_id)}/${nextTxn()}`, {})).status, 200);
      assert.deepEqual((await bob.call('GET', `/rooms/${enc(roomId)}/state/m.room.topic`)).body, {});
      const member = (await bob.call('GET', `/rooms/${enc(roomId)}/members`)).body.chunk.find((e: { state_key: string }) => e.state_key === bob.userId);
      assert.equal((await alice.call('PUT', `/rooms/${enc(roomId)}/redact/${enc(member.event_id)}/${nextTxn()}`, {})).status, 200);
      const after = await alice.call('GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId)}`);
      assert.deepEqual(after.body, { membership: 'join' });
      assert.equal((await sendText(bob, roomId, 'still a member')).status, 200);
    });
  });

  describe('createRoom and sending: errors', () => {
    test('a taken room_alias_name is 400 M_ROOM_IN_USE; another room version is 400 M_UNSUPPORTED_ROOM_VERSION; an unknown invitee 404', async () => {
      assert.equal((await alice.call('POST', '/createRoom', { room_alias_name: 'taken-one' })).status, 200);
      assertMxError(await bob.call('POST', '/createRoom', { room_alias_name: 'taken-one' }), 400, 'M_ROOM_IN_USE');
      assertMxError(await alice.call('POST', '/createRoom', { room_version: '1' }), 400, 'M_UNSUPPORTED_ROOM_VERSION');
      assertMxError(await alice.call('POST', '/createRoom', { invite: ['@ghost:localhost'] }), 404, 'M_NOT_FOUND');
      assertMxError(await alice.call('POST', '/createRoom', { invite: ['not-a-user-id'] }), 400, 'M_INVALID_PARAM');
    });

    test('an event over 64 KiB is 413 M_TOO_LARGE', async () => {
      const roomId = await mxRoom(alice);
      const r = await alice.call('PUT', `/rooms/${enc(roomId)}/send/m.room.message/${nextTxn()}`, { msgtype: 'm.text', body: 'x'.repeat(70_000) });
      assertMxError(r, 413, 'M_TOO_LARGE');
    });

    test('joining an unknown room is 404 M_NOT_FOUND; a malformed room id 400', async () => {
      assertMxError(await alice.call('POST', `/join/${enc('!nowhere:localhost')}`, {}), 404, 'M_NOT_FOUND');
      assertMxError(await alice.call('POST', `/join/${enc('#nowhere:localhost')}`, {}), 404, 'M_NOT_FOUND');
      assertMxError(await alice.call('POST', `/join/${enc('nowhere')}`, {}), 400, 'M_INVALID_PARAM');
    });

    test('an unknown login type is 400 M_UNKNOWN', async () => {
      assertMxError(await mxCall(s, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.token', token: 'x' } }), 400, 'M_UNKNOWN');
    });
  });

  describe('rate limits on login', () => {
    test('repeated wrong passwords are throttled with 429 M_LIMIT_EXCEEDED and retry_after_ms', async () => {
      const victim = await fresh();
      let last;
      for (let i = 0; i < 30; i++) {
        last = await mxCall(s, 'POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: victim.localpart }, password: `wrong-${i}` } });
        if (last.status === 429) break;
      }
      assertMxError(last!, 429, 'M_LIMIT_EXCEEDED');
      assert.equal(typeof last!.body.retry_after_ms, 'number');
    });
  });
});
