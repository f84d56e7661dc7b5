/**
 * The debugger bench's monitor readers (bench/debugger.ts), in their own process so that reading the
 * streams does not slow the client whose calls are timed. Opens `BENCH_MONITORS` monitor streams on
 * `BENCH_AGENT` at `BENCH_URL` with `BENCH_TOKEN`, prints `{"ids": [...]}`, then answers each line on
 * stdin with `{"counts": [...], "bytes": n, "cpuMs": n}`: the `component` events each stream has read
 * so far, the bytes all streams have read, and this process's CPU time (user + system, ms).
 */
import { createInterface } from 'node:readline';

interface Info {
  orrery: string;
  linear: string;
  token: string;
}

/** An open monitor stream: its id, and how many `component` events it has read. */
interface OpenMonitor {
  id: string;
  events(): number;
  bytes(): number;
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
  let bytes = 0;
  const first = new Promise<string>((resolve, reject) => {
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          bytes += value.byteLength;
          text += decoder.decode(value, { stream: true });
          // Frames are cut at their blank line, scanning forward: one pass over what arrived (a browser's
          // EventSource parses incrementally too), not a copy of the rest after every frame.
          let from = 0;
          let cut: number;
          while ((cut = text.indexOf('\n\n', from)) >= 0) {
            if (!id) {
              const frame = text.slice(from, cut);
              if (frame.includes('event: init')) {
                id = /^data: (.*)$/m.exec(frame)?.[1]?.replace(/^"|"$/g, '');
                if (id) resolve(id);
              }
            } else if (text.startsWith('event: component', text.indexOf('\n', from) + 1)) count++;
            from = cut + 2;
          }
          text = text.slice(from);
        }
      } catch (error) {
        if (!abort.signal.aborted) reject(error as Error);
      }
    })();
  });
  return { id: await first, events: () => count, bytes: () => bytes, close: () => abort.abort() };
}

const info: Info = { orrery: process.env.BENCH_URL!, linear: process.env.BENCH_AGENT!, token: process.env.BENCH_TOKEN! };
const monitors = await Promise.all(Array.from({ length: Number(process.env.BENCH_MONITORS ?? 10) }, () => openMonitor(info)));
console.log(JSON.stringify({ ids: monitors.map((m) => m.id) }));
for await (const line of createInterface({ input: process.stdin })) {
  if (!line) continue;
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({ counts: monitors.map((m) => m.events()), bytes: monitors.reduce((sum, m) => sum + m.bytes(), 0), cpuMs: (cpu.user + cpu.system) / 1000 }));
}
for (const m of monitors) m.close();
process.exit(0);
