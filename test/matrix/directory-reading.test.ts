/**
 * Matrix reading and directory details over HTTP, on SQLite and PostgreSQL: `/messages` bounds and
 * filters of `/members`, read markers and unread counts, the room directory's listing and paging,
 * the user directory's `limited`, profile validation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertMxError, enc, mxCall, mxRegister, sendText, mxRoom, type MxUser } from './mx.ts';

const V3 = '/_matrix/client/v3';

describe('Matrix reading and directories', () => {
  let s: TestServer;
  let alice: MxUser;
  let bob: MxUser;

  before(async () => {
    s = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    alice = await mxRegister(s, 'alice');
    bob = await mxRegister(s, 'bob');
  });
  after(() => s.close());

  const ids = (chunk: Array<{ event_id: string }>) => chunk.map((e) => e.event_id);

  test('/messages: dir=f between from and to; limit=0 is an empty page; dir=b from a sync token includes the newest', async () => {
    const roomId = await mxRoom(alice);
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) sent.push((await sendText(alice, roomId, `n${i}`)).body.event_id);
    const ctx = await alice.call('GET', `/rooms/${enc(roomId)}/context/${enc(sent[1]!)}?limit=0`);
    const from = ctx.body.end as string; // the position of sent[1]
    const ctx4 = await alice.call('GET', `/rooms/${enc(roomId)}/context/${enc(sent[4]!)}?limit=0`);
    const to = ctx4.body.end as string; // the position of sent[4]
    const page = await alice.call('GET', `/rooms/${enc(roomId)}/messages?dir=f&from=${enc(from)}&to=${enc(to)}&limit=50`);
    assert.deepEqual(ids(page.body.chunk), sent.slice(2, 5), 'after from, up to and including to');
    const empty = await alice.call('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=0`);
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body.chunk, []);
    const sync = await alice.call('GET', '/sync?timeout=0');
    const newest = await alice.call('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=1&from=${enc(sync.body.next_batch)}`);
    assert.deepEqual(ids(newest.body.chunk), [sent[5]]);
    assertMxError(await alice.call('GET', `/rooms/${enc(roomId)}/messages?dir=b&from=garbage`), 400, 'M_INVALID_PARAM');
  });

  test('/members narrows by membership and not_membership', async () => {
    const carol = await mxRegister(s, 'carol');
    const roomId = await mxRoom(alice, [bob, carol]);
    assert.equal((await carol.call('POST', `/rooms/${enc(roomId)}/leave`, {})).status, 200);
    const dave = await mxRegister(s, 'dave');
    assert.equal((await alice.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: dave.userId })).status, 200);
    const keys = async (q: string) => ((await bob.call('GET', `/rooms/${enc(roomId)}/members${q}`)).body.chunk as Array<{ state_key: string }>).map((e) => e.state_key).sort();
    assert.deepEqual(await keys('?membership=join'), [alice.userId, bob.userId].sort());
    assert.deepEqual(await keys('?membership=invite'), [dave.userId]);
    assert.deepEqual(await keys('?not_membership=leave'), [alice.userId, bob.userId, dave.userId].sort());
    assert.deepEqual(await keys(''), [alice.userId, bob.userId, carol.userId, dave.userId].sort());
    assert.ok(!(await bob.call('GET', '/joined_rooms')).body.joined_rooms.includes('!nope'), 'sanity');
    assert.ok(!(await carol.call('GET', '/joined_rooms')).body.joined_rooms.includes(roomId), 'a left room is not joined');
  });

  test('read markers: m.fully_read lands in room account data; m.read resets the unread count', async () => {
    const roomId = await mxRoom(alice, [bob]);
    const first = await sendText(alice, roomId, 'one');
    await sendText(alice, roomId, 'two');
    const unread = await bob.call('GET', '/sync?timeout=0');
    assert.equal(unread.body.rooms.join[roomId].unread_notifications.notification_count, 2);
    const last = await sendText(alice, roomId, 'three');
    assert.equal((await bob.call('POST', `/rooms/${enc(roomId)}/read_markers`, { 'm.fully_read': first.body.event_id, 'm.read': last.body.event_id })).status, 200);
    const after = await bob.call('GET', '/sync?timeout=0');
    const joined = after.body.rooms.join[roomId];
    assert.equal(joined.unread_notifications.notification_count, 0);
    assert.deepEqual(joined.account_data.events.find((e: { type: string }) => e.type === 'm.fully_read')?.content, { event_id: first.body.event_id });
    assert.deepEqual((await bob.call('GET', `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`)).body, { event_id: first.body.event_id });
    assertMxError(await bob.call('PUT', `/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`, { event_id: 'x' }), 400, 'M_BAD_JSON');
    assertMxError(await bob.call('POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc('$nope')}`, {}), 404, 'M_NOT_FOUND');
    assertMxError(await bob.call('POST', `/rooms/${enc(roomId)}/receipt/m.unknown/${enc(last.body.event_id)}`, {}), 400, 'M_INVALID_PARAM');
  });

  test('a private read receipt reaches its owner only', async () => {
    const roomId = await mxRoom(alice, [bob]);
    const msg = await sendText(alice, roomId, 'seen quietly');
    assert.equal((await bob.call('POST', `/rooms/${enc(roomId)}/receipt/m.read.private/${enc(msg.body.event_id)}`, {})).status, 200);
    const receiptsFor = async (u: MxUser) => {
      const r = await u.call('GET', '/sync?timeout=0');
      return r.body.rooms.join[roomId].ephemeral.events.find((e: { type: string }) => e.type === 'm.receipt')?.content?.[msg.body.event_id] ?? {};
    };
    assert.ok((await receiptsFor(bob))['m.read.private']?.[bob.userId], 'the owner sees it');
    assert.equal((await receiptsFor(alice))['m.read.private'], undefined, 'nobody else does');
  });

  test('room directory: private rooms are not listed until published; paging with since/next_batch; search by name', async () => {
    const hidden = await mxRoom(alice, [], { preset: 'private_chat', name: 'Hidden Garden' });
    const listed = async () => {
      const all: string[] = [];
      let since: string | undefined;
      for (let i = 0; i < 50; i++) {
        const page = await mxCall(s, 'GET', `${V3}/publicRooms?limit=2${since ? `&since=${since}` : ''}`);
        assert.ok(page.body.chunk.length <= 2);
        all.push(...page.body.chunk.map((r: { room_id: string }) => r.room_id));
        since = page.body.next_batch;
        if (!since) break;
      }
      return all;
    };
    for (let i = 0; i < 3; i++) await mxRoom(alice, [], { preset: 'public_chat', visibility: 'public', name: `Open ${i}` });
    const before = await listed();
    assert.ok(!before.includes(hidden));
    assert.equal(new Set(before).size, before.length, 'no room twice across pages');
    assert.deepEqual((await mxCall(s, 'GET', `${V3}/directory/list/room/${enc(hidden)}`)).body, { visibility: 'private' });
    assertMxError(await bob.call('PUT', `/directory/list/room/${enc(hidden)}`, { visibility: 'public' }), 403, 'M_FORBIDDEN');
    assert.equal((await alice.call('PUT', `/directory/list/room/${enc(hidden)}`, { visibility: 'public' })).status, 200);
    assert.ok((await listed()).includes(hidden));
    const found = await alice.call('POST', '/publicRooms', { filter: { generic_search_term: 'garden' } });
    assert.deepEqual(found.body.chunk.map((r: { room_id: string }) => r.room_id), [hidden]);
    assert.equal(found.body.chunk[0].name, 'Hidden Garden');
  });

  test('user directory: limited when more match than the limit', async () => {
    for (let i = 0; i < 3; i++) await mxRegister(s, `zed${i}`);
    const r = await alice.call('POST', '/user_directory/search', { search_term: 'zed', limit: 2 });
    assert.equal(r.body.results.length, 2);
    assert.equal(r.body.limited, true);
    const all = await alice.call('POST', '/user_directory/search', { search_term: 'zed', limit: 10 });
    assert.equal(all.body.results.length, 3);
    assert.equal(all.body.limited, false);
  });

  test('profile: avatar_url must be mxc://; a cleared displayname reads 404; unknown users 404', async () => {
    assertMxError(await alice.call('PUT', `/profile/${enc(alice.userId)}/avatar_url`, { avatar_url: 'https://example.com/a.png' }), 400, 'M_INVALID_PARAM');
    assert.equal((await alice.call('PUT', `/profile/${enc(alice.userId)}/avatar_url`, { avatar_url: 'mxc://localhost/abc' })).status, 200);
    assert.deepEqual((await mxCall(s, 'GET', `${V3}/profile/${enc(alice.userId)}`)).body.avatar_url, 'mxc://localhost/abc');
    assertMxError(await mxCall(s, 'GET', `${V3}/profile/${enc('@nobody-here:localhost')}`), 404, 'M_NOT_FOUND');
  });
});
