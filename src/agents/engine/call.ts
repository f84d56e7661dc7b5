/**
 * What one component call needs besides the wave logic (run.ts): the context it sees, its
 * configuration checked once, the secrets filled into that configuration, and the JSON snapshot its
 * record keeps.
 */
import type { AgentMemory, ComponentContext, ComponentData, ComponentLog, OutboundHttpPolicy } from './component.ts';
import type { CompiledComponent } from './compile.ts';
import type { AgentRun } from './run.ts';
import type { CallEvent } from './run-state.ts';

/**
 * What one component call sees of its run ({@link ComponentContext}). A class, not an object literal
 * with a getter and closures per call: contexts are made for every call, and that showed in profiles.
 */
export class CallContext implements ComponentContext {
  readonly agentId: string;
  readonly runId: string;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly deadlineAt: number | undefined;
  readonly memory: AgentMemory;
  readonly http: OutboundHttpPolicy;

  constructor(
    readonly run: AgentRun,
    private readonly logs: ComponentLog[],
    /** Set when the run is watched (a monitor): logs and streamed tokens are passed on with it. */
    private readonly event?: CallEvent,
  ) {
    this.agentId = run.agent.id;
    this.runId = run.options.runId;
    this.variables = run.options.variables;
    this.deadlineAt = run.options.deadlineAt;
    this.memory = run.services.memory;
    this.http = run.services.http;
  }

  /** Read lazily: the run's AbortController is made only for components that use it. */
  get signal(): AbortSignal {
    return this.run.options.signal;
  }

  log(level: ComponentLog['level'], message: string): void {
    const log: ComponentLog = { level, message, at: Date.now() };
    this.logs.push(log);
    if (this.event) this.run.options.observer?.log({ ...this.event, log });
  }

  generate(request: { model: string; prompt: string; system?: string; maxOutputTokens?: number; signal?: AbortSignal }): Promise<string> {
    const observer = this.run.options.observer;
    const event = this.event;
    // Tokens are asked for only when someone watches: a model then streams its reply.
    const onText = event && observer?.token ? (text: string) => observer.token!({ eventId: event.eventId, componentId: event.componentId, kind: 'content', text }) : undefined;
    return this.run.services.generate({ ...request, signal: request.signal ?? this.run.options.signal, ...(onText ? { onText } : {}) });
  }
}

const configErrors = new WeakMap<CompiledComponent, string | null>();

/**
 * The component's configuration error, or null: checked once per compiled component (its `data`
 * never changes), not on every call as SmythOS does.
 */
export function configErrorOf(entry: CompiledComponent): string | null {
  let error = configErrors.get(entry);
  if (error === undefined) {
    error = null;
    const parsed = entry.type?.configSchema?.safeParse(entry.data.data);
    if (parsed && !parsed.success) {
      // Joi stops at the first problem (abortEarly), and the schemas carry SmythOS's own wording.
      const reason = parsed.error.issues[0]?.message ?? 'invalid configuration';
      error = `Schema Validation error: ${reason} on component ${entry.displayName}:${entry.data.title ?? ''}`;
    }
    configErrors.set(entry, error);
  }
  return error;
}

/** `value` as JSON text; a value JSON cannot hold (a cycle, a BigInt) becomes a string saying so. */
export function snapshotJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    return JSON.stringify(`[unserializable: ${error instanceof Error ? error.message : String(error)}]`);
  }
}

const SECRET_PLACEHOLDER = /{{(.*?)}}/g;

/** Whether `value` (a configuration, at any depth) holds a `{{…}}` placeholder. */
export function hasPlaceholder(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (value && typeof value === 'object') for (const v of Object.values(value)) if (hasPlaceholder(v)) return true;
  return false;
}

/** A copy of `value` with `{{token}}` replaced where `token` is a secret (strings, arrays, objects, at any depth). */
export function fillSecrets(value: unknown, secrets: Record<string, string>): unknown {
  if (typeof value === 'string') return value.includes('{{') ? value.replace(SECRET_PLACEHOLDER, (m, token: string) => secrets[token.trim()] ?? m) : value;
  if (Array.isArray(value)) return value.map((v) => fillSecrets(v, secrets));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fillSecrets(v, secrets);
    return out;
  }
  return value;
}

/** `data` with its secrets filled, or `data` itself when it has no placeholder. */
export function withSecrets(data: ComponentData, secrets: Record<string, string> | undefined): ComponentData {
  if (!secrets || Object.keys(secrets).length === 0 || !hasPlaceholder(data.data)) return data;
  return { ...data, data: fillSecrets(data.data, secrets) as Record<string, unknown> };
}
