/**
 * Bench (d): scale-out on PostgreSQL. Two Orrery processes share one fresh database (BENCH_PG_URL,
 * default the local test server). A poster sends BENCH_SCALEOUT_MESSAGES (default 200) messages at
 * 20/s to instance A, and one SSE reader on A and one on B time each arrival. The A → A figure is the
 * same-instance peer, measured in the same run, of the A → B figure (LISTEN/NOTIFY between them).
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { percentile, startServerProcess, stopProcess } from './lib.ts';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MESSAGES = Number(process.env.BENCH_SCALEOUT_MESSAGES ?? 200);
const RATE = 20;

/** One row of bench (d). */
export interface ScaleoutRow {
  path: string;
  deliveries: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
}

async function admin(query: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(query);
  } finally {
    await c.end();
  }
}

/** Latencies of `"content":"scale <n> <sentMs>"` frames arriving on `url`'s stream. */
function reader(url: string, token: string, into: number[]): Promise<http.ClientRequest> {
  const origin = performance.timeOrigin;
  return new Promise((resolve, reject) => {
    const target = new URL(`${url}/api/runtime/stream`);
    const req = http.get({ host: target.hostname, port: target.port, path: target.pathname, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const now = origin + performance.now();
        for (const m of chunk.matchAll(/"content":"scale \d+ ([\d.]+)"/g)) into.push(now - Number(m[1]));
      });
      resolve(req);
    });
    req.on('error', reject);
  });
}

/** Run the bench; `undefined` when PostgreSQL is not reachable. */
export async function benchScaleout(): Promise<ScaleoutRow[] | undefined> {
  try {
    await admin('select 1');
  } catch {
    return undefined;
  }
  const name = `orrery_bench_${randomBytes(5).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const env = { BENCH_DATABASE_URL: url.toString() };
  const a = await startServerProcess<{ url: string; human: string }>('runtime-server.ts', env);
  const b = await startServerProcess<{ url: string }>('runtime-server.ts', { ...env, BENCH_SEED: '0' });
  const same: number[] = [];
  const across: number[] = [];
  const requests: http.ClientRequest[] = [];
  try {
    requests.push(await reader(a.info.url, a.info.human, same), await reader(b.info.url, a.info.human, across));
    const origin = performance.timeOrigin;
    for (let i = 0; i < MESSAGES; i++) {
      await new Promise((r) => setTimeout(r, 1000 / RATE));
      const r = await fetch(`${a.info.url}/api/runtime/shared`, {
        method: 'POST',
        headers: { authorization: `Bearer ${a.info.human}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: `scale ${i} ${origin + performance.now()}` }),
      });
      if (!r.ok) throw new Error(`post ${r.status} ${await r.text()}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const row = (path: string, v: number[]): ScaleoutRow => ({
      path,
      deliveries: v.length,
      expected: MESSAGES,
      p50: percentile(v, 50),
      p99: percentile(v, 99),
      max: v.reduce((x, y) => (y > x ? y : x), 0),
    });
    return [row('same instance (A → A)', same), row('across instances (A → B, LISTEN/NOTIFY)', across)];
  } finally {
    for (const r of requests) r.destroy();
    await stopProcess(b.child);
    await stopProcess(a.child);
    await admin(`drop database if exists ${name} with (force)`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.table((await benchScaleout()) ?? []);
