/**
 * Shared-post guards that must hold however requests arrive.
 * - Issue 7 item 8: the same `Idempotency-Key` sent concurrently gave 500 (unique violation on the
 *   transaction id) or 409 `duplicate content` instead of the first request's answer.
 * - Item 9: the post path read the sender's newest `limit + 8` events and parsed them, so with the
 *   limits set high every post got slower, and a duplicate older than those rows went unseen. The
 *   guard now counts with indexed queries and finds duplicates by key, however many posts came since.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/lib/clock.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { linkedUser, type LinkedUser } from './helpers.ts';

describe('one Idempotency-Key, many concurrent retries', () => {
  let s: TestServer;
  let u: LinkedUser;
  before(async () => {
    s = await startTestServer();
    u = await linkedUser(s, 'retrier');
  });
  after(() => s.close());

  test('20 requests at once with one key all get the first post, and it is stored once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => u.bot.post('/api/runtime/shared', { content: 'exactly once' }, { 'idempotency-key': 'k-123' })),
    );
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [200], JSON.stringify(answers.map((a) => a.body)));
    const ids = new Set(answers.map((a) => a.body.id));
    assert.equal(ids.size, 1);
    assert.equal(answers.filter((a) => a.body.idempotent !== true).length, 1, 'one answer is the original, the rest are replays');
    const feed = await u.bot.get('/api/runtime/feed?limit=100');
    assert.equal(feed.body.messages.filter((m: { content: string }) => m.content === 'exactly once').length, 1);
  });

  test('different keys at once are different posts (limits permitting)', async () => {
    const v = await linkedUser(s, 'twokeys');
    const [a, b] = await Promise.all([
      v.bot.post('/api/runtime/shared', { content: 'first of two' }, { 'idempotency-key': 'a' }),
      v.web.post('/api/runtime/shared', { content: 'second of two' }, { 'idempotency-key': 'b' }),
    ]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.notEqual(a.body.id, b.body.id);
  });
});

describe('duplicates and budgets with many posts in the window', () => {
  let s: TestServer;
  let u: LinkedUser;
  const clock = new ManualClock();
  before(async () => {
    s = await startTestServer(
      {
        RUNTIME_SHARED_MIN_GAP_MS: '0',
        RUNTIME_SHARED_MAX_PER_MINUTE: '40',
        RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE: '40',
        RUNTIME_SHARED_DUPLICATE_WINDOW_MS: '600000',
      },
      { clock },
    );
    u = await linkedUser(s, 'chatty');
  });
  after(() => s.close());

  test('a repeat is refused however many posts came since it, within the window', async () => {
    assert.equal((await u.bot.post('/api/runtime/shared', { content: 'Hello   THERE' })).status, 200);
    for (let i = 0; i < 39; i++) assert.equal((await u.bot.post('/api/runtime/shared', { content: `first minute ${i}` })).status, 200);
    // The minute's budget is spent: the 41st is refused with the per-token reason.
    const over = await u.bot.post('/api/runtime/shared', { content: 'one too many' });
    assert.equal(over.status, 429);
    assert.equal(over.body.reason, 'too many runtime shared posts');
    clock.advance(61_000);
    for (let i = 0; i < 40; i++) assert.equal((await u.bot.post('/api/runtime/shared', { content: `second minute ${i}` })).status, 200);
    clock.advance(61_000);
    // 80 posts later, 122 s on, still within the 10-minute window: the same text (case, spacing) is refused.
    const repeat = await u.bot.post('/api/runtime/shared', { content: 'hello there' });
    assert.equal(repeat.status, 409, JSON.stringify(repeat.body));
    assert.equal(repeat.body.error, 'duplicate content');
    clock.advance(600_000);
    assert.equal((await u.bot.post('/api/runtime/shared', { content: 'hello there' })).status, 200, 'after the window it may be said again');
  });
});
