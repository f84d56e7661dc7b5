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
  generate(request: { model: string; prompt: string; system?: string; maxOutputTokens?: number; signal?: AbortSignal }): Promise<string>;
  /** Runs an Async branch in the background and reports its outcome (durable jobs when a queue exists). */
  async?: AsyncBranches;
}

/** The Async/Await port: in-process by default, queue-backed in the server. */
export interface AsyncBranches {
  /** Start a branch; returns its job id at once. */
  start(branch: { agentId: string; componentId: string; input: Record<string, unknown> }, run: () => Promise<unknown>): Promise<string>;
  /** Wait up to `maxTimeMs` for `count` of `jobIds` to finish; returns each job's `{output, status}`. */
  wait(jobIds: string[], count: number, maxTimeMs: number, signal: AbortSignal): Promise<Record<string, { output: unknown; status: string }>>;
}
