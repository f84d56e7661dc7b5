/**
 * The state a run keeps (per component, per loop) and what it reports (a call's trace, a wave's
 * result): the shapes the wave engine (run.ts), the run record and the debugger share.
 */
import type { ComponentLog, ComponentOutput, LeafResult } from './component.ts';

/** Loop bookkeeping of a ForEach (SmythOS `_LoopData`), shared by reference with its branch. */
export interface LoopData {
  parentId: string;
  loopIndex: number;
  loopLength: number;
  branches?: number;
  result?: unknown[];
  _in_progress?: boolean;
}

/** Per-run, per-component data that outlives one call (SmythOS `runtimeData`). */
export interface RuntimeData {
  input?: Record<string, unknown>;
  _LoopData?: LoopData | null;
  _ChildLoopData?: LoopData | null;
}

/** A component's state within a run (SmythOS `ctx`). */
export interface ComponentState {
  active: boolean;
  /** '' ready, 'waiting' for inputs, 'in_progress' (a ForEach between items). */
  status: string;
  input?: Record<string, unknown>;
  output?: ComponentOutput;
  sourceId: string | null;
  /** The wave in which it was last touched. */
  step: number;
  runtimeData: RuntimeData;
  alwaysActive?: boolean;
  exclusive?: boolean;
}

/** One component call as recorded for the trace, the debugger and the monitor (ms since epoch). */
export interface CallTrace {
  seq: number;
  componentId: string;
  componentName: string;
  title: string | undefined;
  step: number;
  sourceId: string | null;
  input: unknown;
  output: unknown;
  /** `input` as JSON when the call began (the value above may have changed since). */
  inputJson: string;
  /** `output` as JSON when the call ended, or null for none. */
  outputJson: string | null;
  error: string | null;
  startedAt: number;
  endedAt: number;
  logs: ComponentLog[];
}

/** What one wave produced (the debugger's step answer is built from this). */
export interface WaveResult {
  /** Per called component: `[downstream results, {id, name, result}]`. */
  state: unknown;
  sessionResults?: LeafResult[];
  errorResults?: LeafResult[];
  sessionClosed: boolean;
  /** Set once the run is over: the leaf results before post-processing. */
  finalResult?: unknown;
}

/** Thrown out of a run for failures that end it without a result (SmythOS answers `{error}`). */
export class RunError extends Error {
  override name = 'RunError';
  constructor(
    message: string,
    /** HTTP status the runner should answer with. */
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * What a monitor sees of a run (research/smythos.md §6.7): component calls starting and stopping, the
 * lines they log, and model tokens as they stream. The engine calls it only when a run has one, so an
 * unwatched run pays nothing. `eventId` ties a call's start to its stop and its logs.
 */
export interface RunObserver {
  callStart(event: CallEvent): void;
  callStop(event: CallEvent & { output: unknown; error: string | null; endedAt: number; logs: ComponentLog[] }): void;
  log(event: CallEvent & { log: ComponentLog }): void;
  /** A streaming model's text as it arrives (`llm/passthrough/content`), or its reasoning (`thinking`). */
  token?(event: { eventId: string; componentId: string; kind: 'content' | 'thinking'; text: string }): void;
}

/** The identity of one component call as a monitor sees it (ms since epoch). */
export interface CallEvent {
  eventId: string;
  componentId: string;
  componentName: string;
  title: string | undefined;
  sourceId: string | null;
  input: unknown;
  startedAt: number;
}

/**
 * One entry of a debugger injection (`X-DEBUG-INJ` body, research §6.2): set component `id`'s state for
 * the next wave. An `output` with any non-empty value is used as the component's output without
 * running it; an `input` alone runs it on that input.
 */
export interface InjectEntry {
  id: string;
  ctx: { active?: boolean; input?: Record<string, unknown>; output?: Record<string, unknown>; status?: string };
}

/**
 * A run between two debugger steps, as JSON (SmythOS's serialized `RuntimeContext` plus what it keeps
 * only in process memory: accumulated results and call counts), so any instance can take the next step.
 */
export interface RunSnapshot {
  step: number;
  closed: boolean;
  sessionResult: boolean;
  sessionResults: LeafResult[][];
  errorResults: LeafResult[][];
  callCounts: Record<string, number>;
  circularLimitReached?: string;
  /** Next call sequence number. */
  seq: number;
  components: Record<string, ComponentState>;
}
