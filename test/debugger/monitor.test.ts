/**
 * The monitor streams (issue 11 item 4; research/smythos.md §6.7, §12 item 24): the hub over a real
 * database driven by real agent runs (`executeRun` with the hub's observer, the Echo model streaming
 * its reply), the SSE route on a small Fastify (init frame, ids, resume, heartbeat, idle close, who
 * may open one), the route as the app serves it (owner, admin, another user, anonymous; a skill call
 * with `X-MONITOR-ID`), and on PostgreSQL two instances: a run on one reaches a stream on the other.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import type { Principal } from '../../src/accounts/types.ts';
import { builtinComponents, isKnownComponentType } from '../../src/agents/components/index.ts';
import { importAgent } from '../../src/agents/definition.ts';
import { compileAgent, type CompiledAgent } from '../../src/agents/engine/compile.ts';
import { executeRun } from '../../src/agents/engine/execute.ts';
import { createMonitorHub, MAX_MONITORS_PER_RUN, type MonitorSink, type MonitorStreams, type OpenedMonitor } from '../../src/debugger/monitor.ts';
import { monitorRoutes } from '../../src/debugger/monitor-routes.ts';
import { createMonitorStore, type MonitorStore } from '../../src/debugger/monitor-store.ts';
import type { RunMonitor } from '../../src/debugger/types.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { createModelRouter } from '../../src/llm/models.ts';
import { createInProcessEventBus, type EventBus } from '../../src/rooms/event-bus.ts';
import { createPgEventBus } from '../../src/rooms/pg-event-bus.ts';
import { SSE_KEEP_ALIVE_MS } from '../../src/server/sse.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { agentCallers, importFixture } from '../agents/api-helpers.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';
import { testServices } from '../agents/engine-harness.ts';
import { freshStore, startTestServer, TEST_DB, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

/** One SSE frame as a reader sees it. */
interface Frame {
  id?: string;
  event: string;
  data: string;
}

/** The frames in `text` (comments and the `retry:` line skipped). */
function framesOf(text: string): Frame[] {
  const frames: Frame[] = [];
  for (const block of text.split('\n\n')) {
    const frame: Partial<Frame> = {};
    for (const line of block.split('\n')) {
      const at = line.indexOf(': ');
      if (at <= 0) continue;
      const field = line.slice(0, at);
      if (field === 'id' || field === 'event' || field === 'data') frame[field] = line.slice(at + 2);
    }
    if (frame.event) frames.push(frame as Frame);
  }
  return frames;
}

/** A sink collecting what the hub sends one stream. */
function collector() {
  let text = '';
  let open = true;
  const sink: MonitorSink = {
    write: (frame) => void (text += frame.toString()),
    ready: async () => undefined,
    isOpen: () => open,
  };
  return {
    sink,
    frames: () => framesOf(text),
    events: (event = 'component') => framesOf(text).filter((f) => f.event === event).map((f) => JSON.parse(f.data) as Record<string, any>),
    end: () => void (open = false),
  };
}

/** A talking agent: the endpoint feeds an Echo prompt (it streams) and a prompt on a model nobody has (it logs an error). */
function talker(): CompiledAgent {
  const doc = agent(
    [
      endpoint('EP', 'say', ['message']),
      { id: 'ECHO', name: 'PromptGenerator', data: { model: 'Echo', prompt: 'Saying : {{Input}}, then a few more words', responseFormat: 'text' }, inputs: ['Input'], outputs: ['Reply!'] },
      { id: 'LOST', name: 'PromptGenerator', data: { model: 'no-such-model', prompt: 'Lost : {{Input}}' }, inputs: ['Input'], outputs: ['Reply!'] },
      { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['said'], outputs: ['Output!'] },
    ],
    [
      ['EP', 'body.message', 'ECHO', 'Input'],
      ['EP', 'body.message', 'LOST', 'Input'],
      ['ECHO', 'Reply', 'OUT', 'said'],
    ],
  );
  const { definition, problems } = importAgent(doc, { isKnownType: isKnownComponentType });
  assert.ok(definition, JSON.stringify(problems));
  return compileAgent(definition, builtinComponents);
}

/** Run `compiled` once reported to `monitor` as the debugger does: the agent's start and stop around the engine's run. */
async function watchedRun(compiled: CompiledAgent, monitor: RunMonitor | undefined, message = 'hello monitor') {
  const request = { method: 'POST', path: '/api/say', body: { message }, query: {}, headers: {} };
  const startTime = Date.now();
  const eventId = monitor?.agentStart({ endpointPath: request.path, input: request.body, startTime });
  const outcome = await executeRun({ agent: compiled, request, services: testServices({ generate: createModelRouter() }), ...(monitor ? { observer: monitor } : {}) });
  if (monitor && eventId) {
    monitor.agentStop({ eventId, endpointPath: request.path, input: request.body, startTime, endTime: Date.now(), result: outcome.data });
    await monitor.flush();
  }
  return outcome;
}

describe('monitor hub over a real database', () => {
  let dataPath: string;
  let store: Store;
  let drop: () => Promise<void>;
  let monitorStore: MonitorStore;
  let bus: EventBus;
  let hub: MonitorStreams;
  let compiled: CompiledAgent;
  /** Every batch write: its chunks (rows) and the events in them. */
  const writes: { chunks: number; events: number }[] = [];
  /** Reads of chunks (a stream's backlog, or events this instance did not write itself). */
  let reads = 0;

  before(async () => {
    dataPath = mkdtempSync(path.join(tmpdir(), 'orrery-monitor-'));
    ({ store, drop } = await freshStore(dataPath));
    await migrateToLatest(store);
    const real = createMonitorStore(store.db, store.dialect);
    // Count the batch writes: a run's events must not be one INSERT, nor one row, each.
    monitorStore = {
      ...real,
      insertChunks: (rows) => (writes.push({ chunks: rows.length, events: rows.reduce((n, r) => n + r.events.split('\n').length / 2, 0) }), real.insertChunks(rows)),
      readChunks: (...args) => (reads++, real.readChunks(...args)),
    };
    bus = createInProcessEventBus();
    hub = createMonitorHub({ store: monitorStore, bus });
    compiled = talker();
  });
  after(async () => {
    await hub.close();
    await drop();
    rmSync(dataPath, { recursive: true, force: true });
  });

  const open = (agentId = 'agent-a', userId = '@alice:test') => hub.open({ agentId, userId });
  const follow = async (monitor: OpenedMonitor) => {
    const c = collector();
    const subscription = await hub.subscribe(monitor, c.sink);
    return { ...c, close: () => (c.end(), subscription.close()) };
  };

  test('a run reports agent and component callStart/callStop pairs with matching eventIds, logs, and the streamed tokens (§6.7)', async () => {
    const monitor = await open();
    assert.match(monitor.monitorId, /^mon-[A-Za-z0-9_-]{22}$/);
    assert.equal(monitor.resumed, false);
    const stream = await follow(monitor);
    const run = await hub.observe('agent-a', [monitor.monitorId], { agentName: 'Talker' });
    assert.ok(run);
    writes.length = 0;
    const outcome = await watchedRun(compiled, run);
    assert.equal(outcome.status, 200);
    await waitFor(() => stream.events('agent').length === 2, { what: 'the agent stop' });

    const [start, stop] = stream.events('agent');
    assert.deepEqual(
      { ...start, startTime: typeof start!.startTime },
      { eventId: start!.eventId, action: 'callStart', endpointPath: '/api/say', id: 'agent-a', name: 'Talker', startTime: 'number', input: { message: 'hello monitor' } },
    );
    assert.equal(stop!.action, 'callStop');
    assert.equal(stop!.eventId, start!.eventId);
    assert.equal(stop!.duration, stop!.endTime - stop!.startTime);
    assert.deepEqual(stop!.result, outcome.data);
    assert.equal('error' in stop!, false);

    const components = stream.events();
    const starts = components.filter((e) => e.action === 'callStart');
    const stops = components.filter((e) => e.action === 'callStop');
    assert.deepEqual(starts.map((e) => e.id).sort(), ['ECHO', 'EP', 'LOST', 'OUT']);
    assert.equal(new Set(starts.map((e) => e.eventId)).size, 4, 'one eventId per call');
    for (const s of starts) {
      const matching = stops.filter((e) => e.eventId === s.eventId);
      assert.equal(matching.length, 1, `one stop for ${s.id}`);
      const [p] = matching;
      assert.deepEqual([p!.id, p!.name, p!.title, p!.sourceId, p!.startTime], [s.id, s.name, s.title, s.sourceId, s.startTime]);
      assert.equal(p!.duration, p!.endTime - p!.startTime);
      assert.ok(Array.isArray(p!.logs));
      // A start comes before its stop in the stream.
      assert.ok(components.indexOf(s) < components.indexOf(p!));
    }
    const echo = stops.find((e) => e.id === 'ECHO')!;
    assert.deepEqual(
      { name: echo.name, sourceId: echo.sourceId, input: echo.input, output: echo.output },
      { name: 'PromptGenerator', sourceId: 'EP', input: { Input: 'hello monitor' }, output: { Reply: 'Saying : hello monitor, then a few more words' } },
    );

    // The prompt on an unknown model logged an error: a `log` event with the call's eventId, and the line in its stop.
    const lost = starts.find((e) => e.id === 'LOST')!;
    const logs = components.filter((e) => e.action === 'log');
    assert.equal(logs.length, 1);
    const [line] = logs as [Record<string, any>];
    assert.equal(line.eventId, lost.eventId);
    assert.deepEqual(Object.keys(line).sort(), ['action', 'eventId', 'id', 'logs', 'name', 'sourceId', 'startTime', 'title']);
    assert.equal(line.logs.length, 1);
    assert.equal(line.logs[0].level, 'error');
    assert.match(line.logs[0].message, /model 'no-such-model' is not available/);
    assert.deepEqual(stops.find((e) => e.id === 'LOST')!.logs, line.logs);

    // The Echo model streamed its reply: the pieces, in order, are the reply.
    const tokens = stream.frames().filter((f) => f.event === 'llm/passthrough/content');
    assert.ok(tokens.length > 1, 'several pieces');
    assert.equal(tokens.map((f) => f.data).join(''), 'Saying : hello monitor, then a few more words');

    // Every frame carries `<monitorId>:<position>`, increasing.
    const positions = stream.frames().map((f) => f.id!.split(':'));
    assert.ok(positions.every(([m]) => m === monitor.monitorId));
    const numbers = positions.map(([, n]) => Number(n));
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
    assert.equal(new Set(numbers).size, numbers.length);

    // Written in batches of one row per agent and set of monitors, not one INSERT or row per event.
    const frames = stream.frames().length;
    const summary = `${frames} events in ${writes.length} writes: ${JSON.stringify(writes)}`;
    assert.equal(writes.reduce((n, w) => n + w.events, 0), frames, summary);
    assert.ok(writes.length <= 3 && writes.every((w) => w.chunks === 1), summary);
    stream.close();
  });

  test('token text keeps its line breaks as \\n in the data line (§6.7)', async () => {
    const monitor = await open('agent-tokens');
    const stream = await follow(monitor);
    const run = (await hub.observe('agent-tokens', [monitor.monitorId]))!;
    run.token!({ eventId: 'e1', componentId: 'C', kind: 'content', text: 'line one\nline two\r\n' });
    run.token!({ eventId: 'e1', componentId: 'C', kind: 'thinking', text: 'hmm' });
    await run.flush();
    await waitFor(() => stream.frames().length === 2);
    assert.deepEqual(
      stream.frames().map(({ event, data }) => ({ event, data })),
      [
        { event: 'llm/passthrough/content', data: 'line one\\nline two\\n' },
        { event: 'llm/passthrough/thinking', data: 'hmm' },
      ],
    );
    stream.close();
  });

  test('streams of one run get the same frames, each with its own monitor id in every event id, whatever the characters of the data', async () => {
    const [one, two] = [await open('agent-utf8'), await open('agent-utf8')];
    const [a, b] = [await follow(one), await follow(two)];
    const run = (await hub.observe('agent-utf8', [one.monitorId, two.monitorId]))!;
    const texts = ['héllo', '✓ done', 'emoji 🌍 and \u2028', 'plain'];
    for (const text of texts) run.token!({ eventId: 'e1', componentId: 'C', kind: 'content', text });
    await run.flush();
    await waitFor(() => a.frames().length === texts.length && b.frames().length === texts.length);
    for (const [stream, monitor] of [
      [a, one],
      [b, two],
    ] as const) {
      assert.deepEqual(stream.frames().map((f) => f.data), texts);
      const positions = stream.frames().map((f) => {
        const [name, position] = f.id!.split(':');
        assert.equal(name, monitor.monitorId);
        return Number(position);
      });
      assert.deepEqual(positions, positions.map((_, i) => positions[0]! + i), 'consecutive positions');
    }
    a.close();
    b.close();
  });

  test('X-MONITOR-ID fans one run out to every listed monitor; ids of another agent, unknown and malformed ids are ignored (§12 item 24)', async () => {
    const first = await open();
    const second = await open('agent-a', '@admin:test');
    const others = await open('agent-b');
    const [a, b, c] = [await follow(first), await follow(second), await follow(others)];
    assert.equal(await hub.observe('agent-a', [others.monitorId, 'mon-AAAAAAAAAAAAAAAAAAAAAA', 'nonsense']), undefined);
    assert.equal(await hub.observe('agent-a', []), undefined);
    const run = await hub.observe('agent-a', [first.monitorId, others.monitorId, second.monitorId, first.monitorId, 'mon-AAAAAAAAAAAAAAAAAAAAAA']);
    assert.ok(run);
    await watchedRun(compiled, run);
    await waitFor(() => a.events('agent').length === 2 && b.events('agent').length === 2);
    assert.deepEqual(
      a.frames().map(({ event, data }) => ({ event, data })),
      b.frames().map(({ event, data }) => ({ event, data })),
      'the same events, once each',
    );
    assert.ok(a.frames()[0]!.id!.startsWith(`${first.monitorId}:`));
    assert.ok(b.frames()[0]!.id!.startsWith(`${second.monitorId}:`));
    // agent-b's stream saw nothing, even after a run of agent-b flushed after it.
    const bRun = (await hub.observe('agent-b', [others.monitorId]))!;
    bRun.token!({ eventId: 'x', componentId: 'X', kind: 'content', text: 'only b' });
    await bRun.flush();
    await waitFor(() => c.frames().length === 1);
    assert.deepEqual(c.frames().map((f) => f.data), ['only b']);
    for (const s of [a, b, c]) s.close();
  });

  test('at most MAX_MONITORS_PER_RUN monitors per run', async () => {
    const monitors = await Promise.all(Array.from({ length: MAX_MONITORS_PER_RUN + 2 }, () => open('agent-many')));
    const streams = await Promise.all(monitors.map(follow));
    const run = (await hub.observe('agent-many', monitors.map((m) => m.monitorId)))!;
    run.token!({ eventId: 'x', componentId: 'X', kind: 'content', text: 'hi' });
    await run.flush();
    await waitFor(() => streams.slice(0, MAX_MONITORS_PER_RUN).every((s) => s.frames().length === 1));
    assert.deepEqual(streams.slice(MAX_MONITORS_PER_RUN).map((s) => s.frames().length), [0, 0]);
    for (const s of streams) s.close();
  });

  test('a stream resumes: the same monitor from a position gets what came after it, stored while nobody listened', async () => {
    const monitor = await open('agent-resume');
    const live = await follow(monitor);
    const run = (await hub.observe('agent-resume', [monitor.monitorId]))!;
    for (const text of ['one', 'two']) run.token!({ eventId: 'x', componentId: 'X', kind: 'content', text });
    await run.flush();
    await waitFor(() => live.frames().length === 2);
    const [, lastSeen] = live.frames()[1]!.id!.split(':');
    live.close();
    // While disconnected.
    const later = (await hub.observe('agent-resume', [monitor.monitorId]))!;
    for (const text of ['three', 'four']) later.token!({ eventId: 'x', componentId: 'X', kind: 'content', text });
    await later.flush();

    const resumed = await hub.open({ agentId: 'agent-resume', userId: '@alice:test', resume: { monitorId: monitor.monitorId, after: Number(lastSeen) } });
    assert.deepEqual([resumed.monitorId, resumed.resumed], [monitor.monitorId, true]);
    const again = await follow(resumed);
    assert.deepEqual(again.frames().map((f) => f.data), ['three', 'four'], 'the backlog, before subscribe resolves');
    // And live again from there.
    const more = (await hub.observe('agent-resume', [monitor.monitorId]))!;
    more.token!({ eventId: 'x', componentId: 'X', kind: 'content', text: 'five' });
    await more.flush();
    await waitFor(() => again.frames().length === 3);
    assert.deepEqual(again.frames().map((f) => f.data), ['three', 'four', 'five']);
    again.close();

    // Resuming without a position replays the monitor from its start; another agent's or an unknown monitor is a new one.
    const replay = await follow(await hub.open({ agentId: 'agent-resume', userId: '@alice:test', resume: { monitorId: monitor.monitorId } }));
    assert.deepEqual(replay.frames().map((f) => f.data), ['one', 'two', 'three', 'four', 'five']);
    replay.close();
    const foreign = await hub.open({ agentId: 'agent-a', userId: '@alice:test', resume: { monitorId: monitor.monitorId, after: 0 } });
    assert.equal(foreign.resumed, false);
    assert.notEqual(foreign.monitorId, monitor.monitorId);
  });

  test("a call's stop shows the input it started with, serialized once; what a call lacks is left out of its events", async () => {
    const monitor = await open('agent-input');
    const stream = await follow(monitor);
    const run = (await hub.observe('agent-input', [monitor.monitorId], { agentName: 'Inputs' }))!;
    const input = { items: ['a'] };
    const call = { eventId: 'call-1', componentId: 'LOOP', componentName: 'ForEach', title: undefined, sourceId: null, input, startedAt: 1 };
    run.callStart(call);
    // The engine keeps changing what it handed over (a loop's growing results).
    input.items.push('b');
    run.callStop({ ...call, output: { Results: ['A'] }, error: null, endedAt: 3, logs: [{ level: 'info', message: 'one', time: 2 } as never] });
    // A call stopped before it had an input or an output (a killed run).
    run.callStart({ ...call, eventId: 'call-2', input: undefined });
    run.callStop({ ...call, eventId: 'call-2', input: undefined, output: undefined, error: 'Agent killed', endedAt: 4, logs: [] });
    const eventId = run.agentStart({ endpointPath: '/api/x', input: { n: [1] }, startTime: 1 });
    run.agentStop({ eventId, endpointPath: '/api/x', input: { n: [1, 2] }, startTime: 1, endTime: 5, error: 'HTTP 500' });
    await run.flush();
    await waitFor(() => stream.events('agent').length === 2);
    const [start, stop, killedStart, killedStop] = stream.events();
    assert.deepEqual(start, { eventId: 'call-1', action: 'callStart', sourceId: null, id: 'LOOP', name: 'ForEach', startTime: 1, input: { items: ['a'] } });
    assert.deepEqual(stop, {
      eventId: 'call-1',
      action: 'callStop',
      sourceId: null,
      id: 'LOOP',
      name: 'ForEach',
      startTime: 1,
      endTime: 3,
      duration: 2,
      input: { items: ['a'] },
      output: { Results: ['A'] },
      logs: [{ level: 'info', message: 'one' }],
    });
    assert.deepEqual([Object.keys(killedStart!), 'input' in killedStop!, 'output' in killedStop!, killedStop!.error], [
      ['eventId', 'action', 'sourceId', 'id', 'name', 'startTime'],
      false,
      false,
      'Agent killed',
    ]);
    const [agentStart, agentStop] = stream.events('agent');
    assert.deepEqual([agentStart!.input, agentStop!.input, agentStop!.error, 'result' in agentStop!], [{ n: [1] }, { n: [1] }, 'HTTP 500', false]);
    stream.close();
  });

  test('streams here get what this instance wrote from memory; a stream behind another writer reads it all, in order, from the database', async () => {
    const monitor = await open('agent-own');
    const stream = await follow(monitor);
    const run = (await hub.observe('agent-own', [monitor.monitorId]))!;
    reads = 0;
    run.token!({ eventId: 'x', componentId: 'X', kind: 'content', text: 'one' });
    await run.flush();
    await waitFor(() => stream.frames().length === 1);
    assert.equal(reads, 0, 'nothing read back');

    // Another writer (an instance whose announcement is still on its way) stores a chunk for the monitor;
    // then this instance writes: the stream cannot skip the other's chunk, so it reads both.
    await monitorStore.insertChunks([{ agent_id: 'agent-own', monitor_ids: `,${monitor.monitorId},`, events: 'llm/passthrough/content\ntwo', created_at: Date.now() }]);
    run.token!({ eventId: 'x', componentId: 'X', kind: 'content', text: 'three' });
    await run.flush();
    await waitFor(() => stream.frames().length === 3);
    assert.ok(reads > 0, 'read from the database');
    assert.deepEqual(stream.frames().map((f) => f.data), ['one', 'two', 'three']);
    const positions = stream.frames().map((f) => Number(f.id!.split(':')[1]));
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b));

    // Up to date again: the next batch comes from memory.
    reads = 0;
    run.token!({ eventId: 'x', componentId: 'X', kind: 'content', text: 'four' });
    await run.flush();
    await waitFor(() => stream.frames().length === 4);
    assert.equal(reads, 0);
    stream.close();
  });

  test('a run with no monitor writes nothing; closed streams stop listening', async () => {
    const before = await monitorStore.lastChunkId();
    writes.length = 0;
    assert.equal(await hub.observe('agent-a', []), undefined);
    await watchedRun(compiled, undefined);
    await hub.flush();
    assert.equal(writes.length, 0);
    assert.equal(await monitorStore.lastChunkId(), before);
  });
});

describe('monitor expiry and pruning (manual clock)', () => {
  test('a monitor not touched for its TTL is closed for runs; events older than the retention are pruned', async () => {
    const dataPath = mkdtempSync(path.join(tmpdir(), 'orrery-monitor-'));
    const { store, drop } = await freshStore(dataPath);
    try {
      await migrateToLatest(store);
      const clock = new ManualClock();
      const monitorStore = createMonitorStore(store.db, store.dialect);
      const hub = createMonitorHub({ store: monitorStore, bus: createInProcessEventBus(), clock, ttlMs: 60_000, retentionMs: 60_000 });
      const monitor = await hub.open({ agentId: 'agent-x', userId: '@alice:test' });
      const run = (await hub.observe('agent-x', [monitor.monitorId]))!;
      run.token!({ eventId: 'x', componentId: 'X', kind: 'content', text: 'old' });
      await run.flush();
      assert.equal((await monitorStore.readChunks('agent-x', 0, [monitor.monitorId], 10)).length, 1);

      clock.advance(61_000);
      assert.equal(await hub.observe('agent-x', [monitor.monitorId]), undefined, 'expired');
      const resumed = await hub.open({ agentId: 'agent-x', userId: '@alice:test', resume: { monitorId: monitor.monitorId, after: 0 } });
      assert.equal(resumed.resumed, false, 'an expired monitor is not resumed');
      // The next write prunes what is past the retention, and the expired monitor.
      const fresh = (await hub.observe('agent-x', [resumed.monitorId]))!;
      fresh.token!({ eventId: 'x', componentId: 'X', kind: 'content', text: 'new' });
      await fresh.flush();
      assert.deepEqual((await monitorStore.readChunks('agent-x', 0, [monitor.monitorId, resumed.monitorId], 10)).map((r) => r.events), ['llm/passthrough/content\nnew']);
      assert.deepEqual((await monitorStore.findMonitors([monitor.monitorId, resumed.monitorId])).map((m) => m.id), [resumed.monitorId]);
      await hub.close();
    } finally {
      await drop();
      rmSync(dataPath, { recursive: true, force: true });
    }
  });
});

describe('GET /agent/:agentId/monitor on a small server', () => {
  let dataPath: string;
  let store: Store;
  let drop: () => Promise<void>;
  let hub: MonitorStreams;
  let app: FastifyInstance;
  let base: string;

  before(async () => {
    dataPath = mkdtempSync(path.join(tmpdir(), 'orrery-monitor-'));
    ({ store, drop } = await freshStore(dataPath));
    await migrateToLatest(store);
    hub = createMonitorHub({ store: createMonitorStore(store.db, store.dialect), bus: createInProcessEventBus() });
    // fetch's pool may hold a connection that never carries a request: closing must not wait for it.
    app = Fastify({ forceCloseConnections: true });
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    // Stands in for the auth plugin: `x-test-user: <userId>[,admin][,runtime]`.
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      const header = request.headers['x-test-user'];
      if (typeof header !== 'string') return;
      const [userId, ...flags] = header.split(',');
      request.principal = { user: { userId, isAdmin: flags.includes('admin') }, via: flags.includes('runtime') ? 'runtime_token' : 'session' } as unknown as Principal;
    });
    await app.register(monitorRoutes, {
      monitors: hub,
      canDebug: async (agentId, caller) => (!caller.userId ? 'unauthorized' : caller.admin || (agentId === 'agent-a' && caller.userId === '@alice:test') ? 'ok' : 'not_found'),
      idleCloseMs: 1_000,
      keepAliveMs: 100,
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
    await hub.close();
    await drop();
    rmSync(dataPath, { recursive: true, force: true });
  });

  /** Open the stream; `text` grows as frames arrive. */
  async function connect(query = '', headers: Record<string, string> = { 'x-test-user': '@alice:test' }, agentId = 'agent-a') {
    const controller = new AbortController();
    const res = await fetch(`${base}/agent/${agentId}/monitor${query}`, { headers, signal: controller.signal });
    const state = { text: '', ended: false };
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) break;
          state.text += decoder.decode(value, { stream: true });
        }
        state.ended = true;
      })();
    }
    return {
      res,
      state,
      frames: () => framesOf(state.text),
      until: (predicate: (frames: Frame[]) => boolean, what = 'frames') => waitFor(() => predicate(framesOf(state.text)), { what, timeoutMs: 5_000 }),
      close: () => controller.abort(),
    };
  }

  test('who may open it: anonymous → 401, a runtime token → 401, another user → 404, the owner and an admin → the stream', async () => {
    const anonymous = await fetch(`${base}/agent/agent-a/monitor`);
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await anonymous.json(), { error: 'Debugging requires authentication' });
    const runtime = await fetch(`${base}/agent/agent-a/monitor`, { headers: { 'x-test-user': '@alice:test,runtime' } });
    assert.equal(runtime.status, 401);
    await runtime.body?.cancel();
    const bob = await fetch(`${base}/agent/agent-a/monitor`, { headers: { 'x-test-user': '@bob:test' } });
    assert.equal(bob.status, 404);
    assert.deepEqual(await bob.json(), { error: 'Agent not found' });
    for (const who of ['@alice:test', '@root:test,admin']) {
      const s = await connect('', { 'x-test-user': who });
      assert.equal(s.res.status, 200);
      assert.match(s.res.headers.get('content-type')!, /^text\/event-stream/);
      assert.equal(s.res.headers.get('cache-control'), 'no-cache, no-transform');
      await s.until((f) => f.length === 1);
      s.close();
    }
  });

  test('the first frame is `event: init` with the monitor id; events follow with `<monitorId>:<n>` ids; Last-Event-ID resumes the same monitor', async () => {
    const s = await connect();
    await s.until((f) => f.length === 1, 'init');
    const [init] = s.frames();
    assert.equal(init!.event, 'init');
    const monitorId = init!.data;
    assert.match(monitorId, /^mon-[A-Za-z0-9_-]{22}$/);
    assert.match(init!.id!, new RegExp(`^${monitorId}:\\d+$`));

    const run = (await hub.observe('agent-a', [monitorId]))!;
    const eventId = run.agentStart({ endpointPath: '/api/x', input: { a: 1 }, startTime: 1 });
    run.agentStop({ eventId, endpointPath: '/api/x', input: { a: 1 }, startTime: 1, endTime: 3, error: 'boom' });
    await run.flush();
    await s.until((f) => f.length === 3, 'the agent events');
    const [, start, stop] = s.frames();
    assert.deepEqual(JSON.parse(start!.data), { eventId, action: 'callStart', endpointPath: '/api/x', id: 'agent-a', name: '', startTime: 1, input: { a: 1 } });
    assert.deepEqual(JSON.parse(stop!.data), { eventId, action: 'callStop', endpointPath: '/api/x', id: 'agent-a', name: '', startTime: 1, endTime: 3, duration: 2, input: { a: 1 }, error: 'boom' });
    s.close();

    // Missed while away, then resumed with the header an EventSource sends.
    run.token!({ eventId: 'x', componentId: 'X', kind: 'content', text: 'missed' });
    await run.flush();
    const back = await connect('', { 'x-test-user': '@alice:test', 'last-event-id': start!.id! });
    await back.until((f) => f.length === 3, 'init, the stop, the token');
    assert.deepEqual(
      back.frames().map((f) => [f.event, f.event === 'init' ? f.data : f.id]),
      [
        ['init', monitorId],
        ['agent', stop!.id],
        ['llm/passthrough/content', back.frames()[2]!.id],
      ],
    );
    back.close();

    // The query form, for clients that cannot set the header.
    const queried = await connect(`?monitorId=${monitorId}&lastEventId=${stop!.id!.split(':')[1]}`);
    await queried.until((f) => f.length === 2);
    assert.deepEqual(queried.frames().map((f) => f.data), [monitorId, 'missed']);
    queried.close();

    // Another user cannot resume it (404 before anything), and someone else's Last-Event-ID on another agent opens a new monitor.
    const bob = await fetch(`${base}/agent/agent-a/monitor`, { headers: { 'x-test-user': '@bob:test', 'last-event-id': start!.id! } });
    assert.equal(bob.status, 404);
    await bob.body?.cancel();
    const elsewhere = await connect('', { 'x-test-user': '@root:test,admin', 'last-event-id': start!.id! }, 'agent-z');
    await elsewhere.until((f) => f.length === 1);
    assert.notEqual(elsewhere.frames()[0]!.data, monitorId);
    elsewhere.close();
  });

  test('heartbeat comments keep an idle stream open (every keepAliveMs; SSE_KEEP_ALIVE_MS by default)', async () => {
    assert.equal(SSE_KEEP_ALIVE_MS, 15_000);
    const s = await connect();
    await s.until((f) => f.length === 1);
    await waitFor(() => s.state.text.split(': keep-alive\n\n').length > 2, { what: 'two keep-alive comments' });
    assert.equal(s.state.ended, false);
    s.close();
  });

  test('a stream without events closes after idleCloseMs; events push the deadline back', async () => {
    const s = await connect();
    await s.until((f) => f.length === 1);
    const monitorId = s.frames()[0]!.data;
    const run = (await hub.observe('agent-a', [monitorId]))!;
    // Events every 300 ms for 1.5 s keep it open past its 1 s idle limit.
    const startedAt = Date.now();
    let lastEventAt = 0;
    for (let i = 0; i < 5; i++) {
      run.token!({ eventId: 'x', componentId: 'X', kind: 'content', text: `t${i}` });
      await run.flush();
      await s.until((f) => f.length === i + 2);
      lastEventAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.equal(s.state.ended, false, `open after ${Date.now() - startedAt} ms with events`);
    await waitFor(() => s.state.ended, { what: 'the idle close', timeoutMs: 3_000 });
    const idleFor = Date.now() - lastEventAt;
    assert.ok(idleFor >= 900, `closed ${idleFor} ms after the last event`);
  });
});

describe('the monitor through the app: skill calls with X-MONITOR-ID', () => {
  let t: TestServer;
  let wired = false;

  before(async () => {
    t = await startTestServer({ RATE_LIMIT_MAX: '100000', DEFAULT_AGENT_DOMAIN: 'agents.test' });
    wired = t.orrery.routes.some((r) => r.url === '/agent/:agentId/monitor');
  });
  after(() => t.stop());

  test('owner and admin stream a run called with X-MONITOR-ID; another user 404, anonymous 401', async (c) => {
    if (!wired) return c.skip('GET /agent/:agentId/monitor is not registered in src/app.ts yet');
    const who = await agentCallers(t);
    const id = await importFixture(who.alice, JSON.stringify(agent([endpoint('EP', 'say', ['message']), { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['said'], outputs: ['Output!'] }], [['EP', 'body.message', 'OUT', 'said']])));
    const open = async (client: typeof who.alice) => {
      const headers: Record<string, string> = {};
      if (client.cookies.size) headers.cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      if (client.bearer) headers.authorization = `Bearer ${client.bearer}`;
      return fetch(`${t.url}/agent/${id}/monitor`, { headers });
    };
    const anonymous = await open(who.anonymous);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const bob = await open(who.bob);
    assert.equal(bob.status, 404);
    assert.deepEqual(await bob.json(), { error: 'Agent not found' });

    const streams = await Promise.all([open(who.alice), open(who.admin), open(who.aliceToken)]);
    const readers = streams.map((res) => {
      assert.equal(res.status, 200);
      const state = { text: '' };
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          state.text += decoder.decode(value, { stream: true });
        }
      })();
      return { state, cancel: () => reader.cancel() };
    });
    await waitFor(() => readers.every((r) => framesOf(r.state.text).length === 1), { what: 'the init frames' });
    const ids = readers.map((r) => framesOf(r.state.text)[0]!.data);
    // Alice calls her skill naming her two monitors; the token stream's monitor is not named.
    const res = await who.alice.post('/api/say', { message: 'hi' }, { 'x-agent-id': id, 'x-monitor-id': `${ids[0]}, ${ids[1]}` });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const r of readers.slice(0, 2)) {
      await waitFor(() => framesOf(r.state.text).filter((f) => f.event === 'agent').length === 2, { what: 'agent start and stop' });
      const components = framesOf(r.state.text).filter((f) => f.event === 'component').map((f) => JSON.parse(f.data));
      assert.deepEqual(components.map((e) => `${e.id} ${e.action}`), ['EP callStart', 'EP callStop', 'OUT callStart', 'OUT callStop']);
      assert.equal(components[0].eventId, components[1].eventId);
    }
    assert.equal(framesOf(readers[2]!.state.text).length, 1, 'a monitor not named hears nothing');
    for (const r of readers) await r.cancel();
  });
});

describe('across instances (PostgreSQL)', { skip: TEST_DB !== 'postgres' ? 'PostgreSQL only (ORRERY_TEST_DB=postgres)' : false }, () => {
  test('a run observed on one instance reaches a stream held by another, over the LISTEN/NOTIFY bus', async () => {
    const dataPath = mkdtempSync(path.join(tmpdir(), 'orrery-monitor-'));
    const first = await freshStore(dataPath);
    const second = openStore({ databaseUrl: first.databaseUrl!, dataPath, pgPoolMax: 3 });
    const buses = [first.store, second].map((s) =>
      createPgEventBus({ connectionString: first.databaseUrl!, notify: async (channel, payload) => void (await sql`select pg_notify(${channel}, ${payload})`.execute(s.db)) }),
    );
    try {
      await migrateToLatest(first.store);
      await Promise.all(buses.map((b) => b.ready()));
      const [one, two] = [first.store, second].map((s, i) => createMonitorHub({ store: createMonitorStore(s.db, s.dialect), bus: buses[i]! }));
      // The stream on instance two; the run on instance one.
      const monitor = await two!.open({ agentId: 'agent-pg', userId: '@alice:test' });
      const c = collector();
      const subscription = await two!.subscribe(monitor, c.sink);
      const run = await one!.observe('agent-pg', [monitor.monitorId], { agentName: 'Talker' });
      assert.ok(run, 'instance one sees the monitor instance two opened');
      await watchedRun(talker(), run);
      await waitFor(() => c.events('agent').length === 2, { what: 'the run on the other instance' });
      const starts = c.events().filter((e) => e.action === 'callStart');
      const stops = c.events().filter((e) => e.action === 'callStop');
      assert.equal(starts.length, 4);
      assert.deepEqual(starts.map((e) => e.eventId).sort(), stops.map((e) => e.eventId).sort());
      assert.equal(
        c.frames().filter((f) => f.event === 'llm/passthrough/content').map((f) => f.data).join(''),
        'Saying : hello monitor, then a few more words',
      );
      c.end();
      subscription.close();

      // Both instances write for one stream at once: the stream's own instance delivers its batches from
      // memory, the other's are read back; every event arrives once, in the order of the chunks.
      const mixed = collector();
      const following = await two!.subscribe(monitor, mixed.sink);
      const [fromOne, fromTwo] = await Promise.all([one!, two!].map((hub) => hub.observe('agent-pg', [monitor.monitorId])));
      const sent: string[] = [];
      for (let i = 0; i < 40; i++) {
        const [run, name] = i % 3 === 0 ? [fromOne!, 'one'] : [fromTwo!, 'two'];
        sent.push(`${name}-${i}`);
        run.token!({ eventId: 'x', componentId: 'X', kind: 'thinking', text: `${name}-${i}` });
        if (i % 4 === 3) await new Promise((r) => setTimeout(r, 3));
      }
      await Promise.all([fromOne!.flush(), fromTwo!.flush()]);
      const thinking = () => mixed.frames().filter((f) => f.event === 'llm/passthrough/thinking');
      await waitFor(() => thinking().length >= sent.length, { what: 'every event of both instances' });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(thinking().map((f) => f.data).sort(), [...sent].sort(), 'each once');
      const positions = mixed.frames().map((f) => Number(f.id!.split(':')[1]));
      assert.deepEqual(positions, [...positions].sort((a, b) => a - b), 'in chunk order');
      assert.equal(new Set(positions).size, positions.length);
      mixed.end();
      following.close();
      await Promise.all([one!.close(), two!.close()]);
    } finally {
      await Promise.all(buses.map((b) => b.close()));
      await second.close();
      await first.drop();
      rmSync(dataPath, { recursive: true, force: true });
    }
  });
});
