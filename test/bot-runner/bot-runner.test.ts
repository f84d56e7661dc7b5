/**
 * The bot runner end to end (issue 9 "Tests"): a real Orrery, real `orrery bot-runner` processes
 * sharing its database, and a real matrix-js-sdk user. Invite → the bot joins; a trigger → exactly
 * one job → a reply in the room; a trigger sent while the bot runner is down is answered once after
 * its restart; two replicas → still one job per event; a bad command → a clear notice; a failed
 * login → exit 1 naming the URL; `scripts/register-bot.sh` run as a user would.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, MsgType, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { enc, mxCall, mxRegister, type MxUser } from '../matrix/mx.ts';
import { quietJsSdk, unrefLongTimers } from '../matrix/sdk-harness.ts';

const silentLogger = quietJsSdk();

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')];
const RUNNER_PASSWORD = 'runner-password-1';
/** Long enough for a child to start under a loaded CI machine. */
const START_MS = 60_000;

interface Runner {
  child: ChildProcess;
  out: string[];
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

function runnerEnv(server: TestServer, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    DATA_PATH: server.dataPath,
    SESSION_SECRET: 'test-secret-test-secret-test-secret-1234',
    SERVER_NAME: server.config.serverName,
    MATRIX_URL: server.url,
    BOT_RUNNER_PASSWORD: RUNNER_PASSWORD,
    LOG_LEVELS: '*=warn,bot-runner=debug',
    LOG_LEVEL: 'silent',
    ...extra,
  };
  delete env.DATABASE_URL;
  if (server.config.databaseUrl) env.DATABASE_URL = server.config.databaseUrl;
  return env;
}

/** Start `orrery bot-runner` against `server`; resolves once it says it started. */
async function startRunner(server: TestServer): Promise<Runner> {
  const child = spawn(process.execPath, [...CLI, 'bot-runner'], { env: runnerEnv(server), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    out.push(...lines);
  });
  child.stderr!.on('data', (d: Buffer) => out.push(`stderr: ${d.toString()}`));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(() => out.some((l) => l.includes('bot runner started')) || child.exitCode !== null, { timeoutMs: START_MS, what: 'the bot runner to start' });
  assert.equal(child.exitCode, null, `the bot runner exited: ${out.join('\n')}`);
  return {
    child,
    out,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** alice as a matrix-js-sdk client, syncing. */
async function sdkClient(server: TestServer, user: MxUser): Promise<MatrixClient> {
  const client = createClient({ baseUrl: server.url, accessToken: user.token, userId: user.userId, deviceId: user.deviceId, logger: silentLogger });
  await client.startClient({ initialSyncLimit: 20, pollTimeout: 5000 });
  await waitFor(() => client.isInitialSyncComplete(), { timeoutMs: 10_000, what: 'the first sync' });
  return client;
}

/** The bot's notices in `room_id` replying to `event_id`, as alice's client sees them. */
function repliesTo(client: MatrixClient, room_id: string, event_id: string, botId: string): MatrixEvent[] {
  return (client.getRoom(room_id)?.getLiveTimeline().getEvents() ?? []).filter(
    (e) => e.getSender() === botId && e.getContent().msgtype === 'm.notice' && (e.getContent()['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.['m.in_reply_to']?.event_id === event_id,
  );
}

/** A bot JWT for `user` through the OpenID exchange (`POST /_server-session`). */
async function botJwt(server: TestServer, user: MxUser): Promise<string> {
  const openid = await user.call('POST', `/user/${enc(user.userId)}/openid/request_token`, {});
  assert.equal(openid.status, 200, JSON.stringify(openid.body));
  const res = await fetch(`${server.url}/_server-session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: openid.body.access_token }) });
  assert.equal(res.status, 201);
  return res.headers.get('authorization')!;
}

async function jsonApi(server: TestServer, jwt: string, method: string, p: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(server.url + p, { method, headers: { authorization: jwt, 'content-type': 'application/vnd.api+json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Register `user` as a bot with one command `command` for messages starting with `prefix`. */
async function registerCommand(server: TestServer, user: MxUser, jwt: string, prefix: string, command: string, botId?: string): Promise<string> {
  let id = botId;
  if (!id) {
    const reg = await jsonApi(server, jwt, 'POST', '/_bot-registration', { data: { type: 'bot-registration', attributes: { username: user.userId } } });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    id = reg.body.data.id as string;
  }
  const cmd = await jsonApi(server, jwt, 'POST', '/_bot-commands', {
    data: { type: 'bot-command', attributes: { botId: id, command, filter: { type: 'matrix-event', event_type: 'm.room.message', prefix } } },
  });
  assert.equal(cmd.status, 201, JSON.stringify(cmd.body));
  return id;
}

/** Jobs the queue holds for `event_id` (any state). */
async function jobsFor(server: TestServer, event_id: string): Promise<number> {
  const jobs = await server.orrery.services.queue.list({ limit: 500 });
  return jobs.filter((j) => j.key?.startsWith(`bot:${event_id}:`)).length;
}

describe('orrery bot-runner, end to end', () => {
  let server: TestServer;
  let alice: MxUser;
  let client: MatrixClient;
  let room: string;
  let botUserId: string;
  const runners: Runner[] = [];

  // matrix-js-sdk arms 80 s+ timers per /sync that stopClient never clears: unref'd, so the file ends with its tests.
  let restoreTimers: () => void = () => undefined;
  before(async () => {
    restoreTimers = unrefLongTimers();
    server = await startTestServer({ BOT_WEBHOOK_ALLOW_PRIVATE: 'true' });
    botUserId = `@bot-runner:${server.config.serverName}`;
    alice = await mxRegister(server, 'alice');
    client = await sdkClient(server, alice);
  });
  after(async () => {
    for (const r of runners) await r.stop();
    client?.stopClient();
    await server?.close();
    restoreTimers();
  });

  async function send(body: string): Promise<string> {
    const { event_id } = await client.sendMessage(room, { msgtype: MsgType.Text, body });
    return event_id;
  }

  test('a failed login exits 1 with one line naming the URL', async () => {
    const res = spawnSync(process.execPath, [...CLI, 'bot-runner'], { env: runnerEnv(server, { MATRIX_URL: 'http://127.0.0.1:9', BOT_RUNNER_USERNAME: 'other-runner' }), encoding: 'utf8', timeout: START_MS });
    assert.equal(res.status, 1, res.stderr);
    assert.match(res.stderr.trim(), /^orrery bot-runner: Bot runner could not login to Matrix at http:\/\/127\.0\.0\.1:9\. Check credentials and server availability\.$/m);
  });

  test('SENTRY_DSN: a failure is reported to it (a local endpoint acting as the DSN)', async () => {
    const envelopes: string[] = [];
    const sentry = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        envelopes.push(`${req.url}\n${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => sentry.listen(0, '127.0.0.1', r));
    try {
      const { port } = sentry.address() as AddressInfo;
      const env = runnerEnv(server, { MATRIX_URL: 'http://127.0.0.1:9', BOT_RUNNER_USERNAME: 'other-runner', SENTRY_DSN: `http://publickey@127.0.0.1:${port}/42`, SENTRY_ENVIRONMENT: 'ci' });
      // Not spawnSync: the endpoint runs in this process.
      const failed = await execFileAsync(process.execPath, [...CLI, 'bot-runner'], { env, timeout: START_MS }).catch((error: { code: number }) => error);
      assert.equal((failed as { code: number }).code, 1);
      const report = envelopes.find((e) => e.includes('could not login to Matrix'));
      assert.ok(report, `an envelope naming the failure; got ${envelopes.length}: ${envelopes.join('\n---\n').slice(0, 500)}`);
      assert.match(report, /^\/api\/42\/envelope\//);
      assert.match(report, /"environment":"ci"/);
    } finally {
      sentry.close();
    }
  });

  test('first start creates the bot runner account (an admin) and the bot joins a room it is invited to', async () => {
    runners.push(await startRunner(server));
    const bot = await server.orrery.services.accounts.getUser(botUserId);
    assert.equal(bot.isAdmin, true);
    room = (await client.createRoom({ name: 'bots' })).room_id;
    await client.invite(room, botUserId);
    await waitFor(async () => (await mxCall(server, 'GET', `/_matrix/client/v3/rooms/${enc(room)}/joined_members`, { token: alice.token })).body?.joined?.[botUserId], {
      timeoutMs: 15_000,
      what: 'the bot to join',
    });
  });

  test('a trigger → exactly one job → one reply in the room, in reply to it', async () => {
    const jwt = await botJwt(server, alice);
    const botId = await registerCommand(server, alice, jwt, '!echo', 'echo');
    await registerCommand(server, alice, jwt, '!agent', 'agent:no-such-agent/ask', botId);
    const trigger = await send('!echo hello there');
    const [reply] = await waitFor(() => repliesTo(client, room, trigger, botUserId).length > 0 && repliesTo(client, room, trigger, botUserId), { timeoutMs: 15_000, what: 'the reply' });
    assert.equal(reply!.getContent().body, 'hello there');
    assert.equal(await jobsFor(server, trigger), 1);
  });

  test('a bad command answers with a clear notice', async () => {
    const trigger = await send('!agent what is up');
    const [reply] = await waitFor(() => repliesTo(client, room, trigger, botUserId).length > 0 && repliesTo(client, room, trigger, botUserId), { timeoutMs: 30_000, what: 'the error notice' });
    assert.match(String(reply!.getContent().body), /agent not found: no-such-agent/);
  });

  test('a trigger sent while the bot runner is down is answered once after its restart, also behind a gap longer than a sync timeline; an invite sent meanwhile is joined', async () => {
    const exit = await runners.shift()!.stop();
    assert.equal(exit, 0, 'SIGTERM ends the bot runner with 0');
    const trigger = await send('!echo while you were out');
    // More than the runner's sync timeline limit (100) after it: its sync answer is `limited`.
    for (let i = 0; i < 110; i++) await send(`filler ${i}`);
    const room2 = (await client.createRoom({ name: 'invited while down' })).room_id;
    await client.invite(room2, botUserId);
    runners.push(await startRunner(server));
    await waitFor(() => repliesTo(client, room, trigger, botUserId).length > 0, { timeoutMs: 20_000, what: 'the caught-up reply' });
    await waitFor(async () => (await mxCall(server, 'GET', `/_matrix/client/v3/rooms/${enc(room2)}/joined_members`, { token: alice.token })).body?.joined?.[botUserId], {
      timeoutMs: 15_000,
      what: 'the bot to join the room it was invited to while down',
    });
    // A later trigger answered means the catch-up is behind us: the first still has one reply, one job.
    const sentinel = await send('!echo sentinel');
    await waitFor(() => repliesTo(client, room, sentinel, botUserId).length > 0, { timeoutMs: 15_000, what: 'the sentinel reply' });
    assert.equal(repliesTo(client, room, trigger, botUserId).length, 1);
    assert.equal(await jobsFor(server, trigger), 1);
  });

  test('two replicas: still one job and one reply per event', async () => {
    const second = await startRunner(server);
    runners.push(second);
    // Replicas share one saved position: triggers sent before the second has read it may be behind it.
    await waitFor(() => second.out.some((l) => l.includes('catching up from the saved position')), { timeoutMs: 15_000, what: 'the second replica to read its position' });
    // The second replica has caught up once it has synced past the newest event.
    const triggers: string[] = [];
    for (let i = 0; i < 5; i++) triggers.push(await send(`!echo replica ${i}`));
    await waitFor(() => triggers.every((t) => repliesTo(client, room, t, botUserId).length > 0), { timeoutMs: 30_000, what: 'every reply' });
    // Both replicas saw every trigger (each logs what it enqueued or found enqueued) before we count.
    const missing = () => runners.flatMap((r, i) => triggers.filter((t) => !r.out.some((l) => l.includes(t))).map((t) => `replica ${i} has not seen ${t}`));
    await waitFor(() => missing().length === 0, { timeoutMs: 30_000, what: 'both replicas to see every trigger' }).catch((error: Error) => {
      throw new Error(`${error.message}: ${missing().join(', ')}\n${runners.map((r, i) => `replica ${i}:\n${r.out.slice(-15).join('\n')}`).join('\n')}`);
    });
    for (const t of triggers) {
      assert.equal(await jobsFor(server, t), 1, `jobs for ${t}`);
      assert.equal(repliesTo(client, room, t, botUserId).length, 1, `replies to ${t}`);
    }
  });

  test('scripts/register-bot.sh registers a bot as the seed says', async () => {
    const jwt = await botJwt(server, alice);
    const registrations = async () => ((await (await fetch(`${server.url}/_bot-registrations`, { headers: { authorization: jwt } })).json()) as { data: unknown[] }).data.length;
    const before = await registrations();
    // Not spawnSync: the server under test runs in this process and must answer the script.
    const script = path.join(ROOT, 'scripts/register-bot.sh');
    const res = await execFileAsync('sh', [script], { env: { ...process.env, REALM_SERVER_URL: server.url, REALM_SERVER_JWT: jwt, USERNAME: alice.userId }, timeout: 30_000 });
    assert.match(res.stdout, /"type": "bot-registration"/);
    const missing = await execFileAsync('sh', [script], { env: { ...process.env, REALM_SERVER_JWT: '' } }).catch((error: { code: number; stderr: string }) => error);
    assert.equal((missing as { code: number }).code, 1);
    assert.equal((missing as { stderr: string }).stderr, 'REALM_SERVER_JWT is required\n');
    assert.equal(await registrations(), before + 1, 'the script added a registration');
  });

});
