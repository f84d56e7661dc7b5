/**
 * The queue's contract (src/queue/types.ts, DESIGN §5), one suite for both adapters: the embedded one
 * on the SQLite pass, the Graphile Worker one on the PostgreSQL pass (ORRERY_TEST_DB, as every
 * integration test). Each test gets a fresh database. Handlers are held on gates the test opens, and
 * the test waits on conditions (waitFor, wait()), never on fixed sleeps.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManualClock, type Clock } from '../../src/lib/clock.ts';
import { createQueue } from '../../src/queue/queue.ts';
import type { Queue, QueueOptions } from '../../src/queue/types.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { freshStore, TEST_DB } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const ADAPTER = TEST_DB === 'postgres' ? 'postgres' : 'embedded';
/** Short lease, poll and backoff so the time-based rules show within a test. */
const FAST: QueueOptions = { pollIntervalMs: 50, leaseMs: 1_000, retryBaseMs: 40, retryMaxMs: 400, stopTimeoutMs: 2_000 };

interface Harness {
  dataPath: string;
  databaseUrl: string | undefined;
  /** A queue instance on the shared database (as another process would have). */
  queue(options?: QueueOptions, clock?: Clock): Queue;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

async function setup(): Promise<Harness> {
  const dataPath = mkdtempSync(path.join(tmpdir(), 'orrery-queue-'));
  const fresh = await freshStore(dataPath);
  await migrateToLatest(fresh.store);
  const queues: Queue[] = [];
  cleanups.push(async () => {
    await Promise.all(queues.map((q) => q.stop({ deadlineMs: 0 })));
    await fresh.drop();
    rmSync(dataPath, { recursive: true, force: true });
  });
  return {
    dataPath,
    databaseUrl: fresh.databaseUrl,
    queue(options = {}, clock) {
      const q = createQueue({ store: fresh.store, databaseUrl: fresh.databaseUrl, clock, options: { ...FAST, ...options } });
      queues.push(q);
      return q;
    },
  };
}

/** A promise the test resolves by hand. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((r) => (open = r));
  return { promise, open };
}

/** Resolves when `signal` aborts. */
const abortedOf = (signal: AbortSignal) => new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));

describe(`queue contract (${ADAPTER} adapter)`, () => {
  it('reports its adapter, runs a job and its result is awaitable, readable and listed', async () => {
    const h = await setup();
    const q = h.queue();
    assert.equal(q.adapter, ADAPTER);
    q.work<{ n: number }, { doubled: number }>('double', (p) => ({ doubled: p.n * 2 }));
    await q.start();
    const { id, deduped } = await q.enqueue({ type: 'double', payload: { n: 21 } });
    assert.equal(deduped, false);
    assert.deepEqual(await q.wait(id, { timeoutMs: 10_000 }), { state: 'completed', result: { doubled: 42 } });
    assert.deepEqual(await q.result(id), { state: 'completed', result: { doubled: 42 } });
    const job = await q.get(id);
    assert.equal(job?.state, 'completed');
    assert.equal(job?.attempts, 1);
    assert.deepEqual(job?.payload, { n: 21 });
    assert.ok(job!.finishedAt! >= job!.startedAt! && job!.startedAt! >= job!.createdAt);
    assert.deepEqual((await q.list({ state: 'completed' })).map((j) => j.id), [id]);
    assert.equal((await q.counts()).completed, 1);
    assert.equal(await q.get('999999'), undefined);
    assert.equal(await q.get('not-an-id'), undefined);
    await assert.rejects(q.wait('999999'), /no job 999999/);
  });

  it('validates what it enqueues', async () => {
    const q = (await setup()).queue();
    await assert.rejects(q.enqueue({ type: '', payload: null }), /type must be a non-empty string/);
    await assert.rejects(q.enqueue({ type: 't', payload: null, maxAttempts: 0 }), /maxAttempts/);
    await assert.rejects(q.enqueue({ type: 't', payload: null, timeoutMs: -5 }), /timeoutMs/);
    assert.throws(() => createQueue({ store: { dialect: 'sqlite' } as never, options: { leaseMs: 0 } }), /queue option leaseMs/);
  });

  it('a key dedupes: the same key gives the same job, also under 20 concurrent enqueues and after it finished', async () => {
    const h = await setup();
    const q = h.queue();
    const other = h.queue();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? q : other).enqueue({ type: 'k', payload: i, key: '$event:1' })));
    assert.equal(new Set(results.map((r) => r.id)).size, 1);
    assert.equal(results.filter((r) => !r.deduped).length, 1);
    let runs = 0;
    q.work('k', () => ++runs);
    await q.start();
    assert.equal((await q.wait(results[0]!.id)).state, 'completed');
    assert.deepEqual(await q.enqueue({ type: 'k', payload: 'again', key: '$event:1' }), { id: results[0]!.id, deduped: true });
    assert.equal((await q.counts()).completed, 1);
    assert.equal(runs, 1);
  });

  it('a group runs serially in FIFO order while different groups run in parallel', async () => {
    const h = await setup();
    const q = h.queue();
    const gates = new Map<string, ReturnType<typeof gate<void>>>();
    const started: string[] = [];
    q.work<{ name: string }, void>(
      'step',
      async ({ name }) => {
        started.push(name);
        const g = gate();
        gates.set(name, g);
        await g.promise;
      },
      { concurrency: 10 },
    );
    for (const name of ['a1', 'a2', 'a3']) await q.enqueue({ type: 'step', payload: { name }, group: 'room-a' });
    for (const name of ['b1', 'b2']) await q.enqueue({ type: 'step', payload: { name }, group: 'room-b' });
    await q.start();
    // One of each group runs at once: in parallel across groups, never two of one group.
    await waitFor(() => gates.has('a1') && gates.has('b1'), { what: 'a1 and b1 running together' });
    assert.deepEqual([...started].sort(), ['a1', 'b1']);
    gates.get('a1')!.open();
    await waitFor(() => gates.has('a2'), { what: 'a2 after a1' });
    assert.ok(!gates.has('a3') && !gates.has('b2'), `${started}`);
    gates.get('b1')!.open();
    gates.get('a2')!.open();
    await waitFor(() => gates.has('a3') && gates.has('b2'), { what: 'a3 and b2' });
    gates.get('a3')!.open();
    gates.get('b2')!.open();
    await waitFor(async () => (await q.counts()).completed === 5, { what: 'all five completed' });
    assert.deepEqual(started.filter((s) => s.startsWith('a')), ['a1', 'a2', 'a3']);
    assert.deepEqual(started.filter((s) => s.startsWith('b')), ['b1', 'b2']);
  });

  it('higher priority runs first, FIFO among equal priorities', async () => {
    const h = await setup();
    const q = h.queue();
    const order: string[] = [];
    q.work<string, void>('p', (name) => void order.push(name), { concurrency: 1 });
    for (const [name, priority] of [['low', -5], ['mid1', 0], ['high', 10], ['mid2', 0], ['mid3', 0]] as const) {
      await q.enqueue({ type: 'p', payload: name, priority });
    }
    await q.start();
    await waitFor(() => order.length === 5, { what: 'five jobs' });
    assert.deepEqual(order, ['high', 'mid1', 'mid2', 'mid3', 'low']);
  });

  it('retries with exponential backoff, then completes', async () => {
    const q = (await setup()).queue();
    const starts: number[] = [];
    q.work('flaky', (_p, { attempt }) => {
      starts.push(Date.now());
      if (attempt < 3) throw new Error(`flaked on attempt ${attempt}`);
      return 'ok';
    });
    await q.start();
    const { id } = await q.enqueue({ type: 'flaky', payload: null, maxAttempts: 3 });
    assert.deepEqual(await q.wait(id, { timeoutMs: 10_000 }), { state: 'completed', result: 'ok' });
    assert.equal((await q.get(id))?.attempts, 3);
    // retryBaseMs 40: at least 40 ms before the second attempt, 80 ms before the third.
    assert.ok(starts[1]! - starts[0]! >= 35, `first backoff ${starts[1]! - starts[0]!} ms`);
    assert.ok(starts[2]! - starts[1]! >= 75, `second backoff ${starts[2]! - starts[1]!} ms`);
  });

  it('fails with the last error after maxAttempts', async () => {
    const q = (await setup()).queue();
    q.work('doomed', (_p, { attempt }) => {
      throw new Error(`boom ${attempt}`);
    });
    await q.start();
    const { id } = await q.enqueue({ type: 'doomed', payload: null, maxAttempts: 2 });
    assert.deepEqual(await q.wait(id, { timeoutMs: 10_000 }), { state: 'failed', error: 'boom 2' });
    const job = await q.get(id);
    assert.equal(job?.attempts, 2);
    assert.equal(job?.error, 'boom 2');
    assert.deepEqual((await q.list({ state: 'failed' })).map((j) => j.id), [id]);
  });

  it('a timeout fails the attempt with a clear message and aborts the handler', async () => {
    const q = (await setup()).queue();
    let sawAbort = false;
    q.work('slow', async (_p, { signal }) => {
      await abortedOf(signal);
      sawAbort = true;
      return 'too late';
    });
    await q.start();
    const { id } = await q.enqueue({ type: 'slow', payload: null, timeoutMs: 150, maxAttempts: 1 });
    assert.deepEqual(await q.wait(id, { timeoutMs: 10_000 }), { state: 'failed', error: 'job timed out after 150 ms' });
    assert.ok(sawAbort);
  });

  it('cancels a queued job: it never runs', async () => {
    const q = (await setup()).queue();
    const ran: string[] = [];
    q.work<string, void>('c', (name) => void ran.push(name));
    const doomed = await q.enqueue({ type: 'c', payload: 'doomed' });
    assert.equal(await q.cancel(doomed.id, 'not needed'), true);
    assert.deepEqual(await q.wait(doomed.id), { state: 'cancelled', error: 'not needed' });
    assert.equal(await q.cancel(doomed.id), false, 'already finished');
    assert.equal(await q.cancel('424242'), false, 'unknown');
    await q.start();
    const kept = await q.enqueue({ type: 'c', payload: 'kept' });
    await q.wait(kept.id, { timeoutMs: 10_000 });
    assert.deepEqual(ran, ['kept']);
  });

  it('cancels a running job: its signal aborts, it ends cancelled and its late result is dropped', async () => {
    const q = (await setup()).queue();
    const running = gate();
    q.work('long', async (_p, { signal }) => {
      running.open();
      await abortedOf(signal);
      return 'late result';
    });
    await q.start();
    const { id } = await q.enqueue({ type: 'long', payload: null });
    await running.promise;
    assert.equal((await q.get(id))?.state, 'running');
    assert.equal(await q.cancel(id), true);
    assert.deepEqual(await q.wait(id), { state: 'cancelled', error: null });
    await waitFor(async () => (await q.counts()).running === 0, { what: 'nothing running' });
    assert.equal((await q.get(id))?.state, 'cancelled');
    assert.equal((await q.get(id))?.result, null);
  });

  it('a cancel from another queue instance aborts the handler where it runs', async () => {
    const h = await setup();
    const worker = h.queue();
    const admin = h.queue();
    const running = gate();
    const aborted = gate();
    worker.work('long', async (_p, { signal }) => {
      running.open();
      await abortedOf(signal);
      aborted.open();
    });
    await worker.start();
    const { id } = await admin.enqueue({ type: 'long', payload: null });
    await running.promise;
    assert.equal(await admin.cancel(id), true);
    await aborted.promise;
    assert.equal((await worker.get(id))?.state, 'cancelled');
  });

  it('a job enqueued by another instance is found and its result awaited there', async () => {
    const h = await setup();
    const producer = h.queue();
    const consumer = h.queue();
    consumer.work<number, number>('sq', (n) => n * n);
    await consumer.start();
    const { id } = await producer.enqueue({ type: 'sq', payload: 12 });
    assert.deepEqual(await producer.wait(id, { timeoutMs: 10_000 }), { state: 'completed', result: 144 });
  });

  it('retry() queues a failed job again with fresh attempts', async () => {
    const q = (await setup()).queue();
    let healthy = false;
    q.work('fixable', () => {
      if (!healthy) throw new Error('not yet');
      return 'fixed';
    });
    await q.start();
    const { id } = await q.enqueue({ type: 'fixable', payload: null, maxAttempts: 1 });
    assert.equal((await q.wait(id, { timeoutMs: 10_000 })).state, 'failed');
    assert.equal(await q.retry('123456'), false);
    healthy = true;
    assert.equal(await q.retry(id), true);
    assert.equal(await q.retry(id), false, 'already queued');
    assert.deepEqual(await q.wait(id, { timeoutMs: 10_000 }), { state: 'completed', result: 'fixed' });
    assert.equal((await q.get(id))?.attempts, 1);
  });

  it('wait() gives up on its timeout or signal, leaving the job alone', async () => {
    const q = (await setup()).queue();
    const { id } = await q.enqueue({ type: 'nobody', payload: null });
    await assert.rejects(q.wait(id, { timeoutMs: 50 }), new RegExp(`timed out after 50 ms waiting for job ${id}`));
    const ac = new AbortController();
    const waiting = q.wait(id, { signal: ac.signal });
    ac.abort(new Error('caller gone'));
    await assert.rejects(waiting, /caller gone/);
    assert.equal((await q.get(id))?.state, 'queued');
  });

  it('counts and lists by state and type, newest first, in pages', async () => {
    const q = (await setup()).queue();
    q.work('ok', () => 1);
    const done = await q.enqueue({ type: 'ok', payload: null });
    await q.start();
    await q.wait(done.id);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await q.enqueue({ type: 'later', payload: i })).id);
    const cancelled = await q.enqueue({ type: 'later', payload: 'x' });
    await q.cancel(cancelled.id);
    assert.deepEqual(await q.counts(), { queued: 3, running: 0, completed: 1, failed: 0, cancelled: 1 });
    assert.deepEqual((await q.list({ type: 'later', state: 'queued' })).map((j) => j.id), [...ids].reverse());
    const page1 = await q.list({ limit: 2 });
    const page2 = await q.list({ limit: 2, beforeId: page1.at(-1)!.id });
    assert.deepEqual([...page1, ...page2].map((j) => j.id), [cancelled.id, ...[...ids].reverse(), done.id].slice(0, 4));
  });

  it('prunes finished jobs after the retention, never unfinished ones', async () => {
    const h = await setup();
    const clock = new ManualClock();
    const q = h.queue({ retentionMs: 3_600_000, pruneIntervalMs: 50 }, clock);
    q.work('ok', () => 1);
    await q.start();
    const { id } = await q.enqueue({ type: 'ok', payload: null });
    await q.wait(id);
    const waiting = await q.enqueue({ type: 'nobody', payload: null });
    clock.advance(3_600_000 - 1);
    assert.equal(await q.prune(), 0, 'kept within the retention');
    assert.ok(await q.get(id));
    // The worker prunes at most once per pruneIntervalMs of its clock, and a tick may have pruned
    // (nothing) since the advance above: step past both the retention and the interval.
    clock.advance(2 + 50);
    await waitFor(async () => (await q.get(id)) === undefined, { what: 'the finished job pruned by the worker' });
    assert.equal((await q.get(waiting.id))?.state, 'queued');
    assert.equal(await q.prune(0), 0);
  });

  it('stop() lets in-flight jobs finish, then takes no more', async () => {
    const q = (await setup()).queue();
    const running = gate();
    const release = gate();
    q.work('w', async (name: string) => {
      if (name === 'first') {
        running.open();
        await release.promise;
      }
      return name;
    });
    await q.start();
    const first = await q.enqueue({ type: 'w', payload: 'first' });
    await running.promise;
    const stopping = q.stop({ deadlineMs: 10_000 });
    const second = await q.enqueue({ type: 'w', payload: 'second' });
    release.open();
    await stopping;
    assert.deepEqual(await q.result(first.id), { state: 'completed', result: 'first' });
    assert.equal((await q.get(second.id))?.state, 'queued');
  });

  it('stop() past its deadline aborts the handler and releases the job to another worker', async () => {
    const h = await setup();
    const a = h.queue();
    const b = h.queue();
    const running = gate();
    a.work('stuck', async (_p, { signal }) => {
      running.open();
      await abortedOf(signal);
    });
    b.work('stuck', (_p, { attempt }) => `b took attempt ${attempt}`);
    await a.start();
    const { id } = await a.enqueue({ type: 'stuck', payload: null });
    await running.promise;
    await a.stop({ deadlineMs: 50 });
    assert.equal((await a.get(id))?.state, 'queued');
    await b.start();
    assert.deepEqual(await b.wait(id, { timeoutMs: 10_000 }), { state: 'completed', result: 'b took attempt 2' });
  });

  it('an expired lease re-runs the job of a worker that died: a real worker process is killed mid-job', async () => {
    const h = await setup();
    const q = h.queue();
    const { id } = await q.enqueue({ type: 'crashy', payload: { note: 'survives a crash' }, maxAttempts: 3 });
    const child = spawnWorker(h, 'crashy');
    try {
      const line = await child.lines.find((l) => l.startsWith('started '));
      assert.equal(line, `started ${id} attempt 1`);
      assert.equal((await q.get(id))?.state, 'running');
      child.process.kill('SIGKILL');
      await new Promise((r) => child.process.once('exit', r));
    } finally {
      child.process.kill('SIGKILL');
    }
    q.work<{ note: string }, string>('crashy', (p, { attempt }) => `${p.note} (attempt ${attempt})`);
    await q.start();
    assert.deepEqual(await q.wait(id, { timeoutMs: 15_000 }), { state: 'completed', result: 'survives a crash (attempt 2)' });
    const job = await q.get(id);
    assert.equal(job?.attempts, 2);
  });

  it('a job whose workers keep dying ends failed when its lease expires on the last attempt', async () => {
    const h = await setup();
    const q = h.queue();
    const { id } = await q.enqueue({ type: 'crashy', payload: null, maxAttempts: 1 });
    const child = spawnWorker(h, 'crashy');
    try {
      await child.lines.find((l) => l.startsWith('started '));
      child.process.kill('SIGKILL');
      await new Promise((r) => child.process.once('exit', r));
    } finally {
      child.process.kill('SIGKILL');
    }
    q.work('crashy', () => 'never');
    await q.start();
    const outcome = await q.wait(id, { timeoutMs: 15_000 });
    assert.equal(outcome.state, 'failed');
    assert.match((outcome as { error: string }).error, /lease expired on attempt 1 of 1/);
  });
});

/** A worker process (test/queue/worker-process.ts) on the harness's database, its stdout as lines. */
function spawnWorker(h: Harness, type: string): { process: ChildProcess; lines: { find(p: (l: string) => boolean): Promise<string> } } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'worker-process.ts')], {
    env: { ...process.env, QUEUE_DATA_PATH: h.dataPath, QUEUE_DATABASE_URL: h.databaseUrl ?? '', QUEUE_TYPE: type },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(async () => void child.kill('SIGKILL'));
  const seen: string[] = [];
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    seen.push(...parts);
  });
  return {
    process: child,
    lines: {
      find: (predicate) =>
        waitFor(() => seen.find(predicate), { timeoutMs: 30_000, what: 'a line from the worker process' }),
    },
  };
}
