/**
 * Bench: the embodiments' overhead (issue 12 item 9), one client at a time against a server in its own
 * process, the same agent in the same run:
 * - **direct**: the skill `shout` called at `/agents/<id>/api/shout` (the baseline);
 * - **chat completions**: `POST /v1/chat/completions` with the `echo` model (one model turn, no tool);
 * - **MCP tools/call**: the skill as an MCP tool, one JSON-RPC `tools/call` POST to the stateless
 *   Streamable HTTP endpoint (what an SDK client sends per call once it has initialized);
 * - **streaming TTFB**: `stream: true` chat completions, time to the first byte of the body.
 * Target: chat completions and `tools/call` each ≤ 1.5× the direct call at p50. The variants are
 * interleaved call by call, so that drift on a shared machine hits them alike.
 *
 * Options (env): BENCH_EMB_ROUNDS (default 5), BENCH_EMB_CALLS (per variant per round, default 200),
 * BENCH_DATABASE_URL (PostgreSQL instead of SQLite).
 */
import { rmSync } from 'node:fs';
import { percentile, startServerProcess, stopProcess } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_EMB_ROUNDS ?? 5);
const CALLS = Number(process.env.BENCH_EMB_CALLS ?? 200);

interface Info {
  orrery: string;
  agentId: string;
  token: string;
  dataPath: string;
}

/** One variant's latencies over every round, ms. */
export interface EmbodimentRow {
  name: string;
  calls: number;
  p50: number;
  p99: number;
}

/** The bench's results and verdicts. */
export interface EmbodimentsResult {
  database: string;
  rows: EmbodimentRow[];
  chatRatio: number;
  mcpRatio: number;
  ttfbRatio: number;
}

/** Runs the bench against a fresh server process. */
export async function benchEmbodiments(): Promise<EmbodimentsResult> {
  const { info, child } = await startServerProcess<Info>('embodiments-server.ts');
  try {
    const auth = { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' };
    const check = (ok: boolean, what: string) => {
      if (!ok) throw new Error(`bench: ${what}`);
    };
    const variants: Record<string, () => Promise<number>> = {
      direct: async () => {
        const t0 = performance.now();
        const res = await fetch(`${info.orrery}/agents/${info.agentId}/api/shout`, { method: 'POST', headers: auth, body: '{"text":"hello"}' });
        const body = (await res.json()) as { said?: string };
        check(body.said === 'hello', `direct answered ${JSON.stringify(body)}`);
        return performance.now() - t0;
      },
      'chat completions': async () => {
        const t0 = performance.now();
        const res = await fetch(`${info.orrery}/v1/chat/completions`, { method: 'POST', headers: auth, body: JSON.stringify({ model: info.agentId, messages: [{ role: 'user', content: 'hello' }] }) });
        const body = (await res.json()) as { choices?: { message: { content: string } }[] };
        check(body.choices?.[0]?.message.content === 'hello', `chat answered ${JSON.stringify(body)}`);
        return performance.now() - t0;
      },
      'MCP tools/call': async () => {
        const t0 = performance.now();
        const res = await fetch(`${info.orrery}/agents/${info.agentId}/mcp`, {
          method: 'POST',
          headers: { ...auth, accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
          body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"shout","arguments":{"text":"hello"}}}',
        });
        const body = (await res.json()) as { result?: { content: { text: string }[]; isError: boolean } };
        check(body.result?.content[0]?.text === '{"said":"hello"}' && !body.result.isError, `MCP answered ${JSON.stringify(body)}`);
        return performance.now() - t0;
      },
      'streaming TTFB': async () => {
        const t0 = performance.now();
        const res = await fetch(`${info.orrery}/v1/chat/completions`, { method: 'POST', headers: auth, body: JSON.stringify({ model: info.agentId, messages: [{ role: 'user', content: 'hello' }], stream: true }) });
        const reader = res.body!.getReader();
        const first = await reader.read();
        const ttfb = performance.now() - t0;
        check(!first.done, 'the stream sent nothing');
        while (!(await reader.read()).done);
        return ttfb;
      },
    };
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    // Warm up every path (JIT, caches, connections) before measuring.
    for (const run of Object.values(variants)) for (let i = 0; i < 50; i++) await run();
    // Interleaved call by call, so that drift on a shared machine hits every variant alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < CALLS; i++) for (const [name, run] of Object.entries(variants)) samples[name]!.push(await run());
    }
    const rows = Object.entries(samples).map(([name, values]) => ({ name, calls: values.length, p50: percentile(values, 50), p99: percentile(values, 99) }));
    const p50 = (name: string) => rows.find((r) => r.name === name)!.p50;
    return {
      database: process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'SQLite',
      rows,
      chatRatio: p50('chat completions') / p50('direct'),
      mcpRatio: p50('MCP tools/call') / p50('direct'),
      ttfbRatio: p50('streaming TTFB') / p50('direct'),
    };
  } finally {
    await stopProcess(child);
    rmSync(info.dataPath, { recursive: true, force: true });
  }
}
