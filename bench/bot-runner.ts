/**
 * Bot runner bench (issue 9 item 8): trigger → job start and trigger → reply latency, on SQLite
 * (the embedded queue) and on PostgreSQL (Graphile Worker). A real Orrery process, a real
 * `orrery bot-runner` process on its database, and a user who sends `!echo <n>` triggers one at a
 * time (BENCH_BOT_TRIGGERS, default 200) while long-polling `/sync` for the bot's replies.
 * - trigger → job start: the job's `startedAt` (the bot runner's clock) minus the moment the
 *   trigger's PUT was sent (this process's clock; same machine);
 * - trigger → reply: from the PUT to the moment the user's sync delivers the `m.notice` reply.
 * Target: trigger → reply p50 ≤ 50 ms on the embedded adapter.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { percentile } from './lib.ts';
import { createRoom, expectOk, httpClient, invite, pgReachable, registerUsers, sleep, startMatrixServer, sync, type MatrixServer } from './matrix-lib.ts';
import { openStore } from '../src/store/database.ts';
import { createQueue } from '../src/queue/queue.ts';
import { BOT_COMMAND_JOB } from '../src/bots/service.ts';

const TRIGGERS = Number(process.env.BENCH_BOT_TRIGGERS ?? 200);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** One row of the bench. */
export interface BotRunnerRow {
  database: 'SQLite' | 'PostgreSQL';
  adapter: 'embedded' | 'postgres';
  triggers: number;
  startP50: number;
  startP99: number;
  replyP50: number;
  replyP99: number;
  /** Triggers whose job completed and whose reply the user saw exactly once. */
  answered: number;
}

async function startRunner(server: MatrixServer): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATA_PATH: server.dataPath,
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    MATRIX_URL: server.url,
    BOT_RUNNER_PASSWORD: 'bench-runner-password',
    LOG_LEVELS: '*=warn,bot-runner=info',
  };
  delete env.DATABASE_URL;
  if (server.databaseUrl) env.DATABASE_URL = server.databaseUrl;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'bot-runner'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`the bot runner did not start: ${buf}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('bot runner started')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the bot runner exited ${code}: ${buf}`)));
  });
  return child;
}

async function benchOne(database: 'sqlite' | 'postgres'): Promise<BotRunnerRow> {
  const server = await startMatrixServer(database);
  const client = httpClient(server.url, 8);
  let runner: ChildProcess | undefined;
  try {
    runner = await startRunner(server);
    const [alice] = await registerUsers(client, ['alice']);
    const room = await createRoom(client, alice!, 'private_chat', 'bench');
    const whoami = await client.request<{ user_id: string }>('GET', '/_matrix/client/v3/account/whoami', alice!.token);
    const serverName = whoami.body.user_id.split(':').slice(1).join(':');
    const bot = `@bot-runner:${serverName}`;
    await invite(client, alice!, room, bot);
    for (let i = 0; ; i++) {
      const members = await client.request<{ joined: Record<string, unknown> }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/joined_members`, alice!.token);
      if (members.body.joined?.[bot]) break;
      if (i > 600) throw new Error('the bot did not join');
      await sleep(50);
    }
    // A bot JWT through the OpenID exchange, then a registration and an `!echo` command.
    const openid = expectOk('openid', await client.request<{ access_token: string }>('POST', `/_matrix/client/v3/user/${encodeURIComponent(alice!.userId)}/openid/request_token`, alice!.token, {}));
    const session = await fetch(`${server.url}/_server-session`, { method: 'POST', body: JSON.stringify({ access_token: openid.body.access_token }), headers: { 'content-type': 'application/json' } });
    const jwt = session.headers.get('authorization')!;
    const api = (p: string, body: unknown) => fetch(server.url + p, { method: 'POST', headers: { authorization: jwt, 'content-type': 'application/vnd.api+json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ data: { id: string } }>);
    const reg = await api('/_bot-registration', { data: { type: 'bot-registration', attributes: { username: alice!.userId } } });
    await api('/_bot-commands', { data: { type: 'bot-command', attributes: { botId: reg.data.id, command: 'echo', filter: { type: 'matrix-event', event_type: 'm.room.message', prefix: '!echo' } } } });

    // The user's sync loop: when each reply arrives.
    const seen = new Map<string, number>();
    const replies = new Map<string, number>();
    let since = expectOk('sync', await sync(client, alice!.token)).body.next_batch;
    let syncing = true;
    const loop = (async () => {
      while (syncing) {
        const a = await sync(client, alice!.token, since, 5000).catch(() => undefined);
        if (a?.status !== 200) continue;
        const at = performance.now();
        since = a.body.next_batch;
        for (const e of a.body.rooms?.join?.[room]?.timeline?.events ?? []) {
          const reply = (e as { content?: { 'm.relates_to'?: { 'm.in_reply_to'?: { event_id?: string } } } }).content?.['m.relates_to']?.['m.in_reply_to']?.event_id;
          if (reply) {
            if (!seen.has(reply)) seen.set(reply, at);
            replies.set(reply, (replies.get(reply) ?? 0) + 1);
          }
        }
      }
    })();

    const sentAt = new Map<string, { perf: number; wall: number }>();
    const replyMs: number[] = [];
    // Warm-up (not counted): the first jobs pay for prepared statements and JIT.
    for (let i = 0; i < TRIGGERS + 10; i++) {
      const wall = Date.now();
      const perf = performance.now();
      const a = expectOk('send', await client.request<{ event_id: string }>('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/b${i}`, alice!.token, { msgtype: 'm.text', body: `!echo ${i}` }));
      const id = a.body.event_id;
      for (let w = 0; !seen.has(id); w++) {
        if (w > 10_000) throw new Error(`no reply to trigger ${i}`);
        await sleep(1);
      }
      if (i >= 10) {
        sentAt.set(id, { perf, wall });
        replyMs.push(seen.get(id)! - perf);
      }
    }
    syncing = false;
    await loop;

    // Job start times from the queue, as the bot runner recorded them.
    const store = openStore({ databaseUrl: server.databaseUrl, dataPath: server.dataPath, pgPoolMax: 2 });
    const queue = createQueue({ store, databaseUrl: server.databaseUrl });
    const startMs: number[] = [];
    let answered = 0;
    try {
      for (let before: string | undefined; ; ) {
        const page = await queue.list({ type: BOT_COMMAND_JOB, limit: 500, ...(before ? { beforeId: before } : {}) });
        for (const job of page) {
          const eventId = (job.payload as { event?: { event_id?: string } }).event?.event_id;
          const sent = eventId ? sentAt.get(eventId) : undefined;
          if (sent && job.startedAt) startMs.push(job.startedAt - sent.wall);
          if (sent && job.state === 'completed' && replies.get(eventId!) === 1) answered++;
        }
        if (page.length < 500) break;
        before = page.at(-1)!.id;
      }
    } finally {
      await queue.stop().catch(() => undefined);
      await store.close();
    }
    return {
      database: database === 'sqlite' ? 'SQLite' : 'PostgreSQL',
      adapter: database === 'sqlite' ? 'embedded' : 'postgres',
      triggers: replyMs.length,
      startP50: percentile(startMs, 50),
      startP99: percentile(startMs, 99),
      replyP50: percentile(replyMs, 50),
      replyP99: percentile(replyMs, 99),
      answered,
    };
  } finally {
    runner?.kill('SIGTERM');
    if (runner && runner.exitCode === null) await new Promise((r) => runner!.once('exit', r));
    client.close();
    await server.stop();
  }
}

/** Run the bench on SQLite and (when reachable) PostgreSQL. BENCH_BOT_DB=sqlite|postgres picks one. */
export async function benchBotRunner(): Promise<BotRunnerRow[]> {
  const only = process.env.BENCH_BOT_DB;
  const rows: BotRunnerRow[] = [];
  if (!only || only === 'sqlite') rows.push(await benchOne('sqlite'));
  if ((!only || only === 'postgres') && (await pgReachable())) rows.push(await benchOne('postgres'));
  return rows;
}
