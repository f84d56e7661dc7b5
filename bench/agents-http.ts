/**
 * Bench: agent skill calls over HTTP (issue 10 §8) — `linear-utility.smyth` (5 components) at
 * `POST /api/pipe` with `X-AGENT-ID`, each call a full run recorded with its 5 component calls;
 * against a bare Fastify route answering the same JSON (the ceiling), measured in the same run with
 * autocannon, and SmythOS's own engine behind a Fastify route (`AgentProcess.load(agent).run()` per
 * request, as its runtime server does). Also the latency of one call at a time (what a single client
 * sees). Target: ≥ 2,000 runs/s.
 *
 * Options (env): BENCH_DURATION_S (default 5), BENCH_CONNECTIONS (default 32), BENCH_SERIAL_RUNS
 * (default 500), BENCH_DATABASE_URL (PostgreSQL instead of SQLite).
 */
import { rmSync } from 'node:fs';
import autocannon from 'autocannon';
import { processCpuSeconds, startServerProcess } from './lib.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SERIAL_RUNS = Number(process.env.BENCH_SERIAL_RUNS ?? 500);
const BODY = JSON.stringify({ message: 'hello world' });
const EXPECTED = '{"result":"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"}';

/** One row of the HTTP table. */
export interface AgentsHttpRow {
  name: string;
  rps: number;
  /** Server process CPU per request, µs (the same process serves the ceiling and Orrery). */
  cpuUsPerRequest: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Results: the table, the serial latency and the target verdict. */
export interface AgentsHttpResult {
  database: string;
  rows: AgentsHttpRow[];
  serial: { runs: number; p50: number; p90: number };
  ratio: number;
}

async function load(name: string, url: string, headers: Record<string, string>, pid: number | undefined): Promise<AgentsHttpRow> {
  const cpu0 = processCpuSeconds(pid);
  const r = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY, connections: CONNECTIONS, duration: DURATION_S });
  const cpuUsPerRequest = ((processCpuSeconds(pid) - cpu0) * 1e6) / Math.max(1, r.requests.total);
  return { name, rps: r.requests.average, cpuUsPerRequest, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

/** Runs the bench against a fresh server process. */
export async function benchAgentsHttp(): Promise<AgentsHttpResult> {
  const { info, child } = await startServerProcess<{ bare: string; orrery: string; agentId: string; dataPath: string }>('agents-server.ts');
  try {
    const headers = { 'x-agent-id': info.agentId };
    const check = await fetch(`${info.orrery}/api/pipe`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY });
    const text = await check.text();
    if (check.status !== 200 || text !== EXPECTED) throw new Error(`the skill answered ${check.status} ${text}`);
    const times: number[] = [];
    for (let i = 0; i < SERIAL_RUNS + 50; i++) {
      const started = performance.now();
      const res = await fetch(`${info.orrery}/api/pipe`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY });
      await res.arrayBuffer();
      if (i >= 50) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const rows = [
      await load('bare Fastify POST /api/pipe (ceiling)', `${info.bare}/api/pipe`, {}, child.pid),
      await load('orrery POST /api/pipe, linear-utility (5 components, run recorded)', `${info.orrery}/api/pipe`, headers, child.pid),
    ];
    // SmythOS's engine loads into the server process on its first call (its timers and heap stay),
    // so it goes last, after Orrery's figures are taken.
    const peer = await fetch(`${info.bare}/sre/api/pipe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
    const peerText = await peer.text();
    if (peerText !== EXPECTED) throw new Error(`SmythOS's engine answered ${peer.status} ${peerText}`);
    rows.push(await load('SmythOS engine (SRE 1.7.42) behind Fastify, normal path', `${info.bare}/sre/api/pipe`, {}, child.pid));
    return {
      database: process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'SQLite',
      rows,
      serial: { runs: times.length, p50: times[Math.floor(times.length * 0.5)]!, p90: times[Math.floor(times.length * 0.9)]! },
      ratio: rows[1]!.rps / rows[0]!.rps,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(info.dataPath, { recursive: true, force: true });
  }
}
