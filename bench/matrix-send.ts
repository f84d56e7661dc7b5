/**
 * Matrix bench (f): send throughput. BENCH_SEND_MEMBERS (default 100) members of one room each
 * long-poll `/sync` (polling again after every answer) while BENCH_SEND_SENDERS (default 16) of
 * them `PUT /rooms/{id}/send/m.room.message/{txn}` back to back for BENCH_SEND_SECONDS (default
 * 10). Reports events/s and send latency, on SQLite and on PostgreSQL (a throwaway database).
 * Ceilings, same run and same server: the same number of concurrent request loops against
 * `GET /_matrix/client/versions` while the members hold their polls; and the store's
 * `insertEvents` alone (no HTTP, no sync), from a fresh process on the same database, after the
 * server stopped. Targets: ≥ 2000 events/s on SQLite, ≥ 1500 on PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { percentile, processCpuSeconds } from './lib.ts';
import { createRoom, eachLimited, expectOk, httpClient, join, machineCpuSeconds, ownCpuSeconds, postgresCpuSeconds, pgReachable, registerUsers, sleep, startMatrixServer, sync, type HttpClient, type MatrixServer, type MatrixUser } from './matrix-lib.ts';
import { openStore } from '../src/store/database.ts';
import { createRoomsStore } from '../src/rooms/store.ts';
import { newEventRow } from '../src/rooms/room-events.ts';

const MEMBERS = Number(process.env.BENCH_SEND_MEMBERS ?? 100);
const SENDERS = Number(process.env.BENCH_SEND_SENDERS ?? 16);
/** Members that long-poll (the first BENCH_SEND_POLLING; default all). 0 isolates the write path. */
const POLLING = Number(process.env.BENCH_SEND_POLLING ?? MEMBERS);
const SECONDS = Number(process.env.BENCH_SEND_SECONDS ?? 10);
const CEILING_SECONDS = 5;
const STORE_SECONDS = 3;

/** One row of bench (f). */
export interface SendRow {
  database: 'SQLite' | 'PostgreSQL';
  members: number;
  /** Members long-polling `/sync` during the sends. */
  polling: number;
  senders: number;
  /** Stored events per second (2xx answers / elapsed). */
  eventsPerS: number;
  p50: number;
  p99: number;
  errors: number;
  /** The first failure, exactly (status and body). */
  firstError?: string;
  /** Sync answers the members received per second during the sends. */
  syncAnswersPerS: number;
  /** Members whose last sync reached the last event within 5 s of the end / members. */
  caughtUp: string;
  /** Server CPU during the sends, s (of SECONDS × 2 cores available, shared with the load). */
  serverCpuS: number;
  /** Server CPU per stored event, ms (less sensitive than events/s to other load on the machine). */
  cpuMsPerEvent: number;
  /** CPU of the PostgreSQL server's processes during the measurement, s (0 on SQLite, but for other users of it). */
  postgresCpuS: number;
  /** CPU other processes on the machine took during the sends, s (neither the server nor this bench). */
  otherCpuS: number;
  /** Ceiling 1: `GET /_matrix/client/versions`, same loops, same server, members polling. */
  trivialPerS: number;
  trivialP50: number;
  /** Ceiling 2: the store's `insertEvents` alone, SENDERS at once, events/s. */
  storePerS: number;
  storeP50: number;
}

/** `loops` request loops for `seconds`; each iteration calls `once(loop, i)` and reports its ms. */
async function loadFor(seconds: number, loops: number, once: (loop: number, i: number) => Promise<{ ok: boolean; ms: number; error?: string }>) {
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      for (let i = 0; performance.now() < end; i++) {
        const r = await once(loop, i);
        latencies.push(r.ms);
        if (r.ok) ok++;
        else {
          errors++;
          firstError ??= r.error;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return { perS: ok / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, ...(firstError ? { firstError } : {}) };
}

/** The store's insert alone: `SENDERS` concurrent `insertEvents` of one message each, as the send route calls it. */
async function storeInsertRate(server: MatrixServer, roomId: string, senders: MatrixUser[]): Promise<{ perS: number; p50: number }> {
  const store = openStore({ databaseUrl: server.databaseUrl, dataPath: server.dataPath });
  const rooms = createRoomsStore(store.db, store.dialect);
  const run = randomBytes(4).toString('hex');
  try {
    const r = await loadFor(STORE_SECONDS, senders.length, async (loop, i) => {
      const sender = senders[loop]!.userId;
      const txnId = `raw-${run}-${loop}-${i}`;
      const row = newEventRow(roomId, sender, 'm.room.message', { msgtype: 'm.text', body: `raw ${i}` }, null, { txnId });
      const started = performance.now();
      await rooms.insertEvents([row], {
        now: () => Date.now(),
        txn: { sender, txnId },
        // The send route's authorization reads the sender's membership and the power levels.
        authorize: async (state) => {
          await state.content('m.room.member', sender);
          await state.content('m.room.power_levels', '');
        },
      });
      return { ok: true, ms: performance.now() - started };
    });
    return { perS: r.perS, p50: r.p50 };
  } finally {
    await store.close();
  }
}

async function run(database: 'sqlite' | 'postgres'): Promise<SendRow> {
  const server = await startMatrixServer(database);
  const setup = httpClient(server.url, 16);
  const pollers = httpClient(server.url, MEMBERS + 10);
  const senders = httpClient(server.url, SENDERS + 4);
  let stopping = false;
  const syncLoops: Promise<void>[] = [];
  try {
    const members = await registerUsers(setup, Array.from({ length: MEMBERS }, (_, i) => `member${i}`));
    const roomId = await createRoom(setup, members[0]!, 'public_chat', 'throughput');
    await eachLimited(members.slice(1), 8, (m) => join(setup, m, roomId));
    let token = expectOk('initial /sync', await sync(setup, members[0]!.token, undefined, 0)).body.next_batch;
    await eachLimited(members, 8, async (m) => {
      token = expectOk('warm-up /sync', await sync(setup, m.token, token, 0)).body.next_batch;
    });
    const since = members.map(() => token);
    let syncAnswers = 0;
    const syncErrors: string[] = [];
    for (let i = 0; i < POLLING; i++) {
      syncLoops.push(
        (async () => {
          while (!stopping) {
            try {
              const a = await sync(pollers, members[i]!.token, since[i], 30_000);
              if (a.status !== 200) throw new Error(`GET /sync → ${a.status} ${JSON.stringify(a.body)}`);
              since[i] = a.body.next_batch;
              syncAnswers++;
            } catch (e) {
              if (!stopping) syncErrors.push((e as Error).message);
              return;
            }
          }
        })(),
      );
    }
    await sleep(2000);

    const trivial = await loadFor(CEILING_SECONDS, SENDERS, async () => {
      const a = await senders.request('GET', '/_matrix/client/versions');
      return { ok: a.status === 200, ms: a.ms, error: `${a.status} ${JSON.stringify(a.body)}` };
    });

    const enc = encodeURIComponent(roomId);
    const cpuBefore = processCpuSeconds(server.pid);
    const machineBefore = machineCpuSeconds();
    const ownBefore = ownCpuSeconds();
    const postgresBefore = postgresCpuSeconds();
    const answersBefore = syncAnswers;
    const sends = await loadFor(SECONDS, SENDERS, async (loop, i) => {
      const body = { msgtype: 'm.text', body: `load ${loop} ${i}` };
      const a = await senders.request('PUT', `/_matrix/client/v3/rooms/${enc}/send/m.room.message/s${loop}-${i}`, members[loop]!.token, body);
      return { ok: a.status === 200, ms: a.ms, error: `PUT /rooms/${roomId}/send/m.room.message/s${loop}-${i} ${JSON.stringify(body)} → ${a.status} ${JSON.stringify(a.body)}` };
    });
    const serverCpuS = processCpuSeconds(server.pid) - cpuBefore;
    // Approximate: a backend that exits during the window takes its CPU out of the second sum.
    const postgresCpuS = Math.max(0, postgresCpuSeconds() - postgresBefore);
    const otherCpuS = machineCpuSeconds() - machineBefore - serverCpuS - (ownCpuSeconds() - ownBefore) - postgresCpuS;
    const syncAnswersPerS = (syncAnswers - answersBefore) / SECONDS;

    // Every member's sync should reach the last stored event.
    const last = Number(/^s(\d+)_/.exec(expectOk('/sync', await sync(setup, members[0]!.token, token, 0)).body.next_batch)![1]);
    const reached = () => since.slice(0, POLLING).filter((t) => Number(/^s(\d+)_/.exec(t)![1]) >= last).length;
    const waitUntil = performance.now() + 5000;
    while (reached() < POLLING && performance.now() < waitUntil) await sleep(50);
    const caughtUp = `${reached()} / ${POLLING}`;
    if (syncErrors.length) throw new Error(`${syncErrors.length} syncs failed, e.g. ${syncErrors[0]}`);

    stopping = true;
    pollers.close();
    await Promise.allSettled(syncLoops);
    await server.halt();
    const store = await storeInsertRate(server, roomId, members.slice(0, SENDERS));
    return {
      database: database === 'postgres' ? 'PostgreSQL' : 'SQLite',
      members: MEMBERS,
      polling: POLLING,
      senders: SENDERS,
      eventsPerS: sends.perS,
      p50: sends.p50,
      p99: sends.p99,
      errors: sends.errors,
      ...(sends.firstError ? { firstError: sends.firstError } : {}),
      syncAnswersPerS,
      caughtUp,
      serverCpuS,
      cpuMsPerEvent: (serverCpuS * 1000) / (sends.perS * SECONDS),
      postgresCpuS,
      otherCpuS,
      trivialPerS: trivial.perS,
      trivialP50: trivial.p50,
      storePerS: store.perS,
      storeP50: store.p50,
    };
  } finally {
    stopping = true;
    for (const c of [setup, pollers, senders] as HttpClient[]) c.close();
    await Promise.allSettled(syncLoops);
    await server.stop();
  }
}

/** Run on SQLite, then on PostgreSQL when reachable (`BENCH_SEND_DB=sqlite|postgres` picks one). */
export async function benchSend(): Promise<SendRow[]> {
  const pick = process.env.BENCH_SEND_DB;
  const rows: SendRow[] = [];
  if (pick !== 'postgres') rows.push(await run('sqlite'));
  if (pick !== 'sqlite' && (await pgReachable())) rows.push(await run('postgres'));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(await benchSend());
