/**
 * The queue's admin API (src/queue/admin-routes.ts): counts and a filtered page of jobs, retry of a
 * failed job, cancel of a queued one, every refusal (400 bad id/state/before/limit, 401, 403
 * non-admin, 404 unknown job, 409 retry of a job that is not failed/cancelled, cancel of a finished
 * one), that a burst of the same call at once changes a job once, and who may call each route.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../helpers/client.ts';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const FAILS = 'admin-api-fails';
const IDLE = 'admin-api-idle';

describe('queue admin API', () => {
  let t: TestApp;
  let admin: Client;
  let user: Client;
  /** While true, the FAILS handler throws. */
  let failing = true;
  let failedId: string;
  let queuedId: string;

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000' });
    admin = t.client();
    await admin.register('admin'); // the first account is the admin
    user = t.client();
    await user.register('alice');
    const { queue } = t.services;
    queue.work(FAILS, () => {
      if (failing) throw new Error('the handler broke');
      return { fixed: true };
    });
    await queue.start();
    failedId = (await queue.enqueue({ type: FAILS, payload: { n: 1 }, maxAttempts: 1 })).id;
    await waitFor(async () => (await queue.get(failedId))?.state === 'failed', { what: 'the job to fail' });
    // Nobody works on IDLE: its jobs stay queued.
    queuedId = (await queue.enqueue({ type: IDLE, payload: { n: 2 }, key: 'idle-1', group: 'g', priority: 5 })).id;
    await queue.enqueue({ type: IDLE, payload: { n: 3 } });
  });
  after(() => t.close());

  test('GET /api/admin/queue: counts by state and the jobs, newest first', async () => {
    const res = await admin.get('/api/admin/queue');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body.counts), ['queued', 'running', 'completed', 'failed', 'cancelled']);
    assert.equal(res.body.counts.failed, 1);
    assert.equal(res.body.counts.queued, 2);
    assert.deepEqual(res.body.jobs.map((j: any) => j.type), [IDLE, IDLE, FAILS]);
    assert.equal(res.body.next_before, null);
    const failed = res.body.jobs[2];
    assert.equal(failed.id, failedId);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error, 'the handler broke');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.max_attempts, 1);
    assert.deepEqual(failed.payload, { n: 1 });
    assert.equal(failed.duration_ms, Date.parse(failed.finished_at) - Date.parse(failed.started_at));
    const queued = res.body.jobs.find((j: any) => j.id === queuedId);
    assert.deepEqual([queued.key, queued.group, queued.priority, queued.started_at, queued.finished_at, queued.duration_ms], ['idle-1', 'g', 5, null, null, null]);
  });

  test('filters by state and type, pages with before/limit', async () => {
    const failed = await admin.get('/api/admin/queue?state=failed');
    assert.deepEqual(failed.body.jobs.map((j: any) => j.id), [failedId]);
    assert.equal(failed.body.counts.queued, 2, 'counts are always of every state');
    assert.equal((await admin.get('/api/admin/queue?state=running')).body.jobs.length, 0);
    assert.deepEqual((await admin.get(`/api/admin/queue?type=${FAILS}`)).body.jobs.map((j: any) => j.id), [failedId]);
    const page1 = await admin.get('/api/admin/queue?limit=2');
    assert.equal(page1.body.jobs.length, 2);
    assert.equal(page1.body.next_before, page1.body.jobs[1].id);
    const page2 = await admin.get(`/api/admin/queue?limit=2&before=${page1.body.next_before}`);
    assert.deepEqual(page2.body.jobs.map((j: any) => j.id), [failedId]);
    assert.equal(page2.body.next_before, null);
  });

  test('400 ORR_VALIDATION for an unknown state, a bad before or limit, a job id that is not digits', async () => {
    for (const query of ['state=done', 'state=', 'before=abc', 'before=-1', 'limit=0', 'limit=501', 'limit=x', `type=${'x'.repeat(201)}`]) {
      const res = await admin.get(`/api/admin/queue?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.code, 'ORR_VALIDATION', query);
      assert.ok(res.body.issues[0].path.startsWith('querystring.'), query);
    }
    for (const action of ['retry', 'cancel']) {
      for (const id of ['abc', '1x', '1234567890123456789']) {
        const res = await admin.post(`/api/admin/queue/jobs/${id}/${action}`);
        assert.equal(res.status, 400, `${action} ${id}`);
        assert.equal(res.body.code, 'ORR_VALIDATION');
        assert.equal(res.body.issues[0].path, 'params.id');
      }
    }
  });

  test('404 ORR_QUEUE_JOB_NOT_FOUND for an unknown job', async () => {
    for (const action of ['retry', 'cancel']) {
      const res = await admin.post(`/api/admin/queue/jobs/999999/${action}`);
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { error: 'job not found', code: 'ORR_QUEUE_JOB_NOT_FOUND' });
    }
  });

  test('409: retry of a queued job; cancel of a failed one', async () => {
    const retry = await admin.post(`/api/admin/queue/jobs/${queuedId}/retry`);
    assert.equal(retry.status, 409);
    assert.deepEqual(retry.body, { error: 'only a failed or cancelled job can be retried', code: 'ORR_QUEUE_JOB_NOT_RETRYABLE' });
    const cancel = await admin.post(`/api/admin/queue/jobs/${failedId}/cancel`);
    assert.equal(cancel.status, 409);
    assert.deepEqual(cancel.body, { error: 'job has already finished', code: 'ORR_QUEUE_JOB_FINISHED' });
    assert.equal((await t.services.queue.get(failedId))?.state, 'failed', 'unchanged');
  });

  test('retry runs a failed job again with fresh attempts; it then completes', async () => {
    failing = false;
    const res = await admin.post(`/api/admin/queue/jobs/${failedId}/retry`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.job.id, failedId);
    assert.ok(['queued', 'running', 'completed'].includes(res.body.job.state), res.body.job.state);
    const done = await waitFor(async () => {
      const job = await t.services.queue.get(failedId);
      return job?.state === 'completed' && job;
    });
    assert.deepEqual(done.result, { fixed: true });
    assert.equal(done.attempts, 1, 'fresh attempts');
    const again = await admin.post(`/api/admin/queue/jobs/${failedId}/retry`);
    assert.equal(again.status, 409, 'a completed job is not retried');
  });

  test('cancel ends a queued job cancelled (with who did it); cancelling it again is 409; a cancelled job can be retried', async () => {
    const res = await admin.post(`/api/admin/queue/jobs/${queuedId}/cancel`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.job.state, 'cancelled');
    assert.equal(res.body.job.error, 'cancelled by @admin:localhost');
    assert.ok(res.body.job.finished_at);
    assert.equal((await admin.post(`/api/admin/queue/jobs/${queuedId}/cancel`)).status, 409);
    const counts = (await admin.get('/api/admin/queue')).body.counts;
    assert.equal(counts.cancelled, 1);
    const retried = await admin.post(`/api/admin/queue/jobs/${queuedId}/retry`);
    assert.equal(retried.status, 200);
    assert.equal(retried.body.job.state, 'queued');
  });

  test('under concurrency: 20 cancels of one queued job → one 200, the rest 409; 20 retries of it then → one 200', async () => {
    const { id } = await t.services.queue.enqueue({ type: IDLE, payload: { n: 4 } });
    const cancels = await Promise.all(Array.from({ length: 20 }, () => admin.post(`/api/admin/queue/jobs/${id}/cancel`)));
    assert.deepEqual(cancels.map((r) => r.status).sort(), [200, ...Array<number>(19).fill(409)]);
    const retries = await Promise.all(Array.from({ length: 20 }, () => admin.post(`/api/admin/queue/jobs/${id}/retry`)));
    assert.deepEqual(retries.map((r) => r.status).sort(), [200, ...Array<number>(19).fill(409)]);
    assert.equal((await t.services.queue.get(id))?.state, 'queued');
  });

  test('who may call: admins only — 401 anonymous or with a bot JWT, 403 for a user (session, token, JWT)', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/api/admin/queue'],
      ['POST', `/api/admin/queue/jobs/${queuedId}/retry`],
      ['POST', `/api/admin/queue/jobs/${queuedId}/cancel`],
    ];
    const token = async (issue: 'access_token' | 'jwt') => {
      const c = t.client();
      c.bearer = (await c.post('/api/auth/login', { username: 'alice', password: 'password-alice', issue })).body.access_token;
      return c;
    };
    const { token: botJwt } = await t.services.accounts.issueBotJwt('@admin:localhost');
    for (const [method, path] of routes) {
      const anonymous = await t.client().req(method, path, method === 'POST' ? {} : undefined);
      assert.equal(anonymous.status, 401, `${method} ${path} anonymous`);
      assert.equal(anonymous.body.code, 'ORR_AUTH_UNAUTHORIZED');
      const withBotJwt = await t.client().req(method, path, method === 'POST' ? {} : undefined, { authorization: `Bearer ${botJwt}` });
      assert.equal(withBotJwt.status, 401, `${method} ${path} bot JWT`);
      for (const c of [user, await token('access_token'), await token('jwt')]) {
        const res = await c.req(method, path, method === 'POST' ? {} : undefined);
        assert.equal(res.status, 403, `${method} ${path} as alice`);
        assert.equal(res.body.code, 'ORR_AUTH_FORBIDDEN');
      }
    }
    assert.equal((await t.services.queue.get(queuedId))?.state, 'queued', 'nothing a refused call did stuck');
  });
});
