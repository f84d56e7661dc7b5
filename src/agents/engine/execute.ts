/**
 * One skill call from start to answer: compile (cached), start at the APIEndpoint, wave to the end
 * under a timeout and the caller's abort signal, post-process, and shape the HTTP answer the way
 * SmythOS's agent runner does (research/smythos.md §2.6, §5.2): 200 with the result, 500 with
 * `{...result, error, agentId, agentName}` when the result carries `error`, 404 for an unknown skill.
 * Every component call is kept in the outcome for the run record.
 */
import { randomUUID } from 'node:crypto';
import type { CompiledAgent } from './compile.ts';
import { AgentRun } from './run.ts';
import { RunError, type CallTrace, type InjectEntry, type RunObserver, type RunSnapshot, type WaveResult } from './run-state.ts';
import type { EngineServices, RunRequest } from './types.ts';

/** Per-run limits and identity. */
export interface ExecuteOptions {
  agent: CompiledAgent;
  request: RunRequest;
  services: EngineServices;
  /** Agent variables (templated into inputs); defaults to the definition's. */
  variables?: Record<string, unknown>;
  /**
   * Secrets by placeholder token (`KEY(name)`, or a vault-backed variable's name): substituted into
   * components' configuration only, never into inputs (src/agents/runner.ts `splitSecrets`).
   */
  secrets?: Record<string, string>;
  runId?: string;
  /** The whole run's budget (ms); past it the run is killed and answers 504. Default 120 000. */
  timeoutMs?: number;
  /** Cancels the run (the caller went away, or a stop). */
  signal?: AbortSignal;
  /** Calls per component per run (SmythOS: 100). */
  circularLimit?: number;
  /** A forked Async branch: start at this component with this input instead of at an endpoint. */
  fork?: { componentId: string; input: Record<string, unknown>; jobId: string };
  /** The deployed version run (null: the draft); Async jobs run the same one. */
  version?: string | null;
  /** AgentPlugin/Async nesting (0: a caller's own run); Async jobs start one deeper. */
  depth?: number;
  /** Told about every component call (the monitor stream). */
  observer?: RunObserver;
}

/** How a run ended. */
export type RunState = 'completed' | 'failed' | 'cancelled' | 'timeout';

/** The answer and the record of a run. */
export interface ExecuteOutcome {
  runId: string;
  status: number;
  /** The answer as SmythOS's engine gives it (`AgentProcess.run().data`); see {@link responseBody} for HTTP. */
  data: unknown;
  state: RunState;
  error: string | null;
  /** Waves run. */
  steps: number;
  calls: CallTrace[];
  startedAt: number;
  endedAt: number;
}

/** A fresh run id: `run_` and 20 hex characters (from a v4 UUID: Node pools its entropy). */
export function newRunId(): string {
  return `run_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

/**
 * Run `options.request` against `options.agent`. Never throws for anything a request or a component
 * can cause: failures are in the outcome.
 */
export async function executeRun(options: ExecuteOptions): Promise<ExecuteOutcome> {
  const prepared = prepareRun(options);
  const { run, abort } = prepared;
  try {
    const input = options.request.method.toUpperCase() === 'GET' ? options.request.query : options.request.body;
    if (options.fork) run.activate(options.fork.componentId, options.fork.input, null, { asInputs: true });
    else run.start(options.request.path, input);
    const finalResult = await raceAbort(run.runToEnd(), abort);
    return prepared.finish(await settle(run, finalResult, prepared, options));
  } catch (error) {
    return prepared.finish(failure(error));
  }
}

/** One debugger step (research/smythos.md §6): which run, from where, and what to inject. */
export interface WaveOptions extends ExecuteOptions {
  /** Continue this stored run; absent: a new session. */
  snapshot?: RunSnapshot;
  /** A new session starts at the skill's endpoint unless false (an injected session starts where it injects). */
  startAtEndpoint?: boolean;
  /** `X-DEBUG-INJ`: the next wave looks at these components only. */
  inject?: InjectEntry[];
  /** The agent's mock data: stubbed outputs for components not injected. */
  mock?: InjectEntry[];
}

/** What one step did: the wave, and once the run is over its answer as {@link executeRun} gives it. */
export interface WaveOutcome {
  runId: string;
  wave: WaveResult;
  /** The run after the wave, to store for the next step. */
  snapshot: RunSnapshot;
  /** Whether the run is over (the answer below is final). */
  closed: boolean;
  /** When closed: the final answer (post-processed `finalResult`); otherwise 200 and null. */
  status: number;
  data: unknown;
  state: RunState | 'open';
  error: string | null;
  calls: CallTrace[];
  startedAt: number;
  endedAt: number;
}

/**
 * Run exactly one wave of a debug session (SmythOS `runCycle` in debug mode): restore the stored run
 * (or start one at the skill's endpoint), apply an injection, run one wave under the run's timeout
 * and the caller's signal, and post-process the result when the run ended. Never throws for what a
 * request or a component can cause.
 */
export async function executeWave(options: WaveOptions): Promise<WaveOutcome> {
  const prepared = prepareRun(options);
  const { run, abort } = prepared;
  const done = (final: Settled, wave: WaveResult, closed: boolean): WaveOutcome => {
    const outcome = prepared.finish(final);
    return { ...outcome, state: closed ? outcome.state : 'open', wave, snapshot: run.snapshot(), closed };
  };
  try {
    if (options.snapshot) run.restore(options.snapshot);
    else if (options.startAtEndpoint !== false) {
      const input = options.request.method.toUpperCase() === 'GET' ? options.request.query : options.request.body;
      run.start(options.request.path, input);
    }
    if (options.mock) run.mock(options.mock);
    if (options.inject) run.inject(options.inject);
    const wave = await raceAbort(run.wave(), abort);
    if (!wave || run.killed) {
      run.closed = true;
      return done(await settle(run, undefined, prepared, options), wave ?? { state: { sessionClosed: true }, sessionClosed: true }, true);
    }
    if (wave.finalResult === undefined && !run.circularLimitReached) return done({ status: 200, data: null, state: 'completed', error: null }, wave, false);
    const final = await settle(run, wave.finalResult, prepared, options);
    return done(final, wave, true);
  } catch (error) {
    run.closed = true;
    return done(failure(error), { state: { sessionClosed: true }, sessionClosed: true }, true);
  }
}

/** A run's answer before timing is added. */
type Settled = Pick<ExecuteOutcome, 'status' | 'data' | 'state' | 'error'>;

/** A run built with its timeout, abort and Async fork wired, and how to finish it. */
interface PreparedRun {
  run: AgentRun;
  abort: LazyAbort;
  runId: string;
  startedAt: number;
  timeoutMs: number;
  timedOut(): boolean;
  finish(settled: Settled): ExecuteOutcome;
}

function prepareRun(options: ExecuteOptions): PreparedRun {
  const startedAt = Date.now();
  const runId = options.runId ?? newRunId();
  const abort = new LazyAbort();
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort(new Error(`Run timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const run = new AgentRun(options.agent, options.request, options.services, {
    runId,
    variables: options.variables ?? options.agent.variables,
    secrets: options.secrets ?? {},
    // Most runs never look at their signal: it is made on first use.
    get signal() {
      return abort.signal;
    },
    circularLimit: options.circularLimit ?? 100,
    ...(options.fork ? { jobId: options.fork.jobId } : {}),
    version: options.version ?? null,
    depth: options.depth ?? 0,
    deadlineAt: startedAt + timeoutMs,
    ...(options.observer ? { observer: options.observer } : {}),
    // A branch outlives the run that started it: its own id, budget and no inherited signal.
    fork: async (componentId, input, jobId) => {
      const rest = { ...options };
      delete rest.signal;
      delete rest.observer;
      const outcome = await executeRun({ ...rest, runId: newRunId(), fork: { componentId, input, jobId } });
      if (outcome.state !== 'completed') throw new Error(outcome.error ?? 'Async branch failed');
      return outcome.data;
    },
  });
  abort.onAbort = () => run.kill(timedOut ? 'timeout' : 'cancelled');
  if (options.signal?.aborted) onAbort();
  return {
    run,
    abort,
    runId,
    startedAt,
    timeoutMs,
    timedOut: () => timedOut,
    finish(settled) {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      return { runId, ...settled, steps: run.step, calls: run.calls, startedAt, endedAt: Date.now() };
    },
  };
}

/** The answer of a run that stopped waving: killed, over the circular limit, or with its result. */
async function settle(run: AgentRun, finalResult: unknown, prepared: PreparedRun, options: ExecuteOptions): Promise<Settled> {
  if (run.killed) {
    // The deadline may have been seen between waves before the timer could fire.
    const late = prepared.timedOut() || run.killed === 'timeout';
    const error = late ? `Run timed out after ${prepared.timeoutMs} ms` : 'Agent killed';
    return { status: late ? 504 : 499, data: { error }, state: late ? 'timeout' : 'cancelled', error };
  }
  if (run.circularLimitReached) {
    const error = `Circular Calls Limit Reached on ${run.circularLimitReached}. Current circular limit is ${options.circularLimit ?? 100}`;
    return { status: 500, data: { error }, state: 'failed', error };
  }
  const data = await run.postProcess(finalResult);
  const error = (data as { error?: unknown } | null)?.error;
  if (data && typeof data === 'object' && !Array.isArray(data) && error) {
    return { status: 500, data, state: 'failed', error: typeof error === 'string' ? error : JSON.stringify(error) };
  }
  return { status: 200, data: data ?? null, state: 'completed', error: null };
}

function failure(error: unknown): Settled {
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof RunError ? error.status : 500;
  return { status, data: { error: message }, state: 'failed', error: message };
}

/**
 * The HTTP body for an outcome, as SmythOS's agent runner sends it (research §2.6): a failed run's
 * object answer gains `agentId` and `agentName`; anything else is the data as is.
 */
export function responseBody(outcome: ExecuteOutcome, agent: { id: string; name: string }): unknown {
  const data = outcome.data;
  if (outcome.status >= 500 && data && typeof data === 'object' && !Array.isArray(data)) return { ...data, agentId: agent.id, agentName: agent.name };
  return data;
}

/** `work`, or undefined as soon as the run is aborted (work in flight is not awaited). */
async function raceAbort<T>(work: Promise<T>, abort: LazyAbort): Promise<T | undefined> {
  if (abort.aborted) return undefined;
  const onAbort = abort.onAbort;
  const aborted = new Promise<undefined>((resolve) => {
    abort.onAbort = () => {
      onAbort?.();
      resolve(undefined);
    };
  });
  return Promise.race([work, aborted]);
}

/** An abort whose AbortController exists only once someone asks for its signal. */
class LazyAbort {
  private controller: AbortController | undefined;
  private reason: unknown;
  aborted = false;
  /** Called once, when the run is aborted. */
  onAbort: (() => void) | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    this.onAbort?.();
  }
}
