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
