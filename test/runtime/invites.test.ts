import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { sha256Hex } from '../../src/lib/secrets.ts';

describe('runtime invites and claims (research §8 items 1-9)', () => {
  let s: TestApp;
  const clock = new ManualClock();
  before(async () => {
    s = await startTestApp({ BASE_URL: 'http://orrery.test' }, { clock });
  });
  after(() => s.close());

  test('1. create without a session → 401 missing session token; bad session → 401 unauthorized', async () => {
    const anon = s.client();
    const r = await anon.post('/api/runtime/invite/create', {});
    assert.equal(r.status, 401);
    assert.equal(r.body.error, 'missing session token');
    anon.bearer = 'orr_deadbeef';
    const bad = await anon.post('/api/runtime/invite/create', {});
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error, 'unauthorized');
  });

  test('2-4. create → kzinv_ code, url, specUrl, expiresAt ≈ now+10 min; ttl clamped; only the hash is stored', async () => {
    const web = s.client();
    await web.register('inviter');
    const r = await web.post('/api/runtime/invite/create', {});
    assert.equal(r.status, 200);
    assert.match(r.body.code, /^kzinv_[0-9a-f]{36}$/);
    assert.equal(r.body.url, `http://orrery.test/runtime/connect?code=${r.body.code}`);
    assert.equal(r.body.specUrl, 'http://orrery.test/api/runtime/spec');
    assert.equal(Date.parse(r.body.expiresAt), clock.now() + 10 * 60_000);
    for (const [ttl, minutes] of [[0, 1], [999, 60], ['abc', 10], [2.5, 2.5]] as const) {
      const t = await web.post('/api/runtime/invite/create', { ttlMinutes: ttl });
      assert.equal(Date.parse(t.body.expiresAt), clock.now() + minutes * 60_000, `ttl ${ttl}`);
    }
    const rows = await sql<{ code_hash: string; max_claims: number; used_claims: number; revoked: number }>`
      select code_hash, max_claims, used_claims, revoked from runtime_invites where code_hash = ${sha256Hex(r.body.code)}`.execute(s.store.db);
    assert.equal(rows.rows.length, 1);
    assert.deepEqual({ ...rows.rows[0], max_claims: Number(rows.rows[0]!.max_claims) }, { code_hash: sha256Hex(r.body.code), max_claims: 1, used_claims: 0, revoked: 0 });
    const raw = await sql`select count(*) as n from runtime_invites where code_hash = ${r.body.code}`.execute(s.store.db);
    assert.equal(Number((raw.rows[0] as { n: number }).n), 0);
  });

  test('5. claim without session → 401 login required; empty code → 400; unknown → 401 invalid invite', async () => {
    const anon = s.client();
    const r = await anon.post('/api/runtime/invite/claim', { code: 'kzinv_x' });
    assert.equal(r.status, 401);
    assert.equal(r.body.error, 'login required');
    const web = s.client();
    await web.register('claimer5');
    const empty = await web.post('/api/runtime/invite/claim', { code: '   ' });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error, 'missing invite code');
    const unknown = await web.post('/api/runtime/invite/claim', { code: 'kzinv_' + '0'.repeat(36) });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error, 'invalid invite');
  });

  test('6-7. the claimer gets a kzrt_ token for their own account, is present at once; reuse → 401; expired → 410', async () => {
    const inviter = s.client();
    await inviter.post('/api/auth/login', { username: 'inviter', password: 'password-inviter' });
    const invite = await inviter.post('/api/runtime/invite/create', {});
    const claimer = s.client();
    const reg = await claimer.register('claimer6');
    const c = await claimer.post('/api/runtime/invite/claim', { code: invite.body.code, label: 'my bot' });
    assert.equal(c.status, 200);
    assert.equal(c.body.mode, 'linked-user');
    assert.equal(c.body.user.id, reg.body.user.user_id);
    assert.equal(c.body.user.username, 'claimer6');
    assert.match(c.body.token, /^kzrt_[0-9a-f]{48}$/);
    assert.equal(c.body.note, 'Store token now. It will not be shown again.');
    assert.deepEqual(Object.keys(c.body.next).sort(), ['presence', 'shared', 'spec']);
    const present = await claimer.get('/api/runtime/presence');
    assert.ok(present.body.users.some((u: { userId: string }) => u.userId === reg.body.user.user_id));
    const again = await claimer.post('/api/runtime/invite/claim', { code: invite.body.code });
    assert.equal(again.status, 401);
    assert.equal(again.body.error, 'invalid invite');
    const stale = await inviter.post('/api/runtime/invite/create', { ttlMinutes: 1 });
    clock.advance(60_000);
    const expired = await claimer.post('/api/runtime/invite/claim', { code: stale.body.code });
    assert.equal(expired.status, 410);
    assert.equal(expired.body.error, 'invite expired');
    const tokens = await claimer.get('/api/runtime/tokens');
    assert.equal(tokens.body.tokens[0].label, 'my bot');
  });

  test('8. two concurrent claims of one code → exactly one 200', async () => {
    const inviter = s.client();
    await inviter.post('/api/auth/login', { username: 'inviter', password: 'password-inviter' });
    for (let round = 0; round < 5; round++) {
      const invite = await inviter.post('/api/runtime/invite/create', {});
      const claimers = await Promise.all(
        [0, 1, 2].map(async (i) => {
          const c = s.client();
          await c.register(`race${round}x${i}`);
          return c;
        }),
      );
      const results = await Promise.all(claimers.map((c) => c.post('/api/runtime/invite/claim', { code: invite.body.code })));
      const statuses = results.map((r) => r.status).sort();
      assert.equal(statuses.filter((x) => x === 200).length, 1, `round ${round}: ${statuses}`);
      for (const r of results.filter((x) => x.status !== 200)) {
        assert.ok(
          (r.status === 409 && r.body.error === 'invite already used') || (r.status === 401 && r.body.error === 'invalid invite'),
          JSON.stringify(r.body),
        );
      }
    }
  });

  test('9. a claim that fails after the reservation restores the invite and answers 500 claim failed', async () => {
    const web = s.client();
    await web.register('claimer9');
    const invite = await web.post('/api/runtime/invite/create', {});
    await sql`alter table access_tokens rename to access_tokens_away`.execute(s.store.db);
    let failed;
    try {
      failed = await web.post('/api/runtime/invite/claim', { code: invite.body.code });
    } finally {
      await sql`alter table access_tokens_away rename to access_tokens`.execute(s.store.db);
    }
    assert.equal(failed.status, 500);
    assert.equal(failed.body.error, 'claim failed');
    const retry = await web.post('/api/runtime/invite/claim', { code: invite.body.code });
    assert.equal(retry.status, 200, 'the invite can be claimed again');
  });

  test('14. claim-identity → 410 linked-user only; direct token → 410 unless enabled', async () => {
    const r = await s.client().post('/api/runtime/claim-identity', { username: 'x' });
    assert.equal(r.status, 410);
    assert.equal(r.body.error, 'disabled');
    assert.equal(r.body.reason, 'runtime is linked-user only');
    assert.match(r.body.how_to_claim, /runtime\/connect/);
    const t = await s.client().post('/api/runtime/token', {});
    assert.equal(t.status, 410);
    assert.equal(t.body.reason, 'runtime is invite-claim only');
  });

  test('spec is public and uses the configured origin and one presence window', async () => {
    const r = await s.client().get('/api/runtime/spec');
    assert.equal(r.status, 200);
    assert.equal(r.body.protocol, 'kozmos-runtime-v1');
    assert.equal(r.body.endpoints.presence, 'http://orrery.test/api/runtime/presence');
    assert.deepEqual(r.body.heartbeat, { interval_seconds: 25, timeout_seconds: 60 });
    assert.deepEqual(r.body.capabilities, ['stream', 'long_poll', 'idempotency_key', 'exclude_own_bots']);
  });
});

describe('direct token issue when enabled', () => {
  test('needs a session and returns a token whose expiry counts from creation', async () => {
    const s = await startTestApp({ RUNTIME_ALLOW_DIRECT_TOKEN_ISSUE: 'true' });
    try {
      const anon = await s.client().post('/api/runtime/token', {});
      assert.equal(anon.status, 401);
      assert.equal(anon.body.error, 'missing session token');
      const web = s.client();
      await web.register('direct');
      const noCsrf = await web.post('/api/runtime/token', { label: 'cli' }, { 'x-csrf-token': '' });
      assert.equal(noCsrf.status, 403, 'a cookie session needs the CSRF token here too');
      const r = await web.post('/api/runtime/token', { label: 'cli' });
      assert.equal(r.status, 200);
      assert.match(r.body.token, /^kzrt_[0-9a-f]{48}$/);
      const bot = s.client();
      bot.bearer = r.body.token;
      assert.equal((await bot.post('/api/runtime/presence')).status, 200);
    } finally {
      await s.close();
    }
  });
});
