/**
 * Bench (c): BENCH_SSE_READERS (default 1000) readers of the shared space over Server-Sent Events,
 * while a poster sends BENCH_SSE_RATE (default 50) messages/s for BENCH_SSE_SECONDS (default 10).
 * Delivery latency = arrival at a reader − the poster's send time (carried in the message).
 * The same readers and poster run against the ceiling (`sse-ceiling.ts`, bare `node:http` fan-out)
 * in the same run. Target: p99 ≤ 100 ms.
 */
import http from 'node:http';
import { percentile, processCpuSeconds, startServerProcess, stopProcess } from './lib.ts';

const READERS = Number(process.env.BENCH_SSE_READERS ?? 1000);
const RATE = Number(process.env.BENCH_SSE_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SSE_SECONDS ?? 10);

/** One row of bench (c). */
export interface SseRow {
  name: string;
  readers: number;
  rate: number;
  messages: number;
  deliveries: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  /** The server's CPU time while posting and delivering, s (the 10 s run plus 2 s to drain). */
  serverCpuS: number;
  /** Round trip of the poster's `POST /api/runtime/shared`, ms. */
  postP50: number;
}

/** Run the bench against the ceiling, then Orrery. */
export async function benchSse(): Promise<SseRow[]> {
  return [
    await run('bare node:http fan-out (ceiling)', 'sse-ceiling.ts'),
    await run('Orrery `GET /api/runtime/stream`', 'runtime-server.ts'),
  ];
}

async function run(name: string, script: string): Promise<SseRow> {
  const { info, child } = await startServerProcess<{ url: string; human: string; readerTokens?: string[] }>(script, { BENCH_READER_TOKENS: String(READERS) });
  const latencies: number[] = [];
  const postErrors: string[] = [];
  const postTimes: number[] = [];
  const sockets: http.ClientRequest[] = [];
  const origin = performance.timeOrigin;
  try {
    const url = new URL(`${info.url}/api/runtime/stream`);
    let connected = 0;
    await new Promise<void>((resolve, reject) => {
      for (let i = 0; i < READERS; i++) {
        const req = http.get(
          { host: url.hostname, port: url.port, path: url.pathname, headers: { authorization: `Bearer ${info.readerTokens?.[i] ?? info.human}` }, agent: false },
          (res) => {
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              const now = origin + performance.now();
              // Cheap scan (the readers share the machine with the server): `"content":"sse <n> <sentMs>"`.
              let at = chunk.indexOf('"content":"sse ');
              while (at >= 0) {
                const start = chunk.indexOf(' ', at + 15) + 1;
                const end = chunk.indexOf('"', start);
                latencies.push(now - Number(chunk.slice(start, end)));
                at = chunk.indexOf('"content":"sse ', end);
              }
            });
            if (++connected === READERS) resolve();
          },
        );
        req.on('error', reject);
        sockets.push(req);
      }
    });
    const cpuBefore = processCpuSeconds(child.pid);
    let sent = 0;
    const total = RATE * SECONDS;
    const start = performance.now();
    while (sent < total) {
      const due = start + (sent * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const body = JSON.stringify({ content: `sse ${sent} ${origin + performance.now()}` });
      const posted = performance.now();
      void fetch(`${info.url}/api/runtime/shared`, {
        method: 'POST',
        headers: { authorization: `Bearer ${info.human}`, 'content-type': 'application/json' },
        body,
      }).then(
        async (r) => {
          postTimes.push(performance.now() - posted);
          if (!r.ok) postErrors.push(`${r.status} ${await r.text()}`);
        },
        (e: Error) => postErrors.push(e.message),
      );
      sent++;
    }
    await new Promise((r) => setTimeout(r, 2000));
    const serverCpuS = processCpuSeconds(child.pid) - cpuBefore;
    if (postErrors.length) console.error(`${postErrors.length} posts failed, e.g. ${postErrors[0]}`);
    return {
      name,
      readers: READERS,
      rate: RATE,
      messages: total,
      deliveries: latencies.length,
      expected: total * READERS,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.reduce((a, b) => (b > a ? b : a), 0),
      serverCpuS,
      postP50: percentile(postTimes, 50),
    };
  } finally {
    for (const s of sockets) s.destroy();
    await stopProcess(child);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(await benchSse());
