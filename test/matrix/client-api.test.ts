/**
 * The Matrix client-server API over HTTP: plain `fetch` against a real Orrery on an ephemeral port, on
 * SQLite and PostgreSQL (scripts/test.mjs runs both passes). Covers the spec's errcodes with their
 * statuses, sessions and devices, idempotent sends under concurrency, registration under each policy,
 * filters, sync (long-poll, incremental, limited + prev_batch), history, state, redaction, ephemeral
 * data, account data, presence, profiles, the directory, OpenID, discovery, rate limits, and the bridge
 * with the Runtime Connect API (one user, one shared room, one presence).
 * Authorization rules (membership, power levels, bans) are in authorization.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { linkedUser } from '../runtime/helpers.ts';
import { assertMxError, bindUser, enc, mxCall, mxLogin, mxRegister, nextTxn, sendText, mxRoom, type MxUser } from './mx.ts';

const V3 = '/_matrix/client/v3';
const PREFIXES = ['v3', 'r0'] as const;

describe('Matrix client-server API over HTTP', () => {
  let s: TestServer;
  let alice: MxUser;
  let bob: MxUser;

  before(async () => {
    s = await startTestServer({ RATE_LIMIT_MAX: '100000', RUNTIME_SHARED_MIN_GAP_MS: '0', RUNTIME_SHARED_MAX_PER_MINUTE: '1000', RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE: '1000' });
    alice = await mxRegister(s, 'alice');
    bob = await mxRegister(s, 'bob');
  });
  after(() => s.close());


  describe('errcodes, with the statuses the spec gives, on v3 and r0', () => {
    for (const prefix of PREFIXES) {
      const P = `/_matrix/client/${prefix}`;

      test(`${prefix}: M_MISSING_TOKEN 401 without a token; M_UNKNOWN_TOKEN 401 with soft_logout false for a bad one`, async () => {
        assertMxError(await mxCall(s, 'GET', `${P}/account/whoami`), 401, 'M_MISSING_TOKEN');
        const bad = await mxCall(s, 'GET', `${P}/account/whoami`, { token: 'not-a-token' });
        assertMxError(bad, 401, 'M_UNKNOWN_TOKEN');
        assert.equal(bad.body.soft_logout, false);
        const badQuery = await mxCall(s, 'GET', `${P}/account/whoami?access_token=nope`);
        assertMxError(badQuery, 401, 'M_UNKNOWN_TOKEN');
      });

      test(`${prefix}: M_FORBIDDEN 403 (wrong password; another user's presence)`, async () => {
        assertMxError(await mxCall(s, 'POST', `${P}/login`, { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password: 'wrong' } }), 403, 'M_FORBIDDEN');
        assertMxError(await mxCall(s, 'PUT', `${P}/presence/${enc(alice.userId)}/status`, { token: bob.token, body: { presence: 'online' } }), 403, 'M_FORBIDDEN');
      });

      test(`${prefix}: M_NOT_FOUND 404 (unknown alias, unknown event, unknown filter)`, async () => {
        assertMxError(await mxCall(s, 'GET', `${P}/directory/room/${enc('#nothing-here:localhost')}`), 404, 'M_NOT_FOUND');
        const roomId = await mxRoom(alice);
        assertMxError(await mxCall(s, 'GET', `${P}/rooms/${enc(roomId)}/event/${enc('$nope')}`, { token: alice.token }), 404, 'M_NOT_FOUND');
        assertMxError(await mxCall(s, 'GET', `${P}/user/${enc(alice.userId)}/filter/424242`, { token: alice.token }), 404, 'M_NOT_FOUND');
      });

      test(`${prefix}: M_NOT_JSON 400 for a body that is not JSON; M_BAD_JSON 400 for JSON of the wrong shape`, async () => {
        const roomId = await mxRoom(alice);
        const url = `${P}/rooms/${enc(roomId)}/send/m.room.message/${nextTxn()}`;
        assertMxError(await mxCall(s, 'PUT', url, { token: alice.token, body: '{not json', headers: { 'content-type': 'application/json' } }), 400, 'M_NOT_JSON');
        assertMxError(await mxCall(s, 'PUT', url, { token: alice.token, body: 'plain words', headers: { 'content-type': 'text/plain' } }), 400, 'M_NOT_JSON');
        assertMxError(await mxCall(s, 'PUT', url, { token: alice.token, body: [1, 2] }), 400, 'M_BAD_JSON');
        assertMxError(await mxCall(s, 'POST', `${P}/login`, { body: { type: 'm.login.password', password: 42 } }), 400, 'M_BAD_JSON');
      });

      test(`${prefix}: M_USER_IN_USE and M_INVALID_USERNAME 400 (register/available and register)`, async () => {
        assertMxError(await mxCall(s, 'GET', `${P}/register/available?username=alice`), 400, 'M_USER_IN_USE');
        assertMxError(await mxCall(s, 'GET', `${P}/register/available?username=${enc('Bad Name!')}`), 400, 'M_INVALID_USERNAME');
        assertMxError(await mxCall(s, 'POST', `${P}/register`, { body: { username: 'alice', password: 'password-xyz-123', auth: { type: 'm.login.dummy' } } }), 400, 'M_USER_IN_USE');
        assertMxError(await mxCall(s, 'POST', `${P}/register`, { body: { username: 'Bad Name!', password: 'password-xyz-123', auth: { type: 'm.login.dummy' } } }), 400, 'M_INVALID_USERNAME');
      });

      test(`${prefix}: M_UNRECOGNIZED 404 for an unknown endpoint`, async () => {
        assertMxError(await mxCall(s, 'GET', `${P}/no/such/endpoint`, { token: alice.token }), 404, 'M_UNRECOGNIZED');
        assertMxError(await mxCall(s, 'POST', `/_matrix/client/v9/whatever`, {}), 404, 'M_UNRECOGNIZED');
      });

      test(`${prefix}: M_INVALID_PARAM 400 (a bad since token, a bad user id, a bad dir)`, async () => {
        assertMxError(await mxCall(s, 'GET', `${P}/sync?since=garbage&timeout=0`, { token: alice.token }), 400, 'M_INVALID_PARAM');
        assertMxError(await mxCall(s, 'GET', `${P}/presence/${enc('not-a-user')}/status`, { token: alice.token }), 400, 'M_INVALID_PARAM');
        const roomId = await mxRoom(alice);
        assertMxError(await mxCall(s, 'GET', `${P}/rooms/${enc(roomId)}/messages?dir=sideways`, { token: alice.token }), 400, 'M_INVALID_PARAM');
      });
    }

    test('M_LIMIT_EXCEEDED 429 with retry_after_ms, exactly the limit under 20 concurrent requests', async () => {
      const limited = await startTestServer({ RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' });
      try {
        const results = await Promise.all(Array.from({ length: 20 }, () => mxCall(limited, 'GET', '/_matrix/client/v3/capabilities?access_token=x')));
        const over = results.filter((r) => r.status === 429);
        assert.equal(results.length - over.length, 5, 'the limit lets exactly 5 through');
        for (const r of over) {
          assertMxError(r, 429, 'M_LIMIT_EXCEEDED');
          assert.equal(typeof r.body.retry_after_ms, 'number');
          assert.ok(r.body.retry_after_ms > 0);
          assert.ok(Number(r.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
        }
        const r0 = await mxCall(limited, 'GET', '/_matrix/client/r0/account/whoami');
        assertMxError(r0, 429, 'M_LIMIT_EXCEEDED');
      } finally {
        await limited.close();
      }
    });
  });

  describe('guards under concurrency', () => {
    test('10 registrations of one username at once: one account, the rest 400 M_USER_IN_USE', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => mxCall(s, 'POST', `${V3}/register`, { body: { username: 'racer', password: 'password-racer', auth: { type: 'm.login.dummy' } } })),
      );
      assert.equal(results.filter((r) => r.status === 200).length, 1, JSON.stringify(results.map((r) => r.status)));
      for (const r of results.filter((x) => x.status !== 200)) assertMxError(r, 400, 'M_USER_IN_USE');
    });

    test('10 PUTs of one alias at once: one mapping, the rest 409', async () => {
      const roomIds = await Promise.all(Array.from({ length: 10 }, () => mxRoom(alice)));
      const alias = '#raced-alias:localhost';
      const results = await Promise.all(roomIds.map((room_id) => alice.call('PUT', `/directory/room/${enc(alias)}`, { room_id })));
      const won = results.findIndex((r) => r.status === 200);
      assert.equal(results.filter((r) => r.status === 200).length, 1, JSON.stringify(results.map((r) => r.status)));
      for (const r of results.filter((x) => x.status !== 200)) assertMxError(r, 409, 'M_UNKNOWN');
      assert.equal((await mxCall(s, 'GET', `${V3}/directory/room/${enc(alias)}`)).body.room_id, roomIds[won]);
    });

    test('10 createRooms with one room_alias_name at once: one room, the rest 400 M_ROOM_IN_USE', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => alice.call('POST', '/createRoom', { room_alias_name: 'raced-room' })));
      assert.equal(results.filter((r) => r.status === 200).length, 1, JSON.stringify(results.map((r) => r.body)));
      for (const r of results.filter((x) => x.status !== 200)) assertMxError(r, 400, 'M_ROOM_IN_USE');
    });
  });

  describe('sessions and devices', () => {
    test('whoami: a device id per login; the token works in ?access_token=; tokens are stored hashed', async () => {
      const carol = await mxRegister(s, 'carol');
      const second = await mxLogin(s, carol);
      const r0 = await mxLogin(s, carol, 'r0');
      const ids = new Set<string>();
      for (const u of [carol, second, r0]) {
        const who = await u.call('GET', '/account/whoami');
        assert.equal(who.status, 200);
        assert.equal(who.body.user_id, carol.userId);
        assert.equal(who.body.device_id, u.deviceId);
        ids.add(who.body.device_id);
      }
      assert.equal(ids.size, 3, 'three logins, three devices');
      const viaQuery = await mxCall(s, 'GET', `${V3}/account/whoami?access_token=${enc(second.token)}`);
      assert.equal(viaQuery.status, 200);
      assert.equal(viaQuery.body.device_id, second.deviceId);
      // matrix-nio sends the token only in the query, on writes too.
      const roomId = (await mxCall(s, 'POST', `/_matrix/client/r0/createRoom?access_token=${enc(second.token)}`, { body: {} })).body.room_id as string;
      const sent = await mxCall(s, 'PUT', `/_matrix/client/r0/rooms/${enc(roomId)}/send/m.room.message/q1?access_token=${enc(second.token)}`, { body: { msgtype: 'm.text', body: 'query token' } });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.equal((await carol.call('GET', `/rooms/${enc(roomId)}/event/${enc(sent.body.event_id)}`)).body.sender, carol.userId);
      // At rest: no table holds the token itself.
      const rows = await s.store.db.selectFrom('access_tokens').selectAll().execute();
      assert.ok(rows.length >= 3);
      const dump = JSON.stringify(rows);
      for (const u of [carol, second, r0]) assert.ok(!dump.includes(u.token), 'the access token is not stored in clear');
    });

    test('logout ends that token only (M_UNKNOWN_TOKEN, soft_logout false); logout/all ends every device', async () => {
      const dave = await mxRegister(s, 'dave');
      const other = await mxLogin(s, dave);
      const third = await mxLogin(s, dave, 'r0');
      assert.equal((await dave.call('POST', '/logout', {})).status, 200);
      const gone = await dave.call('GET', '/account/whoami');
      assertMxError(gone, 401, 'M_UNKNOWN_TOKEN');
      assert.equal(gone.body.soft_logout, false);
      assert.equal((await other.call('GET', '/account/whoami')).status, 200, 'the other device stays signed in');
      assert.equal((await third.call('POST', '/logout/all', {})).status, 200);
      for (const u of [other, third]) {
        const r = await u.call('GET', '/account/whoami');
        assertMxError(r, 401, 'M_UNKNOWN_TOKEN');
        assert.equal(r.body.soft_logout, false);
      }
    });

    test('a login naming its device again replaces that device\'s token; other devices stay', async () => {
      const hank = await mxRegister(s, 'hank');
      const body = { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'hank' }, password: hank.password, device_id: 'HANKPHONE' };
      const first = await mxCall(s, 'POST', `${V3}/login`, { body });
      const second = await mxCall(s, 'POST', `${V3}/login`, { body });
      assert.equal(first.body.device_id, 'HANKPHONE');
      assert.equal(second.body.device_id, 'HANKPHONE');
      assertMxError(await mxCall(s, 'GET', `${V3}/account/whoami`, { token: first.body.access_token }), 401, 'M_UNKNOWN_TOKEN');
      const who = await mxCall(s, 'GET', `${V3}/account/whoami`, { token: second.body.access_token });
      assert.equal(who.body.device_id, 'HANKPHONE');
      assert.equal((await hank.call('GET', '/account/whoami')).status, 200, 'the registration device is untouched');
    });

    test('GET /login offers m.login.password; legacy `user` works', async () => {
      const flows = await mxCall(s, 'GET', `${V3}/login`);
      assert.deepEqual(flows.body.flows.map((f: { type: string }) => f.type), ['m.login.password']);
      const legacy = await mxCall(s, 'POST', `/_matrix/client/r0/login`, { body: { type: 'm.login.password', user: 'alice', password: alice.password } });
      assert.equal(legacy.status, 200);
      assert.equal(legacy.body.user_id, alice.userId);
    });
  });

  describe('registration', () => {
    test('without auth: 401 with the UIA shape (session + flows); then m.login.dummy with that session registers', async () => {
      const first = await mxCall(s, 'POST', `${V3}/register`, { body: { username: 'uia1', password: 'password-uia1' } });
      assert.equal(first.status, 401);
      assert.equal(typeof first.body.session, 'string');
      assert.deepEqual(first.body.flows, [{ stages: ['m.login.dummy'] }]);
      assert.equal(typeof first.body.params, 'object');
      const done = await mxCall(s, 'POST', `${V3}/register`, { body: { username: 'uia1', password: 'password-uia1', auth: { type: 'm.login.dummy', session: first.body.session } } });
      assert.equal(done.status, 200);
      assert.equal(done.body.user_id, '@uia1:localhost');
      assert.equal(typeof done.body.access_token, 'string');
      assert.equal(typeof done.body.device_id, 'string');
    });

    test('register/available: a free name is available', async () => {
      const r = await mxCall(s, 'GET', `${V3}/register/available?username=freename`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { available: true });
    });

    test('policy closed: 403 M_FORBIDDEN', async () => {
      const closed = await startTestServer({ REGISTRATION_POLICY: 'closed' });
      try {
        for (const prefix of PREFIXES) {
          assertMxError(await mxCall(closed, 'POST', `/_matrix/client/${prefix}/register`, { body: { username: 'x1', password: 'password-x1', auth: { type: 'm.login.dummy' } } }), 403, 'M_FORBIDDEN');
        }
      } finally {
        await closed.close();
      }
    });

    test('policy token: the flow is m.login.registration_token; a wrong token is refused; the right one registers', async () => {
      const gated = await startTestServer({ REGISTRATION_POLICY: 'token', REGISTRATION_TOKEN: 'open-sesame-token' });
      try {
        const first = await mxCall(gated, 'POST', `${V3}/register`, { body: { username: 'tok1', password: 'password-tok1' } });
        assert.equal(first.status, 401);
        assert.deepEqual(first.body.flows, [{ stages: ['m.login.registration_token'] }]);
        const dummy = await mxCall(gated, 'POST', `${V3}/register`, { body: { username: 'tok1', password: 'password-tok1', auth: { type: 'm.login.dummy', session: first.body.session } } });
        assert.equal(dummy.status, 401, 'm.login.dummy does not pass the token flow');
        const wrong = await mxCall(gated, 'POST', `${V3}/register`, { body: { username: 'tok1', password: 'password-tok1', auth: { type: 'm.login.registration_token', token: 'wrong', session: first.body.session } } });
        assert.equal(wrong.status, 401);
        assert.ok(!wrong.body.access_token);
        const ok = await mxCall(gated, 'POST', `${V3}/register`, { body: { username: 'tok1', password: 'password-tok1', auth: { type: 'm.login.registration_token', token: 'open-sesame-token', session: first.body.session } } });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.equal(ok.body.user_id, '@tok1:localhost');
      } finally {
        await gated.close();
      }
    });
  });

  describe('registration limit per address (regression: Matrix /register had none, so REGISTRATION_MAX_PER_ADDRESS and the registration token could be worked around)', () => {
    test('attempts count across v3 and r0, wrong tokens included, challenges not; 10 at once let exactly the budget through', async () => {
      const limited = await startTestServer({ REGISTRATION_MAX_PER_ADDRESS: '3', REGISTRATION_POLICY: 'token', REGISTRATION_TOKEN: 'the-right-token', RATE_LIMIT_MAX: '100000' });
      try {
        const attempt = (prefix: string, username: string, token: string) =>
          mxCall(limited, 'POST', `/_matrix/client/${prefix}/register`, { body: { username, password: `password-${username}`, auth: { type: 'm.login.registration_token', token } } });
        for (let i = 0; i < 5; i++) assert.equal((await mxCall(limited, 'POST', `${V3}/register`, { body: {} })).status, 401, 'challenges are free');
        assert.equal((await attempt('v3', 'lim1', 'wrong')).status, 401);
        assert.equal((await attempt('r0', 'lim1', 'the-right-token')).status, 200);
        assert.equal((await attempt('v3', 'lim2', 'the-right-token')).status, 200);
        const over = await attempt('r0', 'lim3', 'the-right-token');
        assertMxError(over, 429, 'M_LIMIT_EXCEEDED');
        assert.ok(over.body.retry_after_ms > 0);
      } finally {
        await limited.close();
      }
      const burst = await startTestServer({ REGISTRATION_MAX_PER_ADDRESS: '3', RATE_LIMIT_MAX: '100000' });
      try {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => mxCall(burst, 'POST', `/_matrix/client/${i % 2 ? 'r0' : 'v3'}/register`, { body: { username: `burst${i}`, password: `password-burst${i}`, auth: { type: 'm.login.dummy' } } })),
        );
        assert.equal(results.filter((r) => r.status === 200).length, 3, JSON.stringify(results.map((r) => r.status)));
        for (const r of results.filter((x) => x.status !== 200)) assertMxError(r, 429, 'M_LIMIT_EXCEEDED');
      } finally {
        await burst.close();
      }
    });
  });

  describe('filters', () => {
    test('create, get; another user\'s filter is 403', async () => {
      const created = await alice.call('POST', `/user/${enc(alice.userId)}/filter`, { room: { timeline: { limit: 5 } } });
      assert.equal(created.status, 200);
      assert.equal(typeof created.body.filter_id, 'string');
      const got = await alice.call('GET', `/user/${enc(alice.userId)}/filter/${created.body.filter_id}`);
      assert.deepEqual(got.body, { room: { timeline: { limit: 5 } } });
      assertMxError(await bob.call('GET', `/user/${enc(alice.userId)}/filter/${created.body.filter_id}`), 403, 'M_FORBIDDEN');
      assertMxError(await bob.call('POST', `/user/${enc(alice.userId)}/filter`, {}), 403, 'M_FORBIDDEN');
    });

    test('/sync applies a stored filter by id; another user\'s filter id or a bad inline filter is 400 M_INVALID_PARAM', async () => {
      const roomId = await mxRoom(alice);
      for (let i = 0; i < 4; i++) await sendText(alice, roomId, `f${i}`);
      const { filter_id } = (await alice.call('POST', `/user/${enc(alice.userId)}/filter`, { room: { timeline: { limit: 2 } } })).body;
      const sync = await alice.call('GET', `/sync?timeout=0&filter=${filter_id}`);
      const tl = sync.body.rooms.join[roomId].timeline;
      assert.equal(tl.events.length, 2);
      assert.equal(tl.limited, true);
      assertMxError(await bob.call('GET', `/sync?timeout=0&filter=${filter_id}`), 400, 'M_INVALID_PARAM');
      assertMxError(await alice.call('GET', `/sync?timeout=0&filter=${enc('{not json')}`), 400, 'M_INVALID_PARAM');
    });
  });

  describe('sending: idempotent per access token and txnId', () => {
    test('the same token and txnId give the same event id; 20 concurrent PUTs store one event', async () => {
      const roomId = await mxRoom(alice);
      const a = await sendText(alice, roomId, 'once', 'txn-A');
      const b = await sendText(alice, roomId, 'once', 'txn-A');
      assert.equal(a.status, 200);
      assert.equal(a.body.event_id, b.body.event_id);
      const many = await Promise.all(Array.from({ length: 20 }, () => sendText(alice, roomId, 'concurrent', 'txn-B')));
      assert.ok(many.every((r) => r.status === 200), JSON.stringify(many.map((r) => r.status)));
      assert.equal(new Set(many.map((r) => r.body.event_id)).size, 1, 'one event id');
      const page = await alice.call('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
      const texts = page.body.chunk.filter((e: { type: string }) => e.type === 'm.room.message').map((e: { content: { body: string } }) => e.content.body);
      assert.deepEqual(texts.sort(), ['concurrent', 'once']);
    });

    test('two tokens of one user with the same txnId send two events; the sender sees transaction_id', async () => {
      const roomId = await mxRoom(alice);
      const second = await mxLogin(s, alice);
      const a = await sendText(alice, roomId, 'from device 1', 'same-txn');
      const b = await sendText(second, roomId, 'from device 2', 'same-txn');
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      assert.notEqual(a.body.event_id, b.body.event_id);
      const ev = await alice.call('GET', `/rooms/${enc(roomId)}/event/${enc(a.body.event_id)}`);
      assert.equal(ev.body.content.body, 'from device 1');
    });
  });

  describe('sync', () => {
    test('a long-poll wakes on a message, and the incremental sync holds only the new events', async (t) => {
      const roomId = await mxRoom(alice, [bob]);
      const initial = await bob.call('GET', '/sync?timeout=0');
      assert.equal(initial.status, 200);
      assert.ok(initial.body.rooms.join[roomId], 'the joined room is in the initial sync');
      const parked = t.mock.method(s.orrery.services.rooms, 'waitForSync');
      const poll = bob.call('GET', `/sync?since=${enc(initial.body.next_batch)}&timeout=20000`);
      await waitFor(() => parked.mock.callCount() > 0, { what: 'the long-poll to park' });
      const started = Date.now();
      const sent = await sendText(alice, roomId, 'wake up');
      const woke = await poll;
      assert.ok(Date.now() - started < 10_000, 'woken by the message, not by the timeout');
      assert.equal(woke.status, 200);
      const events = woke.body.rooms.join[roomId].timeline.events;
      assert.deepEqual(events.map((e: { event_id: string }) => e.event_id), [sent.body.event_id], 'only the new event');
      assert.equal(events[0].sender, alice.userId);
      assert.notEqual(woke.body.next_batch, initial.body.next_batch);
      const quiet = await bob.call('GET', `/sync?since=${enc(woke.body.next_batch)}&timeout=0`);
      assert.equal(quiet.body.rooms.join[roomId], undefined, 'nothing new, no room');
    });

    test('a limited timeline has prev_batch usable with /messages dir=b; /messages pages round trip', async () => {
      const roomId = await mxRoom(alice);
      const sent: string[] = [];
      for (let i = 0; i < 8; i++) sent.push((await sendText(alice, roomId, `m${i}`)).body.event_id);
      const sync = await alice.call('GET', `/sync?timeout=0&filter=${enc(JSON.stringify({ room: { timeline: { limit: 3 } } }))}`);
      const tl = sync.body.rooms.join[roomId].timeline;
      assert.equal(tl.limited, true);
      assert.deepEqual(tl.events.map((e: { event_id: string }) => e.event_id), sent.slice(5));
      assert.equal(typeof tl.prev_batch, 'string');
      const older = await alice.call('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=3&from=${enc(tl.prev_batch)}`);
      assert.equal(older.status, 200);
      assert.deepEqual(older.body.chunk.map((e: { event_id: string }) => e.event_id), sent.slice(2, 5).reverse(), 'the three before, newest first');
      // Backwards to the start, then forwards again from the start: the same events, in order.
      const back: string[] = [];
      let from: string | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await alice.call('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=4${from ? `&from=${enc(from)}` : ''}`);
        back.push(...page.body.chunk.map((e: { event_id: string }) => e.event_id));
        if (!page.body.end) break;
        from = page.body.end;
      }
      const forward: string[] = [];
      let fwd: string | undefined;
      const firstPage = await alice.call('GET', `/rooms/${enc(roomId)}/messages?dir=f&limit=4`);
      forward.push(...firstPage.body.chunk.map((e: { event_id: string }) => e.event_id));
      fwd = firstPage.body.end;
      for (let i = 0; i < 20 && fwd; i++) {
        const page = await alice.call('GET', `/rooms/${enc(roomId)}/messages?dir=f&limit=4&from=${enc(fwd)}`);
        forward.push(...page.body.chunk.map((e: { event_id: string }) => e.event_id));
        fwd = page.body.end;
      }
      assert.deepEqual(forward, [...back].reverse(), 'forward pages are the backward pages reversed');
      assert.deepEqual(forward.slice(-8), sent);
      assert.equal(new Set(forward).size, forward.length, 'no repeats');
    });

    test('typing and receipts arrive in ephemeral; account data (global and room) in sync', async () => {
      const roomId = await mxRoom(alice, [bob]);
      const msg = await sendText(alice, roomId, 'read me');
      const base = await bob.call('GET', '/sync?timeout=0');
      assert.equal((await alice.call('PUT', `/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: true, timeout: 10000 })).status, 200);
      assert.equal((await alice.call('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(msg.body.event_id)}`, {})).status, 200);
      const next = await waitFor(
        async () => {
          const r = await bob.call('GET', `/sync?since=${enc(base.body.next_batch)}&timeout=0`);
          const eph = r.body.rooms.join[roomId]?.ephemeral.events ?? [];
          return eph.some((e: { type: string }) => e.type === 'm.typing') && eph.some((e: { type: string }) => e.type === 'm.receipt') ? eph : undefined;
        },
        { what: 'typing and receipt in ephemeral' },
      );
      const typing = next.find((e: { type: string }) => e.type === 'm.typing');
      assert.deepEqual(typing.content.user_ids, [alice.userId]);
      const receipt = next.find((e: { type: string }) => e.type === 'm.receipt');
      assert.ok(receipt.content[msg.body.event_id]['m.read'][alice.userId], 'alice read it');
      assertMxError(await bob.call('PUT', `/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: true }), 403, 'M_FORBIDDEN');

      assert.equal((await bob.call('PUT', `/user/${enc(bob.userId)}/account_data/org.example.global`, { a: 1 })).status, 200);
      assert.equal((await bob.call('PUT', `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/org.example.room`, { b: 2 })).status, 200);
      assert.deepEqual((await bob.call('GET', `/user/${enc(bob.userId)}/account_data/org.example.global`)).body, { a: 1 });
      assert.deepEqual((await bob.call('GET', `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/org.example.room`)).body, { b: 2 });
      assertMxError(await bob.call('GET', `/user/${enc(bob.userId)}/account_data/org.example.none`), 404, 'M_NOT_FOUND');
      assertMxError(await alice.call('GET', `/user/${enc(bob.userId)}/account_data/org.example.global`), 403, 'M_FORBIDDEN');
      const sync = await bob.call('GET', `/sync?since=${enc(base.body.next_batch)}&timeout=0`);
      assert.deepEqual(sync.body.account_data.events.find((e: { type: string }) => e.type === 'org.example.global')?.content, { a: 1 });
      assert.deepEqual(sync.body.rooms.join[roomId].account_data.events.find((e: { type: string }) => e.type === 'org.example.room')?.content, { b: 2 });
    });

    test('presence: PUT and GET, and in the sync of someone who shares a room', async () => {
      const roomId = await mxRoom(alice, [bob]);
      void roomId;
      const base = await bob.call('GET', '/sync?timeout=0&set_presence=offline');
      assert.equal((await alice.call('PUT', `/presence/${enc(alice.userId)}/status`, { presence: 'unavailable', status_msg: 'lunch' })).status, 200);
      const got = await bob.call('GET', `/presence/${enc(alice.userId)}/status`);
      assert.equal(got.status, 200);
      assert.equal(got.body.presence, 'unavailable');
      assert.equal(got.body.status_msg, 'lunch');
      const sync = await waitFor(async () => {
        const r = await bob.call('GET', `/sync?since=${enc(base.body.next_batch)}&timeout=0&set_presence=offline`);
        return r.body.presence.events.find((e: { sender: string }) => e.sender === alice.userId);
      }, { what: 'alice presence in bob sync' });
      assert.equal(sync.type, 'm.presence');
      assert.equal(sync.content.presence, 'unavailable');
      assertMxError(await alice.call('GET', `/presence/${enc('@ghost:localhost')}/status`), 404, 'M_NOT_FOUND');
    });
  });

  describe('room state and history', () => {
    test('state: put and get, with an empty state key with and without the trailing slash', async () => {
      const roomId = await mxRoom(alice, [bob]);
      const put = await alice.call('PUT', `/rooms/${enc(roomId)}/state/m.room.topic`, { topic: 'no slash' });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.match(put.body.event_id, /^\$/);
      assert.deepEqual((await bob.call('GET', `/rooms/${enc(roomId)}/state/m.room.topic`)).body, { topic: 'no slash' });
      assert.equal((await alice.call('PUT', `/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'with slash' })).status, 200);
      assert.deepEqual((await bob.call('GET', `/rooms/${enc(roomId)}/state/m.room.topic/`)).body, { topic: 'with slash' });
      assert.deepEqual((await bob.call('GET', `/rooms/${enc(roomId)}/state/m.room.topic`)).body, { topic: 'with slash' });
      assert.equal((await alice.call('PUT', `/rooms/${enc(roomId)}/state/org.example.keyed/k1`, { v: 1 })).status, 200);
      assert.deepEqual((await bob.call('GET', `/rooms/${enc(roomId)}/state/org.example.keyed/k1`)).body, { v: 1 });
      assertMxError(await bob.call('GET', `/rooms/${enc(roomId)}/state/org.example.keyed/k2`), 404, 'M_NOT_FOUND');
      const all = await bob.call('GET', `/rooms/${enc(roomId)}/state`);
      assert.ok(all.body.some((e: { type: string; content: { topic?: string } }) => e.type === 'm.room.topic' && e.content.topic === 'with slash'));
      assert.ok(all.body.some((e: { type: string; state_key: string }) => e.type === 'm.room.create' && e.state_key === ''));
    });

    test('context, members and joined_members', async () => {
      const roomId = await mxRoom(alice, [bob]);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await sendText(alice, roomId, `c${i}`)).body.event_id);
      const ctx = await bob.call('GET', `/rooms/${enc(roomId)}/context/${enc(ids[2]!)}?limit=2`);
      assert.equal(ctx.status, 200);
      assert.equal(ctx.body.event.event_id, ids[2]);
      assert.deepEqual(ctx.body.events_before.map((e: { event_id: string }) => e.event_id), [ids[1]]);
      assert.deepEqual(ctx.body.events_after.map((e: { event_id: string }) => e.event_id), [ids[3]]);
      assert.equal(typeof ctx.body.start, 'string');
      assert.equal(typeof ctx.body.end, 'string');
      const members = await bob.call('GET', `/rooms/${enc(roomId)}/members`);
      assert.deepEqual(members.body.chunk.map((e: { state_key: string }) => e.state_key).sort(), [alice.userId, bob.userId].sort());
      const joined = await bob.call('GET', `/rooms/${enc(roomId)}/joined_members`);
      assert.deepEqual(Object.keys(joined.body.joined).sort(), [alice.userId, bob.userId].sort());
      assert.equal(joined.body.joined[alice.userId].display_name, 'alice');
    });

    test('redaction prunes the content and shows redacted_because', async () => {
      const roomId = await mxRoom(alice, [bob]);
      const msg = await sendText(alice, roomId, 'secret');
      const red = await alice.call('PUT', `/rooms/${enc(roomId)}/redact/${enc(msg.body.event_id)}/${nextTxn()}`, { reason: 'oops' });
      assert.equal(red.status, 200, JSON.stringify(red.body));
      const ev = await bob.call('GET', `/rooms/${enc(roomId)}/event/${enc(msg.body.event_id)}`);
      assert.deepEqual(ev.body.content, {});
      assert.equal(ev.body.unsigned.redacted_because.event_id, red.body.event_id);
      assert.equal(ev.body.unsigned.redacted_because.type, 'm.room.redaction');
      const page = await bob.call('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=5`);
      const inPage = page.body.chunk.find((e: { event_id: string }) => e.event_id === msg.body.event_id);
      assert.deepEqual(inPage.content, {});
    });

    test('a displayname change updates the member events of joined rooms', async () => {
      const erin = await mxRegister(s, 'erin');
      const roomId = await mxRoom(alice, [erin]);
      assert.equal((await erin.call('PUT', `/profile/${enc(erin.userId)}/displayname`, { displayname: 'Erin E.' })).status, 200);
      assert.deepEqual((await mxCall(s, 'GET', `${V3}/profile/${enc(erin.userId)}/displayname`)).body, { displayname: 'Erin E.' });
      assert.equal((await alice.call('GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(erin.userId)}`)).body.displayname, 'Erin E.');
      assert.equal((await alice.call('GET', `/rooms/${enc(roomId)}/joined_members`)).body.joined[erin.userId].display_name, 'Erin E.');
      assertMxError(await alice.call('PUT', `/profile/${enc(erin.userId)}/displayname`, { displayname: 'hijack' }), 403, 'M_FORBIDDEN');
    });
  });

  describe('directory and discovery', () => {
    test('alias put, get, delete', async () => {
      const roomId = await mxRoom(alice);
      const alias = '#test-alias:localhost';
      assert.equal((await alice.call('PUT', `/directory/room/${enc(alias)}`, { room_id: roomId })).status, 200);
      assertMxError(await alice.call('PUT', `/directory/room/${enc(alias)}`, { room_id: roomId }), 409, 'M_UNKNOWN');
      const got = await mxCall(s, 'GET', `${V3}/directory/room/${enc(alias)}`);
      assert.deepEqual(got.body, { room_id: roomId, servers: ['localhost'] });
      assert.deepEqual((await alice.call('GET', `/rooms/${enc(roomId)}/aliases`)).body.aliases, [alias]);
      assertMxError(await bob.call('DELETE', `/directory/room/${enc(alias)}`), 403, 'M_FORBIDDEN');
      assert.equal((await alice.call('DELETE', `/directory/room/${enc(alias)}`)).status, 200);
      assertMxError(await mxCall(s, 'GET', `${V3}/directory/room/${enc(alias)}`), 404, 'M_NOT_FOUND');
    });

    test('publicRooms lists the shared room; user_directory/search finds a user', async () => {
      const shared = await mxCall(s, 'GET', `${V3}/directory/room/${enc('#shared:localhost')}`);
      assert.equal(shared.status, 200, JSON.stringify(shared.body));
      const pub = await mxCall(s, 'GET', `${V3}/publicRooms`);
      assert.equal(pub.status, 200);
      assert.ok(pub.body.chunk.some((r: { room_id: string }) => r.room_id === shared.body.room_id), JSON.stringify(pub.body));
      const search = await alice.call('POST', '/user_directory/search', { search_term: 'bo' });
      assert.equal(search.status, 200);
      assert.ok(search.body.results.some((r: { user_id: string }) => r.user_id === bob.userId));
      assert.equal(typeof search.body.limited, 'boolean');
    });

    test('capabilities, pushrules, versions, .well-known', async () => {
      const caps = await alice.call('GET', '/capabilities');
      assert.equal(caps.body.capabilities['m.room_versions'].default, '11');
      const rules = await alice.call('GET', '/pushrules/');
      assert.ok(Array.isArray(rules.body.global.override));
      assert.ok(rules.body.global.override.some((r: { rule_id: string }) => r.rule_id === '.m.rule.master'));
      const versions = await mxCall(s, 'GET', '/_matrix/client/versions');
      assert.ok(versions.body.versions.includes('v1.11'));
      const wk = await mxCall(s, 'GET', '/.well-known/matrix/client');
      assert.equal(typeof wk.body['m.homeserver'].base_url, 'string');
    });

    test('OpenID: request_token, then userinfo → {sub}; a bad token is 401 M_UNKNOWN_TOKEN', async () => {
      const tok = await alice.call('POST', `/user/${enc(alice.userId)}/openid/request_token`, {});
      assert.equal(tok.status, 200);
      assert.equal(tok.body.token_type, 'Bearer');
      assert.equal(tok.body.matrix_server_name, 'localhost');
      const info = await mxCall(s, 'GET', `/_matrix/federation/v1/openid/userinfo?access_token=${enc(tok.body.access_token)}`);
      assert.equal(info.status, 200);
      assert.deepEqual(info.body, { sub: alice.userId });
      assertMxError(await mxCall(s, 'GET', `/_matrix/federation/v1/openid/userinfo?access_token=bogus`), 401, 'M_UNKNOWN_TOKEN');
      assertMxError(await bob.call('POST', `/user/${enc(alice.userId)}/openid/request_token`, {}), 403, 'M_FORBIDDEN');
    });
  });

  describe('one user on both APIs', () => {
    test('a runtime token works on /sync and /send as the same user', async () => {
      const linked = await linkedUser(s, 'rtuser');
      const rt = bindUser(s, 'v3', { userId: linked.userId, deviceId: '', token: linked.token, localpart: 'rtuser', password: 'password-rtuser' });
      const who = await rt.call('GET', '/account/whoami');
      assert.equal(who.status, 200);
      assert.equal(who.body.user_id, linked.userId);
      const roomId = await mxRoom(alice, [rt]);
      const sent = await sendText(rt, roomId, 'from a runtime token');
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      const sync = await rt.call('GET', '/sync?timeout=0');
      assert.equal(sync.status, 200);
      const ev = sync.body.rooms.join[roomId].timeline.events.find((e: { event_id: string }) => e.event_id === sent.body.event_id);
      assert.equal(ev.sender, linked.userId);
      // ?access_token= works with a runtime token too.
      assert.equal((await mxCall(s, 'GET', `${V3}/account/whoami?access_token=${enc(linked.token)}`)).body.user_id, linked.userId);
    });

    test('Matrix /logout with a runtime token ends it on both APIs', async () => {
      const linked = await linkedUser(s, 'rtlogout');
      assert.equal((await mxCall(s, 'POST', `${V3}/logout`, { token: linked.token, body: {} })).status, 200);
      const gone = await mxCall(s, 'GET', `${V3}/sync?timeout=0`, { token: linked.token });
      assertMxError(gone, 401, 'M_UNKNOWN_TOKEN');
      assert.equal(gone.body.soft_logout, false);
      assert.equal((await linked.bot.post('/api/runtime/presence')).status, 401, 'the runtime API refuses it too');
    });

    test('a runtime shared post appears in Matrix /sync of #shared; a Matrix m.text there appears in the runtime feed', async () => {
      const linked = await linkedUser(s, 'bridger');
      const shared = (await mxCall(s, 'GET', `${V3}/directory/room/${enc('#shared:localhost')}`)).body.room_id as string;
      assert.equal((await bob.call('POST', `/join/${enc('#shared:localhost')}`, {})).body.room_id, shared);
      const base = await bob.call('GET', '/sync?timeout=0');
      const posted = await linked.bot.post('/api/runtime/shared', { content: 'hello from the runtime' });
      assert.equal(posted.status, 200, JSON.stringify(posted.body));
      const seen = await waitFor(async () => {
        const r = await bob.call('GET', `/sync?since=${enc(base.body.next_batch)}&timeout=0`);
        return r.body.rooms.join[shared]?.timeline.events.find((e: { content: { body?: string } }) => e.content.body === 'hello from the runtime');
      }, { what: 'the runtime post in Matrix sync' });
      assert.equal(seen.sender, linked.userId);
      assert.equal(seen.type, 'm.room.message');
      const sent = await sendText(bob, shared, 'hello from matrix');
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      const feed = await linked.bot.get('/api/runtime/feed?limit=100');
      assert.equal(feed.status, 200);
      const item = feed.body.messages.find((m: { content: string }) => m.content === 'hello from matrix');
      assert.ok(item, JSON.stringify(feed.body));
      assert.equal(item.user_id, bob.userId);
    });

    test(
      "the shared space's posting limits hold for a runtime token sending through Matrix too",
      async () => {
        const guarded = await startTestServer({ RATE_LIMIT_MAX: '100000', RUNTIME_SHARED_MIN_GAP_MS: '60000' });
        try {
          const linked = await linkedUser(guarded, 'guarded');
          const shared = (await mxCall(guarded, 'GET', `${V3}/directory/room/${enc('#shared:localhost')}`)).body.room_id as string;
          assert.equal((await linked.bot.post('/api/runtime/shared', { content: 'first' })).status, 200);
          assert.equal((await linked.bot.post('/api/runtime/shared', { content: 'second' })).status, 429, 'the runtime API enforces the cooldown');
          const viaMatrix = await mxCall(guarded, 'PUT', `${V3}/rooms/${enc(shared)}/send/m.room.message/${nextTxn()}`, { token: linked.token, body: { msgtype: 'm.text', body: 'second, via Matrix' } });
          assertMxError(viaMatrix, 429, 'M_LIMIT_EXCEEDED');
        } finally {
          await guarded.close();
        }
      },
    );

    test('a runtime heartbeat shows as online in Matrix presence', async () => {
      const linked = await linkedUser(s, 'beater');
      assert.equal((await linked.bot.post('/api/runtime/presence')).status, 200);
      const p = await alice.call('GET', `/presence/${enc(linked.userId)}/status`);
      assert.equal(p.status, 200);
      assert.equal(p.body.presence, 'online');
      assert.equal(p.body.currently_active, true);
      // …and a clean shutdown (DELETE) reads as offline there.
      assert.equal((await linked.bot.req('DELETE', '/api/runtime/presence')).status, 200);
      assert.equal((await alice.call('GET', `/presence/${enc(linked.userId)}/status`)).body.presence, 'offline');
    });

    test('Matrix presence shows in the runtime presence list: online listed, offline not', async () => {
      const mx = await mxRegister(s, 'mxpresent');
      // GET /api/runtime/presence is for signed-in users: a Matrix access token is one.
      const listed = async () => ((await mxCall(s, 'GET', '/api/runtime/presence', { token: mx.token })).body.users as Array<{ userId: string; runtime: boolean }>).find((u) => u.userId === mx.userId);
      assert.equal((await mx.call('PUT', `/presence/${enc(mx.userId)}/status`, { presence: 'online' })).status, 200);
      const entry = await listed();
      assert.ok(entry, 'listed as present');
      assert.equal(entry.runtime, false, 'present through Matrix, not a runtime');
      assert.equal((await mx.call('PUT', `/presence/${enc(mx.userId)}/status`, { presence: 'offline' })).status, 200);
      assert.equal(await listed(), undefined);
    });
  });
});
