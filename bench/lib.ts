/**
 * Shared bench helpers: start a server script in a child process and read its JSON line; percentiles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../src/config/load.ts';

/** Config of a server under test: temp SQLite, ephemeral ports, production mode, limits out of the way. */
export function benchConfig(extra: Record<string, string> = {}): Config {
  return loadConfig({
    DATA_PATH: mkdtempSync(path.join(tmpdir(), 'orrery-bench-')),
    PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'production',
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    RATE_LIMIT_MAX: '1000000000',
    ...extra,
  });
}

/** Spawn `bench/<script>` under tsx with `env`; resolves with its first JSON line and the child. */
export async function startServerProcess<T>(script: string, env: Record<string, string> = {}): Promise<{ info: T; child: ChildProcess }> {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server process (for finding hot spots).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', fileURLToPath(new URL(`./${script}`, import.meta.url))], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const info = await new Promise<T>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      // Only whole lines: the info line can span several pipe chunks (64 KiB each).
      const line = buf.split('\n').slice(0, -1).find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as T);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { info, child };
}

/** Stop a child started by {@link startServerProcess}. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** The `p`-th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Machine line for reports. */
export async function machine(): Promise<string> {
  const os = await import('node:os');
  return `${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
}

/**
 * CPU time (user + system, seconds) a child process has used so far, from `/proc/<pid>/stat`
 * (Linux; clock ticks at the usual 100 Hz). `NaN` where that is not readable.
 */
export function processCpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // After "pid (comm) ", utime and stime are the 12th and 13th fields.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}
