/**
 * The debugger's calls (issue 11; research/smythos.md §6.1-6.2): a skill call at
 * `/agents/<agentId>/api/<endpoint>` carrying one debug header — `X-DEBUG-RUN` (start with "", step
 * with the session id), `X-DEBUG-INJ`, `X-DEBUG-READ`, `X-DEBUG-STOP` — and `X-MONITOR-ID` when a
 * monitor is open, so the live log hears the run; and `GET /agent/<agentId>/debugSession` for the
 * call live debug holds. All go as the signed-in owner with the session's CSRF token
 * (agent-client.ts). Any HTTP status comes back as an answer; only an unreachable server throws.
 */
import { sendSkill, sendWithCsrf, type SkillAnswer, type SkillRoute } from './agent-client.ts';

/** `?includeNewState=true`: the answer carries the read that follows the step (one round trip less). */
const NEW_STATE = { includeNewState: 'true' };

/** The monitor header, when a monitor is open. */
function monitorHeader(monitorId: string | undefined): Record<string, string> {
  return monitorId ? { 'x-monitor-id': monitorId } : {};
}

/**
 * The method of the calls that carry no body: the skill's own, so a GET skill's session is stepped on
 * the route it was started on.
 */
const bare = (skill: SkillRoute) => skill.method;

/** The debugger's calls on agent `agentId`. */
export const debugCalls = {
  /**
   * Start a session: the skill's call with `inputs` (GET: the query) and `X-DEBUG-RUN: ""`; only the
   * APIEndpoint runs. No `includeNewState` here: on a GET skill it would join the skill's own query.
   */
  start: (agentId: string, skill: SkillRoute, inputs: Record<string, unknown>, monitorId?: string): Promise<SkillAnswer> =>
    sendSkill(agentId, skill, { inputs, headers: { 'x-debug-run': '', ...monitorHeader(monitorId) } }),

  /** Run the next wave of `session`; the answer carries `newState`. */
  step: (agentId: string, skill: SkillRoute, session: string, monitorId?: string): Promise<SkillAnswer> =>
    sendSkill(agentId, skill, { method: bare(skill), headers: { 'x-debug-run': session, ...monitorHeader(monitorId) }, query: NEW_STATE }),

  /** Read `session`'s state; nothing runs. */
  read: (agentId: string, skill: SkillRoute, session: string, monitorId?: string): Promise<SkillAnswer> =>
    sendSkill(agentId, skill, { method: bare(skill), headers: { 'x-debug-read': session, ...monitorHeader(monitorId) } }),

  /**
   * Run the next wave as `items` say (`[{id, ctx: {active: true, input?, output?}}]`: an output is
   * used as is, an input alone runs the component on it), in `session` or, with "", in a new `inj-…`
   * session. Always a POST: the injection is the body.
   */
  inject: (agentId: string, skill: SkillRoute, session: string, items: unknown[], monitorId?: string): Promise<SkillAnswer> =>
    sendSkill(agentId, skill, { method: 'POST', body: items, headers: { 'x-debug-inj': session, ...monitorHeader(monitorId) }, query: NEW_STATE }),

  /** End `session` (a held live call is answered 400 `Debug Session Stopped`). */
  stop: (agentId: string, skill: SkillRoute, session: string, monitorId?: string): Promise<SkillAnswer> =>
    sendSkill(agentId, skill, { method: bare(skill), headers: { 'x-debug-stop': session, ...monitorHeader(monitorId) } }),

  /** The session live debug holds for the agent, or null (`{}`), with the answer for errors. */
  async held(agentId: string): Promise<{ session: string | null; answer: SkillAnswer }> {
    const answer = await sendWithCsrf('GET', `/agent/${encodeURIComponent(agentId)}/debugSession`);
    const body = answer.body as { dbgSession?: unknown } | null;
    return { session: answer.status === 200 && typeof body?.dbgSession === 'string' && body.dbgSession ? body.dbgSession : null, answer };
  },
};

/** Where the monitor stream of agent `agentId` is opened (same origin: the cookie goes with it). */
export const monitorUrl = (agentId: string) => `/agent/${encodeURIComponent(agentId)}/monitor`;

/** A readable sentence for an answer that is not a 200. */
export function refusal(answer: SkillAnswer): string {
  const body = answer.body as { error?: unknown } | string | null;
  const said = typeof body === 'string' ? body.slice(0, 300) : typeof body?.error === 'string' ? body.error : '';
  return `HTTP ${answer.status}${said ? `: ${said}` : ''}`;
}
