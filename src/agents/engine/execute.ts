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
import { RunError, type CallTrace } from './run-state.ts';
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
    // A branch outlives the run that started it: its own id, budget and no inherited signal.
    fork: async (componentId, input, jobId) => {
      const rest = { ...options };
      delete rest.signal;
      const outcome = await executeRun({ ...rest, runId: newRunId(), fork: { componentId, input, jobId } });
      if (outcome.state !== 'completed') throw new Error(outcome.error ?? 'Async branch failed');
      return outcome.data;
    },
  });
  abort.onAbort = () => run.kill(timedOut ? 'timeout' : 'cancelled');
  if (options.signal?.aborted) onAbort();
  const finish = (status: number, data: unknown, state: RunState, error: string | null): ExecuteOutcome => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    return { runId, status, data, state, error, steps: run.step, calls: run.calls, startedAt, endedAt: Date.now() };
  };
  try {
    const input = options.request.method.toUpperCase() === 'GET' ? options.request.query : options.request.body;
    if (options.fork) run.activate(options.fork.componentId, options.fork.input, null, { asInputs: true });
    else run.start(options.request.path, input);
    const finalResult = await runUntilDone(run, abort);
    if (run.killed) {
      // The deadline may have been seen between waves before the timer could fire.
      const late = timedOut || run.killed === 'timeout';
      const error = late ? `Run timed out after ${timeoutMs} ms` : 'Agent killed';
      return finish(late ? 504 : 499, { error }, late ? 'timeout' : 'cancelled', error);
    }
    if (run.circularLimitReached) {
      const error = `Circular Calls Limit Reached on ${run.circularLimitReached}. Current circular limit is ${options.circularLimit ?? 100}`;
      return finish(500, { error }, 'failed', error);
    }
    const data = await run.postProcess(finalResult);
    const error = (data as { error?: unknown } | null)?.error;
    if (data && typeof data === 'object' && !Array.isArray(data) && error) {
      return finish(500, data, 'failed', typeof error === 'string' ? error : JSON.stringify(error));
    }
    return finish(200, data ?? null, 'completed', null);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const status = error instanceof RunError ? error.status : 500;
    return finish(status, { error: message }, 'failed', message);
  }
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

/** Waves until the result, or until the run is aborted (a wave in flight is not awaited). */
async function runUntilDone(run: AgentRun, abort: LazyAbort): Promise<unknown> {
  if (abort.aborted) return undefined;
  const onAbort = abort.onAbort;
  const aborted = new Promise<undefined>((resolve) => {
    abort.onAbort = () => {
      onAbort?.();
      resolve(undefined);
    };
  });
  return Promise.race([run.runToEnd(), aborted]);
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
