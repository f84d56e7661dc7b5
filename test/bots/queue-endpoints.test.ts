/**
 * The bot endpoints over the durable queue (src/queue): `POST /_run-command` (the synchronous twin
 * of a trigger), `GET /_queue-status`, `DELETE /_job?job_id=` (cancel), and the bot runner's enqueue
 * path keyed by event, so a trigger seen twice makes one job.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BOT_COMMAND_JOB, type CommandJob } from '../../src/bots/service.ts';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { addCommand, assertError, botUser, register, type BotUser } from './helpers.ts';

const runBody = (attributes: Record<string, unknown>) => ({ data: { type: 'run-command', attributes } });

describe('queue endpoints', () => {
  let t: TestApp;
  let admin: BotUser;
  let alice: BotUser;
  let bob: BotUser;
  let hook: http.Server;
  let hookUrl: string;

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000', BOT_WEBHOOK_ALLOW_PRIVATE: 'true', BOT_WEBHOOK_TIMEOUT_MS: '2000' });
    // Triggered jobs are worked where the answer can be posted (`orrery bot-runner`); here, as it does.
    t.services.queue.work(BOT_COMMAND_JOB, (job: CommandJob) => t.services.bots.runCommand(job));
    await t.services.queue.start();
    admin = await botUser(t, 'admin');
    alice = await botUser(t, 'alice');
    bob = await botUser(t, 'bob');
    hook = http.createServer((req, res) => {
      if (req.url === '/fail') return void res.writeHead(500).end('broken');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: 'hooked' }));
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => hook.close(() => resolve()));
    await t.close();
  });

  test('POST /_run-command runs the command now and answers 201 run-command-result', async () => {
    const echo = await alice.api.post('/_run-command', runBody({ command: 'echo', body: 'hello there' }));
    assert.equal(echo.status, 201, JSON.stringify(echo.body));
    assert.equal(echo.body.data.type, 'run-command-result');
    assert.deepEqual(echo.body.data.attributes, { status: 'ready', cardResultString: 'hello there', error: null });
    const input = await alice.api.post('/_run-command', runBody({ command: 'echo', commandInput: { cardId: 'x' }, realmURL: 'http://ignored/' }));
    assert.equal(input.body.data.attributes.cardResultString, '{"cardId":"x"}');
    const agent = await alice.api.post('/_run-command', runBody({ command: 'agent:weather/ask', body: 'rain?' }));
    assert.deepEqual(agent.body.data.attributes, { status: 'error', cardResultString: null, error: 'agent not found: weather' });
    const job = await t.services.queue.get(echo.body.data.id);
    assert.equal(job?.state, 'completed', 'it ran as a queue job');
  });

  test('POST /_run-command with a webhook needs one of your registrations (it keys the signature); a failing webhook → 500 Run command failed', async () => {
    assertError(await alice.api.post('/_run-command', runBody({ command: `${hookUrl}/ok`, body: 'x' })), 400, 'botId is required for a webhook command (it keys the signature)');
    const mine = await register(alice);
    const bobs = await register(bob);
    assertError(await alice.api.post('/_run-command', runBody({ command: `${hookUrl}/ok`, body: 'x', botId: bobs })), 403, 'bot registration belongs to a different user');
    const ok = await alice.api.post('/_run-command', runBody({ command: `${hookUrl}/ok`, body: 'x', botId: mine }));
    assert.deepEqual(ok.body.data.attributes, { status: 'ready', cardResultString: 'hooked', error: null });
    assertError(await alice.api.post('/_run-command', runBody({ command: `${hookUrl}/fail`, body: 'x', botId: mine })), 500, 'Run command failed');
  });

  test('POST /_run-command refusals: 401 without a JWT, 400 for a bad body or command', async () => {
    assertError(await t.client().post('/_run-command', runBody({ command: 'echo' })), 401, 'Missing Authorization header');
    assertError(await alice.api.req('POST', '/_run-command', '{'), 400, 'Request body is not valid JSON-API - invalid JSON');
    assertError(await alice.api.post('/_run-command', { data: { type: 'nope', attributes: {} } }), 400, "Request body is not valid JSON-API - data.type must be 'run-command'");
    assertError(await alice.api.post('/_run-command', runBody({ command: ' ' })), 400, 'command is required');
    assertError(await alice.api.post('/_run-command', runBody({ command: 'rm -rf /' })), 400, 'command must be echo, help, agent:<agentId>[@version]/<skill> or an http(s):// URL');
  });

  test('GET /_queue-status: admins see pending (queued + running) and counts by state; others 401/403', async () => {
    const web = t.client();
    await web.post('/api/auth/login', { username: 'admin', password: 'password-admin' });
    const res = await web.get('/_queue-status');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.type, 'queue-status');
    assert.equal(res.body.data.id, 'queue-status');
    const { pending, counts } = res.body.data.attributes;
    assert.equal(pending, counts.queued + counts.running);
    assert.ok(counts.completed >= 1);
    assertError(await alice.web.get('/_queue-status'), 403, 'admin only');
    assertError(await t.client().get('/_queue-status'), 401, 'unauthorized');
  });

  test("DELETE /_job?job_id= cancels a queued job: the sender's own or any for an admin; 400/403/404/409 otherwise", async () => {
    const later = Date.now() + 3600_000;
    const enqueue = (sender: string) =>
      t.services.queue.enqueue({ type: BOT_COMMAND_JOB, runAt: later, payload: { event: { event_id: `$x${Math.random()}`, room_id: '!r:localhost', type: 'm.room.message', sender, content: { body: 'x' } }, command: 'echo', botId: '', commandId: '', args: '' } });
    const mine = await enqueue(alice.userId);
    assertError(await alice.api.req('DELETE', '/_job'), 400, 'job_id is required');
    assertError(await alice.api.req('DELETE', '/_job?job_id=999999999'), 404, 'job is not found');
    assertError(await alice.api.req('DELETE', '/_job?job_id=nope'), 404, 'job is not found');
    assertError(await bob.api.req('DELETE', `/_job?job_id=${mine.id}`), 403, 'job belongs to a different user');
    assert.equal((await alice.api.req('DELETE', `/_job?job_id=${mine.id}`)).status, 204);
    assert.equal((await t.services.queue.get(mine.id))?.state, 'cancelled');
    assertError(await alice.api.req('DELETE', `/_job?job_id=${mine.id}`), 409, 'job has already finished');
    const bobs = await enqueue(bob.userId);
    assert.equal((await admin.api.req('DELETE', `/_job?job_id=${bobs.id}`)).status, 204, 'an admin cancels any job');
  });

  test('the bot runner path: matches enqueue one job per (event, command), keyed by event — seen twice, still one job; the job runs the command', async () => {
    const botId = await register(alice);
    await addCommand(alice, botId, 'echo', { type: 'matrix-event', event_type: 'm.room.message', prefix: '!echo' });
    const event = { event_id: '$trigger-1', room_id: '!room:localhost', type: 'm.room.message', sender: alice.userId, content: { msgtype: 'm.text', body: '!echo once' }, origin_server_ts: Date.now() };
    const matches = await t.services.bots.matchesFor(event, '@bot-runner:localhost');
    assert.equal(matches.length, 1);
    const [first] = await t.services.bots.enqueueMatches(event, matches);
    const [second] = await t.services.bots.enqueueMatches(event, await t.services.bots.matchesFor(event, '@bot-runner:localhost'));
    assert.equal(second!.id, first!.id);
    assert.equal(second!.deduped, true);
    const outcome = await t.services.queue.wait(first!.id, { timeoutMs: 10_000 });
    assert.deepEqual(outcome, { state: 'completed', result: { ok: true, text: 'once' } });
  });
});
