/**
 * Bench (b): heartbeat throughput with BENCH_BOTS (default 1000) simulated bots, each with its own
 * runtime token and user, taking turns over BENCH_HEARTBEAT_CONNECTIONS (default 100) keep-alive
 * connections, `POST /api/runtime/presence` as fast as the server answers. The same load against a
 * bare Fastify route (`bare-fastify.ts`) in the same run is the ceiling. Target: ≥ 5000/s.
 */
import autocannon from 'autocannon';
import { startServerProcess, stopProcess } from './lib.ts';

const BOTS = Number(process.env.BENCH_BOTS ?? 1000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
/** Keep-alive connections the bots' requests share (a real fleet sends 1000/25 s = 40/s). */
const CONNECTIONS = Number(process.env.BENCH_HEARTBEAT_CONNECTIONS ?? 100);

/** One row of bench (b). */
export interface HeartbeatRow {
  name: string;
  bots: number;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Run the bench: the bare ceiling, then Orrery. */
export async function benchHeartbeats(): Promise<HeartbeatRow[]> {
  const bare = await startServerProcess<{ url: string }>('bare-fastify.ts');
  let ceiling: HeartbeatRow;
  try {
    ceiling = { ...(await load('bare Fastify `POST` (ceiling)', bare.info.url, ['none'])), bots: 0 };
  } finally {
    await stopProcess(bare.child);
  }
  const { info, child } = await startServerProcess<{ url: string; heartbeatTokens: string[] }>('runtime-server.ts', { BENCH_BOTS: String(BOTS) });
  try {
    return [ceiling, await load('Orrery `POST /api/runtime/presence`', info.url, info.heartbeatTokens)];
  } finally {
    await stopProcess(child);
  }
}

async function load(name: string, url: string, tokens: string[]): Promise<HeartbeatRow> {
  let next = 0;
  const r = await autocannon({
    url: `${url}/api/runtime/presence`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    // Each request is one bot's heartbeat, the bots taken in turn: every token and user is used.
    requests: [
      {
        method: 'POST',
        setupRequest(request) {
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } };
        },
      },
    ],
  });
  return { name, bots: tokens.length, connections: CONNECTIONS, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(await benchHeartbeats());
