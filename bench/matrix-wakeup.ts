/**
 * Matrix bench (e): `/sync` wake-up latency. BENCH_WAKE_IDLE (default 1000) idle clients each hold
 * `GET /sync?since=…&timeout=30000` (and poll again when it times out); a receiver long-polls and a
 * sender `PUT`s `m.room.message` into a room only the two of them share (everyone is in
 * `#shared:localhost`, which the send must not touch). Latency = from the start of the `PUT` to the
 * receiver's `/sync` answering with the event. BENCH_WAKE_ROUNDS (default 300) rounds, one every
 * 100 ms, so the run (≥ 30 s) spans one 30 s timeout of every idle client. The idle clients start
 * spread over BENCH_WAKE_STAGGER_MS (default 30000: steady state, about 33 re-polls/s, as real
 * clients drift apart); 0 starts them together, so they all re-poll at once mid-run (a herd).
 * Ceiling, same run: the same clients and rounds against `longpoll-ceiling.ts` (bare `node:http`,
 * a held response woken by another request). Targets: p50 ≤ 10 ms, p99 ≤ 100 ms.
 */
import { percentile, processCpuSeconds, startServerProcess, stopProcess } from './lib.ts';
import {
  createRoom,
  eachLimited,
  expectOk,
  httpClient,
  invite,
  join,
  machineCpuSeconds,
  ownCpuSeconds,
  postgresCpuSeconds,
  registerUsers,
  sleep,
  startMatrixServer,
  sync,
  type Answer,
} from './matrix-lib.ts';

const IDLE = Number(process.env.BENCH_WAKE_IDLE ?? 1000);
const ROUNDS = Number(process.env.BENCH_WAKE_ROUNDS ?? 300);
const ROUND_EVERY_MS = 100;
/** Between the receiver's poll and the send, so the poll is held when the event lands. */
const SETTLE_MS = 40;
const IDLE_TIMEOUT_MS = 30_000;
const STAGGER_MS = Number(process.env.BENCH_WAKE_STAGGER_MS ?? IDLE_TIMEOUT_MS);

/** One row of bench (e). */
export interface WakeRow {
  name: string;
  idle: number;
  rounds: number;
  p50: number;
  p99: number;
  max: number;
  /** Round trip of the sender's `PUT`, ms (p50). */
  sendP50: number;
  /** Receiver answers that came back without the round's event (woken by something else). */
  spurious: number;
  /** Idle long-polls answered before their timeout during the rounds (should be 0). */
  idleEarly: number;
  /** Idle long-polls that timed out and were polled again during the rounds. */
  idleRepolls: number;
  /** Server CPU during the rounds, s. */
  serverCpuS: number;
  /** CPU of the PostgreSQL server's processes during the measurement, s (0 on SQLite, but for other users of it). */
  postgresCpuS: number;
  /** CPU other processes on the machine took during the rounds, s (neither the server nor this bench). */
  otherCpuS: number;
  /** Setup (registration, room, warm-up), s. */
  setupS: number;
  /** Idle clients' start spread, ms. */
  staggerMs: number;
}

/** What one bench target offers: idle polls, the receiver's poll, the sender's send. */
interface Target {
  idlePoll(i: number): Promise<{ ms: number; woken: boolean }>;
  receiverPoll(): Promise<string[]>;
  send(marker: string): Promise<Answer>;
  pid: number | undefined;
  setupS: number;
  stop(): Promise<void>;
}

async function orreryTarget(database: 'sqlite' | 'postgres'): Promise<Target> {
  const started = performance.now();
  const server = await startMatrixServer(database);
  const setup = httpClient(server.url, 16);
  const idleClient = httpClient(server.url, IDLE + 10);
  const rx = httpClient(server.url, 4);
  const tx = httpClient(server.url, 4);
  const names = [...Array.from({ length: IDLE }, (_, i) => `idle${i}`), 'sender', 'receiver'];
  const users = await registerUsers(setup, names);
  const sender = users[IDLE]!;
  const receiver = users[IDLE + 1]!;
  const roomId = await createRoom(setup, sender, 'private_chat', 'wake-up');
  await invite(setup, sender, roomId, receiver.userId);
  await join(setup, receiver, roomId);
  // One full initial sync for a token; then every client syncs once from the newest token (each sync
  // marks its user present, which is announced: do that before anyone waits, so nobody is woken later).
  let token = expectOk('initial /sync', await sync(setup, sender.token, undefined, 0)).body.next_batch;
  await eachLimited([...users.slice(0, IDLE), receiver], 8, async (u) => {
    token = expectOk('warm-up /sync', await sync(setup, u.token, token, 0)).body.next_batch;
  });
  token = expectOk('/sync', await sync(setup, sender.token, token, 0)).body.next_batch;
  const since = users.map(() => token);
  let receiverSince = token;
  setup.close();
  const enc = encodeURIComponent(roomId);
  let txn = 0;
  return {
    pid: server.pid,
    setupS: (performance.now() - started) / 1000,
    async idlePoll(i) {
      const a = expectOk(`idle /sync ${i}`, await sync(idleClient, users[i]!.token, since[i], IDLE_TIMEOUT_MS));
      since[i] = a.body.next_batch;
      return { ms: a.ms, woken: Object.keys(a.body.rooms?.join ?? {}).length > 0 };
    },
    async receiverPoll() {
      const a = expectOk('receiver /sync', await sync(rx, receiver.token, receiverSince, IDLE_TIMEOUT_MS));
      receiverSince = a.body.next_batch;
      return (a.body.rooms?.join?.[roomId]?.timeline?.events ?? []).map((e) => e.content?.body ?? '');
    },
    async send(marker) {
      return expectOk('PUT send', await tx.request('PUT', `/_matrix/client/v3/rooms/${enc}/send/m.room.message/w${++txn}`, sender.token, { msgtype: 'm.text', body: marker }));
    },
    async stop() {
      for (const c of [idleClient, rx, tx]) c.close();
      await server.stop();
    },
  };
}

async function ceilingTarget(): Promise<Target> {
  const started = performance.now();
  const { info, child } = await startServerProcess<{ url: string }>('longpoll-ceiling.ts');
  const idleClient = httpClient(info.url, IDLE + 10);
  const rx = httpClient(info.url, 4);
  const tx = httpClient(info.url, 4);
  return {
    pid: child.pid,
    setupS: (performance.now() - started) / 1000,
    async idlePoll(i) {
      const a = expectOk('idle wait', await idleClient.request<{ events: unknown[] }>('GET', `/wait?id=idle${i}&timeout=${IDLE_TIMEOUT_MS}`));
      return { ms: a.ms, woken: a.body.events.length > 0 };
    },
    async receiverPoll() {
      const a = expectOk('receiver wait', await rx.request<{ events: { content: { body: string } }[] }>('GET', `/wait?id=receiver&timeout=${IDLE_TIMEOUT_MS}`));
      return a.body.events.map((e) => e.content.body);
    },
    send: async (marker) => expectOk('PUT send', await tx.request('PUT', '/send?to=receiver', undefined, { msgtype: 'm.text', body: marker })),
    async stop() {
      for (const c of [idleClient, rx, tx]) c.close();
      await stopProcess(child);
    },
  };
}

async function run(name: string, target: Target): Promise<WakeRow> {
  let stopping = false;
  let measuring = false;
  let idleEarly = 0;
  let idleRepolls = 0;
  const idleErrors: string[] = [];
  const idleLoops = Array.from({ length: IDLE }, async (_, i) => {
    await sleep((i * STAGGER_MS) / IDLE);
    while (!stopping) {
      try {
        const r = await target.idlePoll(i);
        if (measuring && (r.woken || r.ms < IDLE_TIMEOUT_MS - 1000)) idleEarly++;
        else if (measuring) idleRepolls++;
      } catch (e) {
        if (!stopping) idleErrors.push((e as Error).message);
        return;
      }
    }
  });
  try {
    // Let every idle poll arrive and the first answers (presence from the warm-up) come back.
    await sleep(STAGGER_MS + 3000);
    measuring = true;
    const latencies: number[] = [];
    const sends: number[] = [];
    let spurious = 0;
    const cpuBefore = processCpuSeconds(target.pid);
    const machineBefore = machineCpuSeconds();
    const ownBefore = ownCpuSeconds();
    const postgresBefore = postgresCpuSeconds();
    const start = performance.now();
    for (let r = 0; r < ROUNDS; r++) {
      const due = start + r * ROUND_EVERY_MS;
      if (due > performance.now()) await sleep(due - performance.now());
      const marker = `wake ${r}`;
      let arrived = 0;
      const polled = (async () => {
        for (;;) {
          const bodies = await target.receiverPoll();
          if (bodies.includes(marker)) return (arrived = performance.now());
          spurious++;
        }
      })();
      await sleep(SETTLE_MS);
      const t0 = performance.now();
      const sent = await target.send(marker);
      await polled;
      latencies.push(arrived - t0);
      sends.push(sent.ms);
    }
    const serverCpuS = processCpuSeconds(target.pid) - cpuBefore;
    // Approximate: a backend that exits during the window takes its CPU out of the second sum.
    const postgresCpuS = Math.max(0, postgresCpuSeconds() - postgresBefore);
    const otherCpuS = machineCpuSeconds() - machineBefore - serverCpuS - (ownCpuSeconds() - ownBefore) - postgresCpuS;
    if (idleErrors.length) throw new Error(`${idleErrors.length} idle polls failed, e.g. ${idleErrors[0]}`);
    return {
      name,
      idle: IDLE,
      rounds: ROUNDS,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      sendP50: percentile(sends, 50),
      spurious,
      idleEarly,
      idleRepolls,
      serverCpuS,
      postgresCpuS,
      otherCpuS,
      setupS: target.setupS,
      staggerMs: STAGGER_MS,
    };
  } finally {
    stopping = true;
    await target.stop();
    await Promise.allSettled(idleLoops);
  }
}

/** Run the ceiling, then Orrery (SQLite; `BENCH_WAKE_DB=postgres` for PostgreSQL). */
export async function benchWakeup(): Promise<WakeRow[]> {
  const db = process.env.BENCH_WAKE_DB === 'postgres' ? 'postgres' : 'sqlite';
  return [await run('bare node:http long-poll (ceiling)', await ceilingTarget()), await run(`Orrery \`/sync\` (${db === 'postgres' ? 'PostgreSQL' : 'SQLite'})`, await orreryTarget(db))];
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(await benchWakeup());
