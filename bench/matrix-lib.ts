/**
 * Helpers of the Matrix benches: a keep-alive HTTP client (one socket per outstanding request, so
 * 1000 held long-polls need 1000 sockets), registration through `POST /register` with the dummy
 * stage, rooms, and a throwaway PostgreSQL database.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { startServerProcess, stopProcess } from './lib.ts';

/** PostgreSQL server of the benches (trust auth; a database per run is created and dropped). */
export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A JSON answer, with the round trip in ms. */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  ms: number;
}

/** A client of one origin over keep-alive sockets (at most `maxSockets` at once). */
export function httpClient(origin: string, maxSockets: number) {
  const url = new URL(origin);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  return {
    agent,
    /** `method path` with an optional bearer token and JSON body; rejects only on transport errors. */
    request<T = Record<string, unknown>>(method: string, path: string, token?: string, body?: unknown): Promise<Answer<T>> {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const started = performance.now();
      return new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            method,
            path,
            agent,
            headers: {
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try {
                parsed = text ? JSON.parse(text) : {};
              } catch {
                // not JSON: keep the text
              }
              resolve({ status: res.statusCode ?? 0, body: parsed as T, ms: performance.now() - started });
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}

/** The client type. */
export type HttpClient = ReturnType<typeof httpClient>;

/** Throw with the exact request and answer when `a` is not 2xx. */
export function expectOk<T>(what: string, a: Answer<T>): Answer<T> {
  if (a.status < 200 || a.status >= 300) throw new Error(`${what} → ${a.status} ${JSON.stringify(a.body)}`);
  return a;
}

/** A registered Matrix user. */
export interface MatrixUser {
  userId: string;
  token: string;
}

/** Register `usernames` through `POST /register` (dummy stage), `concurrency` at a time (argon2 bound). */
export async function registerUsers(client: HttpClient, usernames: string[], concurrency = 8): Promise<MatrixUser[]> {
  const out: MatrixUser[] = new Array(usernames.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < usernames.length) {
        const i = next++;
        const body = { username: usernames[i], password: `password-${usernames[i]}`, auth: { type: 'm.login.dummy' } };
        const a = expectOk(`POST /register ${usernames[i]}`, await client.request<{ user_id: string; access_token: string }>('POST', '/_matrix/client/v3/register', undefined, body));
        out[i] = { userId: a.body.user_id, token: a.body.access_token };
      }
    }),
  );
  return out;
}

/** Run `fn` over `items`, `concurrency` at a time. */
export async function eachLimited<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** The sync answer fields the benches read. */
export interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline?: { events?: { event_id: string; content?: { body?: string } }[]; limited?: boolean } }> };
}

/** `GET /sync` as `token` (`since` and `timeoutMs` optional). */
export function sync(client: HttpClient, token: string, since?: string, timeoutMs?: number): Promise<Answer<SyncBody>> {
  const q = new URLSearchParams();
  if (since) q.set('since', since);
  if (timeoutMs !== undefined) q.set('timeout', String(timeoutMs));
  return client.request<SyncBody>('GET', `/_matrix/client/v3/sync?${q}`, token);
}

/** A room created by `creator` (`preset` public_chat lets anyone join; private_chat needs an invite). */
export async function createRoom(client: HttpClient, creator: MatrixUser, preset: 'public_chat' | 'private_chat', name: string): Promise<string> {
  const a = expectOk('POST /createRoom', await client.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', creator.token, { preset, name }));
  return a.body.room_id;
}

/** `user` joins `roomId` (after an invite when the room needs one). */
export async function join(client: HttpClient, user: MatrixUser, roomId: string): Promise<void> {
  expectOk(`POST /join ${user.userId}`, await client.request('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, user.token, {}));
}

/** `inviter` invites `userId` to `roomId`. */
export async function invite(client: HttpClient, inviter: MatrixUser, roomId: string, userId: string): Promise<void> {
  expectOk('POST /invite', await client.request('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, inviter.token, { user_id: userId }));
}

/** Environment of a Matrix bench server: rate limits and registration caps out of the way. */
export const MATRIX_BENCH_ENV = {
  RATE_LIMIT_ALLOW_LOOPBACK: 'true',
  REGISTRATION_MAX_PER_ADDRESS: '1000000',
};

/** A running Orrery (`matrix-server.ts`) on SQLite, or on a fresh PostgreSQL database. */
export interface MatrixServer {
  url: string;
  /** The PostgreSQL database's URL (absent on SQLite). */
  databaseUrl?: string;
  /** The SQLite folder (DATA_PATH). */
  dataPath: string;
  pid: number | undefined;
  /** Stop the server process, keeping the database. */
  halt(): Promise<void>;
  /** Stop the server process and drop the PostgreSQL database. */
  stop(): Promise<void>;
}

/** Start {@link MatrixServer} on `database` (a fresh PostgreSQL database under {@link PG_URL}). */
export async function startMatrixServer(database: 'sqlite' | 'postgres'): Promise<MatrixServer> {
  let databaseUrl: string | undefined;
  let drop = async () => undefined as void;
  if (database === 'postgres') {
    const name = `orrery_bench_${randomBytes(5).toString('hex')}`;
    await pgAdmin(`create database ${name}`);
    const u = new URL(PG_URL);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    drop = () => pgAdmin(`drop database if exists ${name} with (force)`);
  }
  const { info, child } = await startServerProcess<{ url: string; dataPath: string }>('matrix-server.ts', {
    ...MATRIX_BENCH_ENV,
    ...(databaseUrl ? { BENCH_DATABASE_URL: databaseUrl } : {}),
  });
  return {
    url: info.url,
    ...(databaseUrl ? { databaseUrl } : {}),
    dataPath: info.dataPath,
    pid: child.pid,
    halt: () => stopProcess(child),
    async stop() {
      await stopProcess(child);
      await drop();
    },
  };
}

/** One statement on the PostgreSQL server's `test` database. */
export async function pgAdmin(query: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(query);
  } finally {
    await c.end();
  }
}

/** Whether PostgreSQL answers. */
export async function pgReachable(): Promise<boolean> {
  try {
    await pgAdmin('select 1');
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU the whole machine used (user + system over every core, seconds), from `/proc/stat` (Linux,
 * 100 Hz ticks); `NaN` elsewhere. With {@link processCpuSeconds} of the server and the bench's own
 * `process.cpuUsage()`, tells how much CPU other processes took during a measurement.
 */
export function machineCpuSeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds used so far by every process named `postgres` (the local PostgreSQL server's backends). */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Seconds of CPU this process has used. */
export const ownCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Sleep `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
