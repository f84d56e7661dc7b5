/**
 * The debugger (issue 11; research/smythos.md §6): debug sessions stepped a wave at a time, read,
 * injected into and stopped; live debug, which holds a plain call until its owner has stepped it to the
 * end; and the plain runs the smart router sends here (`X-MONITOR-ID`, `X-DEBUG-SKIP`, `X-FORCE-DEBUGGER`).
 *
 * Where Orrery differs from the original, on purpose (research §11.4-5):
 * - a session's whole state — the run, its accumulated results, its calls — is in the database after
 *   every step, so any instance serves any step and no sticky routing is needed;
 * - a held live call waits on the event bus for its session to close, so the step that finishes it
 *   may run on another instance;
 * - only the agent's owner (or an admin) may debug it, read its sessions or stop them; anyone else
 *   learns nothing about them (a session of another agent is the same as no session);
 * - a step claims its session, so two steps never interleave, and a stop closes the session in the
 *   database: a step still running when the stop arrives cannot write it back, and no wave follows.
 * Knows nothing about HTTP: src/agents/runner-routes.ts maps requests onto {@link DebuggerService.handle}.
 */
import { randomBytes } from 'node:crypto';
import type { CallTrace, InjectEntry, RunSnapshot } from '../agents/engine/run-state.ts';
import { newRunId } from '../agents/engine/execute.ts';
import type { AgentRunner, DebugWaveOutcome, SkillAnswer, SkillCall } from '../agents/runner.ts';
import type { LoadedAgent } from '../agents/service.ts';
import type { RunRequest } from '../agents/engine/types.ts';
import type { Clock } from '../lib/clock.ts';
import { waitOnBus, type EventBus } from '../rooms/event-bus.ts';
import { readState } from './read-state.ts';
import type { DebuggerStore, SessionRow } from './store.ts';
import type { DebugCall, MonitorHub, RunMonitor } from './types.ts';

/** Limits of debug sessions (config: `DEBUG_*`). */
export interface DebuggerOptions {
  /** An open session lives this long after its last step, ms (at least 10 minutes; default 1 h). */
  sessionTtlMs: number;
  /** A closed session stays readable this long, ms (default 5 minutes). */
  closedTtlMs: number;
  /** How long a live call is held before it is answered `Debug Session Expired`, ms (default 1 h). */
  liveHoldMs: number;
  /** One wave's budget, ms (the runner's run timeout). */
  stepTimeoutMs: number;
}

/** What the debugger needs. */
export interface DebuggerDeps {
  store: DebuggerStore;
  runner: Pick<AgentRunner, 'debugAccess' | 'load' | 'runWave' | 'recordDebugRun' | 'runLoaded'>;
  /** Monitor streams; absent: `X-MONITOR-ID` is ignored. */
  monitors?: MonitorHub;
  bus: EventBus;
  clock: Clock;
  options: DebuggerOptions;
}

/** Who asks for something that is not a skill call (the held session, the monitor). */
export interface DebugCaller {
  userId?: string | undefined;
  admin?: boolean | undefined;
}

/** A step's answer (research §6.3 "Step"). */
interface StepAnswer {
  state: unknown;
  dbgSession: string | null;
  sessionResult?: boolean;
  sessionResults?: unknown[];
  errorResults?: unknown[];
  sessionClosed: boolean;
  step?: number;
  finalResult?: unknown;
  /** The HTTP status a plain call would have answered with `finalResult` (Orrery's addition). */
  finalStatus?: number;
  expiredDbgSession?: string;
  newState?: unknown;
}

/** The request a session debugs, as stored (uploads as base64). */
interface StoredRequest {
  request: Omit<RunRequest, 'files'> & { files?: { fieldname: string; filename: string; mimetype: string; data: string }[] };
  callerId: string | null;
  callerAdmin: boolean;
  correlationId: string;
  startedAt: number;
}

/** A call as kept between steps: the values are in the JSON texts. */
type StoredCall = Omit<CallTrace, 'input' | 'output'>;

const BUSY_MARGIN_MS = 5_000;
/** A held call re-reads its session at least this often, in case a bus notification was lost, ms. */
const HOLD_RECHECK_MS = 30_000;

const STOPPED = { status: 400, body: { error: 'Debug Session Stopped' } };
const INTERRUPTED = { status: 400, body: { error: 'Debug session interrupted by another request' } };
const EXPIRED = { status: 408, body: { error: 'Debug Session Expired' } };
const CALLER_LEFT = { status: 499, body: { error: 'The held call was closed by its caller' } };

/** A session id: `dbg-` or `inj-` (SmythOS's prefixes) and 80 random bits as 20 hex digits. */
function newSessionId(prefix: 'dbg' | 'inj'): string {
  return `${prefix}-${randomBytes(10).toString('hex')}`;
}

/** What a stepping or reading answer says about a session that is over or was never there. */
function expired(id: string): StepAnswer {
  return { state: { sessionClosed: true }, dbgSession: null, expiredDbgSession: id, sessionClosed: true };
}

/** `InjectEntry[]` from a request body, or the reason it is not one. */
function parseInjection(body: unknown): InjectEntry[] | string {
  if (!Array.isArray(body)) return 'X-DEBUG-INJ takes a JSON array body: [{"id": "<componentId>", "ctx": {"active": true, "input": {…}, "output": {…}}}]';
  const out: InjectEntry[] = [];
  for (const [i, entry] of body.entries()) {
    const e = entry as { id?: unknown; ctx?: unknown } | null;
    if (!e || typeof e.id !== 'string' || !e.ctx || typeof e.ctx !== 'object' || Array.isArray(e.ctx)) return `X-DEBUG-INJ body[${i}] must be {"id": string, "ctx": object}`;
    const ctx = e.ctx as Record<string, unknown>;
    for (const key of ['input', 'output'] as const) {
      if (ctx[key] !== undefined && (typeof ctx[key] !== 'object' || ctx[key] === null || Array.isArray(ctx[key]))) return `X-DEBUG-INJ body[${i}].ctx.${key} must be an object`;
    }
    out.push({
      id: e.id,
      ctx: {
        ...(ctx.active !== undefined ? { active: ctx.active === true } : {}),
        ...(ctx.input ? { input: ctx.input as Record<string, unknown> } : {}),
        ...(ctx.output ? { output: ctx.output as Record<string, unknown> } : {}),
        ...(typeof ctx.status === 'string' ? { status: ctx.status } : {}),
      },
    });
  }
  return out;
}

/** The agent's mock data (`{componentId: {data: {outputs}}}`) as stubbed outputs (SmythOS `getMockData`). */
function mockEntries(mock: Record<string, unknown> | null): InjectEntry[] | undefined {
  if (!mock) return undefined;
  const out: InjectEntry[] = [];
  for (const [id, value] of Object.entries(mock)) {
    const outputs = (value as { data?: { outputs?: unknown } } | null)?.data?.outputs;
    if (outputs && typeof outputs === 'object' && !Array.isArray(outputs) && Object.keys(outputs).length > 0) out.push({ id, ctx: { active: false, output: outputs as Record<string, unknown> } });
  }
  return out.length ? out : undefined;
}

function storeRequest(call: SkillCall, startedAt: number): string {
  const { files, ...request } = call.request;
  const stored: StoredRequest = {
    request: { ...request, ...(files ? { files: files.map((f) => ({ ...f, data: f.data.toString('base64') })) } : {}) },
    callerId: call.caller.userId ?? null,
    callerAdmin: !!call.caller.admin,
    correlationId: call.correlationId,
    startedAt,
  };
  return JSON.stringify(stored);
}

function loadRequest(text: string): StoredRequest & { runRequest: RunRequest } {
  const stored = JSON.parse(text) as StoredRequest;
  const { files, ...rest } = stored.request;
  return { ...stored, runRequest: { ...rest, ...(files ? { files: files.map((f) => ({ ...f, data: Buffer.from(f.data, 'base64') })) } : {}) } };
}

function storeCalls(previous: string, calls: CallTrace[]): string {
  const prior = JSON.parse(previous) as StoredCall[];
  // The values are in `inputJson`/`outputJson` already: each is stored once.
  for (const c of calls) prior.push({ ...c, input: undefined, output: undefined } as StoredCall);
  return JSON.stringify(prior);
}

function loadCalls(text: string): CallTrace[] {
  return (JSON.parse(text) as StoredCall[]).map((c) => ({ ...c, input: JSON.parse(c.inputJson) as unknown, output: c.outputJson === null ? undefined : (JSON.parse(c.outputJson) as unknown) }));
}

/** Builds the debugger. */
export function createDebuggerService(deps: DebuggerDeps) {
  const { store, runner, bus, clock, options } = deps;

  const announce = (row: Pick<SessionRow, 'id' | 'agent_id'>) => bus.publish({ kind: 'debug_session', session_id: row.id, agent_id: row.agent_id });

  async function monitorFor(call: DebugCall, loaded: LoadedAgent): Promise<RunMonitor | undefined> {
    if (!deps.monitors || call.debug.monitorIds.length === 0) return undefined;
    return deps.monitors.observe(loaded.agent.id, call.debug.monitorIds, { agentName: loaded.agent.name });
  }

  /** Run `work` reported to `monitor` as one `agent` call (callStart, then callStop with its answer). */
  async function watched<T extends { status: number; body: unknown }>(monitor: RunMonitor | undefined, call: SkillCall, work: () => Promise<T>): Promise<T> {
    if (!monitor) return work();
    const input = call.request.method.toUpperCase() === 'GET' ? call.request.query : call.request.body;
    const startTime = clock.now();
    const eventId = monitor.agentStart({ endpointPath: call.request.path, input, startTime });
    const answer = await work();
    const error = answer.status >= 400 ? ((answer.body as { error?: unknown } | null)?.error ?? `HTTP ${answer.status}`) : undefined;
    monitor.agentStop({ eventId, endpointPath: call.request.path, input, startTime, endTime: clock.now(), ...(error !== undefined ? { error: typeof error === 'string' ? error : JSON.stringify(error) } : { result: answer.body }) });
    // The events are written within MONITOR_FLUSH_MS with others': the answer does not wait for them.
    return answer;
  }

  /** The read answer of session `row` (research §6.3 "Read"). */
  function readOf(row: SessionRow): unknown {
    return readState(JSON.parse(row.snapshot) as RunSnapshot, row.id, row.status === 'open');
  }

  /** The step answer for a wave (research §6.3 "Step"); `finalResult` and `finalStatus` once the run is over. */
  function stepAnswer(id: string, outcome: DebugWaveOutcome): StepAnswer {
    const wave = outcome.wave;
    const closingMarker = (wave.state as { sessionClosed?: boolean } | null)?.sessionClosed === true && !Array.isArray(wave.state);
    return {
      state: wave.state,
      dbgSession: outcome.closed ? null : id,
      sessionResult: outcome.snapshot.sessionResult,
      sessionResults: wave.sessionResults ?? [],
      errorResults: wave.errorResults ?? [],
      sessionClosed: outcome.closed,
      step: outcome.snapshot.step,
      ...(outcome.closed ? { finalResult: outcome.body, finalStatus: outcome.status } : {}),
      ...(closingMarker ? { expiredDbgSession: id } : {}),
    };
  }

  function record(row: Pick<SessionRow, 'id' | 'run_id'>, loaded: LoadedAgent, stored: ReturnType<typeof loadRequest>, calls: CallTrace[], final: { status: number; body: unknown; state: DebugWaveOutcome['state']; error: string | null; steps: number }) {
    runner.recordDebugRun({
      runId: row.run_id,
      sessionId: row.id,
      loaded,
      call: { agentId: loaded.agent.id, version: loaded.version ?? undefined, request: stored.runRequest, caller: { userId: stored.callerId ?? undefined }, correlationId: stored.correlationId },
      calls,
      status: final.status,
      body: final.body,
      state: final.state === 'open' ? 'cancelled' : final.state,
      error: final.error,
      steps: final.steps,
      startedAt: stored.startedAt,
      endedAt: clock.now(),
    });
  }

  /** Start a session (`X-DEBUG-RUN: ""`, `X-DEBUG-INJ: ""`, or a held live call) with its first wave. */
  async function start(loaded: LoadedAgent, call: SkillCall, how: { prefix: 'dbg' | 'inj'; inject?: InjectEntry[]; live?: boolean }): Promise<{ row: SessionRow; answer: StepAnswer } | SkillAnswer> {
    const now = clock.now();
    void store.deleteExpired(now).catch(() => undefined);
    const id = newSessionId(how.prefix);
    const runId = newRunId();
    const mock = mockEntries(loaded.mockData);
    const outcome = await runner.runWave(loaded, call, { runId, startAtEndpoint: how.prefix === 'dbg', ...(how.inject ? { inject: how.inject } : {}), ...(mock ? { mock } : {}) });
    // An unknown skill never becomes a session (SmythOS throws `Endpoint … Not Found` the same way).
    if (outcome.closed && outcome.calls.length === 0 && outcome.status === 404) return { status: 404, body: outcome.body, runId };
    const after = clock.now();
    const row: SessionRow = {
      id,
      agent_id: loaded.agent.id,
      version: loaded.version,
      user_id: call.caller.userId ?? loaded.agent.ownerId,
      run_id: runId,
      request: storeRequest(call, now),
      snapshot: JSON.stringify(outcome.snapshot),
      calls: storeCalls('[]', outcome.calls),
      step: outcome.snapshot.step,
      status: outcome.closed ? 'closed' : 'open',
      answer: outcome.closed ? JSON.stringify({ status: outcome.status, body: outcome.body }) : null,
      live: how.live ? 1 : 0,
      busy_until: null,
      created_at: now,
      updated_at: after,
      expires_at: after + (outcome.closed ? options.closedTtlMs : Math.max(options.sessionTtlMs, how.live ? options.liveHoldMs : 0)),
    };
    await store.insertSession(row);
    if (outcome.closed) record(row, loaded, loadRequest(row.request), outcome.calls, { ...outcome, steps: outcome.snapshot.step });
    return { row, answer: stepAnswer(id, outcome) };
  }

  /** One wave of the session `id` (`X-DEBUG-RUN: <id>`, `X-DEBUG-INJ: <id>`). */
  async function step(loaded: LoadedAgent, id: string, call: DebugCall, inject?: InjectEntry[]): Promise<SkillAnswer> {
    const now = clock.now();
    const row = await store.claimSession(id, loaded.agent.id, now, now + options.stepTimeoutMs + BUSY_MARGIN_MS);
    if (!row) {
      const other = await sessionOf(id, loaded.agent.id);
      if (other?.status === 'open') return { status: 409, body: { error: 'Debug session busy: another step of it is running' }, runId: other.run_id };
      return { status: 200, body: expired(id), ...(other ? { runId: other.run_id } : {}) };
    }
    // A session goes on with the version it started on, whatever this call's path or headers say.
    if (row.version !== loaded.version) {
      const reloaded = await runner.debugAccess({ ...call, version: row.version ?? undefined });
      if ('status' in reloaded) {
        await store.releaseSession(row.id);
        return { status: 200, body: expired(id) };
      }
      loaded = reloaded;
    }
    const stored = loadRequest(row.request);
    const sessionCall: SkillCall = { ...call, request: stored.runRequest };
    let outcome: DebugWaveOutcome;
    try {
      const mock = mockEntries(loaded.mockData);
      outcome = await runner.runWave(loaded, sessionCall, { runId: row.run_id, snapshot: JSON.parse(row.snapshot) as RunSnapshot, ...(inject ? { inject } : {}), ...(mock ? { mock } : {}) });
    } catch (error) {
      await store.releaseSession(row.id);
      throw error;
    }
    const after = clock.now();
    const calls = storeCalls(row.calls, outcome.calls);
    const saved = await store.saveStep(row.id, {
      snapshot: JSON.stringify(outcome.snapshot),
      calls,
      step: outcome.snapshot.step,
      status: outcome.closed ? 'closed' : 'open',
      answer: outcome.closed ? JSON.stringify({ status: outcome.status, body: outcome.body }) : null,
      updated_at: after,
      expires_at: after + (outcome.closed ? options.closedTtlMs : Math.max(options.sessionTtlMs, row.live ? row.expires_at - after : 0)),
    });
    // Stopped while this wave ran: the stop stands, and this wave's work is not kept.
    if (!saved) return { status: 200, body: expired(row.id), runId: row.run_id };
    if (outcome.closed) {
      record(row, loaded, stored, loadCalls(calls), { ...outcome, steps: outcome.snapshot.step });
      announce(row);
    }
    const answer = stepAnswer(row.id, outcome);
    if (call.includeNewState) {
      const fresh = await store.findSession(row.id);
      if (fresh) answer.newState = readOf(fresh);
    }
    return { status: 200, body: answer, runId: row.run_id };
  }

  /** The session `id` when it belongs to `agentId` and has not expired; a session of another agent is none. */
  async function sessionOf(id: string, agentId: string): Promise<SessionRow | undefined> {
    const row = await store.findSession(id);
    if (!row || row.agent_id !== agentId || row.expires_at <= clock.now()) return undefined;
    return row;
  }

  /** Close session `row` with `answer` (stop, interruption, expiry), record it, wake whoever holds it. */
  async function close(row: SessionRow, answer: { status: number; body: unknown }, loaded?: LoadedAgent): Promise<boolean> {
    const now = clock.now();
    if (!(await store.closeSession(row.id, JSON.stringify(answer), now, now + options.closedTtlMs))) return false;
    announce(row);
    if (loaded) {
      const snapshot = JSON.parse(row.snapshot) as RunSnapshot;
      const error = (answer.body as { error?: string }).error ?? null;
      record(row, loaded, loadRequest(row.request), loadCalls(row.calls), { status: answer.status, body: answer.body, state: 'cancelled', error, steps: snapshot.step });
    }
    return true;
  }

  /** A debug operation of `call` on an agent the caller may debug. */
  async function operate(loaded: LoadedAgent, call: DebugCall): Promise<SkillAnswer> {
    const { debug } = call;
    const agentId = loaded.agent.id;
    if (debug.read) {
      const row = await sessionOf(debug.read, agentId);
      if (!row) return { status: 200, body: { ...expired(debug.read), state: {} } };
      return { status: 200, body: readOf(row), runId: row.run_id };
    }
    if (debug.stop) {
      const row = await sessionOf(debug.stop, agentId);
      if (!row || !(await close(row, STOPPED, loaded))) return { status: 200, body: { success: false, ...expired(debug.stop) } };
      return { status: 200, body: { success: true, dbgSession: null, sessionClosed: true }, runId: row.run_id };
    }
    let inject: InjectEntry[] | undefined;
    let id: string | undefined;
    if (debug.inject !== undefined) {
      const parsed = parseInjection(call.rawBody);
      if (typeof parsed === 'string') return { status: 400, body: { error: parsed } };
      inject = parsed;
      id = debug.inject || undefined;
    } else id = debug.run || undefined;
    if (id) return step(loaded, id, call, inject);
    const started = await start(loaded, call, { prefix: inject ? 'inj' : 'dbg', ...(inject ? { inject } : {}) });
    if ('status' in started) return started;
    if (call.includeNewState) started.answer.newState = readOf(started.row);
    return { status: 200, body: started.answer, runId: started.row.run_id };
  }

  const service = {
    /** Answer a call the smart router sent to the debugger (a debug operation, or a plain run). */
    async handle(call: DebugCall): Promise<SkillAnswer> {
      const { debug } = call;
      const operation = debug.read || debug.stop || debug.inject !== undefined || debug.run !== undefined;
      if (!operation) {
        // A plain run here (X-MONITOR-ID, X-DEBUG-SKIP, X-FORCE-DEBUGGER): skill access as usual.
        const loaded = await runner.load(call);
        if ('status' in loaded) return loaded;
        const monitor = await monitorFor(call, loaded);
        return watched(monitor, call, () => runner.runLoaded(loaded, { ...call, ...(monitor ? { observer: monitor } : {}), skipLiveDebug: debug.skip !== undefined }));
      }
      const loaded = await runner.debugAccess(call);
      if ('status' in loaded) return loaded;
      const monitor = await monitorFor(call, loaded);
      return watched(monitor, call, () => operate(loaded, monitor ? { ...call, observer: monitor } : call));
    },

    /**
     * Hold a plain call of a debug-enabled agent's draft as a live session (research §6.6): its first
     * wave runs now; the call is answered when the session ends — with the final result when stepped
     * to the end, 400 when stopped or interrupted by a newer live call, 408 when the hold expires.
     */
    async holdLive(loaded: LoadedAgent, call: SkillCall): Promise<SkillAnswer> {
      const started = await start(loaded, call, { prefix: 'dbg', live: true });
      if ('status' in started) return started;
      const { row } = started;
      if (row.status === 'closed') return { ...(JSON.parse(row.answer!) as { status: number; body: unknown }), runId: row.run_id };
      for (const older of await store.listLiveSessions(loaded.agent.id, clock.now())) {
        if (older.id === row.id) continue;
        const olderRow = await store.findSession(older.id);
        if (olderRow) await close(olderRow, INTERRUPTED, loaded);
      }
      const deadline = clock.now() + options.liveHoldMs;
      for (;;) {
        const current = await store.findSession(row.id);
        if (!current) return { ...EXPIRED, runId: row.run_id };
        if (current.status === 'closed') return { ...(JSON.parse(current.answer!) as { status: number; body: unknown }), runId: row.run_id };
        const left = deadline - clock.now();
        if (left <= 0) {
          await close(current, EXPIRED, loaded);
          continue;
        }
        if (call.signal?.aborted) {
          await close(current, CALLER_LEFT, loaded);
          return { ...CALLER_LEFT, runId: row.run_id };
        }
        await waitOnBus(bus, (n) => n.kind === 'debug_session' && n.session_id === row.id, Math.min(left, HOLD_RECHECK_MS), call.signal);
      }
    },

    /**
     * The live session held for `agentId` (`GET /agent/:agentId/debugSession`): `{dbgSession}`, or `{}`
     * when none; 401 anonymous, 404 for anyone but the owner or an admin.
     */
    async liveSession(agentId: string, caller: DebugCaller): Promise<SkillAnswer> {
      const access = await service.canDebug(agentId, caller);
      if (access === 'unauthorized') return { status: 401, body: { error: 'Debugging requires authentication' } };
      if (access === 'not_found') return { status: 404, body: { error: 'Agent not found' } };
      const [latest] = await store.listLiveSessions(agentId, clock.now());
      return { status: 200, body: latest ? { dbgSession: latest.id } : {} };
    },

    /** Whether `caller` may debug `agentId` (its owner or an admin). */
    async canDebug(agentId: string, caller: DebugCaller): Promise<'ok' | 'unauthorized' | 'not_found'> {
      const loaded = await runner.debugAccess({ agentId, caller, request: { method: 'GET', path: '/api/', body: {}, query: {}, headers: {} } });
      if (!('status' in loaded)) return 'ok';
      return loaded.refused === 'unauthorized' ? 'unauthorized' : 'not_found';
    },
  };
  return service;
}

/** The debugger's API. */
export type DebuggerService = ReturnType<typeof createDebuggerService>;
