/**
 * The run record (issue 10 item 2): every run of a skill and every component call in it, written to
 * `agent_runs` / `agent_calls` for the debugger, the monitor stream and the UI's trace view. Runs end
 * at a high rate (target 2 000 runs/s over HTTP on SQLite), so a finished run is handed over whole and
 * written later in batches (src/lib/batcher.ts: one transaction per batch) — the skill's answer never
 * waits on the database. Values are stored as JSON text; what JSON cannot hold becomes a marker
 * string, and an oversized value is cut to its head, so recording never throws.
 */
import type { ComponentLog } from './engine/component.ts';
import type { AgentsStore, CallRow, RunRow } from './store.ts';
import type { CallRecord, RunPage, RunRecord, RunStatus } from './types.ts';

/** Longest JSON text kept for one value, characters; longer ones keep their head (see {@link toRecordJson}). */
export const RECORD_VALUE_MAX_CHARS = 1_000_000;
/** Characters of an oversized value kept. */
const TRUNCATED_HEAD_CHARS = 4096;

/** Writes finished runs without blocking the answer. */
export interface RunRecorder {
  /** Called once when a run ends, with everything (the run row and all its calls); never blocks the answer: buffered, written in batches within {@link RECORD_FLUSH_MS}, flushed on close. */
  record(run: RunRecord, calls: CallRecord[]): void;
  /** Wait until everything recorded so far is written (tests, shutdown). */
  flush(): Promise<void>;
}

/** Reads runs back (what `/api/agents/:id/runs` and the debugger read). */
export interface RunReader {
  /** A run and its calls in call order, or undefined. */
  readRun(runId: string): Promise<{ run: RunRecord; calls: CallRecord[] } | undefined>;
  /** An agent's runs newest first; `before` is a run id (the previous page's `nextBefore`). */
  listRuns(agentId: string, options: { limit: number; before?: string | undefined }): Promise<RunPage>;
}

/** What {@link createRunRecorder} needs. */
export interface RunRecorderDeps {
  store: AgentsStore;
  /** Where a failed batch write is reported (the runs of that batch are lost, the answers were sent). */
  log?: { warn(object: Record<string, unknown>, message: string): void };
  /** Runs per transaction (default 500). */
  maxBatch?: number;
  /** How long a recorded run may wait for others to share its transaction, ms (default {@link RECORD_FLUSH_MS}). */
  flushAfterMs?: number;
}

/** Default wait before buffered run records are written, ms: long enough to gather a busy server's runs, short enough to look immediate. */
export const RECORD_FLUSH_MS = 25;

/**
 * `value` as JSON text for a record column: `null` for undefined; a JSON string
 * `[unserializable: <reason>]` when JSON.stringify throws (a cycle, a BigInt inside); over
 * {@link RECORD_VALUE_MAX_CHARS}, `{"_truncated": <length>, "head": "<first 4096 characters>"}`.
 */
export function toRecordJson(value: unknown): string {
  let text: string | undefined;
  try {
    // The plain call first: a replacer makes every run pay a function call per key for a BigInt
    // that almost never comes.
    text = JSON.stringify(value);
  } catch {
    try {
      text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    } catch (error) {
      return JSON.stringify(`[unserializable: ${error instanceof Error ? error.message : String(error)}]`);
    }
  }
  if (text === undefined) return 'null';
  if (text.length > RECORD_VALUE_MAX_CHARS) return JSON.stringify({ _truncated: text.length, head: text.slice(0, TRUNCATED_HEAD_CHARS) });
  return text;
}

/** JSON text within {@link RECORD_VALUE_MAX_CHARS} (longer: the truncation marker of {@link toRecordJson}). */
function limitJson(text: string): string {
  return text.length > RECORD_VALUE_MAX_CHARS ? JSON.stringify({ _truncated: text.length, head: text.slice(0, TRUNCATED_HEAD_CHARS) }) : text;
}

function fromJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** PostgreSQL refuses NUL in `text`; plain-text columns (JSON escapes it itself) get U+FFFD instead. */
const plain = (text: string | null): string | null => (text === null ? null : text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text);

function runRow(r: RunRecord): RunRow {
  return {
    id: r.id,
    agent_id: r.agentId,
    version: r.version,
    method: r.method,
    skill: plain(r.skill)!,
    status: r.status,
    input: toRecordJson(r.input),
    result: r.result === undefined || r.result === null ? null : toRecordJson(r.result),
    error: plain(r.error),
    http_status: r.httpStatus,
    caller_id: r.callerId,
    correlation_id: plain(r.correlationId)!,
    parent_run_id: r.parentRunId,
    debug_session_id: r.debugSessionId,
    steps: r.steps,
    started_at: r.startedAt,
    ended_at: r.endedAt,
  };
}

function callRow(c: CallRecord): CallRow {
  return {
    run_id: c.runId,
    seq: c.seq,
    component_id: plain(c.componentId)!,
    component_name: plain(c.componentName)!,
    title: plain(c.title),
    step: c.step,
    source_id: plain(c.sourceId),
    input: c.inputJson !== undefined ? limitJson(c.inputJson) : toRecordJson(c.input),
    output: c.outputJson !== undefined ? (c.outputJson === null ? null : limitJson(c.outputJson)) : c.output === undefined ? null : toRecordJson(c.output),
    error: plain(c.error),
    started_at: c.startedAt,
    ended_at: c.endedAt,
    logs: toRecordJson(c.logs),
  };
}

/** A stored run as a {@link RunRecord}. */
export function runFromRow(row: RunRow): RunRecord {
  const input = fromJson(row.input) as RunRecord['input'] | null;
  return {
    id: row.id,
    agentId: row.agent_id,
    version: row.version,
    method: row.method,
    skill: row.skill,
    status: row.status as RunStatus,
    input: input && typeof input === 'object' ? input : { body: null, query: null },
    result: fromJson(row.result),
    error: row.error,
    httpStatus: row.http_status,
    callerId: row.caller_id,
    correlationId: row.correlation_id,
    parentRunId: row.parent_run_id,
    debugSessionId: row.debug_session_id,
    steps: row.steps,
    startedAt: row.started_at,
    endedAt: row.ended_at,
  };
}

/** A stored call as a {@link CallRecord}. */
export function callFromRow(row: CallRow): CallRecord {
  const logs = fromJson(row.logs);
  return {
    runId: row.run_id,
    seq: row.seq,
    componentId: row.component_id,
    componentName: row.component_name,
    title: row.title,
    step: row.step,
    sourceId: row.source_id,
    input: fromJson(row.input),
    output: fromJson(row.output),
    error: row.error,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    logs: Array.isArray(logs) ? (logs as ComponentLog[]) : [],
  };
}

/** Builds the recorder (and reader) over the agents store. */
export function createRunRecorder(deps: RunRecorderDeps): RunRecorder & RunReader {
  const { store } = deps;
  const maxBatch = deps.maxBatch ?? 500;
  const flushAfterMs = deps.flushAfterMs ?? RECORD_FLUSH_MS;
  let buffer: { run: RunRow; calls: CallRow[] }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  /** Write what is buffered, after the writes already started (one transaction per `maxBatch` runs). */
  function writeBuffered(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const items = buffer;
    buffer = [];
    if (items.length === 0) return writing;
    writing = writing.then(async () => {
      for (let i = 0; i < items.length; i += maxBatch) {
        const part = items.slice(i, i + maxBatch);
        try {
          await store.insertRunsWithCalls(
            part.map((x) => x.run),
            part.flatMap((x) => x.calls),
          );
        } catch (error) {
          deps.log?.warn({ err: error, runs: part.length }, 'agent runs could not be written');
        }
      }
    });
    return writing;
  }

  return {
    record(run, calls) {
      let rows: { run: RunRow; calls: CallRow[] };
      try {
        rows = { run: runRow(run), calls: calls.map(callRow) };
      } catch (error) {
        deps.log?.warn({ err: error, run_id: run.id }, 'agent run could not be recorded');
        return;
      }
      buffer.push(rows);
      // Runs end in different turns of the event loop: waiting a few ms gathers them into one
      // transaction instead of one each (the answer never waits for its record).
      if (buffer.length >= maxBatch) void writeBuffered();
      else if (!timer) timer = setTimeout(() => void writeBuffered(), flushAfterMs);
    },
    async flush() {
      await writeBuffered();
    },
    async readRun(runId) {
      // Read-your-writes on this instance: a run that has answered is readable at once, not after
      // its batch's wait (another instance sees it within RECORD_FLUSH_MS).
      await writeBuffered();
      const row = await store.findRun(runId);
      if (!row) return undefined;
      return { run: runFromRow(row), calls: (await store.listCalls(runId)).map(callFromRow) };
    },
    async listRuns(agentId, { limit, before }) {
      await writeBuffered();
      let cursor: { startedAt: number; id: string } | undefined;
      if (before !== undefined) {
        const at = await store.findRun(before);
        if (!at || at.agent_id !== agentId) return { runs: [], nextBefore: null };
        cursor = { startedAt: at.started_at, id: at.id };
      }
      const rows = await store.listRuns(agentId, limit + 1, cursor);
      const page = rows.slice(0, limit).map(runFromRow);
      return { runs: page, nextBefore: rows.length > limit ? page.at(-1)!.id : null };
    },
  };
}
