/**
 * The Agents pages' client for `/api/agents` (docs/api.md "Agents", src/agents/routes.ts) and for
 * running a skill at `/agents/<id>/api/<endpoint>` (src/agents/runner-routes.ts). JSON reads go
 * through the shared {@link api}; the two calls it cannot make are here: the import, whose body is the
 * `.smyth` text exactly as the file holds it (the server stores it byte for byte), and a skill run,
 * whose answer may be plain text and whose `x-run-id` header names the recorded run. Both send the
 * session cookie and the CSRF token from `/api/auth/whoami`; so do the debugger's calls
 * (debug-client.ts), through {@link sendSkill} and {@link sendWithCsrf}.
 */
import { api, ApiError } from '../../api.ts';

/** Who may call an agent's skills. */
export type SkillAccess = 'owner' | 'key' | 'public';

/** An agent as `GET /api/agents` lists it. */
export interface AgentMeta {
  id: string;
  name: string;
  owner_id: string;
  skill_access: SkillAccess;
  skill_key_name: string | null;
  /** Live debug: plain calls of the draft's skills are held as debug sessions (debug-client.ts). */
  debug_enabled: boolean;
  /** Which embodiments are on, their browser origins, the chat model (docs/embodiments.md). */
  embodiments: Embodiments;
  /** ISO 8601. */
  created_at: string;
  /** ISO 8601. */
  updated_at: string;
}

/** The embodiments an agent can switch on and off. */
export type EmbodimentName = 'openai' | 'mcp' | 'openapi' | 'chat' | 'alexa';
/** One embodiment's switch and the browser origins allowed to call it. */
export interface EmbodimentSetting {
  enabled: boolean;
  allowed_origins: string[];
}
/** An agent's embodiment settings as `GET /api/agents/:id` shows them. */
export type Embodiments = Record<EmbodimentName, EmbodimentSetting> & { chat_model: string | null };
/** A change to them: only the fields given. */
export type EmbodimentsPatch = Partial<Record<EmbodimentName, Partial<EmbodimentSetting>>> & { chat_model?: string | null };

/** A problem found on import: errors refuse it (400), warnings come back with the agent. */
export interface AgentProblem {
  severity: 'error' | 'warning';
  component_id?: string;
  title?: string;
  /** Where in the document, e.g. `components[2].data.endpoint`. */
  path: string;
  message: string;
}

/** One input port of an APIEndpoint, as the `.smyth` file declares it (other keys kept). */
export interface SkillInput {
  name: string;
  /** SmythOS type: Any, String, Number, Integer, Boolean, Array, Object, Binary, Date. */
  type?: string;
  optional?: boolean;
  defaultVal?: unknown;
  description?: string;
  [key: string]: unknown;
}

/** A skill (one APIEndpoint) of an agent. */
export interface AgentSkill {
  component_id: string;
  endpoint: string;
  method: 'GET' | 'POST';
  /** `/api/<endpoint>`. */
  path: string;
  description?: string;
  summary?: string;
  ai_exposed: boolean;
  inputs: SkillInput[];
}

/** A deployed version. */
export interface AgentVersion {
  version: string;
  created_at: string;
  created_by: string;
}

/** An agent as `GET /api/agents/:id` returns it. */
export interface Agent extends AgentMeta {
  skills: AgentSkill[];
  versions: AgentVersion[];
  problems: AgentProblem[];
}

/** A recorded run. */
export interface AgentRun {
  id: string;
  agent_id: string;
  /** null: the draft. */
  version: string | null;
  method: string;
  skill: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout';
  input: unknown;
  result: unknown;
  error: string | null;
  http_status: number | null;
  steps: number;
  /** The debug session (`dbg-…`, `inj-…`) the run was stepped in; null or absent: a plain call. */
  debug_session_id?: string | null;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
}

/** One component call of a run, in call order. */
export interface AgentCall {
  seq: number;
  component_id: string;
  /** The component type, e.g. `FHash`. */
  component_name: string;
  title: string | null;
  /** The wave (step) the call ran in. */
  step: number;
  source_id: string | null;
  input: unknown;
  output: unknown;
  error: string | null;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  logs: Array<{ level: string; message: string; at: string }>;
}

/** A refused import: the server's sentence and every problem it found. */
export class ImportError extends ApiError {
  constructor(
    message: string,
    status: number,
    body: unknown,
    readonly problems: AgentProblem[],
  ) {
    super(message, status, body);
  }
}

/** What a skill answered: the HTTP status, the body (JSON, or text) and the run it recorded. */
export interface SkillAnswer {
  status: number;
  body: unknown;
  runId: string | null;
}

const enc = encodeURIComponent;

let csrf: Promise<string | undefined> | undefined;
/** The session's CSRF token (asked once per page load; a 403 asks again). */
function csrfToken(fresh = false): Promise<string | undefined> {
  if (fresh || !csrf) csrf = api<{ csrf_token?: string }>('GET', '/api/auth/whoami').then((r) => r.csrf_token);
  return csrf;
}

/**
 * A same-origin fetch with the cookie, the CSRF token and `extra` headers; one retry with a fresh
 * token on a 403 (a 403 is the CSRF check refusing before anything ran, so the retry cannot repeat work).
 */
async function send(method: string, path: string, body: string | undefined, extra: Record<string, string> = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const token = await csrfToken(attempt > 0);
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (token) headers['x-csrf-token'] = token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body } : {}) }).catch(() => {
      throw new ApiError('Cannot reach the Orrery server. Is it running?', 0, null);
    });
    if (response.status === 403 && attempt === 0) continue;
    return response;
  }
}

/** A skill's answer read: JSON when it says so (and is), text otherwise, with the run it names. */
async function answerOf(response: Response): Promise<SkillAnswer> {
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      // A body that says JSON but is not: shown as the text it is.
    }
  }
  return { status: response.status, body: parsed, runId: response.headers.get('x-run-id') };
}

/**
 * Any same-origin call as the signed-in user with the CSRF token, whatever the method (the debugger's
 * routes want it on GET too), its answer read as {@link answerOf} does.
 */
export async function sendWithCsrf(method: string, path: string, headers: Record<string, string> = {}): Promise<SkillAnswer> {
  return answerOf(await send(method, path, undefined, headers));
}

/** What a skill call needs of the skill: its endpoint and method. */
export type SkillRoute = Pick<AgentSkill, 'endpoint' | 'method'>;

/**
 * A call of `skill` on agent `id` at `/agents/<id>/api/<endpoint>` as the signed-in owner: the inputs
 * as the query on GET, the body as JSON otherwise (an array too: the debugger's injections), with
 * `headers` added (the debugger's `X-DEBUG-*`, `X-MONITOR-ID`) and `query` appended to the path.
 * @throws ApiError when the server cannot be reached; any HTTP status is an answer.
 */
export async function sendSkill(
  id: string,
  skill: SkillRoute,
  options: { method?: 'GET' | 'POST'; inputs?: Record<string, unknown>; body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {},
): Promise<SkillAnswer> {
  const method = options.method ?? skill.method;
  const query = new URLSearchParams();
  let body: string | undefined;
  if (method === 'GET') {
    for (const [k, v] of Object.entries(options.inputs ?? {})) query.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  } else if (options.body !== undefined || options.inputs !== undefined) body = JSON.stringify(options.body ?? options.inputs);
  for (const [k, v] of Object.entries(options.query ?? {})) query.set(k, v);
  const path = `/agents/${enc(id)}/api/${enc(skill.endpoint)}${[...query].length ? `?${query}` : ''}`;
  return answerOf(await send(method, path, body, options.headers));
}

const sentence = (text: string) => {
  const s = text.charAt(0).toUpperCase() + text.slice(1);
  return s.endsWith('.') ? s : `${s}.`;
};

/** A readable message for anything these calls threw. */
export function errorText(e: unknown, fallback: string): string {
  return e instanceof ApiError ? e.message : fallback;
}

/** The agent endpoints the pages use. */
export const agents = {
  list: async (): Promise<AgentMeta[]> => (await api<{ agents: AgentMeta[] }>('GET', '/api/agents')).agents,
  get: async (id: string): Promise<Agent> => (await api<{ agent: Agent }>('GET', `/api/agents/${enc(id)}`)).agent,
  remove: (id: string) => api<void>('DELETE', `/api/agents/${enc(id)}`),
  deploy: async (id: string): Promise<AgentVersion> => (await api<{ version: AgentVersion }>('POST', `/api/agents/${enc(id)}/deploy`, {})).version,
  /** Where the browser downloads the draft as a `.smyth` file. */
  exportUrl: (id: string) => `/api/agents/${enc(id)}/export`,
  /** The draft's `.smyth` text. */
  async exportText(id: string): Promise<string> {
    const response = await fetch(agents.exportUrl(id), { credentials: 'same-origin' }).catch(() => {
      throw new ApiError('Cannot reach the Orrery server. Is it running?', 0, null);
    });
    if (!response.ok) throw new ApiError(`Could not read the agent's document (${response.status}).`, response.status, null);
    return response.text();
  },
  runs: async (id: string, limit = 20): Promise<AgentRun[]> => (await api<{ runs: AgentRun[] }>('GET', `/api/agents/${enc(id)}/runs?limit=${limit}`)).runs,
  run: (id: string, runId: string) => api<{ run: AgentRun; calls: AgentCall[] }>('GET', `/api/agents/${enc(id)}/runs/${enc(runId)}`),

  /**
   * Import a `.smyth` file's text. @throws ImportError with every problem on a 400 (invalid JSON
   * included); ApiError otherwise.
   */
  async importText(text: string, name?: string): Promise<{ agent: Agent; problems: AgentProblem[] }> {
    const query = name ? `?name=${enc(name)}` : '';
    const response = await send('POST', `/api/agents${query}`, text);
    const data = (await response.json().catch(() => null)) as { error?: string; problems?: AgentProblem[]; agent?: Agent } | null;
    if (!response.ok) {
      const message = sentence(data?.error ?? `Import failed (${response.status})`);
      throw new ImportError(message, response.status, data, Array.isArray(data?.problems) ? data.problems : []);
    }
    return data as { agent: Agent; problems: AgentProblem[] };
  },

  /** Call a skill as its owner: GET with the inputs as query, POST with them as JSON. */
  runSkill: (id: string, skill: AgentSkill, inputs: Record<string, unknown>): Promise<SkillAnswer> => sendSkill(id, skill, { inputs }),

  /** Who may call the skills and every embodiment (the owner): owner, key (the vault key `skill_key_name`) or public. */
  setSkillAccess: async (id: string, access: SkillAccess): Promise<Agent> => (await api<{ agent: Agent }>('PATCH', `/api/agents/${enc(id)}`, { skill_access: access })).agent,
  /** Store a vault value (the owner); it is never shown again. */
  putKey: (id: string, name: string, value: string) => api<unknown>('PUT', `/api/agents/${enc(id)}/keys/${enc(name)}`, { value }),

  /** Change embodiment settings (the owner); 400 names a bad origin. */
  setEmbodiments: async (id: string, patch: EmbodimentsPatch): Promise<Agent> =>
    (await api<{ agent: Agent }>('PATCH', `/api/agents/${enc(id)}`, { embodiments: patch })).agent,

  /** Switch live debug on or off (the owner): plain calls of the draft are then held as sessions. */
  setDebugEnabled: async (id: string, on: boolean): Promise<Agent> => (await api<{ agent: Agent }>('PATCH', `/api/agents/${enc(id)}`, { debug_enabled: on })).agent,
};
