/**
 * The component port: what a component type (`FHash`, `APICall`, `PromptGenerator`, …) is to the wave
 * engine. One file per type under `src/agents/components/`, registered in one table
 * (`src/agents/components/index.ts`). Shapes follow SmythOS's `.smyth` format (research/smythos.md §1.2)
 * and its `Component` class: `process(input, config, agent)` returns an output object whose keys are the
 * component's output names; `_error` marks a failure that can be wired to an error branch.
 */
import type { z } from 'zod';
import type { RuntimeData } from './run-state.ts';
import type { RunRequest, SkillSubCall } from './types.ts';

/** A declared input of a component (`.smyth` `inputs[]`). */
export interface InputDef {
  name: string;
  /** `Any`, `Text`/`String`, `Number`, `Integer`, `Boolean`, `Array`, `Object`, `Binary`, `Image`, `Audio`, `Video`, `Date`. */
  type?: string;
  optional?: boolean;
  index?: number;
  /** Used, template-parsed with the agent variables, when nothing is wired in. */
  defaultVal?: unknown;
  description?: string;
  isFile?: boolean;
  [extra: string]: unknown;
}

/** A declared output of a component (`.smyth` `outputs[]`). */
export interface OutputDef {
  name: string;
  index?: number;
  /** A default output reads the key of its own name from the result object. */
  default?: boolean;
  /** A path read on the result when the name alone gives nothing (`body.message`). */
  expression?: string;
  description?: string;
  [extra: string]: unknown;
}

/** One component of an agent, as the `.smyth` file has it after import (legacy names renamed). */
export interface ComponentData {
  id: string;
  /** The component type. */
  name: string;
  title?: string;
  displayName?: string;
  description?: string;
  /** Type-specific configuration (`data` in the file). */
  data: Record<string, unknown>;
  inputs: InputDef[];
  outputs: OutputDef[];
  [extra: string]: unknown;
}

/**
 * What a component returns: its output values by output name, plus the engine's markers — `_error`
 * (a failure, wireable), `error` (stops the branch), `_in_progress` (ForEach wants another turn),
 * `_debug` (removed from final results).
 */
export type ComponentOutput = Record<string, unknown>;

/** A log line a component writes during a call; kept in the run record (ms since epoch). */
export interface ComponentLog {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  at: number;
}

/** Key/value memory persisted per agent (MemoryWriteKeyVal/ReadKeyVal/DeleteKeyVal). */
export interface AgentMemory {
  read(memoryName: string, key: string): Promise<unknown>;
  /** `ttlS` seconds, or undefined for no expiry. */
  write(memoryName: string, key: string, value: unknown, ttlS?: number): Promise<void>;
  delete(memoryName: string, key: string): Promise<void>;
}

/** Outbound HTTP settings for components that make requests (APICall). */
export interface OutboundHttpPolicy {
  /** Requests to private, loopback and link-local addresses are refused unless true. */
  allowPrivateNetwork: boolean;
  /** Default per-request timeout (ms). */
  timeoutMs: number;
}

/**
 * What the engine gives a component for one call. Everything a component may reach outside its own
 * inputs goes through here, so a component never imports a service.
 */
export interface ComponentContext {
  readonly agentId: string;
  readonly runId: string;
  /** Agent variables with vault keys resolved. */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Aborted when the run is cancelled or times out; long work must stop on it. */
  readonly signal: AbortSignal;
  /**
   * When the run's time is up (ms since epoch). Synchronous work (the code sandbox) must check it
   * itself: the signal's timer cannot fire while the event loop is held.
   */
  readonly deadlineAt?: number;
  log(level: ComponentLog['level'], message: string): void;
  readonly memory: AgentMemory;
  readonly http: OutboundHttpPolicy;
  /** Generate text with a named model (`Echo` works offline). @throws naming the model when unknown */
  generate(request: { model: string; prompt: string; system?: string; maxOutputTokens?: number; signal?: AbortSignal }): Promise<string>;
  /** The run itself, for the engine's own components (APIEndpoint, ForEach, Async); absent in unit-test fakes. */
  readonly run?: RunHandle;
}

/** What the engine's own components read of the run they are part of. */
export interface RunHandle {
  readonly request: RunRequest;
  /** True inside a forked Async branch. */
  readonly asyncMode: boolean;
  /** The deployed version this run uses (null: the draft). */
  readonly agentVersion: string | null;
  /** The job id of this forked Async branch (undefined in a main run). */
  readonly jobId: string | undefined;
  /** Start the Async branch at `componentId` in the background; resolves to its job id. */
  startAsync(componentId: string, input: Record<string, unknown>): Promise<string>;
  /** Another agent's skill (AgentPlugin). @throws Error when this run has no way to reach other agents */
  callSkill(call: Omit<SkillSubCall, 'signal'>): Promise<{ status: number; data: unknown }>;
  /** Wait for Async jobs (Await): up to `maxTimeMs` for `count` of them to end. */
  awaitAsync(jobIds: string[], count: number, maxTimeMs: number): Promise<Record<string, { output: unknown; status: string }>>;
  runtimeDataOf(componentId: string): RuntimeData;
  setRuntimeData(componentId: string, patch: RuntimeData): void;
}

/**
 * A component type. `process` receives its inputs already type-converted (research §1.2 "type
 * inference") and merged over the agent variables; it returns outputs or throws (the engine turns a
 * throw into `{_error: message}`).
 */
export interface ComponentType {
  /** The `.smyth` `name` this type handles, e.g. `FHash`. */
  readonly name: string;
  /** One paragraph for docs/agents.md and the UI. */
  readonly doc: string;
  /** Validates `data`; a failure becomes `_error: "Schema Validation error: … on component <displayName>:<title>"`. */
  readonly configSchema?: z.ZodType;
  /** Never blocks: read on demand by waiting components (memory readers). */
  readonly alwaysActive?: boolean;
  /** Runs alone in its wave before any other active component (memory writers). */
  readonly exclusive?: boolean;
  process(input: Record<string, unknown>, component: ComponentData, context: ComponentContext): Promise<ComponentOutput> | ComponentOutput;
  /** Shapes this component's leaf result for the final answer (APIOutput `minimal`/`raw`): any JSON value, or a promise of one. */
  postProcess?(result: LeafResult, component: ComponentData, context: ComponentContext): unknown;
  /** The value of output `name` for an always-active component read on demand. */
  readOutput?(name: string, component: ComponentData, context: ComponentContext): unknown;
}

/** One entry of a run's final result list: `{id, name, result}`, or `{id, name, result: null, error}`. */
export interface LeafResult {
  id: string;
  name: string;
  result: unknown;
  error?: unknown;
  [extra: string]: unknown;
}
