/**
 * The step debugger's view of a session, pure (no React, no fetch: Node tests import it): what the
 * debugger's answers (issue 11; research/smythos.md §6.3) say about the session
 * — its id, step, whether it closed, its final result — and about each component: whether it is
 * active (runs in the next wave), whether it ran in the last step, and its latest input and output.
 * Also the monitor's frames (§6.7) turned into log lines.
 *
 * Vocabulary: a **step answer** comes from `X-DEBUG-RUN` or `X-DEBUG-INJ` (its `state` lists what
 * ran: `[downstreamResults, {id, name, result}]` per component, one entry unwrapped, where the
 * downstream results are `{id, name, inputs}` — what the call handed each component it feeds); a
 * **read answer** from `X-DEBUG-READ`, or a step answer's `newState` (its `state` maps component ids
 * to `{active, status, step, input, output, runtimeData}`, holding only what the last wave touched;
 * its `step` is that wave, counted from 0, so the waves run so far are `step + 1`).
 */

/** A component in a read answer's `state` (research §6.3 "Read"). */
export interface ReadComponent {
  active?: boolean;
  status?: string;
  step?: number;
  input?: unknown;
  output?: unknown;
  sourceId?: string | null;
  runtimeData?: { input?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

/** A read answer (`X-DEBUG-READ`, or a step's `newState`). */
export interface ReadAnswer {
  state?: Record<string, ReadComponent> | { sessionClosed: true };
  dbgSession?: string | null;
  sessionClosed?: boolean;
  step?: number;
  error?: string;
  expiredDbgSession?: string;
}

/** A step answer (`X-DEBUG-RUN`, `X-DEBUG-INJ`) or a stop answer (`X-DEBUG-STOP`: `{success, dbgSession: null, sessionClosed: true}`). */
export interface StepAnswer {
  state?: unknown;
  dbgSession?: string | null;
  sessionResult?: unknown;
  sessionResults?: unknown[];
  errorResults?: unknown[];
  sessionClosed?: boolean;
  step?: number;
  /** Present when the run is over: exactly the non-debug answer's body. */
  finalResult?: unknown;
  /** The HTTP status the non-debug answer would have had. */
  finalStatus?: number;
  expiredDbgSession?: string;
  newState?: ReadAnswer;
  error?: string;
  success?: boolean;
}

/** One component's call as a step answer reports it. */
export interface RanComponent {
  id: string;
  name?: string;
  result?: unknown;
  error?: unknown;
}

/** What the debugger knows of one component. */
export interface ComponentDebug {
  /** It runs in the next wave (the last read said `active`). */
  active: boolean;
  status?: string;
  step?: number;
  input?: unknown;
  output?: unknown;
  /** The error of its last call (`error`, or its result's `_error`). */
  error?: string;
}

/** The debugger's view of the session on the page. */
export interface DebugModel {
  /** The open session (`dbg-…`, `inj-…`); null: none, or it ended. */
  session: string | null;
  /** The skill (endpoint name) the session runs. */
  endpoint: string | null;
  /** How many waves have run (a step answer's `step`; a read's `step` + 1). */
  step: number | null;
  closed: boolean;
  components: Record<string, ComponentDebug>;
  /** Components that ran in the last step, in the answer's order. */
  ran: string[];
  /** The session's end: the plain call's answer and its status. */
  final: { result: unknown; status: number | null } | null;
  /** A session the server no longer has (stepped after its end, expired, unknown). */
  expired: string | null;
  /** The last answer's `error` (e.g. the loop limit), or a refused call's message. */
  error: string | null;
  /** The run the session is recorded as (`x-run-id`). */
  runId: string | null;
}

/** No session yet. */
export const EMPTY_MODEL: DebugModel = { session: null, endpoint: null, step: null, closed: false, components: {}, ran: [], final: null, expired: null, error: null, runId: null };

/** A fresh model for a session about to start on skill `endpoint`. */
export function startModel(endpoint: string): DebugModel {
  return { ...EMPTY_MODEL, endpoint };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What a step answer's `state` says the calls handed on: each `{id, inputs}` entry (a downstream
 * result), found as {@link componentsRan} finds calls.
 */
export function inputsGiven(state: unknown): Array<{ id: string; inputs: Record<string, unknown> }> {
  const found: Array<{ id: string; inputs: Record<string, unknown> }> = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 32) return;
    if (Array.isArray(v)) for (const item of v) walk(item, depth + 1);
    else if (isObject(v) && typeof v.id === 'string' && isObject(v.inputs) && !('result' in v)) found.push({ id: v.id, inputs: v.inputs });
  };
  walk(state, 0);
  return found;
}

/** Undefined, null, '' and {} say nothing: the value known before stays. */
export function isEmptyValue(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (isObject(v) && Object.keys(v).length === 0);
}

/**
 * The components a step answer's `state` says ran: every `{id, …}` entry with a `result` or an
 * `error`, found in nested arrays only (a result may itself hold `{id, result}` objects: those are
 * data, not calls). Also accepts a single entry.
 */
export function componentsRan(state: unknown): RanComponent[] {
  const found: RanComponent[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 32) return;
    if (Array.isArray(v)) for (const item of v) walk(item, depth + 1);
    else if (isObject(v) && typeof v.id === 'string' && ('result' in v || 'error' in v)) {
      found.push({ id: v.id, ...(typeof v.name === 'string' ? { name: v.name } : {}), ...('result' in v ? { result: v.result } : {}), ...('error' in v ? { error: v.error } : {}) });
    }
  };
  walk(state, 0);
  return found;
}

/** A call's error as text: its own `error`, or the `_error` of its result. */
function errorOf(call: RanComponent): string | undefined {
  const e = call.error ?? (isObject(call.result) ? call.result._error : undefined);
  if (e === undefined || e === null || e === '') return undefined;
  return typeof e === 'string' ? e : JSON.stringify(e);
}

/** The input the Studio shows for a component in a read: its runtime input when it has one. */
function readInput(c: ReadComponent): unknown {
  return isEmptyValue(c.runtimeData?.input) ? c.input : c.runtimeData?.input;
}

/** `model` after a read answer (`X-DEBUG-READ`, or a step's `newState`). */
export function applyRead(model: DebugModel, read: ReadAnswer): DebugModel {
  if (read.expiredDbgSession) return ended(model, { expired: read.expiredDbgSession });
  const next: DebugModel = { ...model, components: { ...model.components } };
  if (isObject(read.state) && !('sessionClosed' in read.state && read.state.sessionClosed === true && Object.keys(read.state).length === 1)) {
    for (const [id, raw] of Object.entries(read.state as Record<string, ReadComponent>)) {
      if (!isObject(raw)) continue;
      const before = next.components[id] ?? { active: false };
      const input = readInput(raw);
      next.components[id] = {
        ...before,
        active: raw.active === true,
        ...(typeof raw.status === 'string' ? { status: raw.status } : {}),
        ...(typeof raw.step === 'number' ? { step: raw.step } : {}),
        ...(isEmptyValue(input) ? {} : { input }),
        ...(isEmptyValue(raw.output) ? {} : { output: raw.output }),
      };
    }
  }
  if (typeof read.step === 'number') next.step = read.step + 1;
  if ('dbgSession' in read) next.session = read.dbgSession ?? null;
  if (read.error) next.error = read.error;
  if (read.sessionClosed === true || ('dbgSession' in read && !read.dbgSession)) return ended(next, {});
  return next;
}

/** The session over: nothing runs next. */
function ended(model: DebugModel, extra: Partial<DebugModel>): DebugModel {
  const components: Record<string, ComponentDebug> = {};
  for (const [id, c] of Object.entries(model.components)) components[id] = { ...c, active: false };
  return { ...model, ...extra, session: null, closed: true, components };
}

/** `model` after a step, inject or stop answer (and its `newState`, when it has one). */
export function applyStep(model: DebugModel, answer: StepAnswer, runId: string | null = null): DebugModel {
  if (answer.expiredDbgSession) return ended({ ...model, ran: [] }, { expired: answer.expiredDbgSession });
  const calls = componentsRan(answer.state);
  for (const e of componentsRan(answer.errorResults)) if (!calls.some((c) => c.id === e.id)) calls.push(e);
  let next: DebugModel = { ...model, components: { ...model.components }, ran: [...new Set(calls.map((c) => c.id))], error: answer.error ?? null };
  if (runId) next.runId = runId;
  for (const call of calls) {
    const before = next.components[call.id] ?? { active: false };
    const error = errorOf(call);
    next.components[call.id] = {
      ...before,
      // It ran; the read that follows says whether it runs again.
      active: false,
      ...('result' in call ? { output: call.result } : {}),
      ...(error ? { error } : {}),
    };
    if (!error) delete next.components[call.id]!.error;
  }
  // What the calls handed on: the input a component will run on (a later read may say more).
  for (const given of inputsGiven(answer.state)) {
    const before = next.components[given.id] ?? { active: false };
    next.components[given.id] = { ...before, input: { ...(isObject(before.input) && before.active ? before.input : {}), ...given.inputs } };
  }
  if (typeof answer.step === 'number') next.step = answer.step;
  if ('dbgSession' in answer) next.session = answer.dbgSession ?? null;
  if ('finalResult' in answer) next.final = { result: answer.finalResult, status: typeof answer.finalStatus === 'number' ? answer.finalStatus : null };
  if (answer.newState) next = applyRead(next, answer.newState);
  if (answer.sessionClosed === true || !next.session) next = ended(next, {});
  return next;
}

/** Whether Run should stop after this answer (research §6.4): the session ended or failed. */
export function runOver(answer: StepAnswer): boolean {
  return !answer.dbgSession || answer.sessionClosed === true || Boolean(answer.error) || Boolean(answer.expiredDbgSession);
}

/** Ids of the components active in `model` (they run in the next wave). */
export function activeIds(model: DebugModel): string[] {
  return Object.entries(model.components)
    .filter(([, c]) => c.active)
    .map(([id]) => id);
}

/** The JSON text a form shows for a value (empty for nothing known). */
export function formText(value: unknown): string {
  if (isEmptyValue(value)) return '';
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return '';
  }
}

/**
 * The injection `[{id, ctx: {active: true, input?, output?}}]` for component `id` from the texts of
 * the inject form: each empty text is left out; otherwise it must be a JSON object.
 * @throws Error naming the field whose text is not a JSON object.
 */
export function injection(id: string, inputText: string, outputText: string): Array<{ id: string; ctx: { active: true; input?: Record<string, unknown>; output?: Record<string, unknown> } }> {
  const parse = (text: string, field: string): Record<string, unknown> | undefined => {
    if (!text.trim()) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`The ${field} is not JSON.`);
    }
    if (!isObject(value)) throw new Error(`The ${field} must be a JSON object (port names to values).`);
    return value;
  };
  const input = parse(inputText, 'input');
  const output = parse(outputText, 'output');
  return [{ id, ctx: { active: true, ...(input ? { input } : {}), ...(output ? { output } : {}) } }];
}

/** A line of the live log. */
export interface LogLine {
  /** The frame's `id:` or a running number, unique in the log. */
  key: string;
  /** `callStart`, `callStop`, `log`, `llm` or `error`. */
  kind: string;
  /** `agent`, `component` or `llm`. */
  source: string;
  /** The component the line is about (absent for `agent`). */
  componentId?: string;
  text: string;
}

/** How much of a value a log line shows, characters. */
const LOG_VALUE_CHARS = 160;

function short(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > LOG_VALUE_CHARS ? `${text.slice(0, LOG_VALUE_CHARS)}…` : text;
}

/**
 * The log lines of one monitor frame (`event` its SSE event name, `data` its data text, `key` a
 * unique base for the lines' keys): `agent` and `component` events' callStart/callStop/log (research
 * §6.7), and the LLM pass-through tokens (newlines escaped as `\n` on the wire). Frames it does not
 * know give no line. A component's logs come as `log` events; a callStop carrying `logs` of a call
 * that sent none (`logged`, the eventIds whose `log` events were seen, which this adds to) shows them.
 */
export function logLines(event: string, data: string, key: string, logged: Set<string> = new Set()): LogLine[] {
  if (event === 'llm/passthrough/content' || event === 'llm/passthrough/thinking') {
    return [{ key, kind: 'llm', source: 'llm', text: `${event === 'llm/passthrough/thinking' ? 'thinking: ' : ''}${data.replace(/\\n/g, '\n')}` }];
  }
  if (event !== 'agent' && event !== 'component') return [];
  let e: Record<string, unknown>;
  try {
    const parsed = JSON.parse(data) as unknown;
    if (!isObject(parsed)) return [];
    e = parsed;
  } catch {
    return [];
  }
  const action = typeof e.action === 'string' ? e.action : 'event';
  const took = typeof e.duration === 'number' ? ` in ${e.duration} ms` : '';
  if (event === 'agent') {
    const where = String(e.endpointPath ?? e.name ?? 'agent');
    const text =
      action === 'callStart'
        ? `agent ${where} started, input ${short(e.input)}`
        : action === 'callStop'
          ? e.error !== undefined && e.error !== null
            ? `agent ${where} failed${took}: ${short(e.error)}`
            : `agent ${where} answered${took}: ${short(e.result)}`
          : `agent ${where} ${action}`;
    return [{ key, kind: action, source: 'agent', text }];
  }
  const id = typeof e.id === 'string' ? e.id : undefined;
  const who = `${String(e.title || e.name || id || 'component')}${id && e.title !== id ? ` (${id})` : ''}`;
  const base = { source: 'component', ...(id ? { componentId: id } : {}) };
  // `logs: [{level, message}]` as §6.7 has it; a lone `{level, message}` is taken as one line.
  const logs = Array.isArray(e.logs) ? (e.logs as Array<{ level?: unknown; message?: unknown }>) : action === 'log' && e.message !== undefined ? [{ level: e.level, message: e.message }] : [];
  const logLinesOf = (prefix: string) => logs.map((l, i) => ({ ...base, key: `${prefix}-${i}`, kind: 'log', text: `${who} ${String(l.level ?? 'info')}: ${String(l.message ?? '')}` }));
  const eventId = typeof e.eventId === 'string' ? e.eventId : undefined;
  if (action === 'log') {
    if (eventId) logged.add(eventId);
    return logLinesOf(key);
  }
  if (action === 'callStart') return [{ ...base, key, kind: action, text: `${who} started, input ${short(e.input)}` }];
  if (action === 'callStop') {
    const error = e.error ?? (isObject(e.output) ? e.output._error : undefined);
    const text = error !== undefined && error !== null && error !== '' ? `${who} failed${took}: ${short(error)}` : `${who} done${took}, output ${short(e.output)}`;
    return [...(eventId && logged.has(eventId) ? [] : logLinesOf(`${key}-logs`)), { ...base, key, kind: action, text }];
  }
  return [{ ...base, key, kind: action, text: `${who} ${action}` }];
}
