/**
 * The bot's retries, against a real server behind a real fault-injecting proxy and a fake model: a
 * transient failure (5xx, 429, a lost answer) is retried with backoff, a 429's `retry_after_ms` is
 * honoured, and the message is answered exactly once; a permanent 4xx is logged and skipped; a
 * message whose retries run out is not lost (the cursor stays before it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../helpers/client.ts';
import type { TestServer } from '../helpers/server.ts';
import { linkedUser } from '../runtime/helpers.ts';
import { createOpenAiCompatibleProvider } from '../../src/llm/openai-compatible/provider.ts';
import { sharedMatching, startFakeModel, startInProcessBot, waitForCursorPast, waitForLine, startBotWorld, stopBotWorld, type BotWorld, type FaultProxy, type SeenRequest } from './helpers.ts';

describe('orrery connect retries (real server, fault-injecting proxy)', () => {
  let s: TestServer;
  let proxy: FaultProxy;
  let alice: Client;
  let world: BotWorld;
  before(async () => {
    world = await startBotWorld();
    ({ s, proxy, alice } = world);
  });
  after(() => stopBotWorld(world));

  const isReply = (r: SeenRequest) => r.method === 'POST' && r.path === '/api/runtime/shared';

  test('a post that fails transiently (answer lost, 503, 429) is retried with backoff and answered exactly once', async () => {
    const owner = await linkedUser(s, 'retrier');
    const injected: Array<{ status: number; forward?: boolean; body?: unknown }> = [
      { status: 502, forward: true }, // the server posted, the bot never heard: the idempotency key saves it
      { status: 503 },
      { status: 429, body: { error: 'rate limited', retry_after_ms: 300 } },
    ];
    proxy.fault = (r) => (isReply(r) ? injected.shift() : undefined);
    const bot = startInProcessBot({ baseUrl: proxy.url, token: owner.token, triggerName: 'retrier' });
    try {
      await waitForLine(bot, /stream connected/);
      await alice.post('/api/runtime/shared', { content: 'hey retrier, still there?' });
      await waitForLine(bot, /replied to alice/);
      assert.deepEqual(
        (await sharedMatching(alice, /^alice: echo: hey retrier/)).map((m) => m.content),
        ['alice: echo: hey retrier, still there?'],
        'one reply, although the first attempt was stored',
      );
      const attempts = proxy.seen.filter((r) => isReply(r) && r.headers.authorization === `Bearer ${owner.token}`);
      assert.equal(attempts.length, 4);
      assert.equal(new Set(attempts.map((r) => r.headers['idempotency-key'])).size, 1, 'every attempt carries the same Idempotency-Key');
      assert.ok(attempts[3]!.at - attempts[2]!.at >= 290, `retry_after_ms honoured: waited ${attempts[3]!.at - attempts[2]!.at} ms`);
      const retries = bot.lines.filter((l) => /post retry in/.test(l));
      assert.deepEqual(
        retries.map((l) => /retry in (\d+) ms/.exec(l)![1]),
        ['20', '40', '300'],
        `exponential backoff, then the server's own figure:\n${bot.log()}`,
      );
    } finally {
      proxy.fault = () => undefined;
      await bot.stop();
    }
  });

  test('a permanent 4xx on the post is logged and skipped, never retried; the next trigger is answered', async () => {
    const owner = await linkedUser(s, 'refused');
    proxy.fault = (r) => (isReply(r) && r.body.includes('too long for you') ? { status: 400, body: { error: 'content too long' } } : undefined);
    const bot = startInProcessBot({ baseUrl: proxy.url, token: owner.token, triggerName: 'refused' });
    try {
      await waitForLine(bot, /stream connected/);
      await alice.post('/api/runtime/shared', { content: 'refused: too long for you' });
      await waitForLine(bot, /reply fail: content too long/);
      await alice.post('/api/runtime/shared', { content: 'refused, and now?' });
      await waitForLine(bot, /replied to alice/);
      assert.equal(proxy.seen.filter((r) => isReply(r) && r.body.includes('too long for you')).length, 1, 'a 400 is not retried');
      assert.deepEqual((await sharedMatching(alice, /^alice: echo: refused/)).map((m) => m.content), ['alice: echo: refused, and now?']);
      assert.ok(!bot.lines.some((l) => /post retry/.test(l)), bot.log());
    } finally {
      proxy.fault = () => undefined;
      await bot.stop();
    }
  });

  test('when every retry fails the message is not lost: the loop starts over from the cursor and answers it once', async () => {
    const owner = await linkedUser(s, 'patient');
    let healed = false;
    proxy.fault = (r) => (isReply(r) && !healed ? { status: 503 } : undefined);
    const bot = startInProcessBot({ baseUrl: proxy.url, token: owner.token, triggerName: 'patient' }, { retry: { attempts: 2 } });
    try {
      await waitForLine(bot, /stream connected/);
      await alice.post('/api/runtime/shared', { content: 'patient one' });
      await waitForLine(bot, /loop fail: post: injected 503/);
      healed = true;
      await waitForLine(bot, /replied to alice/);
      const [reply] = await sharedMatching(alice, /^alice: echo: patient/);
      // Once the cursor is past its own reply, everything before it has been handled for good.
      await waitForCursorPast(bot.stateFile, reply!.id);
      assert.equal((await sharedMatching(alice, /^alice: echo: patient/)).length, 1);
      assert.equal(bot.lines.filter((l) => /replied to/.test(l)).length, 1, bot.log());
    } finally {
      proxy.fault = () => undefined;
      await bot.stop();
    }
  });

  test('a model call failing with 500 and 429 is retried and answered once; a model 400 is logged and skipped', async () => {
    const owner = await linkedUser(s, 'thinker');
    const model = await startFakeModel();
    const llm = createOpenAiCompatibleProvider({ apiKey: 'k', model: 'fake', baseUrl: model.url, maxRetries: 0 });
    const bot = startInProcessBot({ baseUrl: proxy.url, token: owner.token, triggerName: 'thinker' }, { llm });
    try {
      await waitForLine(bot, /stream connected/);
      model.failures.push(500, 429);
      await alice.post('/api/runtime/shared', { content: 'thinker, think' });
      await waitForLine(bot, /replied to alice/);
      assert.deepEqual(model.inputs, ['alice: thinker, think', 'alice: thinker, think', 'alice: thinker, think']);
      assert.equal(bot.lines.filter((l) => /model retry in \d+ ms: .*HTTP (500|429)/.test(l)).length, 2, bot.log());
      assert.deepEqual((await sharedMatching(alice, /^alice: model:/)).map((m) => m.content), ['alice: model: alice: thinker, think']);

      model.failures.push(400);
      await alice.post('/api/runtime/shared', { content: 'thinker, fail' });
      await waitForLine(bot, /reply fail: .*HTTP 400/);
      assert.equal(model.inputs.filter((i) => i === 'alice: thinker, fail').length, 1, 'a 400 from the model is not retried');
      assert.equal((await sharedMatching(alice, /^alice: model:/)).length, 1);
    } finally {
      await bot.stop();
      await model.close();
    }
  });
});
