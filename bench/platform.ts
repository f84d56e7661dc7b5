/**
 * Bench: throughput of Orrery's `/health` and password login against a bare Fastify route
 * that does nothing (the ceiling), measured in the same run with autocannon; the servers run in a
 * child process (bench/servers.ts) so the load generator does not steal their event loop. Prints a table and the
 * ratios; docs/PERFORMANCE.md records the figures.
 *
 * Options (env): BENCH_DURATION_S (default 5), BENCH_CONNECTIONS (default 50).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function measure(name: string, opts: autocannon.Options): Promise<Row> {
  const r = await autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...opts });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

/** Run the platform bench; returns the table rows and the ratios. */
export async function benchPlatform(): Promise<{ rows: Row[]; healthRatio: number; loginRatio: number }> {
  const servers = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./servers.ts', import.meta.url))], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const urls = await new Promise<{ bare: string; orrery: string; dataPath: string }>((resolve, reject) => {
    let buf = '';
    servers.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    servers.once('exit', (code) => reject(new Error(`bench servers exited with ${code}`)));
  });
  const bareUrl = urls.bare;
  const orrery = { url: urls.orrery };

    const rows: Row[] = [];
  rows.push(await measure('bare Fastify GET /noop (ceiling)', { url: `${bareUrl}/noop` }));
  rows.push(await measure('orrery GET /health (SQLite ping)', { url: `${orrery.url}/health` }));
  rows.push(
    await measure('orrery POST /api/auth/login (argon2id verify + session insert)', {
      url: `${orrery.url}/api/auth/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench', password: 'bench-password' }),
      connections: 8,
    }),
  );

  servers.kill('SIGTERM');
  await new Promise((r) => servers.once('exit', r));
  rmSync(urls.dataPath, { recursive: true, force: true });

  const ceiling = rows[0]!.rps;
  return { rows, healthRatio: rows[1]!.rps / ceiling, loginRatio: rows[2]!.rps / ceiling };
}
