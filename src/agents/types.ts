/**
 * Agents vocabulary (issue 10; research/smythos.md §1-§2). Types of the agents service, its store
 * rows turned into values, and the run records the debugger, the monitor and the UI's trace read.
 * - agent: a SmythOS `.smyth` definition owned by one user; its **draft** is editable.
 * - version: an immutable deployed copy of the draft (`1.0`, `1.2`), run at `/v<version>/api/…`.
 * - skill: an `APIEndpoint` component, reachable at `<METHOD> /api/<endpoint>`.
 * - skill access: who may call the skills — `owner` (the owner or an admin), `key` (also a bearer equal
 *   to the vault key `skillKeyName`), `public` (anyone).
 * - vault: per-agent named secrets, encrypted at rest, read by templates as `{{KEY(name)}}`.
 * - run: one call of a skill; **call**: one component's processing inside a run; **step**: the wave a
 *   call ran in (research §2.2).
 * - memory: per-agent key/value store of the Memory* components, grouped by memory name.
 */
import type { ComponentLog } from './engine/component.ts';

/** Who may call an agent's skills. */
import type { EmbodimentSettings } from './embodiment-settings.ts';

export type SkillAccess = 'owner' | 'key' | 'public';
/** Every {@link SkillAccess}, for schemas. */
export const SKILL_ACCESS_MODES: readonly SkillAccess[] = ['owner', 'key', 'public'];

/** Who is asking the agents service (an Orrery user). */
export interface AgentCaller {
  userId: string;
  isAdmin: boolean;
}

/** An agent's settings and times, without its document. */
export interface AgentMeta {
  /** `a` + 20 base32 characters (a DNS label). */
  id: string;
  ownerId: string;
  name: string;
  skillAccess: SkillAccess;
  /** Vault key accepted as a bearer in `key` mode; null: none is. */
  skillKeyName: string | null;
  /**
   * Live debug (research/smythos.md §6.6): while on, a plain call of a draft skill is held as a debug
   * session until its owner steps it to the end (src/debugger). Switched by the owner.
   */
  debugEnabled: boolean;
  /** Which embodiments are on, their browser origins and the chat model (src/agents/embodiment-settings.ts). */
  embodiments: EmbodimentSettings;
  /** ms since epoch */
  createdAt: number;
  /** ms since epoch; changes with the draft, the settings and each deploy. */
  updatedAt: number;
}

/** One deployed version (its document is read by export and the runner). */
export interface AgentVersionInfo {
  /** `<major>.<minor>`, e.g. `1.2`. */
  version: string;
  /** ms since epoch */
  createdAt: number;
  /** User id of who deployed it. */
  createdBy: string;
}

/** A vault entry as anyone may see it: never its value. */
export interface AgentKeyInfo {
  name: string;
  /** ms since epoch */
  createdAt: number;
  /** ms since epoch */
  updatedAt: number;
}

/** A problem found importing a `.smyth` document (src/agents/definition.ts). */
export interface AgentProblem {
  severity: 'error' | 'warning';
  componentId?: string;
  title?: string;
  /** JSON path in the document, e.g. `components[3].data.endpoint`. */
  path: string;
  message: string;
}

/** The states of a run; `running` only until it ends. */
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout';

/** A run as recorded: the `agent_runs` columns, camelCase, JSON columns as values. */
export interface RunRecord {
  /** `run_` + random. */
  id: string;
  agentId: string;
  /** Deployed version run, or null for the draft. */
  version: string | null;
  /** `GET` or `POST`. */
  method: string;
  /** The endpoint path run, e.g. `/api/say`. */
  skill: string;
  status: RunStatus;
  /** What the skill was called with. */
  input: { body: unknown; query: unknown };
  /** The answer's body, or null. */
  result: unknown;
  error: string | null;
  httpStatus: number | null;
  /** User id of the caller, or null (anonymous, vault key). */
  callerId: string | null;
  correlationId: string;
  /** The run whose AgentPlugin call started this one, or null. */
  parentRunId: string | null;
  debugSessionId: string | null;
  /** Waves run. */
  steps: number;
  /** ms since epoch */
  startedAt: number;
  /** ms since epoch; null while running. */
  endedAt: number | null;
}

/** One component call as recorded: the `agent_calls` columns, camelCase, JSON columns as values. */
export interface CallRecord {
  runId: string;
  /** 0, 1, 2 … in call order within the run. */
  seq: number;
  componentId: string;
  /** The component type (`FHash`). */
  componentName: string;
  title: string | null;
  /** The wave it ran in (1-based). */
  step: number;
  /** The component whose output activated it, or null (the entry point). */
  sourceId: string | null;
  input: unknown;
  output: unknown;
  /** `input` already serialized when the call began (the engine's snapshot); preferred over `input` when writing. */
  inputJson?: string;
  /** `output` already serialized when the call ended; preferred over `output` when writing. */
  outputJson?: string | null;
  error: string | null;
  /** ms since epoch */
  startedAt: number;
  /** ms since epoch; null when it never finished (cancelled). */
  endedAt: number | null;
  logs: ComponentLog[];
}

/** One page of an agent's runs, newest first; `nextBefore` continues it (null at the end). */
export interface RunPage {
  runs: RunRecord[];
  nextBefore: string | null;
}
