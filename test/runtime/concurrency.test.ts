/**
 * Writes that race: on PostgreSQL, concurrent transactions take stream positions in one order and may
 * commit in another, and a check-then-insert in READ COMMITTED sees none of its rivals. Both would lose
 * messages for cursor readers or let a budget be overspent; these tests run on both databases. Requests
 * go through inject(): with no sockets between them they really arrive together.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { linkedUser, type LinkedUser } from './helpers.ts';

describe('concurrent shared posts', () => {
  let s: TestApp;
  const posters: LinkedUser[] = [];
  before(async () => {
    s = await startTestApp({ RATE_LIMIT_MAX: '100000', RUNTIME_SHARED_DUPLICATE_WINDOW_MS: '0', RUNTIME_SHARED_MIN_GAP_MS: '0' });
    for (let i = 0; i < 6; i++) posters.push(await linkedUser(s, `racer${i}`));
  });
  after(() => s.close());

  test('a cursor reader paging while posts race sees every message exactly once, in stream order', async () => {
    const reader = posters[0]!.bot;
    const start = (await reader.get('/api/runtime/feed?limit=1')).body.streamCursor as string;
    const seen: number[] = [];
    let cursor = start;
    let writing = true;
    const paging = (async () => {
      while (writing || seen.length < 60) {
        const page = await reader.get(`/api/runtime/feed?after=${cursor}&limit=100`);
        assert.equal(page.status, 200);
        for (const m of page.body.messages as { id: number }[]) seen.push(m.id);
        cursor = page.body.streamCursor;
        if (!writing && page.body.messages.length === 0) break;
      }
    })();
    // 6 posters × 10 posts, every round concurrent; each token's cooldown is out of the way (gap 0).
    const ids: number[] = [];
    for (let round = 0; round < 10; round++) {
      const replies = await Promise.all(posters.map((p, i) => p.bot.post('/api/runtime/shared', { content: `race ${round}.${i}` })));
      for (const r of replies) {
        assert.equal(r.status, 200, JSON.stringify(r.body));
        ids.push(r.body.id);
      }
    }
    writing = false;
    await paging;
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'stream order');
    assert.deepEqual([...seen].sort((a, b) => a - b), [...ids].sort((a, b) => a - b), 'every message once');
  });
});

describe('concurrent posts against one token\'s limits', () => {
  let cooldown: TestApp;
  let budget: TestApp;
  before(async () => {
    cooldown = await startTestApp({ RATE_LIMIT_MAX: '100000', RUNTIME_SHARED_MIN_GAP_MS: '1500' });
    budget = await startTestApp({ RATE_LIMIT_MAX: '100000', RUNTIME_SHARED_MIN_GAP_MS: '0', RUNTIME_SHARED_MAX_PER_MINUTE: '5', RUNTIME_SHARED_DUPLICATE_WINDOW_MS: '0' });
  });
  after(async () => {
    await cooldown.close();
    await budget.close();
  });

  test('twenty posts at once: exactly one passes the 1.5 s cooldown', async () => {
    const u = await linkedUser(cooldown, 'burst');
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => u.bot.post('/api/runtime/shared', { content: `burst ${i}` })));
    assert.equal(replies.filter((r) => r.status === 200).length, 1, replies.map((r) => r.status).join(','));
    for (const r of replies.filter((x) => x.status !== 200)) assert.deepEqual([r.status, r.body.reason], [429, 'cooldown']);
  });

  test('thirty posts at once: exactly five fit the budget of 5 per minute, none refused as a cooldown when none is set', async () => {
    const u = await linkedUser(budget, 'budget');
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => u.bot.post('/api/runtime/shared', { content: `spend ${i}` })));
    // Regression: each post read the clock before waiting its turn for the write lock, so one that waited saw
    // the posts made meanwhile "in the future" and was refused as a cooldown (with no cooldown set): 1 of 5.
    const outcomes = replies.map((r) => (r.status === 200 ? '200' : `${r.status} ${r.body.reason}`));
    assert.equal(replies.filter((r) => r.status === 200).length, 5, outcomes.join(','));
    for (const r of replies.filter((x) => x.status !== 200)) assert.equal(r.status, 429);
  });
});
