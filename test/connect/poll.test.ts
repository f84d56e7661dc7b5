/**
 * The bot's poll mode, the original protocol: `GET /api/runtime/feed?after=<cursor>&limit=<n>` every
 * `--poll-seconds`, no event stream. Forced with `--stream false`, and chosen by itself against a
 * server that offers no stream and no `/api/runtime/me` (as the original Kozmos), where it filters
 * itself out by `--username`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../helpers/client.ts';
import type { TestServer } from '../helpers/server.ts';
import { linkedUser } from '../runtime/helpers.ts';
import { sharedMatching, startInProcessBot, waitForCursorPast, waitForLine, startBotWorld, stopBotWorld, type BotWorld, type FaultProxy } from './helpers.ts';

describe('orrery connect in poll mode (real server)', () => {
  let s: TestServer;
  let proxy: FaultProxy;
  let alice: Client;
  let world: BotWorld;
  before(async () => {
    world = await startBotWorld();
    ({ s, proxy, alice } = world);
  });
  after(() => stopBotWorld(world));

  test('--stream false polls the feed with the cursor, answers a trigger once and nothing else', async () => {
    const owner = await linkedUser(s, 'poller');
    const bot = startInProcessBot({ baseUrl: proxy.url, token: owner.token, triggerName: 'poller', stream: 'false', pollSeconds: '2', feedLimit: '25' });
    await waitForLine(bot, /mode=poll /);
    await alice.post('/api/runtime/shared', { content: 'hello everyone' });
    await alice.post('/api/runtime/shared', { content: 'poller? are you polling?' });
    await waitForLine(bot, /replied to alice/);
    const [reply] = await sharedMatching(alice, /^alice: echo:/);
    assert.equal(reply!.content, 'alice: echo: poller? are you polling?');
    await waitForCursorPast(bot.stateFile, reply!.id);
    assert.equal((await sharedMatching(alice, /^alice: echo:/)).length, 1, 'one reply: none to "hello everyone", none to itself');

    const paths = proxy.seen.filter((r) => r.headers.authorization === `Bearer ${owner.token}`).map((r) => r.path);
    assert.ok(!paths.some((p) => p.startsWith('/api/runtime/stream')), paths.join('\n'));
    const feeds = paths.filter((p) => p.startsWith('/api/runtime/feed?'));
    assert.ok(feeds.length >= 2, paths.join('\n'));
    for (const p of feeds) {
      const q = new URL(p, 'http://x').searchParams;
      assert.equal(q.get('limit'), '25');
      assert.ok(q.get('after'), `every poll sends its cursor: ${p}`);
    }
    await bot.stop();
  });

  test('against a server without a stream or /api/runtime/me (the original), it polls by itself and never answers its own username', async () => {
    const owner = await linkedUser(s, 'oldbot');
    const mine = (r: { headers: Record<string, unknown> }) => r.headers.authorization === `Bearer ${owner.token}`;
    proxy.fault = (r) => {
      if (!mine(r)) return undefined;
      if (r.path === '/api/runtime/spec') return { status: 200, body: { name: 'kozmos runtime', endpoints: { feed: '/api/runtime/feed', shared: '/api/runtime/shared' } } };
      if (r.path === '/api/runtime/me') return { status: 404, body: { error: 'not found' } };
      return undefined;
    };
    try {
      const bot = startInProcessBot({ baseUrl: proxy.url, token: owner.token, username: 'oldbot', pollSeconds: '2' });
      await waitForLine(bot, /identity unknown .* self-filtering by --username/);
      await waitForLine(bot, /mode=poll answer-owner=false/);
      // Its reply names the trigger too ("alice: echo: oldbot …"): only --username keeps it from answering itself.
      await alice.post('/api/runtime/shared', { content: 'oldbot, say something' });
      await waitForLine(bot, /replied to alice/);
      const [reply] = await sharedMatching(alice, /^alice: echo: oldbot/);
      await waitForCursorPast(bot.stateFile, reply!.id);
      assert.equal((await sharedMatching(alice, /^alice: echo: oldbot/)).length, 1, bot.log());
      assert.ok(!proxy.seen.some((r) => mine(r) && r.path.startsWith('/api/runtime/stream')));
      await bot.stop();
    } finally {
      proxy.fault = () => undefined;
    }
  });
});
