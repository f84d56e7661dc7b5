/**
 * Debugger vocabulary (issue 11; research/smythos.md §6). A **debug session** (`dbg-…`, or `inj-…`
 * when it began with an injection) is one skill call run a wave at a time: each **step** runs one
 * wave; a **read** shows the run's state without running anything; an **injection** sets components'
 * input or output for the next wave; **stop** ends the session. **Live debug** holds a plain call of
 * an agent whose owner switched debugging on, as a session, until it is stepped to its end. A
 * **monitor** is an event stream (SSE) a caller opens on an agent and names in `X-MONITOR-ID`: runs
 * carrying that header report their component calls to it.
 */
import type { RunObserver } from '../agents/engine/run-state.ts';
export type { DebugCall, DebugHeaders } from '../agents/runner-routes.ts';

/** A run's monitor (src/debugger/monitor.ts): the engine's observer plus the run's own start and stop. */
export interface RunMonitor extends RunObserver {
  /** The `agent` `callStart` event; returns its eventId for the stop. */
  agentStart(event: { endpointPath: string; input: unknown; startTime: number }): string;
  /** The `agent` `callStop` event: `result` on success, `error` on failure. */
  agentStop(event: { eventId: string; endpointPath: string; input: unknown; startTime: number; endTime: number; result?: unknown; error?: string }): void;
  /** Resolves once everything reported so far is stored and announced. */
  flush(): Promise<void>;
}

/**
 * The monitor streams (research §6.7): who opens them, which runs report to them. Implemented in
 * src/debugger/monitor.ts, stored in the database and fanned out over the event bus, so a run on
 * one instance reaches a stream held by another, and a stream resumes with `Last-Event-ID`.
 */
export interface MonitorHub {
  /**
   * A monitor for the runs of `agentId` named in `ids` (`X-MONITOR-ID`), or undefined when none of
   * them is an open monitor of that agent (ids of other agents' monitors are ignored).
   */
  observe(agentId: string, ids: string[], context?: { agentName?: string }): Promise<RunMonitor | undefined>;
}
