/**
 * The event bus contract (CONVENTIONS "Ports and adapters"): one suite run against every
 * implementation of `EventBus` — the in-process bus (src/rooms/event-bus.ts) and the PostgreSQL
 * LISTEN/NOTIFY bus (src/rooms/pg-event-bus.ts, only with ORRERY_TEST_DB=postgres; skipped and
 * counted as skipped otherwise). What holds across instances is checked for the implementations
 * that have more than one.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { createInProcessEventBus, type BusNotification, type EventBus } from '../../src/rooms/event-bus.ts';
import { createPgEventBus, type PgEventBus } from '../../src/rooms/pg-event-bus.ts';
import { TEST_DB, TEST_PG_URL } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

/** One implementation under test: `open(n)` makes `n` instances sharing one medium. */
interface Implementation {
  name: string;
  skip: string | false;
  /** Instances of one deployment (in-process: one; PostgreSQL: one per Orrery on the database). */
  open(n: number): Promise<{ buses: EventBus[]; close(): Promise<void> }>;
  /** More than one instance can share the medium. */
  crossInstance: boolean;
}

const implementations: Implementation[] = [
  {
    name: 'in-process',
    skip: false,
    crossInstance: false,
    async open(n) {
      assert.equal(n, 1, 'the in-process bus has one instance');
      return { buses: [createInProcessEventBus()], close: async () => undefined };
    },
  },
  {
    name: 'PostgreSQL LISTEN/NOTIFY',
    skip: TEST_DB === 'postgres' ? false : 'PostgreSQL only (ORRERY_TEST_DB=postgres)',
    crossInstance: true,
    async open(n) {
      // A channel of its own: tests here and elsewhere never hear each other.
      const channel = `orrery_contract_${randomBytes(4).toString('hex')}`;
      const pool = new pg.Pool({ connectionString: TEST_PG_URL, max: 2 });
      const notify = async (ch: string, payload: string) => {
        await pool.query('select pg_notify($1, $2)', [ch, payload]);
      };
      const buses: PgEventBus[] = Array.from({ length: n }, () => createPgEventBus({ connectionString: TEST_PG_URL, notify, channel }));
      await Promise.all(buses.map((b) => b.ready()));
      return {
        buses,
        async close() {
          await Promise.all(buses.map((b) => b.close()));
          await pool.end();
        },
      };
    },
  },
];

/** One of each kind the bus carries. */
const SAMPLES: BusNotification[] = [
  { kind: 'event', room_id: '!shared:test', stream_ordering: 1, type: 'm.room.message' },
  { kind: 'presence', user_id: '@alice:test', present: true },
  { kind: 'event', room_id: '!other:test', stream_ordering: 2, type: 'm.room.member' },
  { kind: 'presence', user_id: '@alice:test', present: false },
];

/** Everything `bus` delivers to one new subscriber, whether it has heard `n` (an equal copy), and its unsubscribe. */
function listen(bus: EventBus) {
  const heard: BusNotification[] = [];
  const unsubscribe = bus.subscribe((n) => heard.push(n));
  return { heard, unsubscribe, has: (n: BusNotification) => heard.some((h) => isDeepStrictEqual(h, n)) };
}

for (const impl of implementations) {
  describe(`event bus contract: ${impl.name}`, { skip: impl.skip }, () => {
    const opened: Array<() => Promise<void>> = [];
    const open = async (n = 1) => {
      const made = await impl.open(n);
      opened.push(made.close);
      return made.buses;
    };
    after(async () => {
      for (const close of opened) await close();
    });

    test('a publish reaches every subscriber, in publish order', async () => {
      const [bus] = await open();
      const a = listen(bus!);
      const b = listen(bus!);
      for (const n of SAMPLES) bus!.publish(n);
      await waitFor(() => a.heard.length === SAMPLES.length && b.heard.length === SAMPLES.length, { what: 'both subscribers to hear all' });
      assert.deepEqual(a.heard, SAMPLES);
      assert.deepEqual(b.heard, SAMPLES);
    });

    test('presence and resync are carried with their fields', async () => {
      const [bus] = await open();
      const s = listen(bus!);
      const presence: BusNotification = { kind: 'presence', user_id: '@bob:test', present: true };
      bus!.publish(presence);
      bus!.publish({ kind: 'resync' });
      await waitFor(() => s.heard.length === 2, { what: 'presence and resync' });
      assert.deepEqual(s.heard, [presence, { kind: 'resync' }]);
    });

    test('after unsubscribing, a subscriber hears nothing more; the others still do', async () => {
      const [bus] = await open();
      const leaving = listen(bus!);
      const staying = listen(bus!);
      bus!.publish(SAMPLES[0]!);
      await waitFor(() => leaving.heard.length === 1, { what: 'the first notification' });
      leaving.unsubscribe();
      leaving.unsubscribe(); // twice is harmless
      bus!.publish(SAMPLES[1]!);
      // A later marker reaching the staying subscriber proves the bus has delivered what came before it.
      const marker: BusNotification = { kind: 'presence', user_id: '@marker:test', present: true };
      bus!.publish(marker);
      await waitFor(() => staying.has(marker), { what: 'the marker' });
      assert.deepEqual(leaving.heard, [SAMPLES[0]]);
      assert.deepEqual(staying.heard, [SAMPLES[0], SAMPLES[1], marker]);
    });

    test('five hundred subscribers each hear every notification once', async () => {
      const [bus] = await open();
      const many = Array.from({ length: 500 }, () => listen(bus!));
      for (const n of SAMPLES) bus!.publish(n);
      await waitFor(() => many.every((s) => s.heard.length >= SAMPLES.length), { what: 'every subscriber to hear all' });
      for (const s of many) assert.deepEqual(s.heard, SAMPLES);
      for (const s of many) s.unsubscribe();
    });

    if (impl.crossInstance) {
      test("a publish on one instance reaches another instance's subscribers, in order, once", async () => {
        const [one, two] = await open(2);
        const onOne = listen(one!);
        const onTwo = listen(two!);
        const sequence: BusNotification[] = Array.from({ length: 50 }, (_, i) => ({ ...SAMPLES[i % SAMPLES.length]!, ...(i % 2 === 0 ? { stream_ordering: i } : {}) }) as BusNotification);
        for (const n of sequence) one!.publish(n);
        await waitFor(() => onTwo.heard.length >= sequence.length, { what: 'the other instance to hear all' });
        assert.deepEqual(onTwo.heard, sequence);
        // The publisher's own subscribers hear each once (at once, locally), not again from the channel:
        // a marker from the other instance arrives after the publisher's own notifications would have.
        const marker: BusNotification = { kind: 'presence', user_id: '@marker:test', present: false };
        two!.publish(marker);
        await waitFor(() => onOne.has(marker), { what: "the other instance's marker" });
        assert.deepEqual(onOne.heard, [...sequence, marker]);
      });

      test('instances both publishing each hear the other', async () => {
        const [one, two] = await open(2);
        const onOne = listen(one!);
        const onTwo = listen(two!);
        const fromOne: BusNotification = { kind: 'presence', user_id: '@one:test', present: true };
        const fromTwo: BusNotification = { kind: 'presence', user_id: '@two:test', present: true };
        one!.publish(fromOne);
        two!.publish(fromTwo);
        await waitFor(() => onOne.heard.length === 2 && onTwo.heard.length === 2, { what: 'both to hear both' });
        assert.deepEqual(new Set(onOne.heard), new Set([fromOne, fromTwo]));
        assert.deepEqual(new Set(onTwo.heard), new Set([fromOne, fromTwo]));
      });
    }
  });
}
