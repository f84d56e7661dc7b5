/**
 * Bench: the debugger (issue 11 §8), one client at a time against a server in its own process.
 * - **Step round trip** (`X-DEBUG-RUN: <id>` on the 5-wave `linear-utility.smyth`, and the same with
 *   `?includeNewState=true`, what the UI sends) against plain calls in the same run: the same agent
 *   (5 waves) and a one-wave agent. Target: a step's p50 ≤ 2× a plain one-wave call's.
 * - **Monitor overhead**: plain calls of the 5-wave agent with 0, 1 and 10 monitors attached
 *   (`X-MONITOR-ID`, each monitor an open SSE stream read to the end by a third process,
 *   bench/debugger-monitors.ts). Target: 10 monitors add ≤ 20 % at p50. Every monitor must receive
 *   every run's events.
 * Rounds alternate the variants in blocks so that drift on a shared machine hits them alike: many
 * short blocks (20 × 50 calls), since five blocks of 200 let drift decide (10 monitors measured 17–52 %
 * for the same code), and not single calls, since a watched run's events are written and sent after
 * its answer, inside whichever call comes next.
 *
 * Options (env): BENCH_DEBUG_ROUNDS (default 20), BENCH_DEBUG_CALLS (per variant per round, default 50),
 * BENCH_DATABASE_URL (PostgreSQL instead of SQLite).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { percentile, startServerProcess, stopProcess } from './lib.ts';

/** What the monitor readers (bench/debugger-monitors.ts) have read so far, and the CPU they used. */
interface ReaderCounts {
  /** `component` events per stream. */
  counts: number[];
  /** Bytes all streams read. */
  bytes: number;
  /** The readers' process CPU time, ms. */
  cpuMs: number;
}

/** Ask the monitor readers how far they are. */
async function readersAt(child: ChildProcess, lines: AsyncIterator<string>): Promise<ReaderCounts> {
  child.stdin!.write('count\n');
  for (;;) {
    const { value } = await lines.next();
    if (typeof value === 'string' && value.startsWith('{"counts"')) return JSON.parse(value) as ReaderCounts;
  }
}

/** Clock ticks per second of /proc's CPU times. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) process `pid` has used, ms; NaN where /proc cannot tell (not Linux). */
function cpuMsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

const ROUNDS = Number(process.env.BENCH_DEBUG_ROUNDS ?? 20);
const CALLS = Number(process.env.BENCH_DEBUG_CALLS ?? 50);
const BODY = JSON.stringify({ message: 'hello world' });

interface Info {
  orrery: string;
  linear: string;
  oneWave: string;
  token: string;
  dataPath: string;
}

/** One row: a variant's latencies over every round, ms. */
export interface DebuggerRow {
  name: string;
  calls: number;
  p50: number;
  p99: number;
  /** The server process's CPU per call, ms (from /proc, 10 ms ticks summed over every round). */
  serverCpuMs: number;
}

/** The bench's results and verdicts. */
export interface DebuggerResult {
  database: string;
  steps: DebuggerRow[];
  /** `eventsPerMonitor`: `component` events one of the attached monitors read; `eventsExpected`: what it should have. */
  monitors: (DebuggerRow & {
    monitors: number;
    eventsPerMonitor: number;
    eventsExpected: number;
    /** SSE bytes the readers received per call (all streams), and the readers' CPU per call, ms. */
    readerBytesPerCall: number;
    readerCpuMsPerCall: number;
  })[];
  stepRatio: number;
  monitorOverhead: number;
}

async function timed(n: number, call: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await call();
    out.push(performance.now() - started);
  }
  return out;
}

/** Runs the bench against a fresh server process. */
export async function benchDebugger(): Promise<DebuggerResult> {
  const { info, child } = await startServerProcess<Info>('debugger-server.ts');
  try {
    const post = async (agentId: string, headers: Record<string, string> = {}, query = '') => {
      const res = await fetch(`${info.orrery}/api/pipe${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${info.token}`, 'x-agent-id': agentId, ...headers },
        body: BODY,
      });
      const body = (await res.json()) as { dbgSession?: string | null };
      if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    // A session to step: started (not timed) whenever the last one ended.
    let session: string | null = null;
    const step = (query: string) => async () => {
      if (!session) session = (await post(info.linear, { 'x-debug-run': '' })).dbgSession ?? null;
      session = (await post(info.linear, { 'x-debug-run': session! }, query)).dbgSession ?? null;
    };
    const stepVariants: [string, () => Promise<void>][] = [
      ['plain call, one-wave agent', async () => void (await post(info.oneWave))],
      ['plain call, 5-wave agent', async () => void (await post(info.linear))],
      ['debug step (X-DEBUG-RUN: <id>), 5-wave agent', step('')],
      ['debug step with ?includeNewState=true', step('?includeNewState=true')],
    ];
    const readers = {
      child: spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./debugger-monitors.ts', import.meta.url))], {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, BENCH_URL: info.orrery, BENCH_AGENT: info.linear, BENCH_TOKEN: info.token, BENCH_MONITORS: '10' },
      }),
    };
    const lines = createInterface({ input: readers.child.stdout! })[Symbol.asyncIterator]();
    let ids: string[] = [];
    while (!ids.length) {
      const { value, done } = await lines.next();
      if (done) throw new Error('the monitor readers exited');
      if (typeof value === 'string' && value.startsWith('{"ids"')) ids = (JSON.parse(value) as { ids: string[] }).ids;
    }
    const monitorVariants: [number, () => Promise<void>][] = [
      [0, async () => void (await post(info.linear))],
      [1, async () => void (await post(info.linear, { 'x-monitor-id': ids[0]! }))],
      [10, async () => void (await post(info.linear, { 'x-monitor-id': ids.join(',') }))],
    ];
    // Warm-up: compile, caches, JIT.
    for (const [, call] of [...stepVariants, ...monitorVariants]) await timed(50, call);
    const stepTimes = new Map<string, number[]>();
    const serverCpu = new Map<string | number, number>();
    /** `timed`, adding the server's CPU time over the block to `serverCpu` under `key`. */
    const measured = async (key: string | number, call: () => Promise<void>) => {
      const cpu = cpuMsOf(child.pid);
      const times = await timed(CALLS, call);
      serverCpu.set(key, (serverCpu.get(key) ?? 0) + cpuMsOf(child.pid) - cpu);
      return times;
    };
    const monitorTimes = new Map<number, number[]>();
    /** Per monitor count: the readers' bytes and CPU while its calls ran (the last events may land in the next block). */
    const readerCost = new Map<number, { bytes: number; cpuMs: number }>();
    // The warm-up's events may still be on their way: count from a settled point.
    await new Promise((r) => setTimeout(r, 1000));
    const before = (await readersAt(readers.child, lines)).counts;
    let monitoredCalls = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, call] of stepVariants) stepTimes.set(name, [...(stepTimes.get(name) ?? []), ...(await measured(name, call))]);
      for (const [count, call] of monitorVariants) {
        const start = await readersAt(readers.child, lines);
        monitorTimes.set(count, [...(monitorTimes.get(count) ?? []), ...(await measured(count, call))]);
        const end = await readersAt(readers.child, lines);
        const cost = readerCost.get(count) ?? { bytes: 0, cpuMs: 0 };
        readerCost.set(count, { bytes: cost.bytes + end.bytes - start.bytes, cpuMs: cost.cpuMs + end.cpuMs - start.cpuMs });
        if (count > 0) monitoredCalls += CALLS;
      }
    }
    // Every watched run's five component calls reach every monitor named (start and stop: 10 events);
    // the first monitor is named by both monitored variants, the last by the ten-monitor one only.
    const expected = [monitoredCalls * 10, (monitoredCalls / 2) * 10];
    const wait = Date.now() + 10_000;
    let after = (await readersAt(readers.child, lines)).counts;
    while (Date.now() < wait && (after[0]! - before[0]! < expected[0]! || after[9]! - before[9]! < expected[1]!)) {
      await new Promise((r) => setTimeout(r, 50));
      after = (await readersAt(readers.child, lines)).counts;
    }
    const rows = [...stepTimes].map(([name, t]) => ({ name, calls: t.length, p50: percentile(t, 50), p99: percentile(t, 99), serverCpuMs: serverCpu.get(name)! / t.length }));
    const monitorRows = [...monitorTimes].map(([count, t]) => ({
      name: `plain call, 5-wave agent, ${count} monitor${count === 1 ? '' : 's'}`,
      monitors: count,
      calls: t.length,
      p50: percentile(t, 50),
      p99: percentile(t, 99),
      serverCpuMs: serverCpu.get(count)! / t.length,
      eventsPerMonitor: count === 0 ? 0 : after[count === 1 ? 0 : 9]! - before[count === 1 ? 0 : 9]!,
      eventsExpected: count === 0 ? 0 : expected[count === 1 ? 0 : 1]!,
      readerBytesPerCall: readerCost.get(count)!.bytes / t.length,
      readerCpuMsPerCall: readerCost.get(count)!.cpuMs / t.length,
    }));
    await stopProcess(readers.child);
    // Not targets: where the time goes. The server's CPU per call, and what the readers' process (on
    // the same two cores) took per watched call.
    for (const row of [...rows, ...monitorRows]) console.log(`server CPU per call, ${row.name}: ${row.serverCpuMs.toFixed(3)} ms`);
    for (const row of monitorRows.filter((r) => r.monitors > 0)) {
      console.log(`monitor readers, ${row.monitors} monitor(s): ${Math.round(row.readerBytesPerCall)} SSE bytes and ${row.readerCpuMsPerCall.toFixed(3)} ms of their CPU per call`);
    }
    return {
      database: process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'SQLite',
      steps: rows,
      monitors: monitorRows,
      stepRatio: rows[2]!.p50 / rows[0]!.p50,
      monitorOverhead: monitorRows[2]!.p50 / monitorRows[0]!.p50 - 1,
    };
  } finally {
    await stopProcess(child);
    rmSync(info.dataPath, { recursive: true, force: true });
  }
}
