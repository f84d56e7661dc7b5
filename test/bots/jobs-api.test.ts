/**
 * `GET /api/bots/jobs` (src/bots/jobs-routes.ts over src/bots/jobs.ts): the Bots page's recent jobs —
 * the caller's own (their events' `bot-command` jobs and their `/_run-command`'s `bot-run-command`
 * ones), everyone's for an admin, newest first, merged across both types,
 * with status, timing and result; who may call it; bad limits. The scan across queue pages is checked
 * on the reader itself with a queue of 1 200 jobs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BOT_COMMAND_JOB } from '../../src/bots/service.ts';
import { createBotJobs } from '../../src/bots/jobs.ts';
import type { Job, ListQuery } from '../../src/queue/types.ts';
import type { User } from '../../src/accounts/types.ts';
import type { Client } from '../helpers/client.ts';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { botUser, type BotUser } from './helpers.ts';

const runBody = (attributes: Record<string, unknown>) => ({ data: { type: 'run-command', attributes } });

describe('GET /api/bots/jobs', () => {
  let t: TestApp;
  let admin: BotUser;
  let alice: BotUser;
  let bob: BotUser;

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000' });
    await t.services.queue.start();
    admin = await botUser(t, 'admin');
    alice = await botUser(t, 'alice');
    bob = await botUser(t, 'bob');
    // Two completed jobs of alice's (a success and an answered failure), one of bob's.
    for (const [u, attributes] of [
      [alice, { command: 'echo', body: 'first' }],
      [bob, { command: 'echo', body: 'bobs' }],
      [alice, { command: 'agent:weather/ask', body: 'rain?' }],
    ] as const) {
      const res = await u.api.post('/_run-command', runBody(attributes));
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    // A job of another type naming alice as sender is not a bot job.
    await t.services.queue.enqueue({ type: 'not-a-bot-job', payload: { event: { sender: alice.userId } } });
  });
  after(() => t.close());

  test("a user sees their own bot jobs, newest first, with state, timing and result", async () => {
    const res = await alice.web.get('/api/bots/jobs');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const jobs = res.body.jobs as any[];
    assert.deepEqual(jobs.map((j) => j.command), ['agent:weather/ask', 'echo']);
    assert.ok(jobs.every((j) => j.sender === alice.userId && j.state === 'completed'));
    const [agent, echo] = jobs;
    assert.equal(echo.ok, true);
    assert.equal(echo.result, 'first');
    assert.equal(echo.args, 'first');
    assert.equal(echo.event_type, 'm.room.message');
    assert.equal(echo.error, null);
    assert.equal(echo.attempts, 1);
    assert.equal(echo.max_attempts, 1);
    for (const key of ['created_at', 'started_at', 'finished_at']) assert.ok(!Number.isNaN(Date.parse(echo[key])), key);
    assert.ok(Date.parse(echo.created_at) <= Date.parse(echo.started_at) && Date.parse(echo.started_at) <= Date.parse(echo.finished_at));
    assert.equal(echo.duration_ms, Date.parse(echo.finished_at) - Date.parse(echo.started_at));
    assert.equal(agent.ok, false);
    assert.equal(agent.result, 'agent not found: weather');
    assert.ok(Number(agent.id) > Number(echo.id), 'newest first');
  });

  test('an admin sees everyone’s bot jobs, and only bot jobs', async () => {
    const web = t.client();
    await web.post('/api/auth/login', { username: 'admin', password: 'password-admin' });
    const res = await web.get('/api/bots/jobs');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.jobs.map((j: any) => j.sender), [alice.userId, bob.userId, alice.userId]);
    assert.ok(res.body.jobs.every((j: any) => j.command !== ''));
  });

  test('a queued job shows no start, finish or result yet; a failed one its error', async () => {
    const queued = await t.services.queue.enqueue({
      type: BOT_COMMAND_JOB,
      payload: { event: { event_id: '$q', room_id: '!r:localhost', type: 'm.room.message', sender: bob.userId, content: {}, origin_server_ts: 0 }, command: 'echo', botId: '', commandId: '', args: '' },
      runAt: Date.now() + 3_600_000,
    });
    const res = await bob.web.get('/api/bots/jobs?limit=1');
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.jobs.map((j: any) => [j.id, j.state, j.started_at, j.finished_at, j.duration_ms, j.ok, j.result, j.room_id]),
      [[queued.id, 'queued', null, null, null, null, null, '!r:localhost']],
    );
    assert.ok(await t.services.queue.cancel(queued.id, 'no longer wanted'));
    const cancelled = (await bob.web.get('/api/bots/jobs?limit=1')).body.jobs[0];
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(cancelled.error, 'no longer wanted');
  });

  test('limit: 1-100, default 20; anything else is 400 ORR_VALIDATION', async () => {
    assert.equal((await alice.web.get('/api/bots/jobs?limit=1')).body.jobs.length, 1);
    assert.equal((await alice.web.get('/api/bots/jobs?limit=100')).status, 200);
    for (const bad of ['0', '101', 'abc', '1.5', '-1']) {
      const res = await alice.web.get(`/api/bots/jobs?limit=${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.code, 'ORR_VALIDATION');
      assert.match(res.body.issues[0].path, /querystring\.limit/);
    }
  });

  test('who may call: any signed-in user (session, access token, API JWT); 401 anonymous and with a bot JWT', async () => {
    const login = async (issue: 'access_token' | 'jwt'): Promise<Client> => {
      const c = t.client();
      c.bearer = (await c.post('/api/auth/login', { username: 'alice', password: 'password-alice', issue })).body.access_token;
      return c;
    };
    for (const c of [await login('access_token'), await login('jwt')]) {
      const res = await c.get('/api/bots/jobs');
      assert.equal(res.status, 200);
      assert.equal(res.body.jobs.length, 2);
    }
    const anonymous = await t.client().get('/api/bots/jobs');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.code, 'ORR_AUTH_UNAUTHORIZED');
    assert.equal((await alice.api.get('/api/bots/jobs')).status, 401, 'the bot JWT is only for the bot endpoints');
    assert.equal((await t.client().get('/api/bots/jobs', { authorization: `Bearer ${admin.jwt}` })).status, 401);
  });

  test('jobs appear as they run: a job run now is listed first', async () => {
    await alice.api.post('/_run-command', runBody({ command: 'echo', body: 'latest' }));
    const first = await waitFor(async () => (await alice.web.get('/api/bots/jobs')).body.jobs[0]);
    assert.equal(first.result, 'latest');
  });
});

describe('createBotJobs', () => {
  const user = (name: string, isAdmin = false): User => ({ userId: `@${name}:localhost`, localpart: name, displayName: null, isAdmin, createdAt: 0, avatarUrl: null });
  /** 1 200 bot jobs, ids 1-1200, alice's the oldest three; one job of another type. */
  function fakeQueue() {
    const jobs: Job[] = Array.from({ length: 1200 }, (_, i) => ({
      id: String(i + 1),
      type: BOT_COMMAND_JOB,
      payload: { event: { sender: i < 3 ? '@alice:localhost' : '@bob:localhost' }, command: 'echo', args: String(i + 1) },
      key: null,
      group: null,
      priority: 0,
      state: 'completed',
      attempts: 1,
      maxAttempts: 3,
      timeoutMs: 1000,
      runAt: i,
      createdAt: i,
      startedAt: i + 1,
      finishedAt: i + 5,
      result: { ok: true, text: 'x' },
      error: null,
    }));
    const calls: ListQuery[] = [];
    return {
      calls,
      list: async (q: ListQuery = {}) => {
        calls.push(q);
        return jobs
          .filter((j) => j.type === q.type && (q.beforeId === undefined || Number(j.id) < Number(q.beforeId)))
          .sort((a, b) => Number(b.id) - Number(a.id))
          .slice(0, q.limit ?? 50);
      },
    };
  }

  test("finds a user's jobs across pages of everyone's, newest first, and stops at the limit", async () => {
    const queue = fakeQueue();
    const jobs = createBotJobs({ queue });
    assert.deepEqual((await jobs.recent(user('alice'))).map((j) => j.id), ['3', '2', '1']);
    assert.deepEqual(queue.calls.filter((c) => c.type === BOT_COMMAND_JOB).map((c) => c.beforeId), [undefined, '701', '201']);
    assert.deepEqual((await jobs.recent(user('alice'), { limit: 2 })).map((j) => j.id), ['3', '2']);
    const bobs = await jobs.recent(user('bob'), { limit: 5 });
    assert.deepEqual(bobs.map((j) => j.id), ['1200', '1199', '1198', '1197', '1196']);
    assert.equal(bobs[0]!.durationMs, 4);
  });

  test('an admin reads one page of everyone’s; limits are clamped to 1-100', async () => {
    const queue = fakeQueue();
    const jobs = createBotJobs({ queue });
    assert.equal((await jobs.recent(user('root', true), { limit: 500 })).length, 100);
    assert.equal((await jobs.recent(user('root', true), { limit: 0 })).length, 1);
    assert.equal((await jobs.recent(user('root', true))).length, 20);
    assert.deepEqual((await jobs.recent(user('nobody'))).length, 0);
  });
});
