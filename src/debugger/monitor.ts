/**
 * The monitor streams (issue 11 item 4; research/smythos.md §6.7): a user opens a monitor on an agent
 * (`GET /agent/:agentId/monitor`), runs that name it in `X-MONITOR-ID` report their calls to it, and
 * its streams receive them as SSE frames. SmythOS writes to the one socket in its own process; here
 * every event is stored and announced on the event bus, so
 * - a stream held by any instance receives the events of a run on any other (`monitor` notifications,
 *   carried across instances by the PostgreSQL bus), and
 * - a stream resumes where it left off: every frame's SSE id is `<monitorId>:<event id>`, so a
 *   reconnecting `EventSource` sends back, in `Last-Event-ID`, both the monitor and the position.
 *
 * Costs: a run without a monitor never reaches this file. A watched run's events are serialized as it
 * makes them (the engine keeps mutating inputs and outputs; a call's input once, for its start and its
 * stop) and buffered; every {@link MONITOR_FLUSH_MS} the buffer is written as one transaction holding
 * one row (a chunk) per agent and set of monitors, however many events and monitors, and announced
 * with one notification. The instance that wrote a batch hands it to its own streams from memory; a
 * stream reads from the database only for another instance's events (one read per agent serves all
 * its streams there) and to catch up or resume. Within one chunk events keep their order; runs naming
 * different sets of monitors in the same few milliseconds may reach a stream one run after the other.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { toRecordJson } from '../agents/run-recorder.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import type { BusNotification, EventBus } from '../rooms/event-bus.ts';
import type { MonitorChunkRow, MonitorStore, NewMonitorChunkRow } from './monitor-store.ts';
import type { MonitorHub, RunMonitor } from './types.ts';

/** A stream closes after this long without an event (ms; research §6.7: 1 h); heartbeats do not count. */
export const MONITOR_IDLE_CLOSE_MS = 60 * 60_000;
/** A monitor stays open this long after its last stream was connected (ms); then runs naming it report nothing. */
export const MONITOR_TTL_MS = 60 * 60_000;
/** Events are kept this long for streams that resume (ms). */
export const MONITOR_EVENT_RETENTION_MS = 60 * 60_000;
/** How long a reported event may wait for others to share its write, ms. */
export const MONITOR_FLUSH_MS = 50;
/** Most monitor ids one run reports to (the rest of `X-MONITOR-ID` is ignored). */
export const MAX_MONITORS_PER_RUN = 16;
/**
 * Most events in one chunk. An event's position (its stream's resume point) is `chunk id × CHUNK_EVENTS
 * + its index`: one number per event, ordered, from one row id.
 */
const CHUNK_EVENTS = 1024;
/** Buffered events that make a batch write at once, without waiting for {@link MONITOR_FLUSH_MS}. */
const BATCH_EVENTS = 4096;
/** Chunks per read. */
const READ_CHUNKS = 100;
/** Pruning runs at most this often, ms. */
const PRUNE_EVERY_MS = 60_000;
/** Connected streams keep their monitors open by touching them this often, ms. */
const TOUCH_EVERY_MS = 5 * 60_000;
/** An id that named no open monitor is not looked up again for this long, ms. */
const UNKNOWN_ID_CACHE_MS = 5_000;
/** Entries of the id → agent cache before it is emptied. */
const MAX_CACHED_IDS = 10_000;
/** Monitor ids per bus notification (payloads stay far below PostgreSQL's 8000 bytes). */
const IDS_PER_NOTIFICATION = 100;
/** After a failed read a group tries again after this long, ms. */
const READ_RETRY_MS = 1_000;

const MONITOR_ID = /^mon-[A-Za-z0-9_-]{22}$/;
const EVENT_ID = /^(mon-[A-Za-z0-9_-]{22}):(\d{1,16})$/;

/** A fresh monitor id: `mon-` and 128 random bits, base64url (unguessable: the id is what a run names). */
export function newMonitorId(): string {
  return `mon-${randomBytes(16).toString('base64url')}`;
}

/** Whether `id` has the shape of a monitor id. */
export function isMonitorId(id: string): boolean {
  return MONITOR_ID.test(id);
}

/** `<monitorId>:<position>` (an SSE `id:` of a monitor stream) → its parts, or undefined. */
export function parseMonitorEventId(text: string): { monitorId: string; after: number } | undefined {
  const match = EVENT_ID.exec(text.trim());
  const after = Number(match?.[2]);
  return match && Number.isSafeInteger(after) ? { monitorId: match[1]!, after } : undefined;
}

/** The last position of chunk `id` (a cursor there has seen the whole chunk). */
const endOf = (id: number) => id * CHUNK_EVENTS + CHUNK_EVENTS - 1;
/** The first chunk that may hold a position after `cursor`. */
const chunkAfter = (cursor: number) => Math.floor((cursor + 1) / CHUNK_EVENTS);

/** A streamed model's text as the `llm/passthrough/*` data line carries it: line breaks as `\n` (research §6.7). */
export function escapeTokenText(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\\n').replaceAll('\u0000', '\uFFFD');
}

/** The first frame of a stream: `event: init`, `data: <monitorId>`, with an id that resumes the monitor at `after`. */
export function initFrame(monitor: { monitorId: string; after: number }): Buffer {
  return Buffer.from(`id: ${monitor.monitorId}:${monitor.after}\nevent: init\ndata: ${monitor.monitorId}\n\n`);
}

/**
 * `head` (small, plain values) as JSON, followed by `fields`, values already JSON text: an event whose
 * input or output is serialized once and shared (`{"a":1}` + `{b: '[2]'}` → `{"a":1,"b":[2]}`). Each
 * value is within toRecordJson's limit on its own; the event keeps its shape whatever their size. An
 * undefined field is left out.
 */
function withFields(head: Record<string, unknown>, fields: Record<string, string | undefined>): string {
  let text = JSON.stringify(head).slice(0, -1);
  for (const [name, json] of Object.entries(fields)) if (json !== undefined) text += `,${JSON.stringify(name)}:${json}`;
  return `${text}}`;
}

/** `value` as {@link toRecordJson} writes it, or undefined for undefined (left out of the event, as JSON.stringify does). */
const jsonOf = (value: unknown): string | undefined => (value === undefined ? undefined : toRecordJson(value));

/** A chunk's events: its text split once, two lines (SSE event name, data line) per event. */
const chunkLines = new WeakMap<MonitorChunkRow, string[]>();
function linesOf(row: MonitorChunkRow): string[] {
  let lines = chunkLines.get(row);
  if (!lines) chunkLines.set(row, (lines = row.events.split('\n')));
  return lines;
}

/** Stands for the monitor id in a chunk's {@link ChunkFrames}: as long as every monitor id. */
const ID_PLACEHOLDER = `mon-${'_'.repeat(22)}`;

/**
 * A whole chunk's SSE frames as bytes, made once however many streams follow it: each event's `id:`
 * names {@link ID_PLACEHOLDER}, and `at` lists where, so a stream's copy only has its monitor id
 * written over those bytes (ten monitors used to cost ten times building and encoding the text).
 */
interface ChunkFrames {
  id: number;
  bytes: Buffer;
  at: number[];
}
const chunkFrames = new WeakMap<string[], ChunkFrames>();
function framesOf(id: number, lines: string[]): ChunkFrames {
  const cached = chunkFrames.get(lines);
  if (cached?.id === id) return cached;
  const base = id * CHUNK_EVENTS;
  let text = '';
  const at: number[] = [];
  let offset = 0;
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const frame = `id: ${ID_PLACEHOLDER}:${base + i / 2}\nevent: ${lines[i]}\ndata: ${lines[i + 1]}\n\n`;
    at.push(offset + 4);
    offset += Buffer.byteLength(frame);
    text += frame;
  }
  const frames = { id, bytes: Buffer.from(text), at };
  chunkFrames.set(lines, frames);
  return frames;
}

/**
 * Write the events of chunk `id` (`lines`: two per event) after `cursor` to a stream of `monitorId`;
 * returns the new cursor (the chunk's end).
 */
function sendChunk(sink: MonitorSink, monitorId: string, id: number, lines: string[], cursor: number): number {
  const base = id * CHUNK_EVENTS;
  // One socket write per chunk, not per event: a watched run's dozen events reach each stream at once.
  if (cursor < base && MONITOR_ID.test(monitorId)) {
    const { bytes, at } = framesOf(id, lines);
    if (bytes.length) {
      const own = Buffer.allocUnsafe(bytes.length);
      bytes.copy(own);
      const name = Buffer.from(monitorId, 'latin1');
      for (const offset of at) name.copy(own, offset);
      sink.write(own);
    }
  } else {
    // Part of a chunk (a stream resuming inside it), or an id of another shape: the text, as it comes.
    let frames = '';
    for (let i = Math.max(0, cursor + 1 - base) * 2; i + 1 < lines.length; i += 2) {
      frames += `id: ${monitorId}:${base + i / 2}\nevent: ${lines[i]}\ndata: ${lines[i + 1]}\n\n`;
    }
    if (frames) sink.write(Buffer.from(frames));
  }
  return Math.max(cursor, endOf(id));
}

/** A monitor a stream is about to follow: which, and the event id it starts after. */
export interface OpenedMonitor {
  monitorId: string;
  agentId: string;
  after: number;
  /** True when an existing monitor was resumed, false when a new one was opened. */
  resumed: boolean;
}

/** Where a stream's frames go (the route's SSE writer). */
export interface MonitorSink {
  write(frame: Buffer): void;
  /** Resolves when the reader has taken most of what was written (pacing of a resumed stream's backlog). */
  ready(): Promise<void>;
  /** False once the stream has ended. */
  isOpen(): boolean;
}

/** A stream following a monitor; `close` when it ends. */
export interface MonitorSubscription {
  close(): void;
}

/** The hub as the routes and the runner use it: {@link MonitorHub} plus the streams' side. */
export interface MonitorStreams extends MonitorHub {
  /**
   * The {@link RunMonitor} of a run of `agentId` naming `ids` (`X-MONITOR-ID`), or undefined when
   * none is an open monitor of that agent. `agentName` goes into the `agent` events.
   */
  observe(agentId: string, ids: string[], options?: { agentName?: string }): Promise<RunMonitor | undefined>;
  /**
   * Open a monitor on `agentId` for `userId`, or resume `resume.monitorId` when it is an open monitor
   * of that agent (after `resume.after`, default: from its start). An unknown, expired or other
   * agent's monitor is not resumed: a new one is opened (the stream's init frame names it).
   */
  open(request: { agentId: string; userId: string; resume?: { monitorId: string; after?: number | undefined } | undefined }): Promise<OpenedMonitor>;
  /** Send `monitor`'s stored events after its position to `sink`, then follow it live until `close`. */
  subscribe(monitor: OpenedMonitor, sink: MonitorSink): Promise<MonitorSubscription>;
  /** Resolves once every event reported so far is stored and announced. */
  flush(): Promise<void>;
  /** Flush, and stop following the bus (shutdown; streams are ended by their routes). */
  close(): Promise<void>;
}

/** What {@link createMonitorHub} needs. */
export interface MonitorHubDeps {
  store: MonitorStore;
  /** Announces stored events to every instance's streams. */
  bus: EventBus;
  clock?: Clock;
  /** Where failed writes and reads are reported (the events of a failed write are lost). */
  log?: { warn(object: Record<string, unknown>, message: string): void };
  /** Default {@link MONITOR_FLUSH_MS}. */
  flushAfterMs?: number;
  /** Default {@link MONITOR_TTL_MS}. */
  ttlMs?: number;
  /** Default {@link MONITOR_EVENT_RETENTION_MS}. */
  retentionMs?: number;
}

/** One stream on this instance. */
interface LocalStream {
  monitorId: string;
  agentId: string;
  cursor: number;
  sink: MonitorSink;
  /** Set once the backlog is out and the stream follows live. */
  group: AgentGroup | undefined;
}

/** This instance's streams of one agent: one read serves them all. */
interface AgentGroup {
  agentId: string;
  streams: Set<LocalStream>;
  reading: boolean;
  dirty: boolean;
}

/** Build the hub. */
export function createMonitorHub(deps: MonitorHubDeps): MonitorStreams {
  const { store, bus } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? { warn: () => undefined };
  const flushAfterMs = deps.flushAfterMs ?? MONITOR_FLUSH_MS;
  const ttlMs = deps.ttlMs ?? MONITOR_TTL_MS;
  const retentionMs = deps.retentionMs ?? MONITOR_EVENT_RETENTION_MS;

  /** Monitor id → its agent (null: no open monitor) and until when that answer holds (ms). */
  const known = new Map<string, { agentId: string | null; until: number }>();
  const remember = (id: string, agentId: string | null, until: number) => {
    if (known.size >= MAX_CACHED_IDS) known.clear();
    known.set(id, { agentId, until });
  };

  // ---- the runs' side: buffer, write in chunks, deliver here, announce ----
  /** A chunk being filled: its row and its lines (two per event) as they came. */
  interface OpenChunk {
    row: NewMonitorChunkRow;
    lines: string[];
  }
  /** Open chunks by `agent_id monitor_ids`, in the order they were started. */
  let open = new Map<string, OpenChunk>();
  let sealed: OpenChunk[] = [];
  let buffered = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let lastPrune = 0;
  let pruning: Promise<void> | undefined;

  function push(agentId: string, monitorIds: string, event: string, data: string): void {
    const key = `${agentId} ${monitorIds}`;
    let chunk = open.get(key);
    if (!chunk) open.set(key, (chunk = { row: { agent_id: agentId, monitor_ids: monitorIds, events: '', created_at: clock.now() }, lines: [] }));
    chunk.lines.push(event, data);
    if (chunk.lines.length >= CHUNK_EVENTS * 2) {
      open.delete(key);
      sealed.push(chunk);
    }
    if (++buffered >= BATCH_EVENTS) void writeBuffered();
    else if (!timer) timer = setTimeout(() => void writeBuffered(), flushAfterMs);
  }

  function writeBuffered(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const chunks = [...sealed, ...open.values()];
    open = new Map();
    sealed = [];
    buffered = 0;
    if (chunks.length) {
      writing = writing.then(async () => {
        const rows = chunks.map((c) => ({ ...c.row, events: c.lines.join('\n') }));
        try {
          const written = await store.insertChunks(rows);
          try {
            deliverOwn(chunks, written);
          } catch (error) {
            // The streams not served read the batch back when it is announced.
            log.warn({ err: error }, 'monitor events could not be delivered from memory');
          }
          announce(rows, written.ids.at(-1)!);
        } catch (error) {
          log.warn({ err: error, chunks: rows.length }, 'monitor events could not be written');
        }
        await prune();
      });
    }
    return writing;
  }

  /**
   * Give this instance's streams the batch it just wrote, from memory: a stream that has seen
   * everything up to `before` gets its events and moves past the batch (no chunk lies between), so
   * the announcement finds it up to date and nothing is read back. A stream that has not (another
   * instance wrote in between, or a read is still to come) is woken to read from the database, which
   * has every chunk in order. Only other instances' streams, and streams catching up, read.
   */
  function deliverOwn(chunks: OpenChunk[], { before, ids }: { before: number; ids: number[] }): void {
    const seen = endOf(before);
    const end = endOf(ids.at(-1)!);
    for (const group of groups.values()) {
      let behind = false;
      for (const stream of group.streams) {
        if (stream.cursor >= end) continue;
        if (stream.cursor < seen) {
          behind = true;
          continue;
        }
        const member = `,${stream.monitorId},`;
        chunks.forEach((chunk, i) => {
          if (chunk.row.agent_id === group.agentId && chunk.row.monitor_ids.includes(member)) stream.cursor = sendChunk(stream.sink, stream.monitorId, ids[i]!, chunk.lines, stream.cursor);
        });
        stream.cursor = end;
      }
      if (behind) wake(group);
    }
  }

  function announce(rows: NewMonitorChunkRow[], lastId: number): void {
    const ids = new Set<string>();
    for (const row of rows) for (const id of row.monitor_ids.split(',')) if (id) ids.add(id);
    const all = [...ids];
    for (let i = 0; i < all.length; i += IDS_PER_NOTIFICATION) bus.publish({ kind: 'monitor', monitor_ids: all.slice(i, i + IDS_PER_NOTIFICATION), up_to: endOf(lastId) });
  }

  /**
   * Prune at most every {@link PRUNE_EVERY_MS}. A caller that comes while a prune runs waits for it,
   * so a flush that follows an `open` (which prunes in the background) ends after that prune did.
   */
  function prune(): Promise<void> {
    if (pruning) return pruning;
    const now = clock.now();
    if (now - lastPrune < PRUNE_EVERY_MS) return Promise.resolve();
    lastPrune = now;
    pruning = store
      .prune(now - retentionMs, now)
      .catch((error: unknown) => log.warn({ err: error }, 'monitor events could not be pruned'))
      .finally(() => (pruning = undefined));
    return pruning;
  }

  /** The open monitors of `agentId` among `ids`, from the cache or one query. */
  async function openMonitorsOf(agentId: string, ids: string[]): Promise<string[]> {
    const now = clock.now();
    const open: string[] = [];
    const lookup: string[] = [];
    for (const id of new Set(ids)) {
      if (open.length + lookup.length >= MAX_MONITORS_PER_RUN) break;
      const cached = known.get(id);
      if (cached && cached.until > now) {
        if (cached.agentId === agentId) open.push(id);
      } else if (isMonitorId(id)) lookup.push(id);
    }
    if (lookup.length) {
      const found = new Map((await store.findMonitors(lookup)).map((row) => [row.id, row]));
      for (const id of lookup) {
        const row = found.get(id);
        if (row && row.expires_at > now) {
          remember(id, row.agent_id, row.expires_at);
          if (row.agent_id === agentId) open.push(id);
        } else remember(id, null, now + UNKNOWN_ID_CACHE_MS);
      }
    }
    return open;
  }

  function runMonitor(agentId: string, monitorIds: string[], agentName: string): RunMonitor {
    const key = `,${monitorIds.join(',')},`;
    const report = (event: string, data: string) => push(agentId, key, event, data);
    /**
     * Each call's input as JSON, from its start to its stop: serialized once, as the call saw it (the
     * engine may change the object afterwards). A call that never stops (a killed run) is dropped with
     * this run's monitor.
     */
    const inputs = new Map<string, string>();
    return {
      agentStart({ endpointPath, input, startTime }) {
        const eventId = randomUUID();
        const inputJson = jsonOf(input);
        if (inputJson !== undefined) inputs.set(eventId, inputJson);
        report('agent', withFields({ eventId, action: 'callStart', endpointPath, id: agentId, name: agentName, startTime }, { input: inputJson }));
        return eventId;
      },
      agentStop({ eventId, endpointPath, input, startTime, endTime, result, error }) {
        const inputJson = inputs.get(eventId) ?? jsonOf(input);
        inputs.delete(eventId);
        const head = { eventId, action: 'callStop', endpointPath, id: agentId, name: agentName, startTime, endTime, duration: endTime - startTime };
        report('agent', withFields(head, error !== undefined ? { input: inputJson, error: JSON.stringify(error) } : { input: inputJson, result: jsonOf(result) }));
      },
      callStart(e) {
        const inputJson = jsonOf(e.input);
        if (inputJson !== undefined) inputs.set(e.eventId, inputJson);
        report('component', withFields({ eventId: e.eventId, action: 'callStart', sourceId: e.sourceId, id: e.componentId, name: e.componentName, title: e.title, startTime: e.startedAt }, { input: inputJson }));
      },
      callStop(e) {
        const inputJson = inputs.get(e.eventId) ?? jsonOf(e.input);
        inputs.delete(e.eventId);
        const head = {
          eventId: e.eventId,
          action: 'callStop',
          sourceId: e.sourceId,
          id: e.componentId,
          name: e.componentName,
          title: e.title,
          startTime: e.startedAt,
          endTime: e.endedAt,
          duration: e.endedAt - e.startedAt,
        };
        const logs = JSON.stringify(e.logs.map(({ level, message }) => ({ level, message })));
        report('component', withFields(head, { input: inputJson, output: jsonOf(e.output), logs, ...(e.error ? { error: JSON.stringify(e.error) } : {}) }));
      },
      log(e) {
        report(
          'component',
          toRecordJson({
            eventId: e.eventId,
            action: 'log',
            sourceId: e.sourceId,
            id: e.componentId,
            name: e.componentName,
            title: e.title,
            startTime: e.startedAt,
            logs: [{ level: e.log.level, message: e.log.message }],
          }),
        );
      },
      token(e) {
        report(`llm/passthrough/${e.kind}`, escapeTokenText(e.text));
      },
      flush: () => writeBuffered(),
    };
  }

  // ---- the streams' side: one read per agent on a notification ----
  const groups = new Map<string, AgentGroup>();
  const byMonitor = new Map<string, Set<LocalStream>>();
  let unsubscribe: (() => void) | undefined;
  let toucher: NodeJS.Timeout | undefined;

  function onNotification(n: BusNotification): void {
    if (n.kind === 'resync') {
      for (const group of groups.values()) wake(group);
      return;
    }
    if (n.kind !== 'monitor') return;
    for (const id of n.monitor_ids) {
      for (const stream of byMonitor.get(id) ?? []) if (stream.cursor < n.up_to && stream.group) wake(stream.group);
    }
  }

  function wake(group: AgentGroup): void {
    if (group.reading) {
      group.dirty = true;
      return;
    }
    group.reading = true;
    void drain(group).finally(() => {
      group.reading = false;
    });
  }

  /** Read the group's chunks until none is left, giving each stream the events of its monitor past its cursor. */
  async function drain(group: AgentGroup): Promise<void> {
    try {
      do {
        group.dirty = false;
        for (;;) {
          const streams = [...group.streams];
          if (!streams.length) return;
          const from = chunkAfter(Math.min(...streams.map((s) => s.cursor)));
          const rows = await store.readChunks(group.agentId, from, [...new Set(streams.map((s) => s.monitorId))], READ_CHUNKS);
          deliver(rows, streams);
          if (rows.length < READ_CHUNKS) break;
        }
      } while (group.dirty);
    } catch (error) {
      log.warn({ err: error, agent_id: group.agentId }, 'monitor events could not be read');
      setTimeout(() => wake(group), READ_RETRY_MS).unref();
    }
  }

  /**
   * Each stream gets the events of its monitor past its cursor; then every cursor moves to the end of
   * the last chunk read: the read covered every stream's monitor from the lowest cursor, and chunk ids
   * become visible in order, so nothing of theirs up to there is left.
   */
  function deliver(rows: MonitorChunkRow[], streams: LocalStream[]): void {
    for (const row of rows) {
      for (const stream of streams) {
        if (endOf(row.id) > stream.cursor && row.monitor_ids.includes(`,${stream.monitorId},`)) {
          stream.cursor = sendChunk(stream.sink, stream.monitorId, row.id, linesOf(row), stream.cursor);
        }
      }
    }
    const last = rows.at(-1)?.id;
    if (last !== undefined) for (const stream of streams) stream.cursor = Math.max(stream.cursor, endOf(last));
  }

  function join(stream: LocalStream): AgentGroup {
    let group = groups.get(stream.agentId);
    if (!group) groups.set(stream.agentId, (group = { agentId: stream.agentId, streams: new Set(), reading: false, dirty: false }));
    stream.group = group;
    group.streams.add(stream);
    let same = byMonitor.get(stream.monitorId);
    if (!same) byMonitor.set(stream.monitorId, (same = new Set()));
    same.add(stream);
    // Only an instance holding streams listens; the rest never see the notifications' cost.
    unsubscribe ??= bus.subscribe(onNotification);
    toucher ??= setInterval(() => void touchLocal(), TOUCH_EVERY_MS).unref();
    return group;
  }

  function leave(stream: LocalStream): void {
    const group = stream.group;
    if (!group) return;
    group.streams.delete(stream);
    if (!group.streams.size && groups.get(group.agentId) === group) groups.delete(group.agentId);
    const same = byMonitor.get(stream.monitorId);
    same?.delete(stream);
    if (same && !same.size) byMonitor.delete(stream.monitorId);
    if (!byMonitor.size) {
      unsubscribe?.();
      unsubscribe = undefined;
      clearInterval(toucher);
      toucher = undefined;
    }
  }

  /** Connected streams keep their monitors open. */
  async function touchLocal(): Promise<void> {
    const ids = [...byMonitor.keys()];
    const until = clock.now() + ttlMs;
    try {
      await store.touchMonitors(ids, until);
      for (const id of ids) {
        const cached = known.get(id);
        if (cached?.agentId) remember(id, cached.agentId, until);
      }
    } catch (error) {
      log.warn({ err: error }, 'monitors could not be kept open');
    }
  }

  return {
    async observe(agentId, ids, options) {
      if (!ids.length) return undefined;
      const open = await openMonitorsOf(agentId, ids);
      return open.length ? runMonitor(agentId, open, options?.agentName ?? '') : undefined;
    },

    async open({ agentId, userId, resume }) {
      const now = clock.now();
      const until = now + ttlMs;
      if (resume && isMonitorId(resume.monitorId)) {
        const [row] = await store.findMonitors([resume.monitorId]);
        if (row && row.agent_id === agentId && row.expires_at > now) {
          await store.touchMonitors([row.id], until);
          remember(row.id, agentId, until);
          return { monitorId: row.id, agentId, after: Math.max(resume.after ?? endOf(row.start_id), 0), resumed: true };
        }
      }
      // Read before the monitor exists: every event for it is written after, with a higher id.
      const startId = await store.lastChunkId();
      const monitorId = newMonitorId();
      await store.insertMonitor({ id: monitorId, agent_id: agentId, user_id: userId, start_id: startId, created_at: now, expires_at: until });
      remember(monitorId, agentId, until);
      void writing.then(prune);
      return { monitorId, agentId, after: endOf(startId), resumed: false };
    },

    async subscribe(monitor, sink) {
      const stream: LocalStream = { monitorId: monitor.monitorId, agentId: monitor.agentId, cursor: monitor.after, sink, group: undefined };
      // The backlog first, paced by the reader; then live, from wherever the backlog ended.
      for (;;) {
        const rows = await store.readChunks(monitor.agentId, chunkAfter(stream.cursor), [monitor.monitorId], READ_CHUNKS);
        for (const row of rows) stream.cursor = sendChunk(sink, monitor.monitorId, row.id, linesOf(row), stream.cursor);
        if (rows.length < READ_CHUNKS || !sink.isOpen()) break;
        await sink.ready();
      }
      let closed = false;
      if (sink.isOpen()) wake(join(stream));
      else closed = true;
      return {
        close() {
          if (closed) return;
          closed = true;
          leave(stream);
        },
      };
    },

    flush: () => writeBuffered(),

    async close() {
      await writeBuffered();
      await pruning;
      unsubscribe?.();
      unsubscribe = undefined;
      clearInterval(toucher);
      toucher = undefined;
    },
  };
}
