/**
 * `X-DEBUG-READ` (research/smythos.md §6.3, SRE `AgentRuntime.readState`): a debug session's state as
 * the Studio reads it — every component's `ctx` touched in the last wave (the delta), whether the
 * session is still going, and the wave it is at. Pure: it reads the stored run, so two reads in a row
 * are equal and nothing runs.
 */
import type { ComponentState, RunSnapshot } from '../agents/engine/run-state.ts';

/** A read answer (research §6.3 "Read"). */
export interface ReadAnswer {
  state: Record<string, ComponentState>;
  /** The session id while components are still active; null once nothing is left to run. */
  dbgSession: string | null;
  sessionClosed: boolean;
  /** The wave the state was made in (0-based, as SmythOS counts). */
  step: number;
  /** Set when the run stopped at the circular-call limit. */
  error?: string;
}

/**
 * The read answer for session `sessionId` whose run is `snapshot`; `open` is false once the session
 * ended (stopped, finished). `circularLimit` names the limit in the error text.
 */
export function readState(snapshot: RunSnapshot, sessionId: string, open: boolean, circularLimit = 100): ReadAnswer {
  const all = Object.entries(snapshot.components);
  let active = all.filter(([, c]) => c.active && c.exclusive);
  if (active.length === 0) active = all.filter(([, c]) => c.active);
  const remaining = all.filter(([, c]) => c.active && !c.alwaysActive);
  const sessionClosed = !open || snapshot.closed || remaining.length === 0;
  const dbgSession = active.length > 0 && !sessionClosed ? sessionId : null;
  const step = snapshot.step >= 1 ? snapshot.step - 1 : 0;
  const state: Record<string, ComponentState> = {};
  // SmythOS keeps components whose step is at least the last wave's (`>=`: an Async can run ahead).
  for (const [id, c] of all) if (c.step >= step) state[id] = c;
  if (snapshot.circularLimitReached) {
    return { state, dbgSession, sessionClosed: true, step, error: `Circular Calls Limit Reached on ${snapshot.circularLimitReached}. Current agent circular limit is ${circularLimit}` };
  }
  return { state, dbgSession, sessionClosed, step };
}
