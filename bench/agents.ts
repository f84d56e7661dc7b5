/**
 * Agents bench (issue 10, item 8): the same `.smyth` agent through SmythOS's own engine (SRE,
 * `@smythos/sre`, test/helpers/sre-oracle.ts) and through Orrery's engine, in one process and one
 * run, so both see the same machine load (SRE's between-wave sleep follows it). In-process, no HTTP.
 *
 * Engines (rows):
 * - `SRE normal path`: `AgentProcess.load(agent).run(request)` as SmythOS's runtime server calls it
 *   per request (a 100 ms ready-poll, then a load-dependent sleep after every wave);
 * - `SRE without the 100 ms poll`; `SRE best case` (poll skipped and sleep 0);
 * - `Orrery`: `importAgent` + `compileAgent` once (what the runner caches per deployed version), then
 *   `executeRun` per call, with in-memory services and the model router (Echo, offline).
 * Agents: `linear-utility` (`shared/smyth/linear-utility.smyth`, 5 components), and generated ones
 * (see {@link chainAgent}, {@link fanoutAgent}): `chain-N` is APIEndpoint → N components in a line →
 * APIOutput; `fanout-N` is APIEndpoint → N components side by side → one APIOutput input collecting
 * them. The per-component cost is the slope against `chain-0`: (median(chain-N) − median(chain-0)) / N.
 *
 * Method as research/smythos-bench.md: BENCH_AGENT_WARMUP (default 10) untimed runs, then
 * BENCH_AGENT_RUNS (default 50) timed runs one after another; Orrery, whose runs are sub-millisecond,
 * gets BENCH_AGENT_ORRERY_WARMUP (default 100) and BENCH_AGENT_ORRERY_RUNS (default 1000) so its
 * median is not a handful of timer ticks. A row gives median and p90 ms per run and the process's
 * CPU ms per run over the timed runs. Orrery's row comes first for each agent and every row starts
 * after a 300 ms pause: SRE leaves work behind (its garbage: ~17 ms of CPU in the second after a
 * burst of runs) that would otherwise be billed to the next row. Before timing, every engine's answer
 * is compared with SRE's best case (`same answer` column): a row whose engine answers otherwise is
 * not a comparison of the same work.
 * BENCH_AGENT_SHAPES (default `linear-utility,chain-0,chain-20,fanout-50`) picks agents;
 * BENCH_AGENT_KIND (`fencdec`, default, or `echo`: PromptGenerator on the Echo model) the generated
 * agents' component; BENCH_AGENT_SRE_NORMAL (default `linear-utility`; `all` for every agent) the
 * agents also run on SRE's two slow paths (a 20-chain takes ~0.5 s per run there).
 * Throughput, as research/smythos-bench.md measured it: linear-utility with BENCH_AGENT_IN_FLIGHT
 * (default 20) calls in flight for BENCH_AGENT_THROUGHPUT_MS (default 3000; 0 skips it) per engine,
 * completed runs per second (one thread: it is capped by CPU per run).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { builtinComponents, isKnownComponentType } from '../src/agents/components/index.ts';
import type { AgentMemory } from '../src/agents/engine/component.ts';
import { compileAgent, type CompiledAgent } from '../src/agents/engine/compile.ts';
import { executeRun } from '../src/agents/engine/execute.ts';
import type { EngineServices } from '../src/agents/engine/types.ts';
import { importAgent } from '../src/agents/definition.ts';
import { createModelRouter } from '../src/llm/models.ts';
import { runOnSre, sreUnavailable, type SreRunOptions } from '../test/helpers/sre-oracle.ts';
import { percentile } from './lib.ts';

const WARMUP = Number(process.env.BENCH_AGENT_WARMUP ?? 10);
const RUNS = Number(process.env.BENCH_AGENT_RUNS ?? 50);
const ORRERY_WARMUP = Number(process.env.BENCH_AGENT_ORRERY_WARMUP ?? 100);
const ORRERY_RUNS = Number(process.env.BENCH_AGENT_ORRERY_RUNS ?? 1000);
const IN_FLIGHT = Number(process.env.BENCH_AGENT_IN_FLIGHT ?? 20);
const THROUGHPUT_MS = Number(process.env.BENCH_AGENT_THROUGHPUT_MS ?? 3000);
/** Between rows: lets the previous row's deferred work (SRE's garbage collection) finish. */
const SETTLE_MS = 300;
const SHAPES = (process.env.BENCH_AGENT_SHAPES ?? 'linear-utility,chain-0,chain-20,fanout-50').split(',');
const KIND = (process.env.BENCH_AGENT_KIND ?? 'fencdec') as ComponentKind;
const SRE_NORMAL = (process.env.BENCH_AGENT_SRE_NORMAL ?? 'linear-utility').split(',');
const SHARED = process.env.ORRERY_SHARED_DIR ?? path.resolve(import.meta.dirname, '../../shared');

/** The component a generated agent repeats: FEncDec (hex, alternating Encode/Decode) or PromptGenerator on `Echo`. */
export type ComponentKind = 'fencdec' | 'echo';

/** One row: an agent on an engine. Times in ms per run. */
export interface AgentBenchRow {
  agent: string;
  /** Components in the agent, APIEndpoint and APIOutput included. */
  components: number;
  engine: string;
  runs: number;
  median: number;
  p90: number;
  /** User + system CPU of the whole process per timed run. */
  cpuMs: number;
  /** The answer equals SRE's best case's (deep equality of `data`). */
  sameAnswer: boolean;
  /** When it does not: this engine's answer, JSON, cut at 300 characters. */
  answer?: string;
  /** Why the row was not measured. */
  skipped?: string;
}

/** Per-component cost of an engine from the chain or the fan-out against chain-0, µs. */
export interface PerComponent {
  engine: string;
  shape: string;
  n: number;
  us: number;
}

/** Runs per second of linear-utility with `inFlight` calls at once. */
export interface ThroughputRow {
  engine: string;
  inFlight: number;
  runsPerS: number;
}

/** The bench's result; `unavailable` says why SRE rows are missing. */
export interface AgentBenchResult {
  rows: AgentBenchRow[];
  perComponent: PerComponent[];
  throughput: ThroughputRow[];
  kind: ComponentKind;
  unavailable?: string;
}

type Answer = { data: unknown };
interface Engine {
  name: string;
  /** SRE's slow paths run only on the agents BENCH_AGENT_SRE_NORMAL names. */
  slow: boolean;
  warmup: number;
  runs: number;
  prepare(agent: object): (request: BenchRequest) => Promise<Answer>;
}
interface BenchRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

/** SRE on one of its three paths. */
function sreEngine(name: string, options: SreRunOptions, slow: boolean): Engine {
  return { name, slow, warmup: WARMUP, runs: RUNS, prepare: (agent) => (request) => runOnSre(agent, request, options) };
}

/** In-memory services for Orrery's engine: memory in a Map, no private-network HTTP, the model router with no endpoint (Echo only). */
function benchServices(): EngineServices {
  const entries = new Map<string, unknown>();
  const memory: AgentMemory = {
    read: async (name, key) => entries.get(`${name}\u0000${key}`),
    write: async (name, key, value) => void entries.set(`${name}\u0000${key}`, value),
    delete: async (name, key) => void entries.delete(`${name}\u0000${key}`),
  };
  return {
    memory,
    http: { allowPrivateNetwork: false, timeoutMs: 5_000 },
    generate: createModelRouter(),
  };
}

/** Orrery's engine in-process: import and compile once, `executeRun` per call. */
const orreryEngine: Engine = {
  name: 'Orrery',
  slow: false,
  warmup: ORRERY_WARMUP,
  runs: ORRERY_RUNS,
  prepare(agent) {
    const { definition, problems } = importAgent(agent, { isKnownType: isKnownComponentType });
    if (!definition) throw new Error(`import failed: ${JSON.stringify(problems)}`);
    const compiled: CompiledAgent = compileAgent(definition, builtinComponents);
    const services = benchServices();
    return async (request) => executeRun({ agent: compiled, request: { ...request, query: {}, headers: {} }, services });
  },
};

/** Run the bench (see the module header). */
export async function benchAgents(): Promise<AgentBenchResult> {
  const unavailable = await sreUnavailable();
  const reference = sreEngine('SRE best case (poll skipped, sleep 0)', { fast: true }, false);
  const engines: Engine[] = unavailable
    ? [orreryEngine]
    : [
        orreryEngine,
        sreEngine('SRE normal path', {}, true),
        sreEngine('SRE without the 100 ms poll', { skipReadyPoll: true }, true),
        reference,
      ];
  const rows: AgentBenchRow[] = [];
  for (const shape of SHAPES) {
    const { agent, request, components } = benchAgent(shape, KIND);
    const expected = unavailable ? undefined : (await reference.prepare(agent)(request)).data;
    for (const engine of engines) {
      const row = { agent: shape, components, engine: engine.name, runs: 0, median: NaN, p90: NaN, cpuMs: NaN, sameAnswer: false };
      if (engine.slow && !SRE_NORMAL.includes(shape) && !SRE_NORMAL.includes('all')) continue;
      let call: (request: BenchRequest) => Promise<Answer>;
      try {
        call = engine.prepare(agent);
        const { data } = await call(request);
        row.sameAnswer = expected === undefined || isDeepStrictEqual(data, expected);
        if (!row.sameAnswer) Object.assign(row, { answer: JSON.stringify(data).slice(0, 300) });
      } catch (error) {
        rows.push({ ...row, skipped: (error as Error).message });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      rows.push({ ...row, ...(await measure(() => call(request), engine.warmup, engine.runs)) });
    }
  }
  const throughput: ThroughputRow[] = [];
  if (THROUGHPUT_MS > 0) {
    const { agent, request } = benchAgent('linear-utility', KIND);
    for (const engine of engines.filter((e) => e.name !== 'SRE without the 100 ms poll')) {
      const call = engine.prepare(agent);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      throughput.push({ engine: engine.name, inFlight: IN_FLIGHT, runsPerS: await runsPerSecond(() => call(request)) });
    }
  }
  return { rows, perComponent: perComponent(rows), throughput, kind: KIND, ...(unavailable ? { unavailable } : {}) };
}

/** Completed calls per second with IN_FLIGHT callers looping for THROUGHPUT_MS. */
async function runsPerSecond(call: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const started = performance.now();
  const end = started + THROUGHPUT_MS;
  const caller = async () => {
    while (performance.now() < end) {
      await call();
      done++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, caller));
  return done / ((performance.now() - started) / 1000);
}

/** `warmup` untimed calls, then `runs` timed calls one after another. */
async function measure(call: () => Promise<unknown>, warmup: number, runs: number): Promise<Pick<AgentBenchRow, 'runs' | 'median' | 'p90' | 'cpuMs'>> {
  for (let i = 0; i < warmup; i++) await call();
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  const used = process.cpuUsage(cpu);
  return { runs, median: percentile(times, 50), p90: percentile(times, 90), cpuMs: (used.user + used.system) / 1000 / runs };
}

/** Slopes against chain-0, per engine, for every chain-N and fanout-N measured that answered as SRE does. */
function perComponent(rows: AgentBenchRow[]): PerComponent[] {
  const out: PerComponent[] = [];
  const valid = (r: AgentBenchRow) => !r.skipped && r.sameAnswer;
  for (const row of rows) {
    const m = /^(chain|fanout)-(\d+)$/.exec(row.agent);
    const n = Number(m?.[2]);
    if (!m || !n || !valid(row)) continue;
    const base = rows.find((r) => r.agent === 'chain-0' && r.engine === row.engine && valid(r));
    if (base) out.push({ engine: row.engine, shape: m[1]!, n, us: ((row.median - base.median) * 1000) / n });
  }
  return out;
}

/** The agent, request and component count of a BENCH_AGENT_SHAPES entry. */
function benchAgent(shape: string, kind: ComponentKind): { agent: object; request: BenchRequest; components: number } {
  if (shape === 'linear-utility') {
    const agent = JSON.parse(readFileSync(path.join(SHARED, 'smyth/linear-utility.smyth'), 'utf8')) as { components: unknown[] };
    return { agent, request: { method: 'POST', path: '/api/pipe', body: { message: 'hello world' } }, components: agent.components.length };
  }
  const m = /^(chain|fanout)-(\d+)$/.exec(shape);
  if (!m) throw new Error(`unknown agent shape ${shape}: linear-utility, chain-N or fanout-N`);
  const n = Number(m[2]);
  const agent = m[1] === 'chain' ? chainAgent(n, kind) : fanoutAgent(n, kind);
  return { agent, request: { method: 'POST', path: '/api/pipe', body: { message: 'hello world' } }, components: n + 2 };
}

/**
 * A `.smyth` agent `APIEndpoint(POST /api/pipe, body.message) → n × kind in a line → APIOutput
 * (minimal)`. FEncDec alternates Encode and Decode (hex) so the value stays small; with `n` even the
 * answer is `{result: <message>}`. n = 0 wires the endpoint straight to the output.
 */
export function chainAgent(n: number, kind: ComponentKind): object {
  const middle = Array.from({ length: n }, (_, i) => worker(`C${i + 1}`, kind, i));
  const ids = ['EP', ...middle.map((c) => c.id), 'OUT'];
  const connections = ids.slice(1).map((target, i) => ({ sourceId: ids[i]!, sourceIndex: i === 0 ? 3 : 0, targetId: target, targetIndex: 0 }));
  return agentDocument(`bench-chain-${n}-${kind}`, [endpoint(), ...middle, output()], connections);
}

/**
 * A `.smyth` agent `APIEndpoint(POST /api/pipe, body.message) → n × kind side by side → one APIOutput
 * input` (FEncDec: all Encode), so the output collects n values in wire order.
 */
export function fanoutAgent(n: number, kind: ComponentKind): object {
  const middle = Array.from({ length: n }, (_, i) => worker(`C${i + 1}`, kind, 0));
  const connections = middle.flatMap((c) => [
    { sourceId: 'EP', sourceIndex: 3, targetId: c.id, targetIndex: 0 },
    { sourceId: c.id, sourceIndex: 0, targetId: 'OUT', targetIndex: 0 },
  ]);
  return agentDocument(`bench-fanout-${n}-${kind}`, [endpoint(), ...middle, output()], connections);
}

interface BenchComponent {
  id: string;
  name: string;
  inputs: object[];
  outputs: object[];
  data: Record<string, unknown>;
  displayName: string;
  title: string;
}

const port = (name: string, index: number, inputDefault = false) => ({ name, index, default: inputDefault, color: '#3C89F9' });
const input = (name: string) => ({ name, type: 'Any', optional: false, index: 0, default: false, color: '#F35063' });

function component(id: string, name: string, inputs: object[], outputs: object[], data: Record<string, unknown>): BenchComponent {
  return { id, name, inputs, outputs, data, displayName: name, title: name };
}

function endpoint(): BenchComponent {
  const outputs = [port('headers', 0, true), port('body', 1, true), port('query', 2, true), port('body.message', 3)];
  return component('EP', 'APIEndpoint', [input('message')], outputs, { endpoint: 'pipe', method: 'POST', description: '', ai_exposed: true, advancedModeEnabled: true });
}

function output(): BenchComponent {
  return component('OUT', 'APIOutput', [input('result')], [port('Output', 0, true)], { format: 'minimal' });
}

/** The repeated component; FEncDec's action alternates with `i`. */
function worker(id: string, kind: ComponentKind, i: number): BenchComponent {
  if (kind === 'echo') {
    return component(id, 'PromptGenerator', [input('Input')], [port('Reply', 0, true)], { model: 'Echo', prompt: '{{Input}}', temperature: '1', maxTokens: '1024', passthrough: false });
  }
  return component(id, 'FEncDec', [input('Data')], [port('Output', 0, true)], { action: i % 2 === 0 ? 'Encode' : 'Decode', encoding: 'hex' });
}

function agentDocument(id: string, components: BenchComponent[], connections: object[]): object {
  return { version: '1.0.0', id, name: id, teamId: 'default', components, connections, description: 'generated for bench/agents.ts', behavior: '', ui: {} };
}
