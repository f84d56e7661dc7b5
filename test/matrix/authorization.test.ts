/**
 * Matrix authorization over HTTP (client-server spec "Room membership", "Permissions", "History
 * visibility"; room version 11 authorization rules), on SQLite and PostgreSQL: who may read and send,
 * join an invite-only room, join after a ban, kick, ban, change state, escalate power, redact, invite.
 * Every refusal is 403 `M_FORBIDDEN`. Guards are also fired concurrently (CONVENTIONS "Guards are
 * tested under concurrency").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { assertMxError, enc, mxRegister, nextTxn, sendText, type MxUser } from './mx.ts';

describe('Matrix authorization', () => {
  let s: TestServer;
  let owner: MxUser;
  let member: MxUser;
  let outsider: MxUser;
  let n = 0;

  before(async () => {
    s = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    owner = await mxRegister(s, 'owner');
    member = await mxRegister(s, 'member');
    outsider = await mxRegister(s, 'outsider');
  });
  after(() => s.close());

  /** A fresh user. */
  const fresh = () => mxRegister(s, `u${++n}`);

  /** A room by `owner` (public_chat unless `preset` says otherwise) that `joiners` joined. */
  async function room(joiners: MxUser[] = [], preset = 'public_chat'): Promise<string> {
    const created = await owner.call('POST', '/createRoom', { preset });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    for (const j of joiners) assert.equal((await j.call('POST', `/rooms/${enc(created.body.room_id)}/join`, {})).status, 200);
    return created.body.room_id as string;
  }

  describe('non-members (shared history visibility)', () => {
    test('cannot read /messages, /state, /state/{type}, /event, /context, /members — 403 M_FORBIDDEN', async () => {
      const roomId = await room([member]);
      const msg = await sendText(owner, roomId, 'members only');
      const r = enc(roomId);
      const e = enc(msg.body.event_id);
      for (const path of [`/rooms/${r}/messages?dir=b`, `/rooms/${r}/state`, `/rooms/${r}/state/m.room.create`, `/rooms/${r}/event/${e}`, `/rooms/${r}/context/${e}`, `/rooms/${r}/members`, `/rooms/${r}/joined_members`]) {
        assertMxError(await outsider.call('GET', path), 403, 'M_FORBIDDEN', path);
      }
    });

    test('cannot send messages or state, redact, or set typing', async () => {
      const roomId = await room();
      const msg = await sendText(owner, roomId, 'hi');
      assertMxError(await sendText(outsider, roomId, 'let me in'), 403, 'M_FORBIDDEN');
      assertMxError(await outsider.call('PUT', `/rooms/${enc(roomId)}/state/m.room.topic`, { topic: 'x' }), 403, 'M_FORBIDDEN');
      assertMxError(await outsider.call('PUT', `/rooms/${enc(roomId)}/redact/${enc(msg.body.event_id)}/${nextTxn()}`, {}), 403, 'M_FORBIDDEN');
      assertMxError(await outsider.call('PUT', `/rooms/${enc(roomId)}/typing/${enc(outsider.userId)}`, { typing: true }), 403, 'M_FORBIDDEN');
    });

    test('a former member reads up to their leave, not after; and cannot send', async () => {
      const leaver = await fresh();
      const roomId = await room([leaver]);
      const before1 = await sendText(owner, roomId, 'before leave');
      assert.equal((await leaver.call('POST', `/rooms/${enc(roomId)}/leave`, {})).status, 200);
      const afterLeave = await sendText(owner, roomId, 'after leave');
      const page = await leaver.call('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      const ids = page.body.chunk.map((e: { event_id: string }) => e.event_id);
      assert.ok(ids.includes(before1.body.event_id), 'sees what was sent while joined');
      assert.ok(!ids.includes(afterLeave.body.event_id), 'does not see what came after the leave');
      assert.equal((await leaver.call('GET', `/rooms/${enc(roomId)}/event/${enc(before1.body.event_id)}`)).status, 200);
      assertMxError(await leaver.call('GET', `/rooms/${enc(roomId)}/event/${enc(afterLeave.body.event_id)}`), 404, 'M_NOT_FOUND');
      assertMxError(await sendText(leaver, roomId, 'still here?'), 403, 'M_FORBIDDEN');
      // Topic changed after the leave: the state a former member sees is the state at their leave.
      assert.equal((await owner.call('PUT', `/rooms/${enc(roomId)}/state/m.room.topic`, { topic: 'later' })).status, 200);
      const topic = await leaver.call('GET', `/rooms/${enc(roomId)}/state/m.room.topic`);
      assert.notDeepEqual(topic.body, { topic: 'later' });
    });
  });

  describe('who never joined reads nothing (regression: a leave or ban without a join opened the history up to it)', () => {
    test('banned before ever joining: /messages, /state, /event are 403', async () => {
      const stranger = await fresh();
      const roomId = await room([member]);
      const msg = await sendText(owner, roomId, 'not for strangers');
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/ban`, { user_id: stranger.userId })).status, 200);
      assertMxError(await stranger.call('GET', `/rooms/${enc(roomId)}/messages?dir=b`), 403, 'M_FORBIDDEN');
      assertMxError(await stranger.call('GET', `/rooms/${enc(roomId)}/state`), 403, 'M_FORBIDDEN');
      assertMxError(await stranger.call('GET', `/rooms/${enc(roomId)}/event/${enc(msg.body.event_id)}`), 403, 'M_FORBIDDEN');
    });

    test('invited, then rejected the invite: 403', async () => {
      const invitee = await fresh();
      const roomId = await room([], 'private_chat');
      const msg = await sendText(owner, roomId, 'private talk');
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: invitee.userId })).status, 200);
      assert.equal((await invitee.call('POST', `/rooms/${enc(roomId)}/leave`, {})).status, 200);
      assertMxError(await invitee.call('GET', `/rooms/${enc(roomId)}/messages?dir=b`), 403, 'M_FORBIDDEN');
      assertMxError(await invitee.call('GET', `/rooms/${enc(roomId)}/event/${enc(msg.body.event_id)}`), 403, 'M_FORBIDDEN');
      assertMxError(await invitee.call('GET', `/rooms/${enc(roomId)}/members`), 403, 'M_FORBIDDEN');
    });

    test('invite revoked by a kick: 403', async () => {
      const invitee = await fresh();
      const roomId = await room([], 'private_chat');
      await sendText(owner, roomId, 'private talk');
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: invitee.userId })).status, 200);
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/kick`, { user_id: invitee.userId })).status, 200);
      assertMxError(await invitee.call('GET', `/rooms/${enc(roomId)}/messages?dir=b`), 403, 'M_FORBIDDEN');
    });

    test('joined, left, invited again and rejected: reads up to the first leave only', async () => {
      const back = await fresh();
      const roomId = await room([back]);
      const during = await sendText(owner, roomId, 'while joined');
      assert.equal((await back.call('POST', `/rooms/${enc(roomId)}/leave`, {})).status, 200);
      const between = await sendText(owner, roomId, 'after the first leave');
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: back.userId })).status, 200);
      assert.equal((await back.call('POST', `/rooms/${enc(roomId)}/leave`, {})).status, 200);
      const page = await back.call('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      const ids = page.body.chunk.map((e: { event_id: string }) => e.event_id);
      assert.ok(ids.includes(during.body.event_id));
      assert.ok(!ids.includes(between.body.event_id), 'nothing from after the first leave');
    });

    test('in /sync: an outsider banned sees only their ban in rooms.leave; a kicked member the room up to the kick', async () => {
      const stranger = await fresh();
      const kicked = await fresh();
      const roomId = await room([kicked]);
      const baseStranger = await stranger.call('GET', '/sync?timeout=0');
      const baseKicked = await kicked.call('GET', '/sync?timeout=0');
      const secret = await sendText(owner, roomId, 'members only, in sync too');
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/ban`, { user_id: stranger.userId })).status, 200);
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/kick`, { user_id: kicked.userId })).status, 200);
      const after = await sendText(owner, roomId, 'after the kick');

      const s1 = await stranger.call('GET', `/sync?since=${enc(baseStranger.body.next_batch)}&timeout=0`);
      const left1 = s1.body.rooms.leave[roomId];
      assert.ok(left1, JSON.stringify(s1.body.rooms));
      assert.deepEqual(left1.timeline.events.map((e: { type: string; content: { membership?: string } }) => `${e.type}:${e.content.membership ?? ''}`), ['m.room.member:ban']);
      const full1 = await stranger.call('GET', `/sync?timeout=0&filter=${enc(JSON.stringify({ room: { include_leave: true } }))}`);
      assert.ok(!JSON.stringify(full1.body).includes(secret.body.event_id), 'not in an include_leave sync either');

      const s2 = await kicked.call('GET', `/sync?since=${enc(baseKicked.body.next_batch)}&timeout=0`);
      const ids2 = s2.body.rooms.leave[roomId].timeline.events.map((e: { event_id: string }) => e.event_id);
      assert.ok(ids2.includes(secret.body.event_id), 'saw what came while joined');
      assert.ok(!ids2.includes(after.body.event_id), 'not what came after the kick');
      assert.equal(s2.body.rooms.leave[roomId].timeline.events.at(-1).content.membership, 'leave');
    });

    test('a new member reads the history from before their join (shared)', async () => {
      const late = await fresh();
      const roomId = await room();
      const early = await sendText(owner, roomId, 'before you came');
      assert.equal((await late.call('POST', `/join/${enc(roomId)}`, {})).status, 200);
      const page = await late.call('GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
      assert.ok(page.body.chunk.some((e: { event_id: string }) => e.event_id === early.body.event_id));
    });
  });

  describe('joining', () => {
    test('an invite-only room: join without an invite is 403; with one it works', async () => {
      const roomId = await room([], 'private_chat');
      const guest = await fresh();
      assertMxError(await guest.call('POST', `/join/${enc(roomId)}`, {}), 403, 'M_FORBIDDEN');
      assertMxError(await guest.call('POST', `/rooms/${enc(roomId)}/join`, {}), 403, 'M_FORBIDDEN');
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: guest.userId })).status, 200);
      assert.equal((await guest.call('POST', `/join/${enc(roomId)}`, {})).status, 200);
    });

    test('invite by a non-member is refused', async () => {
      const roomId = await room([], 'private_chat');
      const target = await fresh();
      assertMxError(await outsider.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: target.userId }), 403, 'M_FORBIDDEN');
      assertMxError(await target.call('POST', `/join/${enc(roomId)}`, {}), 403, 'M_FORBIDDEN');
    });

    test('a banned user cannot join (403), and cannot be re-invited until unbanned', async () => {
      const banned = await fresh();
      const roomId = await room([banned]);
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/ban`, { user_id: banned.userId, reason: 'spam' })).status, 200);
      assertMxError(await banned.call('POST', `/join/${enc(roomId)}`, {}), 403, 'M_FORBIDDEN');
      assertMxError(await sendText(banned, roomId, 'I am back'), 403, 'M_FORBIDDEN');
      assertMxError(await owner.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: banned.userId }), 403, 'M_FORBIDDEN');
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/unban`, { user_id: banned.userId })).status, 200);
      assert.equal((await banned.call('POST', `/join/${enc(roomId)}`, {})).status, 200);
    });

    test('20 concurrent joins by a banned user: all refused, membership stays ban', async () => {
      const banned = await fresh();
      const roomId = await room([banned]);
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/ban`, { user_id: banned.userId })).status, 200);
      const results = await Promise.all(Array.from({ length: 20 }, () => banned.call('POST', `/join/${enc(roomId)}`, {})));
      for (const r of results) assertMxError(r, 403, 'M_FORBIDDEN');
      const member = await owner.call('GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(banned.userId)}`);
      assert.equal(member.body.membership, 'ban');
    });

    test('a ban racing 20 joins: afterwards the user is banned and cannot send', async () => {
      const target = await fresh();
      const roomId = await room();
      const [ban] = await Promise.all([
        owner.call('POST', `/rooms/${enc(roomId)}/ban`, { user_id: target.userId }),
        ...Array.from({ length: 20 }, () => target.call('POST', `/join/${enc(roomId)}`, {})),
      ]);
      assert.equal(ban!.status, 200);
      const member = await owner.call('GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(target.userId)}`);
      assert.equal(member.body.membership, 'ban');
      assertMxError(await sendText(target, roomId, 'sneaking in'), 403, 'M_FORBIDDEN');
      assertMxError(await target.call('POST', `/join/${enc(roomId)}`, {}), 403, 'M_FORBIDDEN');
    });
  });

  describe('power levels', () => {
    test('kick, ban and state changes with too little power: 403', async () => {
      const victim = await fresh();
      const roomId = await room([member, victim]);
      assertMxError(await member.call('POST', `/rooms/${enc(roomId)}/kick`, { user_id: victim.userId }), 403, 'M_FORBIDDEN');
      assertMxError(await member.call('POST', `/rooms/${enc(roomId)}/ban`, { user_id: victim.userId }), 403, 'M_FORBIDDEN');
      assertMxError(await member.call('POST', `/rooms/${enc(roomId)}/kick`, { user_id: owner.userId }), 403, 'M_FORBIDDEN');
      assertMxError(await member.call('PUT', `/rooms/${enc(roomId)}/state/m.room.name`, { name: 'mine now' }), 403, 'M_FORBIDDEN');
      assertMxError(await member.call('PUT', `/rooms/${enc(roomId)}/state/m.room.join_rules`, { join_rule: 'invite' }), 403, 'M_FORBIDDEN');
      // Nothing changed.
      assert.equal((await owner.call('GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(victim.userId)}`)).body.membership, 'join');
      // The owner (100) may.
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/kick`, { user_id: victim.userId })).status, 200);
    });

    test('power-level escalation is refused: a member cannot raise themselves or a peer above their own level', async () => {
      const roomId = await room([member]);
      const pl = (await owner.call('GET', `/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
      assert.equal(pl.users[owner.userId], 100);
      const self = { ...pl, users: { ...pl.users, [member.userId]: 100 } };
      assertMxError(await member.call('PUT', `/rooms/${enc(roomId)}/state/m.room.power_levels`, self), 403, 'M_FORBIDDEN');
      // A moderator (50) with the power to change power levels still cannot grant 100 or demote the owner.
      const mod = { ...pl, users: { ...pl.users, [member.userId]: 50 }, events: { ...(pl.events ?? {}), 'm.room.power_levels': 50 } };
      assert.equal((await owner.call('PUT', `/rooms/${enc(roomId)}/state/m.room.power_levels`, mod)).status, 200);
      const current = (await owner.call('GET', `/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
      assertMxError(await member.call('PUT', `/rooms/${enc(roomId)}/state/m.room.power_levels`, { ...current, users: { ...current.users, [member.userId]: 100 } }), 403, 'M_FORBIDDEN');
      assertMxError(await member.call('PUT', `/rooms/${enc(roomId)}/state/m.room.power_levels`, { ...current, users: { ...current.users, [owner.userId]: 0 } }), 403, 'M_FORBIDDEN');
      const after = (await owner.call('GET', `/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
      assert.equal(after.users[owner.userId], 100);
      assert.equal(after.users[member.userId], 50);
    });

    test('20 concurrent self-promotions by a member: all refused', async () => {
      const climber = await fresh();
      const roomId = await room([climber]);
      const pl = (await owner.call('GET', `/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
      const results = await Promise.all(Array.from({ length: 20 }, () => climber.call('PUT', `/rooms/${enc(roomId)}/state/m.room.power_levels`, { ...pl, users: { ...pl.users, [climber.userId]: 100 } })));
      for (const r of results) assertMxError(r, 403, 'M_FORBIDDEN');
      assert.equal((await owner.call('GET', `/rooms/${enc(roomId)}/state/m.room.power_levels`)).body.users[climber.userId], undefined);
    });

    test("redacting another's event needs the redact level; one's own needs none", async () => {
      const roomId = await room([member]);
      const ownerMsg = await sendText(owner, roomId, 'owner says');
      const memberMsg = await sendText(member, roomId, 'member says');
      assertMxError(await member.call('PUT', `/rooms/${enc(roomId)}/redact/${enc(ownerMsg.body.event_id)}/${nextTxn()}`, {}), 403, 'M_FORBIDDEN');
      assert.equal((await member.call('PUT', `/rooms/${enc(roomId)}/redact/${enc(memberMsg.body.event_id)}/${nextTxn()}`, {})).status, 200);
      assert.deepEqual((await owner.call('GET', `/rooms/${enc(roomId)}/event/${enc(ownerMsg.body.event_id)}`)).body.content, { msgtype: 'm.text', body: 'owner says' });
      // The owner (100 ≥ redact 50) may redact the member's.
      const another = await sendText(member, roomId, 'again');
      assert.equal((await owner.call('PUT', `/rooms/${enc(roomId)}/redact/${enc(another.body.event_id)}/${nextTxn()}`, {})).status, 200);
    });

    test('invite, unban and kick-an-equal need their levels', async () => {
      const peer = await fresh();
      const target = await fresh();
      const roomId = await room([member, peer], 'public_chat');
      const pl = (await owner.call('GET', `/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
      // member and peer are both moderators (50); invites need 100.
      const next = { ...pl, invite: 100, users: { ...pl.users, [member.userId]: 50, [peer.userId]: 50 } };
      assert.equal((await owner.call('PUT', `/rooms/${enc(roomId)}/state/m.room.power_levels`, next)).status, 200);
      assertMxError(await member.call('POST', `/rooms/${enc(roomId)}/invite`, { user_id: target.userId }), 403, 'M_FORBIDDEN');
      assertMxError(await member.call('POST', `/rooms/${enc(roomId)}/kick`, { user_id: peer.userId }), 403, 'M_FORBIDDEN');
      assertMxError(await member.call('POST', `/rooms/${enc(roomId)}/ban`, { user_id: peer.userId }), 403, 'M_FORBIDDEN');
      assert.equal((await owner.call('POST', `/rooms/${enc(roomId)}/ban`, { user_id: target.userId })).status, 200);
      const plain = await fresh();
      assert.equal((await plain.call('POST', `/join/${enc(roomId)}`, {})).status, 200);
      assertMxError(await plain.call('POST', `/rooms/${enc(roomId)}/unban`, { user_id: target.userId }), 403, 'M_FORBIDDEN');
      assertMxError(await owner.call('POST', `/rooms/${enc(roomId)}/unban`, { user_id: plain.userId }), 403, 'M_FORBIDDEN', 'not banned');
      assert.equal((await member.call('POST', `/rooms/${enc(roomId)}/unban`, { user_id: target.userId })).status, 200, 'a moderator may unban');
    });

    test("state owned by another user, and another's member event, cannot be set", async () => {
      const roomId = await room([member]);
      assertMxError(await owner.call('PUT', `/rooms/${enc(roomId)}/state/org.example.mine/${enc(member.userId)}`, { x: 1 }), 403, 'M_FORBIDDEN');
      assertMxError(await owner.call('PUT', `/rooms/${enc(roomId)}/state/m.room.member/${enc(member.userId)}`, { membership: 'leave' }), 403, 'M_FORBIDDEN');
      assertMxError(await member.call('PUT', `/rooms/${enc(roomId)}/state/m.room.member/${enc(member.userId)}`, { membership: 'ban' }), 403, 'M_FORBIDDEN');
      assert.equal((await owner.call('PUT', `/rooms/${enc(roomId)}/state/org.example.mine/${enc(owner.userId)}`, { x: 1 })).status, 200);
      assert.equal((await owner.call('GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(member.userId)}`)).body.membership, 'join');
    });

    test('m.room.create cannot be replaced; redacting an event of another room is 404', async () => {
      const roomId = await room([member]);
      const other = await room([member]);
      const elsewhere = await sendText(owner, other, 'elsewhere');
      assertMxError(await owner.call('PUT', `/rooms/${enc(roomId)}/state/m.room.create`, { creator: member.userId }), 403, 'M_FORBIDDEN');
      assertMxError(await owner.call('PUT', `/rooms/${enc(roomId)}/redact/${enc(elsewhere.body.event_id)}/${nextTxn()}`, {}), 404, 'M_NOT_FOUND');
    });

    test('events_default above a member: sending is refused', async () => {
      const roomId = await room([member]);
      const pl = (await owner.call('GET', `/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
      assert.equal((await owner.call('PUT', `/rooms/${enc(roomId)}/state/m.room.power_levels`, { ...pl, events_default: 50 })).status, 200);
      assertMxError(await sendText(member, roomId, 'muted'), 403, 'M_FORBIDDEN');
      assert.equal((await sendText(owner, roomId, 'announcement')).status, 200);
    });
  });
});
