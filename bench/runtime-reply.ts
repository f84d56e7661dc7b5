/**
 * Bench (a): trigger → reply latency of a real `orrery connect` bot (echo model), in stream mode and
 * in the original's 5 s poll mode, in the same run. A human posts a trigger; the time until the bot's
 * reply reaches the human's event stream is one sample. Target: stream p50 ≤ 20 ms.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, startServerProcess, stopProcess } from './lib.ts';

const STREAM_SAMPLES = Number(process.env.BENCH_REPLY_SAMPLES ?? 50);
const POLL_SAMPLES = Number(process.env.BENCH_POLL_SAMPLES ?? 6);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Info {
  url: string;
  human: string;
  botToken: string;
}

/** Run the bench; returns the rows for the report. */
export async function benchReplyLatency(): Promise<Array<{ mode: string; samples: number; p50: number; p99: number; max: number }>> {
  const { info, child: server } = await startServerProcess<Info>('runtime-server.ts');
  const rows = [];
  try {
    // The human's view: the event stream, where replies are timed.
    const controller = new AbortController();
    const res = await fetch(`${info.url}/api/runtime/stream`, { headers: { authorization: `Bearer ${info.human}` }, signal: controller.signal });
    const waiters = new Map<string, (t: number) => void>();
    void (async () => {
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const m = /"content":"human: echo: botowner q(\d+-\d+)"/.exec(frame);
            if (m) waiters.get(m[1]!)?.(performance.now());
          }
        }
      } catch {
        /* aborted */
      }
    })();

    for (const [mode, samples, args] of [
      ['stream', STREAM_SAMPLES, []],
      ['poll 5 s (original)', POLL_SAMPLES, ['--stream', 'false', '--poll-seconds', '5']],
    ] as const) {
      const bot = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'connect', '--base-url', info.url, '--token', info.botToken,
          '--trigger-name', 'botowner', '--model', 'echo', '--state-file', path.join(mkdtempSync(path.join(tmpdir(), 'bench-bot-')), 's.json'), ...args],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise<void>((resolve) => {
        bot.stdout!.on('data', (d: Buffer) => {
          if (/mode=/.test(d.toString())) setTimeout(resolve, 300);
        });
      });
      const latencies: number[] = [];
      for (let i = 0; i < samples; i++) {
        const key = `${mode.length}-${i}`;
        const got = new Promise<number>((resolve) => waiters.set(key, resolve));
        const t0 = performance.now();
        await fetch(`${info.url}/api/runtime/shared`, {
          method: 'POST',
          headers: { authorization: `Bearer ${info.human}`, 'content-type': 'application/json' },
          body: JSON.stringify({ content: `botowner q${key}` }),
        });
        latencies.push((await got) - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
      bot.kill('SIGTERM');
      await new Promise((r) => bot.once('exit', r));
      rows.push({ mode, samples, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) });
    }
    controller.abort();
  } finally {
    await stopProcess(server);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(await benchReplyLatency());
