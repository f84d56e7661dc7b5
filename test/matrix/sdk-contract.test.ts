/**
 * Matrix SDK contract suite: real client SDKs against a real Orrery on an ephemeral port — matrix-js-sdk
 * 37.5 (two users: login, sync, rooms, invites, messages, state, back-pagination, presence, typing,
 * receipts, redaction, logout), matrix-bot-sdk 0.7 (an auto-joining echo bot, also across a restart)
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
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ClientEvent, createClient, Direction, MatrixError, Preset, SyncState, Visibility, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import type * as BotSdk from 'matrix-bot-sdk';
import { startTestServer, TEST_DB, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { linkedUser } from '../runtime/helpers.ts';
import { createContractRunner, describeError, installedVersion, loadBotSdk, quietJsSdk, unrefLongTimers, type Scenario } from './sdk-harness.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
const contract = createContractRunner(path.join(here, 'sdk-expected-failures.json'));

/** Longest wait for one thing a client should see through /sync, ms. */
const SEE_MS = 8000;
const PASSWORD = 'contract-password-1';
const silentLogger = quietJsSdk();

/** A matrix-bot-sdk client of the echo scenarios. */
interface EchoBot extends BotSdk.MatrixClient {
  handled: string[];
  syncsInFlight: number;
}

/** A registered and logged-in Matrix account. */
interface Account {
  username: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

describe(`Matrix SDK contract (matrix-js-sdk, matrix-bot-sdk; ${TEST_DB})`, () => {
  let s: TestServer;
  let botSdk: typeof BotSdk;
  let EchoBotClass: new (...args: ConstructorParameters<typeof BotSdk.MatrixClient>) => EchoBot;
  const suffix = randomBytes(3).toString('hex');
  const clients: MatrixClient[] = [];
  const bots: BotSdk.MatrixClient[] = [];
  const tempDirs: string[] = [];
  const botLog: string[] = [];

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
    EchoBotClass = class extends botSdk.MatrixClient {
      handled: string[] = [];
      syncsInFlight = 0;
      protected override async doSync(token: string): Promise<unknown> {
        this.syncsInFlight++;
        try {
          return await super.doSync(token);
        } finally {
          this.syncsInFlight--;
        }
      }
    };
    const keep = (level: string) => (module: string, ...args: unknown[]) => {
      botLog.push(`${level} ${module} ${args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`.slice(0, 500));
    };
    botSdk.LogService.setLogger({ info: () => undefined, debug: () => undefined, trace: () => undefined, warn: keep('warn'), error: keep('error') });
  });

  after(async () => {
    for (const bot of bots) bot.stop();
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

  /** Start `client` and wait until its first sync is processed (PREPARED, then SYNCING). */
  async function startAndSync(client: MatrixClient, initialSyncLimit = 8): Promise<void> {
    let failure: unknown;
    client.on(ClientEvent.Sync, (state, _prev, data) => {
      if (state === SyncState.Error) failure = data?.error;
    });
    await client.startClient({ initialSyncLimit, pollTimeout: 10_000 });
    await waitFor(
      () => {
        const state = client.getSyncState();
        return state === SyncState.Prepared || state === SyncState.Syncing;
      },
      { timeoutMs: SEE_MS, what: `PREPARED (state ${client.getSyncState()}${failure ? `, last error ${describeError(failure)}` : ''})` },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; state ${client.getSyncState()}${failure ? `; sync error: ${describeError(failure)}` : ''}`);
    });
  }

  /** The first event in `client`'s live timeline of `room` matching `match`. */
  function findEvent(client: MatrixClient, room: string, match: (e: MatrixEvent) => boolean): MatrixEvent | undefined {
    return client.getRoom(room)?.getLiveTimeline().getEvents().find(match);
  }

  const bodyIs = (body: string) => (e: MatrixEvent) => e.getType() === 'm.room.message' && e.getContent().body === body;

  /** Wait until `client` has a message with `body` in `room`, from `sender` if given. */
  function seeMessage(client: MatrixClient, room: string, body: string, sender?: string): Promise<MatrixEvent> {
    return waitFor(() => findEvent(client, room, (e) => bodyIs(body)(e) && (!sender || e.getSender() === sender)), {
      timeoutMs: SEE_MS,
      what: `${client.getUserId()} to see "${body}" in ${room}`,
    });
  }

  /** Wait until `client` knows `room` with its own membership `membership`. */
  function seeMembership(client: MatrixClient, room: string, membership: string): Promise<Room> {
    return waitFor(() => {
      const r = client.getRoom(room);
      return r?.getMyMembership() === membership ? r : undefined;
    }, { timeoutMs: SEE_MS, what: `${client.getUserId()} to be "${membership}" in ${room} (is ${client.getRoom(room)?.getMyMembership()})` });
  }

  /**
   * An echo bot as a matrix-bot-sdk user writes one: AutojoinRoomsMixin, SimpleFsStorageProvider (its
   * sync token survives a restart), `!echo <text>` answered with a notice `<text>`. `handled` lists the
   * commands it answered; `syncsInFlight` counts its /sync requests not yet answered. /sync waits at
   * most 1 s, so a stopped bot's loop ends quickly.
   */
  async function startEchoBot(account: Account, storagePath: string): Promise<EchoBot> {
    const bot = new EchoBotClass(s.url, account.accessToken, new botSdk.SimpleFsStorageProvider(storagePath));
    bot.syncingTimeout = 1000;
    bots.push(bot);
    botSdk.AutojoinRoomsMixin.setupOnClient(bot);
    bot.on('room.message', (room: string, event: { sender?: string; content?: { body?: unknown } }) => {
      const body = event.content?.body;
      if (event.sender === account.userId || typeof body !== 'string' || !body.startsWith('!echo ')) return;
      bot.handled.push(body);
      void bot.sendNotice(room, body.slice('!echo '.length)).catch(() => undefined);
    });
    await bot.start();
    return bot;
  }

  /** Run `wait`; on failure add the last lines matrix-bot-sdk logged at warn or error. */
  async function withBotLog<T>(wait: () => Promise<T>): Promise<T> {
    try {
      return await wait();
    } catch (error) {
      throw new Error(`${describeError(error)}; bot log: ${botLog.slice(-5).join(' | ') || 'empty'}`);
    }
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
        await startAndSync(late, 3);
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
      name: 'bot-sdk: auto-joining echo bot answers in a room',
      needs: ['js-sdk: startClient reaches PREPARED'],
      async run() {
        const account = await registerAndLogin('echobot');
        const dir = mkdtempSync(path.join(tmpdir(), 'orrery-bot-sdk-'));
        tempDirs.push(dir);
        const storagePath = path.join(dir, 'bot.json');
        const bot = await startEchoBot(account, storagePath);
        const created = await alice.createRoom({ name: 'Echo', preset: Preset.PrivateChat, invite: [account.userId] });
        echo = { account, storagePath, bot, roomId: created.room_id };
        await withBotLog(() => waitFor(() => alice.getRoom(created.room_id)?.getMember(account.userId)?.membership === 'join', { timeoutMs: SEE_MS, what: 'the bot to auto-join' }));
        await alice.sendTextMessage(created.room_id, '!echo hi');
        await withBotLog(() => seeMessage(alice, created.room_id, 'hi', account.userId));
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
        const restarted = await startEchoBot(account, storagePath);
        await withBotLog(() => seeMessage(alice, roomId, 'again', account.userId));
        assert.deepEqual(restarted.handled, ['!echo again'], 'the restarted bot sees what came while it was down, and nothing older');
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
