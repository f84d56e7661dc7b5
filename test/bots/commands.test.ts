/**
 * The command executor (src/bots/commands.ts) through the bots service: `echo`, `help`, an unknown
 * agent, and a webhook on a real local HTTP server that checks the HMAC signature; the webhook's
 * failures throw (the queue retries them), private targets are refused unless allowed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { createCommandExecutor, type CommandJob } from '../../src/bots/commands.ts';
import { isPrivateAddress } from '../../src/bots/filter.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { addCommand, botUser, register, triggerFilter, type BotUser } from './helpers.ts';

/** A webhook receiver: checks the signature with `secret`, answers with `respond`. */
async function receiver(respond: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => respond(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function verify(secret: string, req: http.IncomingMessage, body: string): boolean {
  const ts = String(req.headers['x-orrery-timestamp']);
  const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
  const got = String(req.headers['x-orrery-signature']);
  return got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected));
}

const job = (u: BotUser, botId: string, command: string, content: Record<string, unknown>, args = ''): CommandJob => ({
  event: { event_id: '$trigger', room_id: '!room:localhost', type: 'm.room.message', sender: u.userId, content, origin_server_ts: Date.now() },
  command,
  botId,
  commandId: '00000000-0000-4000-8000-000000000001',
  args,
});

describe('command executor', () => {
  let t: TestApp;
  let alice: BotUser;
  let botId: string;
  let secret: string;

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000', BOT_WEBHOOK_ALLOW_PRIVATE: 'true', BOT_WEBHOOK_TIMEOUT_MS: '300' });
    await t.client().register('admin');
    alice = await botUser(t, 'alice');
    const res = await alice.api.post('/_bot-registration', { data: { type: 'bot-registration', attributes: { username: alice.userId } } });
    botId = res.body.data.id;
    secret = res.body.data.attributes.webhookSecret;
  });
  after(() => t.close());

  test('echo answers the text after the trigger, else the body, else the content', async () => {
    const run = t.services.bots.runCommand;
    assert.deepEqual(await run(job(alice, botId, 'echo', { body: '!echo hello' }, 'hello')), { ok: true, text: 'hello' });
    assert.deepEqual(await run(job(alice, botId, 'echo', { body: 'just this' })), { ok: true, text: 'just this' });
    assert.deepEqual(await run(job(alice, botId, 'echo', { type: 'x', input: { a: 1 } })), { ok: true, text: '{"type":"x","input":{"a":1}}' });
  });

  test('help lists the commands that apply to the sender: theirs and the global ones', async () => {
    const mine = await register(alice);
    await addCommand(alice, mine, 'echo', { type: 'matrix-event', event_type: 'm.room.message', prefix: '!echo' });
    await addCommand(alice, mine, 'agent:weather/ask', triggerFilter('weather'));
    const adminUser = await t.services.accounts.getUser('admin');
    const { token } = await t.services.accounts.issueBotJwt(adminUser.userId);
    const global = await t.client().req('POST', '/_bot-registration', { data: { type: 'bot-registration', attributes: { username: adminUser.userId, global: true } } }, { authorization: token });
    assert.equal(global.status, 201, JSON.stringify(global.body));
    assert.equal(global.body.data.attributes.global, true);
    await t.client().req('POST', '/_bot-commands', { data: { type: 'bot-command', attributes: { botId: global.body.data.id, command: 'help', filter: { type: 'matrix-event', event_type: 'm.room.message', prefix: '!help' } } } }, { authorization: token });
    const result = await t.services.bots.runCommand(job(alice, mine, 'help', { body: '!help' }));
    assert.equal(result.ok, true);
    assert.match(result.text, /^Commands for @alice:localhost:/);
    assert.match(result.text, /- !echo … → echo\n/);
    assert.match(result.text, /app\.boxel\.bot-trigger "weather" → agent:weather\/ask/);
    assert.match(result.text, /- !help … → help \(global\)/);
    const lonely = await botUser(t, 'lonely');
    assert.doesNotMatch((await t.services.bots.runCommand(job(lonely, mine, 'help', { body: '!help' }))).text, /echo/, "alice's commands are not lonely's");
  });

  test('an agent command for an agent that does not exist answers a clear "agent not found" failure (no retry)', async () => {
    assert.deepEqual(await t.services.bots.runCommand(job(alice, botId, 'agent:weather@3/ask', { body: 'hi' })), { ok: false, text: 'agent not found: weather' });
  });

  test('an agent command runs the skill of the registering user’s agent with the message; someone else’s agent is "not found"', async () => {
    const text = readFileSync(path.resolve(import.meta.dirname, '../../../shared/smyth/linear-utility.smyth'), 'utf8');
    const { agent } = await t.services.agents.create({ userId: alice.userId, isAdmin: false }, text);
    const result = await t.services.bots.runCommand(job(alice, botId, `agent:${agent.id}/pipe`, { body: '!hash hello world' }, 'hello world'));
    assert.deepEqual(result, { ok: true, text: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9' });
    const failing = await t.services.bots.runCommand(job(alice, botId, `agent:${agent.id}/nope`, { body: 'x' }));
    assert.equal(failing.ok, false);
    assert.match(failing.text, /^agent a[a-z0-9]+\/nope failed \(404\): \{"error":"Endpoint POST \/api\/nope Not Found"\}$/);
    const bob = await botUser(t, 'bob');
    const res = await bob.api.post('/_bot-registration', { data: { type: 'bot-registration', attributes: { username: bob.userId } } });
    const bobs = await t.services.bots.runCommand(job(bob, res.body.data.id as string, `agent:${agent.id}/pipe`, { body: 'x' }));
    assert.deepEqual(bobs, { ok: false, text: `agent not found: ${agent.id}` });
  });

  test('a webhook gets the event JSON signed with the registration secret and a timestamp; its text answer is the result', async () => {
    let seen: { body: any; valid: boolean; ts: number } | undefined;
    const hook = await receiver((req, body, res) => {
      seen = { body: JSON.parse(body), valid: verify(secret, req, body), ts: Number(req.headers['x-orrery-timestamp']) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: 'pong' }));
    });
    try {
      const j = job(alice, botId, `${hook.url}/hook`, { msgtype: 'm.text', body: '!ping now' }, 'now');
      assert.deepEqual(await t.services.bots.runCommand(j), { ok: true, text: 'pong' });
      assert.ok(seen?.valid, 'the HMAC-SHA256 of "<timestamp>.<body>" verifies with the secret shown at registration');
      assert.ok(Math.abs(seen!.ts - Date.now() / 1000) < 5, 'the timestamp is in seconds');
      assert.deepEqual(seen!.body, { event: j.event, args: 'now', botId, commandId: j.commandId });
      // A different secret does not verify: the key is per registration.
      const other = await register(alice);
      assert.notEqual(t.services.bots.webhookSecret(other), secret);
    } finally {
      await hook.close();
    }
  });

  test('a plain-text answer is the result; a non-2xx answer or a timeout throws (the queue retries)', async () => {
    const hook = await receiver((req, _body, res) => {
      if (req.url === '/text') res.writeHead(200, { 'content-type': 'text/plain' }).end('plain answer');
      else if (req.url === '/fail') res.writeHead(503).end('down');
      // '/slow': never answers
    });
    try {
      assert.deepEqual(await t.services.bots.runCommand(job(alice, botId, `${hook.url}/text`, { body: 'x' })), { ok: true, text: 'plain answer' });
      await assert.rejects(t.services.bots.runCommand(job(alice, botId, `${hook.url}/fail`, { body: 'x' })), /webhook answered 503: down/);
      await assert.rejects(t.services.bots.runCommand(job(alice, botId, `${hook.url}/slow`, { body: 'x' })), /webhook timed out after 300 ms/);
    } finally {
      await hook.close();
    }
  });

  test('private and loopback targets are refused unless BOT_WEBHOOK_ALLOW_PRIVATE, also when a name resolves to one', async () => {
    let called = false;
    const hook = await receiver((_req, _body, res) => {
      called = true;
      res.end('reached');
    });
    try {
      const strict = createCommandExecutor({ clock: systemClock, commandsFor: async () => [], webhookSecret: () => 's', webhookTimeoutMs: 1000, allowPrivateWebhooks: false });
      const port = new URL(hook.url).port;
      const literal = await strict.run(job(alice, botId, `${hook.url}/x`, { body: 'x' }));
      assert.equal(literal.ok, false, 'a literal loopback address is refused as a command');
      assert.match(literal.text, /private or loopback/);
      // The machine's own name resolves to a loopback or private address here (a container, a VM).
      const name = hostname();
      const { address } = await lookup(name);
      assert.ok(isPrivateAddress(address), `${name} resolves to ${address}`);
      await assert.rejects(strict.run(job(alice, botId, `http://${name}:${port}/x`, { body: 'x' })), /resolves to a private address/);
      assert.equal(called, false);
    } finally {
      await hook.close();
    }
  });
});
