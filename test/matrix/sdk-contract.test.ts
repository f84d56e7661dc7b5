/**
 * Matrix SDK contract suite: real client SDKs against a real Orrery on an ephemeral port — matrix-js-sdk
 * 37.5 (two users: login, sync, rooms, invites, messages, state, back-pagination, presence, typing,
 * receipts, redaction, lazy-loaded members, transaction ids, display names, logout, a running client told of its logout),
 * matrix-bot-sdk 0.7 (registration and login through MatrixAuth, an auto-joining echo bot, also across a restart, and the room helpers bots call)
 * and the bridge between the Matrix room `#shared:<server_name>` and the Runtime Connect shared space.
 *
 * Each scenario records pass or fail and is judged against `sdk-expected-failures.json`
 * (sdk-harness.ts; CONVENTIONS "Tests": conformance results are committed data with an
 * expected-failures list): an unlisted failure fails the suite, and so does a listed scenario that now
 * passes. `ORRERY_SDK_CONTRACT_RECORD=1` writes the per-scenario results of the current database
 * dialect into `sdk-contract-results.json`, committed with the list.
 *
 * The endpoints each SDK calls at start-up and in a bot loop, and what they need back, are listed in
 * `sdk-endpoints.md` beside this file. The SDKs run without end-to-end encryption.
 */
import { after, before, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createClient, Direction, HttpApiEvent, MatrixError, MsgType, Preset, SyncState, Visibility, type MatrixClient } from 'matrix-js-sdk';
import type * as BotSdk from 'matrix-bot-sdk';
import { startTestServer, TEST_DB, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { linkedUser } from '../runtime/helpers.ts';
import { createContractRunner, describeError, installedVersion, loadBotSdk, quietJsSdk, unrefLongTimers, type Scenario } from './sdk-harness.ts';
import { bodyIs, createEchoBots, findEvent, SEE_MS, seeMembership, seeMessage, startAndSync, type Account, type EchoBot, type EchoBots } from './sdk-clients.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
const contract = createContractRunner(path.join(here, 'sdk-expected-failures.json'));

const PASSWORD = 'contract-password-1';
const silentLogger = quietJsSdk();

describe(`Matrix SDK contract (matrix-js-sdk, matrix-bot-sdk; ${TEST_DB})`, () => {
  let s: TestServer;
  let botSdk: typeof BotSdk;
  let echoBots: EchoBots;
  const suffix = randomBytes(3).toString('hex');
  const clients: MatrixClient[] = [];
  const tempDirs: string[] = [];

  // What scenarios hand to later ones.
  const accounts: Record<string, Account> = {};
  let alice: MatrixClient;
  let bob: MatrixClient;
  let roomId = '';
  let sharedRoomId = '';
  let echo: { account: Account; storagePath: string; bot: EchoBot; roomId: string } | undefined;
  let restoreTimers: () => void = () => undefined;

  before(async () => {
    restoreTimers = unrefLongTimers();
    s = await startTestServer({
      RUNTIME_SHARED_MIN_GAP_MS: '0',
      RUNTIME_SHARED_MAX_PER_MINUTE: '1000',
      RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE: '1000',
    });
    botSdk = loadBotSdk();
    echoBots = createEchoBots(botSdk);
  });

  after(async () => {
    echoBots?.stopAll();
    for (const client of clients) client.stopClient();
    await s?.close();
    restoreTimers();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    if (process.env.ORRERY_SDK_CONTRACT_RECORD === '1') {
      const sdks = { 'matrix-js-sdk': installedVersion('matrix-js-sdk'), 'matrix-bot-sdk': installedVersion('matrix-bot-sdk') };
      contract.record(path.join(here, 'sdk-contract-results.json'), TEST_DB, scenarios, sdks);
    }
  });

  // ---- helpers -------------------------------------------------------------------------------------

  const localpart = (name: string) => `${name}-${suffix}`;

  /** Register `name` through the Matrix API (matrix-js-sdk's registerRequest, m.login.dummy), then log in with a password. */
  async function registerAndLogin(name: string): Promise<Account> {
    const anonymous = createClient({ baseUrl: s.url, logger: silentLogger });
    const username = localpart(name);
    await anonymous.registerRequest({ username, password: PASSWORD, auth: { type: 'm.login.dummy' } });
    return login(username);
  }

  /** `POST /login` with m.login.password; a new device each time. */
  async function login(username: string): Promise<Account> {
    const anonymous = createClient({ baseUrl: s.url, logger: silentLogger });
    const r = await anonymous.loginRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: username }, password: PASSWORD });
    assert.match(r.user_id, /^@[^:]+:.+$/, 'login answers a full user id');
    assert.ok(r.access_token, 'login answers an access_token');
    assert.ok(r.device_id, 'login answers a device_id');
    return { username, userId: r.user_id, accessToken: r.access_token, deviceId: r.device_id };
  }

  /** A matrix-js-sdk client for `account`, stopped in `after`. */
  function clientFor(account: Account): MatrixClient {
    const client = createClient({ baseUrl: s.url, accessToken: account.accessToken, userId: account.userId, deviceId: account.deviceId, logger: silentLogger });
    clients.push(client);
    return client;
  }

  /**
   * A new account `name` with a (not yet started) client that notes `Session.logged_out`. `logOut`
   * logs its token out through another client object; `learnt` waits until the running client has
   * learnt it (M_UNKNOWN_TOKEN) and stopped syncing.
   */
  async function loggedOutWatch(name: string) {
    const account = await registerAndLogin(name);
    const client = clientFor(account);
    let loggedOut: MatrixError | undefined;
    client.on(HttpApiEvent.SessionLoggedOut, (error) => (loggedOut = error));
    return {
      account,
      client,
      async logOut(): Promise<void> {
        await createClient({ baseUrl: s.url, accessToken: account.accessToken, logger: silentLogger }).logout();
      },
      async learnt(): Promise<void> {
        await waitFor(() => loggedOut, { timeoutMs: SEE_MS, what: 'Session.logged_out on the running client (its parked /sync ended)' });
        assert.equal(loggedOut!.errcode, 'M_UNKNOWN_TOKEN');
        await waitFor(() => client.getSyncState() === SyncState.Error, { timeoutMs: SEE_MS, what: 'the client to stop syncing' });
      },
    };
  }

  // ---- scenarios ------------------------------------------------------------------------------------

  const scenarios: Scenario[] = [
    {
      name: 'js-sdk: register and log in',
      needs: [],
      async run() {
        accounts.alice = await registerAndLogin('alice');
        accounts.bob = await registerAndLogin('bob');
        assert.notEqual(accounts.alice.accessToken, accounts.bob.accessToken);
        const whoami = await createClient({ baseUrl: s.url, accessToken: accounts.alice.accessToken, logger: silentLogger }).whoami();
        assert.equal(whoami.user_id, accounts.alice.userId);
      },
    },
    {
      name: 'js-sdk: startClient reaches PREPARED',
      needs: ['js-sdk: register and log in'],
      async run() {
        alice = clientFor(accounts.alice!);
        bob = clientFor(accounts.bob!);
        await Promise.all([startAndSync(alice), startAndSync(bob)]);
      },
    },
    {
      name: 'js-sdk: createRoom',
      needs: ['js-sdk: startClient reaches PREPARED'],
      async run() {
        const created = await alice.createRoom({ name: 'Contract room', preset: Preset.PrivateChat, visibility: Visibility.Private });
        assert.match(created.room_id, /^!.+:.+$/);
        roomId = created.room_id;
        const room = await seeMembership(alice, roomId, 'join');
        assert.equal(room.name, 'Contract room');
      },
    },
    {
      name: 'js-sdk: invite arrives in sync and the invitee joins',
      needs: ['js-sdk: createRoom'],
      async run() {
        await alice.invite(roomId, bob.getUserId()!);
        const invited = await seeMembership(bob, roomId, 'invite');
        assert.equal(invited.getMember(bob.getUserId()!)?.events.member?.getSender(), alice.getUserId(), 'the invite names its sender');
        await bob.joinRoom(roomId);
        await seeMembership(bob, roomId, 'join');
        await waitFor(() => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'join', {
          timeoutMs: SEE_MS,
          what: 'alice to see bob joined',
        });
      },
    },
    {
      name: 'js-sdk: messages both ways',
      needs: ['js-sdk: invite arrives in sync and the invitee joins'],
      async run() {
        const hello = `hello bob ${suffix}`;
        const sent = await alice.sendTextMessage(roomId, hello);
        assert.match(sent.event_id, /^\$/);
        const seen = await seeMessage(bob, roomId, hello, alice.getUserId()!);
        assert.equal(seen.getId(), sent.event_id);
        const reply = `hello alice ${suffix}`;
        await bob.sendTextMessage(roomId, reply);
        await seeMessage(alice, roomId, reply, bob.getUserId()!);
        // The sender's own timeline holds its message once (remote echo matched to the local echo).
        await waitFor(() => alice.getRoom(roomId)?.getLiveTimeline().getEvents().filter(bodyIs(hello)).length === 1 && findEvent(alice, roomId, bodyIs(hello))?.status === null, {
          timeoutMs: SEE_MS,
          what: "alice's own message sent and echoed once",
        });
      },
    },
    {
      name: 'js-sdk: state event (topic, name)',
      needs: ['js-sdk: invite arrives in sync and the invitee joins'],
      async run() {
        await alice.setRoomTopic(roomId, `topic ${suffix}`);
        await alice.setRoomName(roomId, `Renamed ${suffix}`);
        await waitFor(() => {
          const room = bob.getRoom(roomId);
          const topic = room?.currentState.getStateEvents('m.room.topic', '')?.getContent().topic;
          return topic === `topic ${suffix}` && room?.name === `Renamed ${suffix}`;
        }, { timeoutMs: SEE_MS, what: 'bob to see the new topic and name' });
      },
    },
    {
      name: 'js-sdk: back-pagination',
      needs: ['js-sdk: messages both ways'],
      async run() {
        for (let i = 0; i < 12; i++) await alice.sendTextMessage(roomId, `page ${i} ${suffix}`);
        await seeMessage(bob, roomId, `page 11 ${suffix}`);
        // A fresh client (new device) whose initial sync holds only the last 3 events.
        const late = clientFor(await login(accounts.bob!.username));
        await startAndSync(late, { initialSyncLimit: 3 });
        const room = await seeMembership(late, roomId, 'join');
        assert.ok(!findEvent(late, roomId, bodyIs(`page 0 ${suffix}`)), 'the initial sync is limited to 3 events');
        assert.ok(room.oldState.paginationToken, 'the limited timeline of the initial sync carries a prev_batch token');
        // The raw request first: /messages?dir=b from prev_batch answers older events, newest first.
        const page = await late.createMessagesRequest(roomId, room.oldState.paginationToken, 5, Direction.Backward);
        assert.ok(page.chunk.length > 0, `/messages answered no events: ${JSON.stringify(page)}`);
        const bodies = page.chunk.map((e) => (e.content as { body?: string }).body).filter(Boolean);
        assert.ok(bodies.includes(`page 8 ${suffix}`), `/messages dir=b from prev_batch holds the events just before the timeline: ${JSON.stringify(bodies)}`);
        assert.equal(bodies[0], `page 8 ${suffix}`, 'dir=b answers newest first');
        for (let i = 0; i < 6 && !findEvent(late, roomId, bodyIs(`page 0 ${suffix}`)); i++) {
          await late.scrollback(room, 10);
          if (room.oldState.paginationToken === null) break;
        }
        assert.ok(findEvent(late, roomId, bodyIs(`page 0 ${suffix}`)), 'scrollback reaches the oldest message');
        const order = room.getLiveTimeline().getEvents().map((e) => e.getContent().body).filter((b): b is string => typeof b === 'string' && b.startsWith('page '));
        assert.deepEqual(order, Array.from({ length: 12 }, (_, i) => `page ${i} ${suffix}`), 'the timeline is in order, without gaps or repeats');
      },
    },
    {
      name: "js-sdk: lazy-loaded members (Element's default)",
      needs: ['js-sdk: invite arrives in sync and the invitee joins'],
      async run() {
        // A lazy-loading client asks for the members it lacks: GET /rooms/{id}/members?not_membership=leave&at=<its sync token>.
        const lazy = clientFor(await login(accounts.bob!.username));
        await startAndSync(lazy, { lazyLoadMembers: true, initialSyncLimit: 1 });
        const room = await seeMembership(lazy, roomId, 'join');
        await room.loadMembersIfNeeded();
        assert.ok(room.membersLoaded(), 'the members were loaded');
        const joined = room.getJoinedMembers().map((m) => m.userId).sort();
        assert.deepEqual(joined, [alice.getUserId()!, bob.getUserId()!].sort());
      },
    },
    {
      name: 'js-sdk: presence',
      needs: ['js-sdk: invite arrives in sync and the invitee joins'],
      async run() {
        await alice.setPresence({ presence: 'unavailable', status_msg: `away ${suffix}` });
        const got = await bob.getPresence(alice.getUserId()!);
        assert.equal(got.presence, 'unavailable', `GET presence: ${JSON.stringify(got)}`);
        assert.equal(got.status_msg, `away ${suffix}`);
        await waitFor(() => {
          const user = bob.getUser(alice.getUserId()!);
          return user?.presence === 'unavailable' && user.presenceStatusMsg === `away ${suffix}`;
        }, { timeoutMs: SEE_MS, what: "bob's client to see alice's presence through /sync" });
      },
    },
    {
      name: 'js-sdk: typing',
      needs: ['js-sdk: invite arrives in sync and the invitee joins'],
      async run() {
        const typing = () => bob.getRoom(roomId)?.getMember(alice.getUserId()!)?.typing;
        await alice.sendTyping(roomId, true, 20_000);
        await waitFor(() => typing() === true, { timeoutMs: SEE_MS, what: 'bob to see alice typing' });
        await alice.sendTyping(roomId, false, 0);
        await waitFor(() => typing() === false, { timeoutMs: SEE_MS, what: 'bob to see alice stop typing' });
      },
    },
    {
      name: 'js-sdk: read receipts',
      needs: ['js-sdk: messages both ways'],
      async run() {
        const body = `read me ${suffix}`;
        await alice.sendTextMessage(roomId, body);
        const event = await seeMessage(bob, roomId, body);
        await bob.sendReadReceipt(event);
        await waitFor(() => alice.getRoom(roomId)?.getReadReceiptForUserId(bob.getUserId()!, true)?.eventId === event.getId(), {
          timeoutMs: SEE_MS,
          what: "alice to see bob's m.read receipt",
        });
      },
    },
    {
      name: 'js-sdk: redaction',
      needs: ['js-sdk: messages both ways'],
      async run() {
        const body = `regret ${suffix}`;
        const sent = await alice.sendTextMessage(roomId, body);
        await seeMessage(bob, roomId, body);
        const redaction = await alice.redactEvent(roomId, sent.event_id, undefined, { reason: 'contract' });
        assert.match(redaction.event_id, /^\$/);
        await waitFor(() => bob.getRoom(roomId)?.findEventById(sent.event_id)?.isRedacted(), { timeoutMs: SEE_MS, what: 'bob to see the message redacted' });
        const redacted = bob.getRoom(roomId)!.findEventById(sent.event_id)!;
        assert.equal(redacted.getContent().body, undefined, 'the redacted content is stripped');
      },
    },
    {
      name: 'js-sdk: a resent transaction id is idempotent',
      needs: ['js-sdk: messages both ways'],
      async run() {
        // matrix-js-sdk retries a failed send with the same transaction id (its own client refuses a
        // reused one, so the retry goes through a second client object on the same token and device).
        const txnId = `contract-${suffix}`;
        const content = { msgtype: MsgType.Text as const, body: `once ${suffix}` };
        const first = await alice.sendMessage(roomId, content, txnId);
        const again = await createClient({ baseUrl: s.url, accessToken: accounts.alice!.accessToken, userId: accounts.alice!.userId, deviceId: accounts.alice!.deviceId, logger: silentLogger }).sendMessage(roomId, content, txnId);
        assert.equal(again.event_id, first.event_id, 'the same transaction id answers the same event id');
        await seeMessage(bob, roomId, content.body);
        const copies = bob.getRoom(roomId)!.getLiveTimeline().getEvents().filter(bodyIs(content.body));
        assert.equal(copies.length, 1, 'one event in the other timeline');
      },
    },
    {
      name: 'js-sdk: a display name change reaches room members',
      needs: ['js-sdk: invite arrives in sync and the invitee joins'],
      async run() {
        const name = `Alice ${suffix}`;
        await alice.setDisplayName(name);
        const profile = await bob.getProfileInfo(alice.getUserId()!);
        assert.equal(profile.displayname, name, `GET profile: ${JSON.stringify(profile)}`);
        await waitFor(() => bob.getRoom(roomId)?.getMember(alice.getUserId()!)?.rawDisplayName === name, {
          timeoutMs: SEE_MS,
          what: "bob to see alice's new display name on her room membership",
        });
      },
    },
    {
      name: 'js-sdk: logout',
      needs: ['js-sdk: register and log in'],
      async run() {
        const session = clientFor(await login(accounts.alice!.username));
        assert.equal((await session.whoami()).user_id, accounts.alice!.userId);
        await session.logout();
        const refused = await session.whoami().then(
          () => undefined,
          (error: unknown) => error,
        );
        assert.ok(refused instanceof MatrixError, `a logged-out token is refused with a Matrix error, got ${describeError(refused)}`);
        assert.equal(refused.errcode, 'M_UNKNOWN_TOKEN');
        assert.equal(refused.httpStatus, 401);
        // Only that device's token is gone.
        assert.equal((await createClient({ baseUrl: s.url, accessToken: accounts.alice!.accessToken, logger: silentLogger }).whoami()).user_id, accounts.alice!.userId);
      },
    },
    {
      name: 'js-sdk: a running client learns its token was logged out',
      needs: ['js-sdk: startClient reaches PREPARED'],
      async run() {
        const running = await loggedOutWatch('carol');
        // The server's own record of the parked /sync (a passthrough spy), so the logout comes after it.
        const parked = mock.method(s.orrery.services.rooms, 'waitForSync');
        try {
          await running.client.startClient({ pollTimeout: 30_000 });
          await waitFor(() => parked.mock.calls.some((c) => c.arguments[0] === running.account.userId), { timeoutMs: SEE_MS, what: "the client's /sync to park" });
        } finally {
          parked.mock.restore();
        }
        await running.logOut();
        await running.learnt();
      },
    },
    {
      name: 'js-sdk: a logout racing the /sync long-poll still ends it',
      needs: ['js-sdk: a running client learns its token was logged out'],
      async run() {
        // A logout that lands while a /sync is past authentication but not yet parked: the client's first
        // incremental /sync (a 30 s long-poll) is held at its presence touch, before it computes and
        // parks, until the logout has answered. The account leaves #shared first, so nothing else can
        // end that /sync early (the client is in no room, and shares one with nobody).
        const running = await loggedOutWatch('dave');
        const shared = await running.client.getRoomIdForAlias(`#shared:${s.config.serverName}`);
        await running.client.leave(shared.room_id);
        const rooms = s.orrery.services.rooms;
        const touchPresence = rooms.touchPresence.bind(rooms);
        let release: () => void = () => undefined;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let touches = 0;
        const spy = mock.method(rooms, 'touchPresence', async (...args: Parameters<typeof touchPresence>) => {
          // The first touch is the initial /sync's, the second the first long-poll's.
          if (args[0] === running.account.userId && ++touches === 2) await gate;
          return touchPresence(...args);
        });
        try {
          await running.client.startClient({ pollTimeout: 30_000 });
          await waitFor(() => touches >= 2, { timeoutMs: SEE_MS, what: "the client's first long-poll /sync" });
          await running.logOut();
          release();
          await running.learnt();
        } finally {
          release();
          spy.mock.restore();
        }
      },
    },
    {
      name: 'bot-sdk: MatrixAuth registers (UIA m.login.dummy) and logs in with a full user id',
      needs: [],
      async run() {
        // passwordRegister first posts without `auth`, expects 401 with a flow of exactly [m.login.dummy], then completes it.
        const auth = new botSdk.MatrixAuth(s.url);
        const username = localpart('echobot');
        const registered = await auth.passwordRegister(username, PASSWORD, 'contract bot');
        const userId = await registered.getUserId();
        assert.match(userId, new RegExp(`^@${username}:`));
        const loggedIn = await auth.passwordLogin(userId, PASSWORD, 'contract bot');
        const whoami = await loggedIn.getWhoAmI();
        assert.equal(whoami.user_id, userId);
        assert.ok(whoami.device_id, 'whoami names the device');
        assert.notEqual(loggedIn.accessToken, registered.accessToken, 'a login is a new device and token');
        accounts.echobot = { username, userId, accessToken: loggedIn.accessToken, deviceId: whoami.device_id! };
      },
    },
    {
      name: 'bot-sdk: auto-joining echo bot answers in a room',
      needs: ['js-sdk: startClient reaches PREPARED', 'bot-sdk: MatrixAuth registers (UIA m.login.dummy) and logs in with a full user id'],
      async run() {
        const account = accounts.echobot!;
        const dir = mkdtempSync(path.join(tmpdir(), 'orrery-bot-sdk-'));
        tempDirs.push(dir);
        const storagePath = path.join(dir, 'bot.json');
        const bot = await echoBots.start(s.url, account, storagePath);
        const created = await alice.createRoom({ name: 'Echo', preset: Preset.PrivateChat, invite: [account.userId] });
        echo = { account, storagePath, bot, roomId: created.room_id };
        await echoBots.withLog(() => waitFor(() => alice.getRoom(created.room_id)?.getMember(account.userId)?.membership === 'join', { timeoutMs: SEE_MS, what: 'the bot to auto-join' }));
        await alice.sendTextMessage(created.room_id, '!echo hi');
        await echoBots.withLog(() => seeMessage(alice, created.room_id, 'hi', account.userId));
        assert.deepEqual(bot.handled, ['!echo hi']);
      },
    },
    {
      name: 'bot-sdk: a restarted bot resumes from its stored sync token',
      needs: ['bot-sdk: auto-joining echo bot answers in a room'],
      async run() {
        const { account, storagePath, bot, roomId } = echo!;
        bot.removeAllListeners('room.message');
        bot.stop();
        // stop() lets a /sync in flight finish (and store its token); wait for that before writing.
        await waitFor(() => bot.syncsInFlight === 0, { timeoutMs: SEE_MS, what: 'the stopped bot to finish its last /sync' });
        await alice.sendTextMessage(roomId, '!echo again');
        const restarted = await echoBots.start(s.url, account, storagePath);
        await echoBots.withLog(() => seeMessage(alice, roomId, 'again', account.userId));
        assert.deepEqual(restarted.handled, ['!echo again'], 'the restarted bot sees what came while it was down, and nothing older');
      },
    },
    {
      name: 'bot-sdk: room helpers a bot calls (joined members, state, profile)',
      needs: ['bot-sdk: auto-joining echo bot answers in a room'],
      async run() {
        const { account, bot, roomId: echoRoom } = echo!;
        assert.equal(await bot.getUserId(), account.userId, 'GET /account/whoami');
        assert.ok((await bot.getJoinedRooms()).includes(echoRoom), 'GET /joined_rooms');
        const members = await bot.getJoinedRoomMembers(echoRoom);
        assert.deepEqual([...members].sort(), [account.userId, alice.getUserId()!].sort(), 'GET /rooms/{id}/joined_members');
        assert.deepEqual(await bot.getRoomStateEvent(echoRoom, 'm.room.name', ''), { name: 'Echo' }, 'GET /rooms/{id}/state/m.room.name/');
        const missing = await bot.getRoomStateEvent(echoRoom, 'm.room.topic', '').then(() => undefined, (error: { statusCode?: number; body?: { errcode?: string } }) => error);
        assert.equal(missing?.statusCode, 404, 'absent state is 404');
        assert.equal(missing?.body?.errcode, 'M_NOT_FOUND');
        await bot.setDisplayName('Echo Bot');
        assert.equal((await bot.getUserProfile(account.userId)).displayname, 'Echo Bot', 'PUT then GET /profile/{userId}');
      },
    },
    {
      name: 'bridge: a Runtime Connect post reaches a js-sdk client in #shared',
      needs: ['js-sdk: startClient reaches PREPARED'],
      async run() {
        const alias = `#shared:${s.config.serverName}`;
        const joined = await alice.joinRoom(alias);
        sharedRoomId = joined.roomId;
        await seeMembership(alice, sharedRoomId, 'join');
        const runtime = await linkedUser(s, localpart('runtimer'));
        const content = `from the runtime ${suffix}`;
        const posted = await runtime.bot.post('/api/runtime/shared', { content });
        assert.equal(posted.status, 200, JSON.stringify(posted.body));
        const event = await waitFor(() => findEvent(alice, sharedRoomId, (e) => e.getType() === 'm.room.message' && String(e.getContent().body).includes(content)), {
          timeoutMs: SEE_MS,
          what: 'the runtime post in the Matrix timeline of #shared',
        });
        assert.equal(event.getId(), posted.body.event_id, 'the Matrix event is the one the runtime post answered');
      },
    },
    {
      name: 'bridge: a Matrix m.text in #shared shows in the runtime feed',
      needs: ['bridge: a Runtime Connect post reaches a js-sdk client in #shared'],
      async run() {
        const runtime = await linkedUser(s, localpart('reader'));
        const content = `from matrix ${suffix}`;
        await alice.sendTextMessage(sharedRoomId, content);
        const item = await waitFor(async () => {
          const feed = await runtime.bot.get('/api/runtime/feed?limit=100');
          return (feed.body?.messages as Array<{ content: string; username: string; user_id: string }> | undefined)?.find((m) => m.content === content);
        }, { timeoutMs: SEE_MS, intervalMs: 100, what: 'the Matrix message in GET /api/runtime/feed' });
        assert.equal(item.username, accounts.alice!.username);
      },
    },
  ];

  for (const scenario of scenarios) test(scenario.name, (t) => contract.run(t, scenario));

  test('the expected-failures list names only scenarios of this suite, each with a reason', () => contract.checkList(scenarios));
});
