/**
 * What the engine is given to run a skill: the request (as the runner parsed it from HTTP, or as the
 * CLI built it) and the services components reach through their context.
 */
import type { AgentMemory, OutboundHttpPolicy } from './component.ts';

/** A skill call: method, endpoint path and the request's parts (SmythOS `AgentRequest`). */
export interface RunRequest {
  /** `GET` or `POST`. */
  method: string;
  /** `/api/<endpoint>` (a version prefix already removed). */
  path: string;
  body: Record<string, unknown>;
  query: Record<string, unknown>;
  /** Lower-case names; credentials already removed by the runner. */
  headers: Record<string, string>;
  /** Multipart uploads by field name. */
  files?: UploadedFile[];
}

/** One uploaded file (multipart), held in memory. */
export interface UploadedFile {
  fieldname: string;
  filename: string;
  mimetype: string;
  data: Buffer;
}

/** Services behind the component context, one set per run. */
export interface EngineServices {
  memory: AgentMemory;
  http: OutboundHttpPolicy;
  /** The model router (src/llm/models.ts). */
  generate(request: { model: string; prompt: string; system?: string; maxOutputTokens?: number; signal?: AbortSignal; onText?: (text: string) => void }): Promise<string>;
  /** Runs an Async branch in the background and reports its outcome (durable jobs when a queue exists). */
  async?: AsyncBranches;
  /**
   * Calls another agent's skill (AgentPlugin) as this agent's owner; absent where no other agents
   * exist (`orrery agent run`). Nested calls are bounded by the runner.
   */
  callSkill?(call: SkillSubCall): Promise<{ status: number; data: unknown }>;
}

/** A skill call made by a component (AgentPlugin). */
export interface SkillSubCall {
  agentId: string;
  /** `latest`, `1.2`, or undefined for the draft. */
  version: string | undefined;
  method: string;
  endpoint: string;
  body: Record<string, unknown>;
  signal: AbortSignal;
}

/** An Async branch to run in the background (research/smythos.md §2.5). */
export interface AsyncBranch {
  agentId: string;
  /** The deployed version the parent run used (null: the draft). */
  version: string | null;
  /** The Async component the branch starts at. */
  componentId: string;
  input: Record<string, unknown>;
  /** How many AgentPlugin calls and Async forks deep the starting run was: a branch runs one deeper. */
  depth: number;
}

/** A branch's state as Await reports it: `pending`, `done`, `failed` or `unknown_job`. */
export interface AsyncJobState {
  output: unknown;
  status: string;
}

/**
 * The Async/Await port: in-process by default (`orrery agent run`, tests), durable queue jobs in the
 * server (src/agents/async-jobs.ts) so a branch survives its process and Await works across instances.
 */
export interface AsyncBranches {
  /**
   * Start `branch` and name its job `<componentId>-<id>` (SmythOS's job id shape). `execute` runs it
   * here (in-process); a queue-backed port runs it in a worker instead.
   */
  start(branch: AsyncBranch, execute: (jobId: string) => Promise<unknown>): Promise<string>;
  /**
   * Wait up to `maxTimeMs` until `count` of `jobIds` are no longer pending; each job's state. Only
   * branches of agent `agentId` are visible: any other id is `unknown_job`.
   */
  wait(agentId: string, jobIds: string[], count: number, maxTimeMs: number, signal: AbortSignal): Promise<Record<string, AsyncJobState>>;
}
