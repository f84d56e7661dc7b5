/**
 * The agent runner (issue 10 §4, research/smythos.md §5): one skill call — load the agent (draft,
 * deployed version or latest), check who may call it, resolve its vault keys into the variables, run
 * the engine, record the run and every component call, and answer the way SmythOS's runner does.
 * Knows nothing about HTTP: `runner-routes.ts` maps requests onto {@link AgentRunner.runSkill}.
 */
import type { AgentMemory, OutboundHttpPolicy } from './engine/component.ts';
import { compileAgent, type CompiledAgent } from './engine/compile.ts';
import { executeRun, executeWave, newRunId, responseBody, type ExecuteOutcome, type WaveOptions, type WaveOutcome } from './engine/execute.ts';
import type { CallTrace, RunObserver } from './engine/run-state.ts';
import type { AsyncBranch, AsyncBranches, EngineServices, RunRequest, SkillSubCall } from './engine/types.ts';
import { builtinComponents } from './components/index.ts';
import type { AgentsService, LoadedAgent } from './service.ts';
import type { CallRecord, RunRecord } from './types.ts';

/** Who is calling a skill. */
export interface SkillCaller {
  /** A signed-in Orrery user (session or access token). */
  userId?: string | undefined;
  admin?: boolean | undefined;
  /** A bearer that is not an Orrery credential: compared with the agent's vault key. */
  bearer?: string | undefined;
}

/** One skill call. */
export interface SkillCall {
  agentId: string;
  /** `1.2`, `latest`, or undefined for the draft. */
  version?: string | undefined;
  request: RunRequest;
  caller: SkillCaller;
  correlationId: string;
  signal?: AbortSignal;
  /** The run whose AgentPlugin call made this one. */
  parentRunId?: string;
  /** How many AgentPlugin calls deep this call is (0: a caller's own). */
  depth?: number;
  /** Told about every component call (a monitor, src/debugger). */
  observer?: RunObserver;
  /** Never hold this call for live debug (`X-DEBUG-SKIP`). */
  skipLiveDebug?: boolean;
}

/** Deepest chain of agents calling agents (AgentPlugin) before a call is refused. */
export const MAX_AGENT_CALL_DEPTH = 8;

/** The answer: status, body (JSON value or text) and the run's id when a run happened. */
export interface SkillAnswer {
  status: number;
  body: unknown;
  runId?: string;
  /** Why there was no run: the agent or version does not exist, or the caller may not run it. */
  refused?: 'no_agent' | 'no_version' | 'unauthorized' | 'forbidden';
}

/** What the runner needs. */
export interface AgentRunnerDeps {
  agents: Pick<AgentsService, 'loadForRun' | 'checkSkillAccess' | 'resolveKeys' | 'memoryFor' | 'recordRun'>;
  /** The model router (src/llm/models.ts). */
  generate: EngineServices['generate'];
  http: OutboundHttpPolicy;
  /** Per-run budget, ms. */
  runTimeoutMs: number;
  async?: AsyncBranches;
  /**
   * Live debug (src/debugger): a plain call of the draft of an agent whose owner switched debugging on
   * is handed over here and held as a debug session. Read at call time, so it may be set after the
   * runner is built (the debugger is built on the runner).
   */
  liveDebug?: { current?: LiveDebugHold };
}

/** Holds a plain call as a live debug session and resolves to its answer once the session ends. */
export type LiveDebugHold = (loaded: LoadedAgent, call: SkillCall) => Promise<SkillAnswer>;

/** One wave of a debug session, as the debugger asks for it (src/debugger/service.ts). */
export interface DebugWave {
  runId: string;
  /** The stored run to continue; absent: a new session. */
  snapshot?: WaveOptions['snapshot'];
  /** A new session starts at the skill's endpoint unless false (an injected session). */
  startAtEndpoint?: boolean;
  inject?: WaveOptions['inject'];
  mock?: WaveOptions['mock'];
}

/** What a debug wave did, with the HTTP body a plain call would have answered once the run is over. */
export interface DebugWaveOutcome extends WaveOutcome {
  /** When closed: the final answer's body, shaped as {@link AgentRunner.runSkill} shapes it. */
  body: unknown;
}

/** A finished debug session, recorded as a run with its `debug_session_id`. */
export interface DebugRunRecord {
  runId: string;
  sessionId: string;
  call: SkillCall;
  loaded: LoadedAgent;
  calls: CallTrace[];
  status: number;
  body: unknown;
  state: ExecuteOutcome['state'];
  error: string | null;
  steps: number;
  startedAt: number;
  endedAt: number;
}

/** The runner's API. */
export interface AgentRunner {
  /** Run one skill; never throws for what a caller or an agent can cause. */
  runSkill(call: SkillCall): Promise<SkillAnswer>;
  /**
   * Whether `call` would be refused before running (no agent, no version, no access): the refusal,
   * or undefined. Lets the HTTP layer refuse before it reads a large (multipart) body.
   */
  refusal(call: Pick<SkillCall, 'agentId' | 'version' | 'caller' | 'request'>): Promise<SkillAnswer | undefined>;
  /**
   * Run an Async branch to its end (a queue worker's job, src/agents/async-jobs.ts); resolves to its
   * answer. @throws Error when the agent is gone or the branch does not complete (the job fails)
   */
  runFork(branch: AsyncBranch, jobId: string, signal: AbortSignal): Promise<unknown>;
  /**
   * The agent for a debugger call, when the caller may debug it (its owner or an admin: research
   * §11.4, the original checks nobody), or the refusal: 401 anonymous, 404 anyone else (the agent's
   * existence is not revealed).
   */
  debugAccess(call: Pick<SkillCall, 'agentId' | 'version' | 'caller' | 'request'>): Promise<LoadedAgent | SkillAnswer>;
  /** {@link runSkill} for an agent {@link load} has already loaded and let the caller run. */
  runLoaded(loaded: LoadedAgent, call: SkillCall): Promise<SkillAnswer>;
  /** The agent for a plain call (skill access as {@link runSkill}), or the refusal. */
  load(call: Pick<SkillCall, 'agentId' | 'version' | 'caller' | 'request'>): Promise<LoadedAgent | SkillAnswer>;
  /** Run one wave of a debug session of `loaded`; never throws for what a call or an agent can cause. */
  runWave(loaded: LoadedAgent, call: SkillCall, wave: DebugWave): Promise<DebugWaveOutcome>;
  /** Record a finished debug session as a run (`agent_runs.debug_session_id`). */
  recordDebugRun(record: DebugRunRecord): void;
}

const KEY_REFERENCE = /^{{KEY\((.+)\)}}$/;

/**
 * Splits an agent's variables for a run into the plain ones (templated into inputs, as SmythOS does)
 * and the secrets: every vault key as `KEY(name)`, and each variable whose value is `{{KEY(name)}}`
 * under its own name. Secrets fill placeholders of a component's configuration only, never values that
 * came from a request, so a caller cannot template `{{KEY(x)}}` into an answer (SmythOS's variables
 * can be read that way; Orrery's cannot).
 */
export function splitSecrets(variables: Record<string, unknown>, keys: Record<string, string>): { variables: Record<string, unknown>; secrets: Record<string, string> } {
  const names = Object.keys(keys);
  if (names.length === 0 && !Object.values(variables).some((v) => typeof v === 'string' && KEY_REFERENCE.test(v.trim()))) {
    return { variables, secrets: {} };
  }
  const secrets: Record<string, string> = {};
  for (const name of names) secrets[`KEY(${name})`] = keys[name]!;
  const plain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(variables)) {
    const match = typeof value === 'string' ? KEY_REFERENCE.exec(value.trim()) : null;
    if (!match) plain[name] = value;
    else if (keys[match[1]!] !== undefined) secrets[name] = keys[match[1]!]!;
  }
  return { variables: plain, secrets };
}

/** Builds the runner. */
export function createAgentRunner(deps: AgentRunnerDeps): AgentRunner {
  const { agents } = deps;

  function record(call: SkillCall, loaded: LoadedAgent, outcome: Pick<ExecuteOutcome, 'runId' | 'state' | 'error' | 'status' | 'steps' | 'startedAt' | 'endedAt' | 'calls'>, body: unknown, debugSessionId: string | null = null) {
    const run: RunRecord = {
      id: outcome.runId,
      agentId: loaded.agent.id,
      version: loaded.version,
      method: call.request.method.toUpperCase(),
      skill: call.request.path,
      status: outcome.state,
      input: { body: call.request.body, query: call.request.query },
      result: body,
      error: outcome.error,
      httpStatus: outcome.status,
      callerId: call.caller.userId ?? null,
      correlationId: call.correlationId,
      parentRunId: call.parentRunId ?? null,
      debugSessionId,
      steps: outcome.steps,
      startedAt: outcome.startedAt,
      endedAt: outcome.endedAt,
    };
    const calls: CallRecord[] = outcome.calls.map((c) => ({
      runId: outcome.runId,
      seq: c.seq,
      componentId: c.componentId,
      componentName: c.componentName,
      title: c.title ?? null,
      step: c.step + 1,
      sourceId: c.sourceId,
      input: c.input,
      output: c.output,
      inputJson: c.inputJson,
      outputJson: c.outputJson,
      error: c.error,
      startedAt: c.startedAt,
      endedAt: c.endedAt,
      logs: c.logs,
    }));
    agents.recordRun(run, calls);
  }

  /** What a run of `loaded` for `call` is given besides its request: services, secrets, limits. */
  async function runContext(loaded: LoadedAgent, call: SkillCall, runId: string) {
    const compiled: CompiledAgent = compileAgent(loaded.definition, builtinComponents);
    const agent = { ...compiled, id: loaded.agent.id, name: loaded.agent.name };
    const keys = await agents.resolveKeys(loaded.agent.id);
    const memory: AgentMemory = agents.memoryFor(loaded.agent.id);
    const depth = call.depth ?? 0;
    // AgentPlugin: the other agent runs as this agent's owner, one level deeper.
    const callSkill = async (sub: SkillSubCall): Promise<{ status: number; data: unknown }> => {
      if (depth + 1 > MAX_AGENT_CALL_DEPTH) return { status: 508, data: { error: `Agent calls nested deeper than ${MAX_AGENT_CALL_DEPTH}` } };
      const get = sub.method.toUpperCase() === 'GET';
      const answer = await runner.runSkill({
        agentId: sub.agentId,
        version: sub.version,
        request: { method: get ? 'GET' : 'POST', path: `/api/${sub.endpoint}`, body: get ? {} : sub.body, query: get ? sub.body : {}, headers: {} },
        caller: { userId: loaded.agent.ownerId },
        correlationId: call.correlationId,
        signal: sub.signal,
        parentRunId: runId,
        depth: depth + 1,
      });
      return { status: answer.status, data: answer.body };
    };
    return {
      agent,
      options: {
        agent,
        request: call.request,
        services: { memory, http: deps.http, generate: deps.generate, callSkill, ...(deps.async ? { async: deps.async } : {}) },
        ...splitSecrets(compiled.variables, keys),
        runId,
        version: loaded.version,
        timeoutMs: deps.runTimeoutMs,
        depth,
        ...(call.signal ? { signal: call.signal } : {}),
        ...(call.observer ? { observer: call.observer } : {}),
      },
    };
  }

  /** Run `loaded` for `call` (or the Async branch `fork` of it), record it, shape the answer. */
  async function execute(loaded: LoadedAgent, call: SkillCall, fork?: { componentId: string; input: Record<string, unknown>; jobId: string }): Promise<{ answer: SkillAnswer; outcome: ExecuteOutcome }> {
    const { agent, options } = await runContext(loaded, call, newRunId());
    const outcome = await executeRun({ ...options, ...(fork ? { fork } : {}) });
    const body = responseBody(outcome, agent);
    record(call, loaded, outcome, body);
    return { answer: { status: outcome.status, body, runId: outcome.runId }, outcome };
  }

  /** The agent (and version) `call` names, or the 404/500 answer saying there is none to run. */
  async function find(call: Pick<SkillCall, 'agentId' | 'version' | 'request'>): Promise<LoadedAgent | SkillAnswer> {
    let loaded: Awaited<ReturnType<typeof agents.loadForRun>>;
    try {
      loaded = await agents.loadForRun(call.agentId, call.version);
    } catch {
      // A stored document that no longer imports: its problems are its owner's business (GET /api/agents/:id).
      return { status: 500, body: { error: 'This agent cannot be loaded; its owner can see why' } };
    }
    if ('notFound' in loaded) {
      if (loaded.notFound === 'version') return { status: 404, body: { error: `Agent version ${call.version} Not Found` }, refused: 'no_version' };
      return { status: 404, body: { error: `${call.request.path} Not Found` }, refused: 'no_agent' };
    }
    return loaded;
  }

  /** The agent for `call` once the caller may run it, or the answer refusing it. */
  async function load(call: Pick<SkillCall, 'agentId' | 'version' | 'caller' | 'request'>): Promise<LoadedAgent | SkillAnswer> {
    const loaded = await find(call);
    if ('status' in loaded) return loaded;
    const access = await agents.checkSkillAccess(loaded.agent, call.caller);
    if (access === 'unauthorized') return { status: 401, body: { error: 'This agent requires authentication' }, refused: 'unauthorized' };
    if (access === 'forbidden') return { status: 403, body: { error: 'You do not have access to this agent' }, refused: 'forbidden' };
    return loaded;
  }

  const runner: AgentRunner = {
    async runSkill(call: SkillCall): Promise<SkillAnswer> {
      const loaded = await load(call);
      if ('status' in loaded) return loaded;
      return runner.runLoaded(loaded, call);
    },

    async runLoaded(loaded, call) {
      const hold = deps.liveDebug?.current;
      // Live debug holds callers' own calls of the draft; nested calls (AgentPlugin) run through.
      if (hold && loaded.agent.debugEnabled && loaded.version === null && !call.skipLiveDebug && !call.depth) return hold(loaded, call);
      return (await execute(loaded, call)).answer;
    },

    load,

    async debugAccess(call) {
      if (!call.caller.userId) return { status: 401, body: { error: 'Debugging requires authentication' }, refused: 'unauthorized' };
      const loaded = await find(call);
      if ('status' in loaded) return loaded;
      if (loaded.agent.ownerId !== call.caller.userId && !call.caller.admin) return { status: 404, body: { error: `${call.request.path} Not Found` }, refused: 'forbidden' };
      return loaded;
    },

    async runWave(loaded, call, wave) {
      const { agent, options } = await runContext(loaded, call, wave.runId);
      const outcome = await executeWave({
        ...options,
        ...(wave.snapshot ? { snapshot: wave.snapshot } : {}),
        ...(wave.startAtEndpoint !== undefined ? { startAtEndpoint: wave.startAtEndpoint } : {}),
        ...(wave.inject ? { inject: wave.inject } : {}),
        ...(wave.mock ? { mock: wave.mock } : {}),
      });
      return { ...outcome, body: outcome.closed ? responseBody(outcome as unknown as ExecuteOutcome, agent) : null };
    },

    recordDebugRun(r) {
      record(r.call, r.loaded, { runId: r.runId, state: r.state, error: r.error, status: r.status, steps: r.steps, startedAt: r.startedAt, endedAt: r.endedAt, calls: r.calls }, r.body, r.sessionId);
    },

    async refusal(call) {
      const loaded = await load(call);
      return 'status' in loaded ? loaded : undefined;
    },

    async runFork(branch, jobId, signal) {
      if (branch.depth + 1 > MAX_AGENT_CALL_DEPTH) throw new Error(`Async branches and agent calls nested deeper than ${MAX_AGENT_CALL_DEPTH}`);
      const loaded = await agents.loadForRun(branch.agentId, branch.version ?? undefined);
      if ('notFound' in loaded) throw new Error(`agent ${branch.agentId}${branch.version ? ` version ${branch.version}` : ''} no longer exists`);
      const call: SkillCall = {
        agentId: branch.agentId,
        version: branch.version ?? undefined,
        request: { method: 'POST', path: `/api/${branch.componentId}`, body: branch.input, query: {}, headers: {} },
        caller: { userId: loaded.agent.ownerId },
        correlationId: jobId,
        signal,
        // A branch runs one level deeper than the run that started it: Async cannot reset the bound.
        depth: branch.depth + 1,
      };
      const { outcome } = await execute(loaded, call, { componentId: branch.componentId, input: branch.input, jobId });
      if (outcome.state !== 'completed') throw new Error(outcome.error ?? `Async branch ${jobId} ended ${outcome.state}`);
      return outcome.data;
    },
  };
  return runner;
}
