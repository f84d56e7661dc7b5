/**
 * Bench: the debugger (issue 11 §8), one client at a time against a server in its own process.
 * - **Step round trip** (`X-DEBUG-RUN: <id>` on the 5-wave `linear-utility.smyth`, and the same with
 *   `?includeNewState=true`, what the UI sends) against plain calls in the same run: the same agent
 *   (5 waves) and a one-wave agent. Target: a step's p50 ≤ 2× a plain one-wave call's.
 * - **Monitor overhead**: plain calls of the 5-wave agent with 0, 1 and 10 monitors attached
 *   (`X-MONITOR-ID`, each monitor an open SSE stream read to the end). Target: 10 monitors add ≤ 20 %
 *   at p50. Every monitor must receive every run's events.
 * Rounds alternate the variants so that drift on a shared machine hits them alike.
 *
 * Options (env): BENCH_DEBUG_ROUNDS (default 5), BENCH_DEBUG_CALLS (per variant per round, default 200),
 * BENCH_DATABASE_URL (PostgreSQL instead of SQLite).
 */
import { rmSync } from 'node:fs';
import { percentile, startServerProcess, stopProcess } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_DEBUG_ROUNDS ?? 5);
const CALLS = Number(process.env.BENCH_DEBUG_CALLS ?? 200);
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
}

/** The bench's results and verdicts. */
export interface DebuggerResult {
  database: string;
  steps: DebuggerRow[];
  /** `eventsPerMonitor`: `component` events one of the attached monitors read; `eventsExpected`: what it should have. */
  monitors: (DebuggerRow & { monitors: number; eventsPerMonitor: number; eventsExpected: number })[];
  stepRatio: number;
  monitorOverhead: number;
}

/** An open monitor stream: its id, and how many `component` events it has read. */
interface OpenMonitor {
  id: string;
  events(): number;
  close(): void;
}

async function openMonitor(info: Info): Promise<OpenMonitor> {
  const abort = new AbortController();
  const res = await fetch(`${info.orrery}/agent/${info.linear}/monitor`, { headers: { authorization: `Bearer ${info.token}` }, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`monitor answered ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let id: string | undefined;
  let count = 0;
  const first = new Promise<string>((resolve, reject) => {
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = text.indexOf('\n\n')) >= 0) {
            const frame = text.slice(0, cut);
            text = text.slice(cut + 2);
            if (!id && frame.includes('event: init')) {
              id = /^data: (.*)$/m.exec(frame)?.[1]?.replace(/^"|"$/g, '');
              if (id) resolve(id);
            } else if (frame.includes('event: component')) count++;
          }
        }
      } catch (error) {
        if (!abort.signal.aborted) reject(error as Error);
      }
    })();
  });
  return { id: await first, events: () => count, close: () => abort.abort() };
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
    const monitors = [await openMonitor(info), ...(await Promise.all(Array.from({ length: 9 }, () => openMonitor(info))))];
    const monitorVariants: [number, () => Promise<void>][] = [
      [0, async () => void (await post(info.linear))],
      [1, async () => void (await post(info.linear, { 'x-monitor-id': monitors[0]!.id }))],
      [10, async () => void (await post(info.linear, { 'x-monitor-id': monitors.map((m) => m.id).join(',') }))],
    ];
    // Warm-up: compile, caches, JIT.
    for (const [, call] of [...stepVariants, ...monitorVariants]) await timed(50, call);
    const stepTimes = new Map<string, number[]>();
    const monitorTimes = new Map<number, number[]>();
    // The warm-up's events may still be on their way: count from a settled point.
    await new Promise((r) => setTimeout(r, 1000));
    const before = monitors.map((m) => m.events());
    let monitoredCalls = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, call] of stepVariants) stepTimes.set(name, [...(stepTimes.get(name) ?? []), ...(await timed(CALLS, call))]);
      for (const [count, call] of monitorVariants) {
        monitorTimes.set(count, [...(monitorTimes.get(count) ?? []), ...(await timed(CALLS, call))]);
        if (count > 0) monitoredCalls += CALLS;
      }
    }
    // Every watched run's five component calls reach every monitor named (start and stop: 10 events);
    // the first monitor is named by both monitored variants, the last by the ten-monitor one only.
    const expected = [monitoredCalls * 10, (monitoredCalls / 2) * 10];
    const wait = Date.now() + 10_000;
    while (Date.now() < wait && (monitors[0]!.events() - before[0]! < expected[0]! || monitors[9]!.events() - before[9]! < expected[1]!)) await new Promise((r) => setTimeout(r, 50));
    const rows = [...stepTimes].map(([name, t]) => ({ name, calls: t.length, p50: percentile(t, 50), p99: percentile(t, 99) }));
    const monitorRows = [...monitorTimes].map(([count, t]) => ({
      name: `plain call, 5-wave agent, ${count} monitor${count === 1 ? '' : 's'}`,
      monitors: count,
      calls: t.length,
      p50: percentile(t, 50),
      p99: percentile(t, 99),
      eventsPerMonitor: count === 0 ? 0 : monitors[count === 1 ? 0 : 9]!.events() - before[count === 1 ? 0 : 9]!,
      eventsExpected: count === 0 ? 0 : expected[count === 1 ? 0 : 1]!,
    }));
    for (const m of monitors) m.close();
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
