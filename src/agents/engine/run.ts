/**
 * The wave engine (research/smythos.md §2.2-2.6, corrected by §13): a run is a loop of waves; in each
 * wave every active, ready component runs in parallel; what it outputs activates the components its
 * outputs connect to, for the next wave. The rules SmythOS's engine follows, and Orrery keeps:
 * - no value, no activation: an output whose value is undefined carries nothing;
 * - fan-in: a component waits (`status: 'waiting'`) while a required, connected input is missing;
 *   partial inputs persist between waves, and several values on one input merge in wire order;
 * - errors: a throw becomes `_error`; `_error` wired to a handler marks the error handled and it is
 *   dropped from the final result; an output carrying `error` stops its branch;
 * - a component may be called at most `circularLimit` (100) times per run;
 * - the result is the leaf results of every wave (plus error results), de-duplicated by component
 *   and post-processed by their components; a single entry is returned unwrapped.
 * Unlike SmythOS there is no sleep between waves and no polling for readiness: the next wave starts
 * as soon as the previous one's promises settle.
 *
 * Glossary: a *run* is one skill call; a *wave* (SmythOS: run cycle, debugger: step) is one round of
 * parallel component calls; a *call* is one component's process() within a wave.
 */
import { randomUUID } from 'node:crypto';
import type { ComponentContext, ComponentData, ComponentLog, ComponentOutput, LeafResult, RunHandle } from './component.ts';
import type { CompiledAgent, CompiledComponent } from './compile.ts';
import { jsonExpression, parseTemplate } from './template.ts';
import { CallContext, configErrorOf, snapshotJson, withSecrets } from './call.ts';
import { RunError, type CallEvent, type CallTrace, type ComponentState, type InjectEntry, type RunObserver, type RunSnapshot, type RuntimeData, type WaveResult } from './run-state.ts';
import { createInProcessAsyncBranches } from './async-branches.ts';
import { inferInputTypes } from './type-inference.ts';
import type { AsyncBranches, EngineServices, RunRequest, SkillSubCall } from './types.ts';

/** How long a run may hold the event loop across waves before it lets other work in, ms. */
const YIELD_AFTER_MS = 10;

/** Most job ids one Await looks at (SmythOS's `jobs_count` tops out at 100 too). */
const MAX_AWAITED_JOBS = 100;

let inProcessBranches: AsyncBranches | undefined;
/** The process's in-process Async port, for runs given none. */
function defaultAsyncBranches(): AsyncBranches {
  return (inProcessBranches ??= createInProcessAsyncBranches());
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** Arrays the engine made by merging values: safe to append to (a caller's own arrays never are). */
const engineArrays = new WeakSet<unknown[]>();

/**
 * SmythOS's `_mergeInputs`: one more value on an input, flattening one level. Appends in place to an
 * array this function made, so N values on one input cost O(N), not O(N²).
 */
function mergeInputs(existing: unknown, value: unknown): unknown {
  if (existing === undefined) return value;
  if (Array.isArray(existing) && engineArrays.has(existing)) {
    if (value !== undefined) existing.push(value);
    return existing;
  }
  const out = Array.isArray(existing) ? [...existing] : [existing];
  if (value !== undefined) out.push(value);
  engineArrays.add(out);
  return out.length === 1 ? out[0] : out;
}

/**
 * One run of one compiled agent. `start()` activates the skill's APIEndpoint; `wave()` runs one wave;
 * `runToEnd()` waves until the result; `finish()` post-processes it. The debugger drives `wave()`
 * itself; the runner calls `runToEnd()`.
 */
export class AgentRun implements RunHandle {
  readonly states = new Map<string, ComponentState>();
  readonly calls: CallTrace[] = [];
  /** Waves run so far (SmythOS `curStep`). */
  step = 0;
  closed = false;
  /** Component id whose call count passed the circular limit. */
  circularLimitReached: string | undefined;
  private sessionResult = false;
  private readonly sessionResults: LeafResult[][] = [];
  private readonly errorResults: LeafResult[][] = [];
  private readonly callCounts = new Map<string, number>();
  private killReason: string | undefined;
  private seq = 0;
  /** The debugger's injection for the next wave: it replaces the list of components that wave looks at. */
  private pendingInject: InjectEntry[] | undefined;
  /** Outputs used instead of running a component (injected for one wave, or the agent's mock data). */
  private readonly injectedOutputs = new Map<string, { output: ComponentOutput; once: boolean }>();
  readonly asyncMode: boolean;
  readonly jobId: string | undefined;
  readonly agentVersion: string | null;

  constructor(
    readonly agent: CompiledAgent,
    readonly request: RunRequest,
    readonly services: EngineServices,
    readonly options: {
      runId: string;
      variables: Record<string, unknown>;
      /** Placeholder token → secret, for components' configuration only. */
      secrets?: Record<string, string>;
      signal: AbortSignal;
      circularLimit: number;
      /** Set in a forked Async branch: its job id. */
      jobId?: string;
      /** Runs a forked Async branch to its end (execute.ts supplies it). */
      fork?: (componentId: string, input: Record<string, unknown>, jobId: string) => Promise<unknown>;
      /** The deployed version this run uses (null: the draft), passed on to Async jobs. */
      version?: string | null;
      /** AgentPlugin/Async nesting of this run (0: a caller's own), passed on to Async jobs. */
      depth?: number;
      /** When the run's time is up, ms since epoch (for synchronous work that cannot see the signal). */
      deadlineAt?: number;
      /** Told about every call (the monitor stream); absent for unwatched runs. */
      observer?: RunObserver;
    },
  ) {
    this.asyncMode = options.jobId !== undefined;
    this.agentVersion = options.version ?? null;
    this.jobId = options.jobId;
    for (const entry of agent.order) {
      const state: ComponentState = { active: false, status: '', sourceId: null, step: 0, runtimeData: {} };
      if (entry.type?.alwaysActive) Object.assign(state, { active: true, alwaysActive: true });
      if (entry.type?.exclusive) state.exclusive = true;
      this.states.set(entry.data.id, state);
    }
  }

  /**
   * Activate the APIEndpoint for the request's method and path.
   * @throws RunError 404 `Endpoint <METHOD> <path> Not Found` (SmythOS's message)
   */
  start(endpointPath: string, input: Record<string, unknown>): void {
    const method = this.request.method.toUpperCase();
    const id = this.agent.endpoints.get(endpointPath)?.get(method);
    if (!id) throw new RunError(`Endpoint ${method} ${endpointPath} Not Found`, 404);
    this.activate(id, input, null);
  }

  /**
   * Activate component `id` directly. An Async fork starts at its Async component with `asInputs`:
   * the values arrive as if wired in (SmythOS puts an endpoint in front of it), whereas a skill's
   * APIEndpoint reads the request itself.
   */
  activate(id: string, input: Record<string, unknown>, sourceId: string | null, options: { asInputs?: boolean } = {}): void {
    const state = this.states.get(id);
    if (!state) throw new RunError(`Component ${id} not found`, 500);
    Object.assign(state, { active: true, input, sourceId, step: this.step });
    if (options.asInputs) this.updateRuntimeData(id, { input });
  }

  /** Stop before the next call; calls already running see `signal` abort. */
  kill(reason: string): void {
    this.killReason ??= reason;
  }

  get killed(): string | undefined {
    return this.killReason;
  }

  /** Run waves until the run is over; returns the leaf results before post-processing. */
  async runToEnd(): Promise<unknown> {
    let lastYield = Date.now();
    for (;;) {
      const wave = await this.wave();
      const now = Date.now();
      // Waves of synchronous components never return to the event loop on their own: the run's
      // timeout timer could not fire, and other requests would wait. Check the deadline here (a code
      // component cut short by it ends the run as a timeout), and let the loop turn once the run has
      // held it for a while.
      if (this.options.deadlineAt !== undefined && now > this.options.deadlineAt) this.kill('timeout');
      if (wave.finalResult !== undefined || this.killReason) return wave.finalResult;
      if (now - lastYield > YIELD_AFTER_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
  }

  /** One wave (SmythOS `runCycle`). */
  async wave(): Promise<WaveResult> {
    const all = this.agent.order;
    let activeCount = 0;
    let exclusiveCount = 0;
    let waitingActive = 0;
    const ready: CompiledComponent[] = [];
    const inject = this.pendingInject;
    this.pendingInject = undefined;
    // SmythOS looks only at the injected list in an injected wave (`xDebugPendingInject`).
    const considered = inject ? this.applyInject(inject) : all;
    for (const c of considered) {
      const state = this.states.get(c.data.id)!;
      if (!state.active) continue;
      activeCount++;
      if (state.exclusive) exclusiveCount++;
      if (state.status) waitingActive++;
      else ready.push(c);
    }
    // SmythOS counts only the exclusive ones when any is active (its closing test below).
    const active = exclusiveCount > 0 ? exclusiveCount : activeCount;
    let wave: WaveResult;
    if (active === 0 || (active === waitingActive && this.sessionResult) || ready.length === 0) {
      this.closed = true;
      wave = { state: { sessionClosed: true }, sessionClosed: true };
    } else {
      const results = await Promise.all(ready.map((c) => this.callComponent(this.state(c).sourceId, c, inject?.find((e) => e.id === c.data.id)?.ctx.input)));
      for (const [id, injected] of this.injectedOutputs) if (injected.once) this.injectedOutputs.delete(id);
      let remaining = 0;
      let waiting = 0;
      for (const c of all) {
        const state = this.states.get(c.data.id)!;
        if (state.active) remaining++;
        if (state.status) waiting++;
      }
      if (waiting === remaining) this.sessionResult = true;
      const flat = (results as unknown[]).flat() as LeafResult[];
      let sessionResults = flat.filter(
        (e) => e?.id && e.result && !(e.result as ComponentOutput)._missing_inputs && !this.agent.components.get(e.id)?.outgoing.length,
      );
      const errorResults = flat.filter(
        (e) => e?.id && (e.error || (e.result as ComponentOutput | null)?._error) && !this.states.get(e.id)?.runtimeData._ChildLoopData,
      );
      if (this.sessionResult && sessionResults.length === 0 && this.closed) sessionResults = errorResults;
      wave = { state: results.length === 1 ? results[0] : results, sessionResults, errorResults, sessionClosed: remaining === 0 };
    }
    this.checkCircularLimit();
    if (wave.sessionResults) this.sessionResults.push(wave.sessionResults);
    if (wave.errorResults) this.errorResults.push(wave.errorResults);
    if (wave.sessionClosed || this.circularLimitReached || this.killReason) {
      wave.finalResult = this.gatherResults();
      this.closed = true;
    }
    this.step++;
    return wave;
  }

  /** SmythOS `processResults`: leaf and error results of every wave, first per component, not excluded. */
  private gatherResults(): unknown {
    if (this.circularLimitReached) {
      return { error: `Circular Calls Limit Reached on ${this.circularLimitReached}. Current circular limit is ${this.options.circularLimit}` };
    }
    const seen = new Set<string>();
    const out: LeafResult[] = [];
    for (const entry of [...this.sessionResults.flat(Infinity), ...this.errorResults.flat(Infinity)] as LeafResult[]) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      if (!(entry.result as ComponentOutput | null)?._exclude) out.push(entry);
    }
    return out;
  }

  private checkCircularLimit(): void {
    if (this.circularLimitReached) return;
    for (const [id, count] of this.callCounts) {
      if (count > this.options.circularLimit) {
        this.circularLimitReached = id;
        this.closed = true;
        return;
      }
    }
  }

  state(entry: CompiledComponent): ComponentState {
    return this.states.get(entry.data.id)!;
  }

  private reset(id: string): void {
    const state = this.states.get(id)!;
    state.runtimeData = {};
    state.active = false;
    state.input = undefined;
    state.output = undefined;
  }

  private updateRuntimeData(id: string, patch: RuntimeData): void {
    const state = this.states.get(id)!;
    state.runtimeData = { ...state.runtimeData, ...patch };
  }

  /** Runtime data of component `id` (components such as ForEach keep their bookkeeping here). */
  runtimeDataOf(id: string): RuntimeData {
    return this.states.get(id)?.runtimeData ?? {};
  }

  /** Replace component `id`'s runtime data keys (ForEach's `_LoopData`). */
  setRuntimeData(id: string, patch: RuntimeData): void {
    this.updateRuntimeData(id, patch);
  }

  startAsync(componentId: string, input: Record<string, unknown>): Promise<string> {
    const async = this.services.async ?? defaultAsyncBranches();
    const fork = this.options.fork;
    if (!fork) return Promise.reject(new Error('Async branches are not available in this run'));
    return async.start({ agentId: this.agent.id, version: this.options.version ?? null, componentId, input, depth: this.options.depth ?? 0 }, (jobId) =>
      fork(componentId, input, jobId),
    );
  }

  callSkill(call: Omit<SkillSubCall, 'signal'>): Promise<{ status: number; data: unknown }> {
    if (!this.services.callSkill) return Promise.reject(new Error('calling other agents is not available here (no agents store)'));
    return this.services.callSkill({ ...call, signal: this.options.signal });
  }

  awaitAsync(jobIds: string[], count: number, maxTimeMs: number) {
    return (this.services.async ?? defaultAsyncBranches()).wait(this.agent.id, jobIds.slice(0, MAX_AWAITED_JOBS), count, maxTimeMs, this.options.signal);
  }

  /** SmythOS `callComponent`: run one component and activate what it feeds. */
  private async callComponent(sourceId: string | null, entry: CompiledComponent, injectedInput?: Record<string, unknown>): Promise<unknown> {
    const startedAt = Date.now();
    const data = entry.data;
    const id = data.id;
    const state = this.states.get(id)!;
    const logs: ComponentLog[] = [];
    const observer = this.options.observer;
    let event: CallEvent | undefined;
    const announce = (input: unknown) => {
      if (!observer || event) return;
      event = { eventId: randomUUID(), componentId: id, componentName: data.name, title: data.title, sourceId, input, startedAt };
      observer.callStart(event);
    };
    // Serialized when traced: the engine keeps mutating these objects (markers on outputs, a loop's
    // growing results), and the record must show what the call saw and returned.
    const trace = (input: unknown, output: unknown, error: string | null) => {
      if (observer) {
        announce(input);
        observer.callStop({ ...event!, output, error, endedAt: Date.now(), logs });
      }
      this.calls.push({
        seq: this.seq++,
        componentId: id,
        componentName: data.name,
        title: data.title,
        step: this.step,
        sourceId,
        input,
        output,
        inputJson: snapshotJson(input),
        outputJson: output === undefined ? null : snapshotJson(output),
        error,
        startedAt,
        endedAt: Date.now(),
        logs,
      });
    };
    if (this.killReason) {
      trace(undefined, undefined, 'Agent killed');
      return { id, name: entry.displayName, result: null, error: 'Agent killed' };
    }
    if (!entry.type) {
      const message = `Unknown component type "${data.name}" (component ${id}${data.title ? `, "${data.title}"` : ''})`;
      trace(undefined, undefined, message);
      throw new RunError(message, 500);
    }
    this.callCounts.set(id, (this.callCounts.get(id) ?? 0) + 1);
    this.checkCircularLimit();
    if (this.circularLimitReached) {
      trace(undefined, undefined, 'Circular Calls Reached');
      return { error: 'Circular Calls Reached' };
    }
    if (state.output?._missing_inputs) state.output = {};
    const input = this.prepareInput(entry, injectedInput);
    state.step = this.step;
    let output: ComponentOutput;
    announce(input);
    // An injected output skips the input check and the component itself (SmythOS `injectDebugOutput`).
    const injected = this.injectedOutputs.get(id);
    const missing = injected ? [] : this.missingInputs(entry, input);
    if (injected) {
      output = { ...injected.output };
      if (injected.once) this.injectedOutputs.delete(id);
    } else if (missing.length > 0) {
      state.active = true;
      state.status = 'waiting';
      output = { _error: `Missing inputs : ${JSON.stringify(missing)}`, _missing_inputs: missing };
    } else {
      output = await this.process(entry, input, logs, event);
    }
    const runtimeData = state.runtimeData;
    state.output = output;
    if (output._in_progress) {
      state.active = true;
      state.status = 'in_progress';
    }
    trace(input, output, (output.error ?? output._error ?? null) as string | null);
    if (output.error || output._error) {
      if (!runtimeData._ChildLoopData?._in_progress) this.reset(id);
      if (output.error) {
        return [{ id, name: entry.displayName, result: null, error: output.error, _debug: output.error }];
      }
    }
    let results: unknown = [];
    if (!output._missing_inputs) {
      try {
        results = this.callNext(entry, output);
      } catch (error) {
        results = { error, id, name: entry.displayName };
      }
      const loop = runtimeData._LoopData;
      if (loop && output._in_progress && loop.branches === undefined) loop.branches = Array.isArray(results) ? results.length : 1;
      const leaf = results as LeafResult & { _is_leaf?: boolean };
      if (leaf._is_leaf) {
        delete leaf._is_leaf;
        await this.loopLeaf(entry, runtimeData, leaf, output);
      }
    }
    if (!output._missing_inputs && !output._in_progress) {
      const child = runtimeData._ChildLoopData;
      if (child?._in_progress && child.loopIndex < child.loopLength) {
        this.clearChildLoopInputs(entry);
        state.active = true;
        state.status = 'waiting';
      } else this.reset(id);
    }
    if (Array.isArray(results)) results = (results.flat(Infinity) as LeafResult[]).filter((r) => r.result != null);
    return [results, { id, name: entry.displayName, result: output }];
  }

  /** A leaf of a ForEach branch hands its result to the loop and lets the loop go on. */
  private async loopLeaf(entry: CompiledComponent, runtimeData: RuntimeData, leaf: LeafResult, output: ComponentOutput) {
    const child = runtimeData._ChildLoopData;
    if (child?.parentId) {
      const loop = this.runtimeDataOf(child.parentId)._LoopData;
      if (!loop) return;
      loop.result ??= [];
      const copy = JSON.parse(JSON.stringify(leaf)) as LeafResult;
      if (leaf.result) (leaf.result as ComponentOutput)._exclude = true;
      loop.result.push(await this.postProcessEntry(entry, copy));
      loop.branches = (loop.branches ?? 0) - 1;
      if (loop.branches <= 0) Object.assign(this.states.get(child.parentId)!, { active: true, status: '' });
      this.updateRuntimeData(child.parentId, { _LoopData: loop });
      return;
    }
    const own = this.runtimeDataOf(entry.data.id)._LoopData;
    if (own && own.loopIndex === 1) {
      own._in_progress = false;
      output._in_progress = false;
      Object.assign(this.states.get(entry.data.id)!, { active: true, status: '' });
      this.updateRuntimeData(entry.data.id, { _LoopData: own });
    }
  }

  /** Config validation, variable templating, type inference, then the component's own process(). */
  private async process(entry: CompiledComponent, input: Record<string, unknown>, logs: ComponentLog[], event?: CallEvent): Promise<ComponentOutput> {
    const data = entry.data;
    const configError = configErrorOf(entry);
    if (configError) return { id: data.id, name: data.name, _error: configError, _debug: configError };
    try {
      const variables = this.options.variables;
      const merged: Record<string, unknown> = { ...variables, ...input };
      for (const key in merged) merged[key] = parseTemplate(merged[key], variables);
      const typed = inferInputTypes(merged, data.inputs);
      const output = await entry.type!.process(typed, withSecrets(data, this.options.secrets), this.contextFor(entry, logs, event));
      return output ?? {};
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { Response: undefined, _error: message, _debug: message };
    }
  }

  private contextFor(_entry: CompiledComponent, logs: ComponentLog[], event?: CallEvent): ComponentContext {
    return new CallContext(this, logs, event);
  }

  /**
   * The debugger's injection for the next wave (research §6.2 `X-DEBUG-INJ`): that wave looks only at
   * these components; each takes the state given, and a non-empty `output` is used without running it.
   */
  inject(entries: InjectEntry[]): void {
    this.pendingInject = entries.filter((e) => this.states.has(e.id));
    for (const e of this.pendingInject) if (hasValue(e.ctx.output)) this.injectedOutputs.set(e.id, { output: e.ctx.output!, once: true });
  }

  /**
   * Stubbed outputs (the agent's mock data, research §6.5): a component listed here that is not
   * injected otherwise returns its stub instead of running, in every wave of this run.
   */
  mock(entries: InjectEntry[]): void {
    for (const e of entries) if (this.states.has(e.id) && hasValue(e.ctx.output) && !this.injectedOutputs.has(e.id)) this.injectedOutputs.set(e.id, { output: e.ctx.output!, once: false });
  }

  private applyInject(entries: InjectEntry[]): CompiledComponent[] {
    const out: CompiledComponent[] = [];
    for (const e of entries) {
      const component = this.agent.components.get(e.id)!;
      const state = this.states.get(e.id)!;
      state.active = e.ctx.active ?? true;
      state.status = e.ctx.status ?? '';
      // An injected input replaces what the component had gathered (SmythOS merges it in, so values
      // it already held would become arrays): "run it on this input" means this input.
      if (e.ctx.input) {
        state.input = e.ctx.input;
        state.runtimeData = { ...state.runtimeData, input: {} };
      }
      out.push(component);
    }
    return out;
  }

  /** The run as JSON, for the debugger to store between steps. */
  snapshot(): RunSnapshot {
    const components: Record<string, ComponentState> = {};
    for (const [id, state] of this.states) components[id] = state;
    return JSON.parse(
      snapshotJson({
        step: this.step,
        closed: this.closed,
        sessionResult: this.sessionResult,
        sessionResults: this.sessionResults,
        errorResults: this.errorResults,
        callCounts: Object.fromEntries(this.callCounts),
        ...(this.circularLimitReached ? { circularLimitReached: this.circularLimitReached } : {}),
        seq: this.seq,
        components,
      }),
    ) as RunSnapshot;
  }

  /**
   * Continue from `snapshot` (a fresh run of the same agent). A ForEach shares its `_LoopData` object
   * with the branch it runs; JSON made copies of it, so the branch's references are joined up again.
   */
  restore(snapshot: RunSnapshot): void {
    this.step = snapshot.step;
    this.closed = snapshot.closed;
    this.sessionResult = snapshot.sessionResult;
    this.sessionResults.push(...snapshot.sessionResults);
    this.errorResults.push(...snapshot.errorResults);
    for (const [id, count] of Object.entries(snapshot.callCounts)) this.callCounts.set(id, count);
    this.circularLimitReached = snapshot.circularLimitReached;
    this.seq = snapshot.seq;
    for (const [id, state] of Object.entries(snapshot.components)) if (this.states.has(id)) this.states.set(id, state);
    for (const state of this.states.values()) {
      const child = state.runtimeData._ChildLoopData;
      const loop = child?.parentId ? this.states.get(child.parentId)?.runtimeData._LoopData : undefined;
      if (child && loop && loop.parentId === child.parentId) state.runtimeData._ChildLoopData = loop;
    }
  }

  /** Which required, connected inputs have no value yet (SmythOS `getComponentMissingInputs`). */
  private missingInputs(entry: CompiledComponent, input: Record<string, unknown>): string[] {
    if (entry.type?.alwaysActive) return [];
    const missing: string[] = [];
    for (const def of entry.requiredConnected) if (input[def.name] === undefined) missing.push(def.name);
    return missing;
  }

  /** Persisted partial inputs merged with `inputs`, defaults applied (SmythOS `prepareComponentInput`). */
  private prepareInput(entry: CompiledComponent, inputs: Record<string, unknown> | undefined): Record<string, unknown> {
    const id = entry.data.id;
    const persisted = this.states.get(id)!.runtimeData.input ?? EMPTY;
    const merged: Record<string, unknown> = { ...persisted };
    if (inputs) {
      for (const key in inputs) {
        merged[key] = mergeInputs(persisted[key], inputs[key]);
      }
    }
    this.updateRuntimeData(id, { input: merged });
    const out = { ...merged };
    // A component is about to see these values: from now on they are its, so a later merge copies
    // instead of appending to an array it may have passed on.
    if (!inputs) for (const key in out) if (Array.isArray(out[key])) engineArrays.delete(out[key] as unknown[]);
    for (const def of entry.data.inputs) {
      if (def.defaultVal && out[def.name] === undefined) out[def.name] = parseTemplate(def.defaultVal, this.options.variables);
    }
    return out;
  }

  /** Drop the inputs a loop child received from inside its loop, so the next item refills them. */
  private clearChildLoopInputs(entry: CompiledComponent): void {
    const runtimeData = this.runtimeDataOf(entry.data.id);
    if (!runtimeData._ChildLoopData || !runtimeData.input) return;
    for (const def of entry.data.inputs) if (this.hasLoopAncestor(entry, def.name, new Set())) delete runtimeData.input[def.name];
  }

  private hasLoopAncestor(entry: CompiledComponent, inputName: string, seen: Set<string>): boolean {
    for (const c of entry.incoming) {
      if (entry.data.inputs[c.targetIndex]?.name !== inputName && c.targetIndex !== -1) continue;
      if (seen.has(c.sourceId)) continue;
      seen.add(c.sourceId);
      if (this.runtimeDataOf(c.sourceId)._LoopData) return true;
      const source = this.agent.components.get(c.sourceId);
      if (source && source.data.inputs.some((i) => this.hasLoopAncestor(source, i.name, seen))) return true;
    }
    return false;
  }

  /**
   * SmythOS `callNextComponents`: compute each downstream component's input from `output` and mark it
   * active (waiting when a required input is still missing). Nothing runs here: activated components
   * run in the next wave. Returns the leaf entry when nothing was activated.
   */
  private callNext(entry: CompiledComponent, output: ComponentOutput): unknown {
    const data = entry.data;
    if (entry.outgoing.length === 0) return { id: data.id, name: data.name, result: output, _is_leaf: true };
    const byTarget = new Map<string, typeof entry.outgoing>();
    for (const c of entry.outgoing) {
      const list = byTarget.get(c.targetId);
      if (list) list.push(c);
      else byTarget.set(c.targetId, [c]);
    }
    const defaultOutput = data.outputs.find((o) => o.default);
    const activated: unknown[] = [];
    for (const [targetId, connections] of byTarget) {
      const target = this.agent.components.get(targetId)!;
      // The main flow skips Async branches; a fork runs only them (SmythOS cleans the JobID branch out of it).
      if (this.asyncMode ? !target.async : target.async && target.data.name !== 'Async') continue;
      let errorHandler = false;
      const nextInput: Record<string, unknown> = {};
      let any = false;
      for (const c of connections) {
        const out = data.outputs[c.sourceIndex]!;
        const inputDef = target.data.inputs[c.targetIndex];
        if (out.name === '_error') errorHandler = true;
        let value: unknown;
        if (out.default) value = output[out.name];
        else if (defaultOutput) value = (output[defaultOutput.name] as Record<string, unknown> | undefined)?.[out.name];
        if (value === undefined) value = jsonExpression(output, out.expression || out.name);
        if (value === undefined || !inputDef) continue;
        nextInput[inputDef.name] = mergeInputs(nextInput[inputDef.name], value);
        any = true;
      }
      if (!any) continue;
      const input = this.prepareInput(target, nextInput);
      if (errorHandler) output._error_handled = true;
      const status = this.missingInputs(target, input).length > 0 ? 'waiting' : '';
      const sourceData = this.runtimeDataOf(data.id);
      let childLoop = sourceData._LoopData;
      if (!childLoop || !childLoop._in_progress) childLoop = sourceData._ChildLoopData;
      Object.assign(this.states.get(targetId)!, { active: true, input: nextInput, sourceId: data.id, status, step: this.step });
      this.updateRuntimeData(targetId, { _ChildLoopData: childLoop, _LoopData: null });
      activated.push({ id: targetId, name: target.data.name, inputs: nextInput });
    }
    if (activated.length === 0) return { id: data.id, name: data.name, result: output, _is_leaf: true };
    return activated.length === 1 ? activated[0] : activated;
  }

  /**
   * SmythOS `Agent.postProcess`: flatten, drop handled errors, strip `_debug`, let each component shape
   * its entry, unwrap a single entry.
   */
  async postProcess(finalResult: unknown): Promise<unknown> {
    let list = JSON.parse(JSON.stringify(finalResult ?? null)) as unknown;
    if (Array.isArray(list)) list = list.flat(Infinity);
    let entries = (Array.isArray(list) ? list : [list]) as unknown[] as (LeafResult | null)[];
    entries = entries.filter((r) => !((r?.result as ComponentOutput | null)?._error && (r?.result as ComponentOutput)._error_handled));
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (!entry) continue;
      delete entry._debug;
      delete entry._debug_time;
      if (entry.result && typeof entry.result === 'object') {
        delete (entry.result as ComponentOutput)._debug;
        delete (entry.result as ComponentOutput)._debug_time;
      }
      const component = this.agent.components.get(entry.id);
      if (!component?.type) continue;
      entries[i] = (await this.postProcessEntry(component, entry)) as LeafResult;
    }
    return entries.length === 1 ? entries[0] : entries;
  }

  private async postProcessEntry(component: CompiledComponent, entry: LeafResult): Promise<unknown> {
    try {
      const type = component.type;
      if (!type) return entry;
      if (type.postProcess) return await type.postProcess(entry, component.data, this.contextFor(component, []));
      return defaultPostProcess(entry);
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }
}

/** Whether an injected output holds anything: SmythOS ignores one whose values are all empty strings. */
function hasValue(output: Record<string, unknown> | undefined): boolean {
  return !!output && Object.values(output).some((v) => v !== '' && v !== undefined);
}

/** SmythOS `Component.postProcess`: no `_debug`, no falsy `_error`. */
export function defaultPostProcess(entry: LeafResult): LeafResult {
  const result = entry.result as ComponentOutput | null | undefined;
  if (result && typeof result === 'object') {
    delete result._debug;
    if (!result._error) delete result._error;
  }
  return entry;
}

/** The data of `component`, typed for components that need the whole `.smyth` entry. */
export type { ComponentData };
