/**
 * Scale-out on PostgreSQL (DESIGN §4): two Orrery instances on one database wake each other's readers
 * through LISTEN/NOTIFY, and a listener that loses its connection catches up after reconnecting.
 * PostgreSQL only; skipped on SQLite (one instance per database file, in-process bus).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createPgEventBus } from '../../src/rooms/pg-event-bus.ts';
import type { BusNotification } from '../../src/rooms/event-bus.ts';
import { startTestServer, TEST_DB, type TestServer } from '../helpers/server.ts';
import { linkedUser, type LinkedUser } from '../runtime/helpers.ts';
import { sseReader } from '../helpers/sse.ts';
import { waitFor } from '../helpers/wait.ts';

const skip = TEST_DB !== 'postgres' ? 'PostgreSQL only' : false;

async function terminateListeners(databaseUrl: string): Promise<number> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'orrery-listen' and datname = current_database()",
    );
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

describe('two instances on one PostgreSQL database', { skip }, () => {
  let a: TestServer;
  let b: TestServer;
  let alice: LinkedUser;
  let bob: LinkedUser;
  before(async () => {
    a = await startTestServer({ RUNTIME_SHARED_MIN_GAP_MS: '0', RUNTIME_SHARED_DUPLICATE_WINDOW_MS: '0' });
    b = await startTestServer({ RUNTIME_SHARED_MIN_GAP_MS: '0', RUNTIME_SHARED_DUPLICATE_WINDOW_MS: '0' }, { peerOf: a });
    alice = await linkedUser(a, 'alice');
    // Bob registers on instance B; his token works on both (the accounts live in the database).
    bob = await linkedUser(b, 'bob');
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  test('a stream on B receives a message posted on A within milliseconds', async () => {
    const res = await fetch(`${b.url}/api/runtime/stream`, { headers: { authorization: `Bearer ${bob.token}` } });
    assert.equal(res.status, 200);
    const sse = sseReader(res);
    await sse.until(/: connected/);
    const sent = performance.now();
    assert.equal((await alice.bot.post('/api/runtime/shared', { content: 'across instances' })).status, 200);
    await sse.until(/event: message\ndata: .*across instances/, 2000);
    const elapsed = performance.now() - sent;
    assert.ok(elapsed < 1000, `delivered after ${elapsed.toFixed(0)} ms`);
    await sse.cancel();
  });

  test('a long-poll on B returns as soon as A stores a message; presence changes on A reach B', async (t) => {
    const { streamCursor } = (await bob.bot.get('/api/runtime/feed?limit=1')).body;
    // Parked: B's long-poll has read, found nothing, and waits on B's bus.
    const parked = t.mock.method(b.orrery.services.rooms, 'waitForEvent');
    const started = Date.now();
    const poll = bob.bot.get(`/api/runtime/feed?after=${streamCursor}&wait=10000`);
    await waitFor(() => parked.mock.callCount() === 1, { what: 'the long-poll on B to wait' });
    await alice.bot.post('/api/runtime/shared', { content: 'wake the poller' });
    const r = await poll;
    assert.deepEqual(r.body.messages.map((m: { content: string }) => m.content), ['wake the poller']);
    assert.ok(Date.now() - started < 5000, 'woken, not timed out');

    const res = await fetch(`${b.url}/api/runtime/stream`, { headers: { authorization: `Bearer ${bob.token}` } });
    const sse = sseReader(res);
    await sse.until(/: connected/);
    await alice.bot.req('DELETE', '/api/runtime/presence');
    await sse.until(/event: presence\ndata: \{"userId":"@alice:localhost","username":"alice","present":false\}/);
    await sse.cancel();
  });

  test('/health reports the event bus on PostgreSQL', async () => {
    const health = await (await fetch(`${b.url}/health`)).json();
    assert.equal(health.checks.event_bus, 'ok');
  });

  test('when the LISTEN connections drop, they reconnect and a message posted meanwhile still arrives', async () => {
    const res = await fetch(`${b.url}/api/runtime/stream`, { headers: { authorization: `Bearer ${bob.token}` } });
    const sse = sseReader(res);
    await sse.until(/: connected/);
    assert.equal(await terminateListeners(a.config.databaseUrl!), 2, "both instances' listeners");
    // Posted while B cannot hear: B learns of it from the resync after reconnecting.
    assert.equal((await alice.bot.post('/api/runtime/shared', { content: 'while deaf' })).status, 200);
    await sse.until(/data: .*while deaf/, 10_000);
    // And live delivery works again afterwards.
    await alice.bot.post('/api/runtime/shared', { content: 'after reconnect' });
    await sse.until(/data: .*after reconnect/, 5000);
    assert.equal((sse.state.text.match(/while deaf/g) ?? []).length, 1, 'delivered once');
    await sse.cancel();
  });
});

describe('PostgreSQL event bus', { skip }, () => {
  let server: TestServer;
  const notifyVia = (url: string) => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    return {
      notify: async (channel: string, payload: string) => {
        await pool.query('select pg_notify($1, $2)', [channel, payload]);
      },
      end: () => pool.end(),
    };
  };
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  test('health says not listening while the connection is down, then ok again after reconnecting', async () => {
    const url = server.config.databaseUrl!;
    const sender = notifyVia(url);
    const errors: string[] = [];
    const bus = createPgEventBus({ connectionString: url, notify: sender.notify, channel: 'orrery_bus_health', onError: (_e, context) => errors.push(context), reconnectMinMs: 300 });
    try {
      await bus.ready();
      assert.equal(bus.health(), 'ok');
      const resyncs: BusNotification[] = [];
      bus.subscribe((n) => n.kind === 'resync' && resyncs.push(n));
      await terminateListeners(url);
      const seen = new Set<string>();
      await waitFor(
        () => {
          seen.add(bus.health());
          if (seen.has('failed: not listening (reconnecting)') && bus.health() === 'ok') return true;
          throw new Error(`seen: ${[...seen].join(', ')}`);
        },
        { timeoutMs: 5000, intervalMs: 5, what: 'health to go down and come back' },
      );
      assert.equal(resyncs.length, 1, 'readers are told to re-read once');
      assert.ok(errors.includes('listen connection lost'), errors.join(', '));
    } finally {
      await bus.close();
      await sender.end();
    }
    assert.equal(bus.health(), 'failed: closed');
  });

  test("one turn's notifications travel in order, split under the payload limit; an instance hears itself once", async () => {
    const url = server.config.databaseUrl!;
    const senders = [notifyVia(url), notifyVia(url)];
    const one = createPgEventBus({ connectionString: url, notify: senders[0]!.notify, channel: 'orrery_bus_test' });
    const two = createPgEventBus({ connectionString: url, notify: senders[1]!.notify, channel: 'orrery_bus_test' });
    try {
      await Promise.all([one.ready(), two.ready()]);
      const heardByOne: BusNotification[] = [];
      const heardByTwo: BusNotification[] = [];
      one.subscribe((n) => heardByOne.push(n));
      two.subscribe((n) => heardByTwo.push(n));
      // 1000 pointers in one turn: well over one 8000-byte NOTIFY payload.
      for (let i = 1; i <= 1000; i++) one.publish({ kind: 'event', room_id: '!r:test', stream_ordering: i, type: 'm.room.message' });
      await waitFor(() => heardByTwo.length >= 1000, { timeoutMs: 5000, what: '1000 notifications on two' });
      assert.deepEqual(
        heardByTwo.map((n) => (n.kind === 'event' ? n.stream_ordering : -1)),
        Array.from({ length: 1000 }, (_, i) => i + 1),
      );
      // A marker from two reaches one after one's own NOTIFYs (sent before two had heard them all).
      two.publish({ kind: 'presence', user_id: '@marker:test', present: true });
      await waitFor(() => heardByOne.some((n) => n.kind === 'presence'), { what: "two's marker on one" });
      assert.equal(heardByOne.length, 1001, 'its own notifications once (locally), not again from the channel');
    } finally {
      await one.close();
      await two.close();
      await Promise.all(senders.map((s) => s.end()));
    }
  });
});
