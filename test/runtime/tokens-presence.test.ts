import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { sha256Hex } from '../../src/lib/secrets.ts';
import { linkedUser } from './helpers.ts';
import { waitFor } from '../helpers/wait.ts';

describe('runtime tokens and presence (research §8 items 10-18)', () => {
  let s: TestApp;
  const clock = new ManualClock();
  before(async () => {
    s = await startTestApp({ RUNTIME_BOOTSTRAP_KEY: 'boot-key' }, { clock });
  });
  after(() => s.close());

  test('10. no bearer → 401 missing token; unknown → invalid token; the scheme is case-insensitive', async () => {
    const anon = s.client();
    assert.deepEqual((await anon.post('/api/runtime/presence')).body.error, 'missing token');
    assert.equal((await anon.req('POST', '/api/runtime/presence', undefined, { authorization: 'Basic abc' })).body.error, 'missing token');
    const bad = await anon.req('POST', '/api/runtime/presence', undefined, { authorization: 'Bearer kzrt_' + '0'.repeat(48) });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error, 'invalid token');
    const u = await linkedUser(s, 'casey');
    const lower = await anon.req('POST', '/api/runtime/presence', undefined, { authorization: `bearer ${u.token}` });
    assert.equal(lower.status, 200);
    // A web access token is not a runtime token.
    const api = s.client();
    api.bearer = (await u.web.post('/api/auth/tokens', {})).body.access_token;
    assert.equal((await api.post('/api/runtime/presence')).body.error, 'invalid token');
  });

  test('11. only sha256(token) is stored', async () => {
    const u = await linkedUser(s, 'hashy');
    const r = await sql<{ n: number }>`select count(*) as n from access_tokens where token_hash = ${sha256Hex(u.token)} and kind = 'runtime'`.execute(s.store.db);
    assert.equal(Number(r.rows[0]!.n), 1);
    const raw = await sql<{ n: number }>`select count(*) as n from access_tokens where token_hash = ${u.token}`.execute(s.store.db);
    assert.equal(Number(raw.rows[0]!.n), 0);
  });

  test('12-13. 30 min without presence → token expired (inactive, presence gone), then invalid token; heartbeats keep it alive', async () => {
    const alive = await linkedUser(s, 'alive');
    const idle = await linkedUser(s, 'idle');
    for (let i = 0; i < 5; i++) {
      clock.advance(25 * 60_000);
      assert.equal((await alive.bot.post('/api/runtime/presence')).status, 200);
    }
    // idle has been quiet for 125 minutes.
    const expired = await idle.bot.get('/api/runtime/feed');
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error, 'token expired');
    const present = (await alive.web.get('/api/runtime/presence')).body.users.map((u: { username: string }) => u.username);
    assert.ok(present.includes('alive'));
    assert.ok(!present.includes('idle'));
    assert.equal((await idle.bot.post('/api/runtime/presence')).body.error, 'invalid token');
    // Exactly at the limit is not yet expired (strictly greater, as the original).
    const edge = await linkedUser(s, 'edge');
    clock.advance(30 * 60_000);
    assert.equal((await edge.bot.post('/api/runtime/presence')).status, 200);
  });

  test('16-18. POST presence → {ok:true}, one row per user; GET lists present users within 60 s; DELETE removes; runtime token cannot GET', async () => {
    const u = await linkedUser(s, 'pres');
    for (let i = 0; i < 3; i++) assert.deepEqual((await u.bot.post('/api/runtime/presence')).body, { ok: true });
    const rows = await sql<{ n: number }>`select count(*) as n from presence where user_id = ${u.userId}`.execute(s.store.db);
    assert.equal(Number(rows.rows[0]!.n), 1);
    const list = await u.web.get('/api/runtime/presence');
    const me = list.body.users.find((x: { userId: string }) => x.userId === u.userId);
    assert.deepEqual(Object.keys(me).sort(), ['lastSeenAt', 'runtime', 'userId', 'username']);
    assert.equal(me.runtime, true);
    assert.equal((await u.bot.get('/api/runtime/presence')).status, 401, 'runtime tokens cannot list presence');
    assert.equal((await s.client().get('/api/runtime/presence')).body.error, 'unauthorized');
    assert.deepEqual((await u.bot.req('DELETE', '/api/runtime/presence')).body, { ok: true });
    assert.ok(!(await u.web.get('/api/runtime/presence')).body.users.some((x: { userId: string }) => x.userId === u.userId));
    await u.bot.post('/api/runtime/presence');
    clock.advance(61_000);
    assert.ok(!(await u.web.get('/api/runtime/presence')).body.users.some((x: { userId: string }) => x.userId === u.userId), 'stale after 60 s');
  });

  test('heartbeats arriving together: present users are refreshed in one batch, returning ones are announced, every token is touched', async () => {
    const bots = await Promise.all(Array.from({ length: 6 }, (_, i) => linkedUser(s, `fleet${i}`)));
    for (const b of bots) await b.bot.post('/api/runtime/presence');
    clock.advance(40_000);
    for (const b of bots.slice(0, 3)) await b.bot.post('/api/runtime/presence');
    clock.advance(30_000);
    // Now fleet0-2 were seen 30 s ago (present) and fleet3-5 70 s ago (gone).
    // Announcements reach every watcher of the shared space (an event stream is one; its framing is tested with streams).
    const announced: string[] = [];
    const heard: string[] = [];
    const watcher = await s.services.runtime.watchShared(undefined, {
      message: (m) => heard.push(m.content),
      presence: (change) => change.present && announced.push(change.username),
    });
    try {
      const replies = await Promise.all(bots.map((b) => b.bot.post('/api/runtime/presence')));
      assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
      // A message posted after the heartbeats reaches the watcher after every announcement they made.
      assert.equal((await bots[0]!.bot.post('/api/runtime/shared', { content: 'after the heartbeats' })).status, 200);
      await waitFor(() => heard.includes('after the heartbeats'), { what: 'the message posted after the heartbeats' });
    } finally {
      watcher.close();
    }
    assert.deepEqual(announced.sort(), ['fleet3', 'fleet4', 'fleet5'], 'only the returning bots are announced');
    const listed = (await bots[0]!.web.get('/api/runtime/presence')).body.users.map((u: { username: string }) => u.username);
    for (let i = 0; i < 6; i++) assert.ok(listed.includes(`fleet${i}`), `fleet${i} present`);
    const used = await sql<{ last_used_at: number }>`select last_used_at from access_tokens
      where user_id in (${sql.join(bots.map((b) => b.userId))}) and kind = 'runtime'`.execute(s.store.db);
    assert.deepEqual(used.rows.map((r) => Number(r.last_used_at)), Array(6).fill(clock.now()));
  });

  test('token lookups made together each get their own answer (valid, repeated, revoked, unknown)', async () => {
    const [ok1, ok2, gone] = await Promise.all(['mixa', 'mixb', 'mixc'].map((n) => linkedUser(s, n)));
    const tokens = (await gone!.web.get('/api/runtime/tokens')).body.tokens as { id: number }[];
    assert.equal((await gone!.web.req('DELETE', `/api/runtime/tokens/${tokens[0]!.id}`)).status, 200);
    const calls: [string, string | undefined, number, string | undefined][] = [
      ['ok1', ok1!.token, 200, undefined],
      ['ok2', ok2!.token, 200, undefined],
      ['ok1 again', ok1!.token, 200, undefined],
      ['revoked', gone!.token, 401, 'invalid token'],
      ['unknown', 'kzrt_' + '0'.repeat(48), 401, 'invalid token'],
      ['ok2 again', ok2!.token, 200, undefined],
    ];
    const replies = await Promise.all(
      calls.map(([, token]) => {
        const c = s.client();
        c.bearer = token;
        return c.get('/api/runtime/me');
      }),
    );
    calls.forEach(([name, , status, error], i) => {
      assert.equal(replies[i]!.status, status, name);
      if (error) assert.equal(replies[i]!.body.error, error, name);
    });
    assert.equal(replies[0]!.body.username, 'mixa');
    assert.equal(replies[1]!.body.username, 'mixb');
    assert.equal(replies[5]!.body.username, 'mixb');
  });

  test('15. rotate and revoke: 503 without a key only for non-admins, 401 wrong key, rotate replaces, revoke-all clears presence', async () => {
    const u = await linkedUser(s, 'rot');
    const anon = s.client();
    const wrong = await anon.post('/api/runtime/token/rotate', { token: u.token }, { 'x-kozmos-bootstrap-key': 'nope' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'unauthorized');
    const missing = await anon.post('/api/runtime/token/rotate', {}, { 'x-kozmos-bootstrap-key': 'boot-key' });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'missing token');
    const unknown = await anon.post('/api/runtime/token/rotate', { token: 'kzrt_x' }, { 'x-kozmos-bootstrap-key': 'boot-key' });
    assert.equal(unknown.body.error, 'invalid token');
    const rotated = await anon.post('/api/runtime/token/rotate', { token: u.token }, { 'x-kozmos-bootstrap-key': 'boot-key' });
    assert.equal(rotated.status, 200);
    assert.match(rotated.body.token, /^kzrt_[0-9a-f]{48}$/);
    assert.equal(rotated.body.note, 'Store token now. Old token is revoked.');
    assert.equal((await u.bot.post('/api/runtime/presence')).body.error, 'invalid token');
    const fresh = s.client();
    fresh.bearer = rotated.body.token;
    assert.equal((await fresh.post('/api/runtime/presence')).status, 200);

    const noTarget = await anon.post('/api/runtime/token/revoke', {}, { 'x-kozmos-bootstrap-key': 'boot-key' });
    assert.equal(noTarget.status, 400);
    assert.equal(noTarget.body.error, 'provide token/tokenHash or revokeAllForUser + user target');
    const ghost = await anon.post('/api/runtime/token/revoke', { revokeAllForUser: true, username: 'ghost' }, { 'x-kozmos-bootstrap-key': 'boot-key' });
    assert.equal(ghost.body.error, 'missing user target');
    const second = (await u.web.post('/api/runtime/invite/claim', { code: (await u.web.post('/api/runtime/invite/create', {})).body.code })).body.token;
    const all = await anon.post('/api/runtime/token/revoke', { revokeAllForUser: true, username: 'rot' }, { 'x-kozmos-bootstrap-key': 'boot-key' });
    assert.deepEqual(all.body, { ok: true, revoked: 2 });
    const b2 = s.client();
    b2.bearer = second;
    assert.equal((await b2.post('/api/runtime/presence')).status, 401);
    assert.ok(!(await u.web.get('/api/runtime/presence')).body.users.some((x: { username: string }) => x.username === 'rot'));
  });

  test('revoke by token (and by hash) also clears presence; an admin session needs no key', async () => {
    const u = await linkedUser(s, 'single');
    await u.bot.post('/api/runtime/presence');
    const r = await s.client().post('/api/runtime/token/revoke', { tokenHash: sha256Hex(u.token) }, { 'x-kozmos-bootstrap-key': 'boot-key' });
    assert.deepEqual(r.body, { ok: true, revoked: 1 });
    assert.ok(!(await u.web.get('/api/runtime/presence')).body.users.some((x: { username: string }) => x.username === 'single'));
    const admin = s.client();
    await admin.post('/api/auth/login', { username: 'casey', password: 'password-casey' }); // first user = admin
    const v = await linkedUser(s, 'single2');
    assert.deepEqual((await admin.post('/api/runtime/token/revoke', { token: v.token })).body, { ok: true, revoked: 1 });
    const notAdmin = await v.web.post('/api/runtime/token/revoke', { token: v.token });
    assert.equal(notAdmin.status, 403);
    assert.equal(notAdmin.body.error, 'forbidden');
  });

  test('my tokens: listed with label and last use, revocable by me only', async () => {
    const u = await linkedUser(s, 'lister');
    const other = await linkedUser(s, 'other');
    const list = await u.web.get('/api/runtime/tokens');
    assert.equal(list.body.tokens.length, 1);
    const id = list.body.tokens[0].id;
    assert.equal((await other.web.req('DELETE', `/api/runtime/tokens/${id}`)).status, 404, "another user's token");
    assert.equal((await u.web.req('DELETE', `/api/runtime/tokens/${id}`)).status, 200);
    assert.equal((await u.web.get('/api/runtime/tokens')).body.tokens[0].active, false);
    assert.equal((await u.bot.post('/api/runtime/presence')).status, 401);
    assert.equal((await u.web.req('DELETE', '/api/runtime/tokens/abc')).status, 400);
  });
});

describe('bootstrap key not configured', () => {
  test('rotate/revoke → 503 bootstrap disabled', async () => {
    const s = await startTestApp();
    try {
      const r = await s.client().post('/api/runtime/token/rotate', { token: 'x' }, { 'x-kozmos-bootstrap-key': 'x' });
      assert.equal(r.status, 503);
      assert.equal(r.body.error, 'bootstrap disabled');
    } finally {
      await s.close();
    }
  });
});
