/**
 * The debugger bench's monitor readers (bench/debugger.ts), in their own process so that reading the
 * streams does not slow the client whose calls are timed. Opens `BENCH_MONITORS` monitor streams on
 * `BENCH_AGENT` at `BENCH_URL` with `BENCH_TOKEN`, prints `{"ids": [...]}`, then answers each line on
 * stdin with `{"counts": [...]}`: the `component` events each stream has read so far.
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

const info: Info = { orrery: process.env.BENCH_URL!, linear: process.env.BENCH_AGENT!, token: process.env.BENCH_TOKEN! };
const monitors = await Promise.all(Array.from({ length: Number(process.env.BENCH_MONITORS ?? 10) }, () => openMonitor(info)));
console.log(JSON.stringify({ ids: monitors.map((m) => m.id) }));
for await (const line of createInterface({ input: process.stdin })) if (line) console.log(JSON.stringify({ counts: monitors.map((m) => m.events()) }));
for (const m of monitors) m.close();
process.exit(0);
