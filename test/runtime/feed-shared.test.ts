import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, startTestServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { linkedUser, type LinkedUser } from './helpers.ts';
import { sseReader } from '../helpers/sse.ts';
import { waitFor } from '../helpers/wait.ts';

/** Counts the long-polls that have read, found nothing and parked (rooms.waitForEvent calls). */
function parkedPolls(t: TestContext, s: TestServer): { count(): number } {
  const spy = t.mock.method(s.orrery.services.rooms, 'waitForEvent');
  return { count: () => spy.mock.callCount() };
}

describe('feed (research §8 items 19-20, with Orrery fixes)', () => {
  let s: TestApp;
  let u: LinkedUser;
  const clock = new ManualClock();
  before(async () => {
    s = await startTestApp({ RUNTIME_SHARED_MIN_GAP_MS: '0', RUNTIME_SHARED_MAX_PER_MINUTE: '1000', RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE: '1000' }, { clock });
    u = await linkedUser(s, 'feeder');
    // Five messages share one created_at; then five more, 1 s apart.
    for (let i = 0; i < 5; i++) assert.equal((await u.bot.post('/api/runtime/shared', { content: `same-ts ${i}` })).status, 200);
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await u.bot.post('/api/runtime/shared', { content: `later ${i}` });
    }
  });
  after(() => s.close());

  test('items have exactly id,user_id,username,content,created_at; ascending; default limit 40; clamped 1..100', async () => {
    const r = await u.bot.get('/api/runtime/feed?limit=3');
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body.messages[0]).sort(), ['content', 'created_at', 'id', 'user_id', 'username']);
    assert.equal(r.body.messages[0].username, 'feeder');
    assert.equal(r.body.messages[0].user_id, u.userId);
    // No cursor: the newest page (fix of §7.5), still ascending.
    assert.deepEqual(r.body.messages.map((m: { content: string }) => m.content), ['later 2', 'later 3', 'later 4']);
    assert.equal((await u.bot.get('/api/runtime/feed?limit=0')).body.messages.length, 1);
    assert.equal((await u.bot.get('/api/runtime/feed?limit=abc')).body.messages.length, 10);
    assert.equal((await u.bot.get('/api/runtime/feed?limit=1000')).body.messages.length, 10);
  });

  test('the compound cursor pages strictly forward, also through messages with the same created_at', async () => {
    const first = await u.bot.get('/api/runtime/feed?after=1970-01-01T00:00:00.000Z&limit=2');
    assert.deepEqual(first.body.messages.map((m: { content: string }) => m.content), ['same-ts 0', 'same-ts 1']);
    const c = first.body.nextCursor as string;
    assert.match(c, /^\d{4}-\d\d-\d\dT.*\|\d+$/);
    const second = await u.bot.get(`/api/runtime/feed?after=${encodeURIComponent(c)}&limit=2`);
    assert.deepEqual(second.body.messages.map((m: { content: string }) => m.content), ['same-ts 2', 'same-ts 3']);
    assert.equal(second.body.messages[0].created_at, first.body.messages[1].created_at, 'same created_at, larger id');
    const seen = new Set<number>();
    let cursor = '1970-01-01T00:00:00.000Z';
    for (let i = 0; i < 20; i++) {
      const page = await u.bot.get(`/api/runtime/feed?after=${encodeURIComponent(cursor)}&limit=3`);
      for (const m of page.body.messages) {
        assert.ok(!seen.has(m.id), 'no repeats');
        seen.add(m.id);
      }
      if (page.body.messages.length === 0) {
        assert.equal(page.body.nextCursor, cursor, 'an empty page echoes the cursor');
        break;
      }
      cursor = page.body.nextCursor;
    }
    assert.equal(seen.size, 10);
  });

  test('legacy ISO cursor, opaque stream cursor, invalid cursor → 400', async () => {
    const all = (await u.bot.get('/api/runtime/feed')).body.messages;
    const iso = new Date(Date.parse(all[6].created_at)).toISOString();
    const legacy = await u.bot.get(`/api/runtime/feed?after=${encodeURIComponent(iso)}`);
    assert.deepEqual(legacy.body.messages.map((m: { content: string }) => m.content), ['later 2', 'later 3', 'later 4']);
    const stream = await u.bot.get(`/api/runtime/feed?after=s${all[8].id}`);
    assert.deepEqual(stream.body.messages.map((m: { content: string }) => m.content), ['later 4']);
    for (const bad of ['garbage', 'nope|1', '2026-01-01T00:00:00Z|1) or (1=1']) {
      const r = await u.bot.get(`/api/runtime/feed?after=${encodeURIComponent(bad)}`);
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.error, 'invalid cursor');
    }
  });

  test('a web session can read the feed too; no credential → missing token', async () => {
    assert.equal((await u.web.get('/api/runtime/feed')).status, 200);
    assert.equal((await s.client().get('/api/runtime/feed')).body.error, 'missing token');
  });
});

describe('shared posts (research §8 items 21-24, with Orrery fixes)', () => {
  let s: TestApp;
  const clock = new ManualClock();
  before(async () => {
    s = await startTestApp({ RUNTIME_SHARED_DUPLICATE_WINDOW_MS: '120000' }, { clock });
  });
  after(() => s.close());

  test('21. empty → 400; stored trimmed, ≤ 2000 chars, under the server-side username; returns the id', async () => {
    const u = await linkedUser(s, 'poster');
    for (const content of ['', '   ', 5, null]) {
      const r = await u.bot.post('/api/runtime/shared', { content });
      assert.equal(r.status, 400);
      assert.equal(r.body.error, 'empty content');
    }
    const r = await u.bot.post('/api/runtime/shared', { content: `  ${'x'.repeat(2500)}  `, username: 'spoofed' });
    assert.equal(r.status, 200);
    assert.equal(r.body.ok, true);
    assert.equal(typeof r.body.id, 'number');
    assert.match(r.body.event_id, /^\$/);
    const m = (await u.bot.get('/api/runtime/feed?limit=1')).body.messages[0];
    assert.equal(m.id, r.body.id);
    assert.equal(m.content.length, 2000);
    assert.equal(m.username, 'poster');
  });

  test('22-23. cooldown 1.5 s → 429 cooldown; the 21st post of a token within 60 s → 429', async () => {
    const u = await linkedUser(s, 'limited');
    assert.equal((await u.bot.post('/api/runtime/shared', { content: 'one' })).status, 200);
    const cool = await u.bot.post('/api/runtime/shared', { content: 'two' });
    assert.equal(cool.status, 429);
    assert.equal(cool.body.error, 'rate limited');
    assert.equal(cool.body.reason, 'cooldown');
    assert.ok(cool.body.retry_after_ms >= 50 && cool.body.retry_after_ms <= 1500);
    assert.ok(Number(cool.headers.get('retry-after')) >= 1);
    for (let i = 0; i < 19; i++) {
      clock.advance(1600);
      assert.equal((await u.bot.post('/api/runtime/shared', { content: `msg ${i}` })).status, 200, `post ${i}`);
    }
    clock.advance(1600);
    const many = await u.bot.post('/api/runtime/shared', { content: 'twenty-first' });
    assert.equal(many.status, 429);
    assert.equal(many.body.reason, 'too many runtime shared posts');
    assert.equal(many.body.retry_after_ms, 60000);
  });

  test('limits are per token: a second bot of the same account, and the web, have budgets of their own', async () => {
    const u = await linkedUser(s, 'twobots');
    const code = (await u.web.post('/api/runtime/invite/create', {})).body.code;
    const bot2 = s.client();
    bot2.bearer = (await u.web.post('/api/runtime/invite/claim', { code })).body.token;
    assert.equal((await u.bot.post('/api/runtime/shared', { content: 'from bot one' })).status, 200);
    assert.equal((await bot2.post('/api/runtime/shared', { content: 'from bot two' })).status, 200, 'no shared cooldown');
    assert.equal((await u.web.post('/api/runtime/shared', { content: 'from the web' })).status, 200);
    assert.equal((await u.bot.post('/api/runtime/shared', { content: 'again bot one' })).status, 429, 'but each token has its own cooldown');
  });

  test('24. the same text (case and spacing aside) within the 120 s window → 409, honoured beyond 60 s', async () => {
    const u = await linkedUser(s, 'dupe');
    assert.equal((await u.bot.post('/api/runtime/shared', { content: 'Hello   World' })).status, 200);
    clock.advance(90_000);
    const dup = await u.bot.post('/api/runtime/shared', { content: 'hello world' });
    assert.equal(dup.status, 409);
    assert.deepEqual([dup.body.error, dup.body.reason], ['duplicate content', 'same message sent too recently']);
    clock.advance(31_000);
    assert.equal((await u.bot.post('/api/runtime/shared', { content: 'hello world' })).status, 200);
  });

  test('Idempotency-Key: a retry returns the first post and stores nothing new', async () => {
    const u = await linkedUser(s, 'idem');
    const a = await u.bot.post('/api/runtime/shared', { content: 'once only' }, { 'idempotency-key': 'k-1' });
    clock.advance(5000);
    const b = await u.bot.post('/api/runtime/shared', { content: 'once only' }, { 'idempotency-key': 'k-1' });
    assert.equal(b.status, 200);
    assert.equal(b.body.id, a.body.id);
    assert.equal(b.body.idempotent, true);
    const mine = (await u.bot.get('/api/runtime/feed?limit=100')).body.messages.filter((m: { content: string }) => m.content === 'once only');
    assert.equal(mine.length, 1);
  });
});

describe('live delivery', () => {
  let s: TestServer;
  before(async () => {
    // The per-token cooldown is not what is tested here (a frozen clock would also freeze wait=).
    s = await startTestServer({ RUNTIME_SHARED_MIN_GAP_MS: '0' });
  });
  after(() => s.close());

  test('feed?wait= returns as soon as a message arrives', async (t) => {
    const u = await linkedUser(s, 'waiter');
    const other = await linkedUser(s, 'talker');
    const cursor = (await u.bot.get('/api/runtime/feed')).body.streamCursor ?? 's0';
    const parked = parkedPolls(t, s);
    const started = Date.now();
    const pending = u.bot.get(`/api/runtime/feed?after=${cursor}&wait=10000`);
    await waitFor(() => parked.count() === 1, { what: 'the long-poll to find nothing and wait' });
    await other.bot.post('/api/runtime/shared', { content: 'wake up' });
    const r = await pending;
    const elapsed = Date.now() - started;
    assert.deepEqual(r.body.messages.map((m: { content: string }) => m.content), ['wake up']);
    assert.ok(elapsed < 2000, `returned after ${elapsed} ms`);
    const empty = await u.bot.get(`/api/runtime/feed?after=${r.body.streamCursor}&wait=300`);
    assert.deepEqual(empty.body.messages, []);
  });

  test('SSE stream: messages with id cursors, presence changes, Last-Event-ID resume', async () => {
    const u = await linkedUser(s, 'streamer');
    const other = await linkedUser(s, 'speaker');
    const res = await fetch(`${s.url}/api/runtime/stream`, { headers: { authorization: `Bearer ${u.token}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const live = sseReader(res);
    await live.until(/: connected/);
    await other.bot.post('/api/runtime/shared', { content: 'live message' });
    await live.until(/event: message\ndata: .*live message/);
    const id = /id: (s\d+)\nevent: message\ndata: .*live message/.exec(live.state.text)![1]!;
    await other.bot.req('DELETE', '/api/runtime/presence');
    await live.until(/event: presence\ndata: \{"userId":"@speaker:localhost","username":"speaker","present":false\}/);
    await live.cancel();

    await other.bot.post('/api/runtime/shared', { content: 'while away' });
    const resumed = sseReader(await fetch(`${s.url}/api/runtime/stream`, { headers: { authorization: `Bearer ${u.token}`, 'last-event-id': id } }));
    await resumed.until(/while away/);
    assert.match(resumed.state.text, /while away/);
    assert.doesNotMatch(resumed.state.text, /live message/, 'resume starts after the last seen id');
    await resumed.cancel();
    const bad = await fetch(`${s.url}/api/runtime/stream?after=junk`, { headers: { authorization: `Bearer ${u.token}` } });
    assert.equal(bad.status, 400);
  });
});

describe('exclude=own_bots: an owner can talk to their bot, no bot hears its own account', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ RUNTIME_SHARED_MIN_GAP_MS: '0', RUNTIME_SHARED_DUPLICATE_WINDOW_MS: '0' });
  });
  after(() => s.close());

  test('feed and stream leave out the caller account\'s token posts and keep its web posts and everyone else\'s', async (t) => {
    const owner = await linkedUser(s, 'owner');
    const other = await linkedUser(s, 'other');
    const invite = await owner.web.post('/api/runtime/invite/create', {});
    const sibling = s.client();
    sibling.bearer = (await owner.web.post('/api/runtime/invite/claim', { code: invite.body.code })).body.token;
    const start = (await owner.bot.get('/api/runtime/feed?limit=1')).body.streamCursor as string;

    const res = await fetch(`${s.url}/api/runtime/stream?exclude=own_bots&after=${start}`, { headers: { authorization: `Bearer ${owner.token}` } });
    assert.equal(res.status, 200);
    const sse = sseReader(res);
    await sse.until(/: connected/);

    await owner.web.post('/api/runtime/shared', { content: 'owner from the web' });
    await owner.bot.post('/api/runtime/shared', { content: 'owner bot' });
    await sibling.post('/api/runtime/shared', { content: 'owner sibling bot' });
    await other.bot.post('/api/runtime/shared', { content: 'other bot' });
    await other.web.post('/api/runtime/shared', { content: 'other from the web' });
    const everything = ['owner from the web', 'owner bot', 'owner sibling bot', 'other bot', 'other from the web'];
    const heard = ['owner from the web', 'other bot', 'other from the web'];

    const contents = (r: { body: { messages: { content: string }[] } }) => r.body.messages.map((m) => m.content);
    assert.deepEqual(contents(await owner.bot.get(`/api/runtime/feed?after=${start}`)), everything, 'no exclude: unchanged');
    const page = await owner.bot.get(`/api/runtime/feed?after=${start}&exclude=own_bots`);
    assert.deepEqual(contents(page), heard);
    assert.deepEqual(Object.keys(page.body.messages[0]).sort(), ['content', 'created_at', 'id', 'user_id', 'username'], 'items keep their exact shape');
    // A small page is filled past excluded posts, and its cursor continues after them.
    const first = await owner.bot.get(`/api/runtime/feed?after=${start}&exclude=own_bots&limit=2`);
    assert.deepEqual(contents(first), heard.slice(0, 2));
    assert.deepEqual(contents(await owner.bot.get(`/api/runtime/feed?after=${first.body.nextCursor}&exclude=own_bots`)), heard.slice(2));
    // The newest page and the web session's view.
    assert.deepEqual(contents(await owner.web.get('/api/runtime/feed?limit=3&exclude=own_bots')), heard);
    // Another user's exclusion is about their own account.
    assert.deepEqual(contents(await other.bot.get(`/api/runtime/feed?after=${start}&exclude=own_bots`)), ['owner from the web', 'owner bot', 'owner sibling bot', 'other from the web']);

    await sse.until(/other from the web/);
    await sse.cancel();
    assert.deepEqual([...sse.state.text.matchAll(/"content":"([^"]+)"/g)].map((m) => m[1]), heard);

    // A long-poll is not woken for good by an excluded post: it waits for the next one it may see.
    const { streamCursor } = (await owner.bot.get('/api/runtime/feed?limit=1')).body;
    const parked = parkedPolls(t, s);
    const poll = owner.bot.get(`/api/runtime/feed?after=${streamCursor}&exclude=own_bots&wait=5000`);
    await waitFor(() => parked.count() === 1, { what: 'the long-poll to find nothing and wait' });
    await owner.bot.post('/api/runtime/shared', { content: 'owner bot again' });
    // Woken by the excluded post, it read again, found nothing it may see, and waits once more.
    await waitFor(() => parked.count() === 2, { what: 'the long-poll to wait again after the excluded post' });
    await other.web.post('/api/runtime/shared', { content: 'worth waking for' });
    assert.deepEqual(contents(await poll), ['worth waking for']);
  });

  test('an unknown exclude value is a 400 naming the parameter', async () => {
    const u = await linkedUser(s, 'strict');
    for (const path of ['/api/runtime/feed?exclude=everything', '/api/runtime/stream?exclude=everything']) {
      const r = await u.bot.get(path);
      assert.equal(r.status, 400, path);
      assert.match(JSON.stringify(r.body), /exclude/);
    }
  });
});
