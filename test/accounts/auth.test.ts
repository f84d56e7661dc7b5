import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { ManualClock } from '../../src/lib/clock.ts';

/**
 * `jwt` with one bit in the middle of its signature flipped, re-encoded: always a different signature.
 * Replacing the last two base64url characters (the old forgery) is not: 32 bytes are 43 characters
 * and the last one carries only 4 bits, so a signature ending in `xw` decodes to the same bytes as
 * one ending in `xx` (one token in 1024), and that "forgery" is rightly accepted.
 */
function forgeSignature(jwt: string, byte = 16): string {
  const [header, payload, signature] = jwt.split('.');
  const bytes = Buffer.from(signature!, 'base64url');
  bytes[byte]! ^= 1;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

describe('accounts: register, login, sessions, tokens', () => {
  let s: TestApp;
  // Revocation kills credentials issued strictly before it: tests move the clock past their issue.
  const clock = new ManualClock();
  before(async () => {
    s = await startTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MS: '60000' }, { clock });
  });
  after(() => s.close());

  test('the first account becomes admin, later ones do not; ids are Matrix user ids', async () => {
    const a = s.client();
    const r1 = await a.register('alice');
    assert.equal(r1.status, 201);
    assert.equal(r1.body.user.user_id, '@alice:localhost');
    assert.equal(r1.body.user.is_admin, true);
    const cookie = r1.headers.getSetCookie().join(';');
    assert.match(cookie, /orrery_session=/);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    const r2 = await s.client().register('bob');
    assert.equal(r2.body.user.is_admin, false);
  });

  test('invalid localpart → 400 naming the rule; taken → 409; short password → 400', async () => {
    const c = s.client();
    const bad = await c.post('/api/auth/register', { username: 'Bad Name', password: 'longenough' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /lowercase letters a-z, digits 0-9/);
    assert.equal(bad.body.code, 'ORR_AUTH_INVALID_USERNAME');
    const taken = await c.post('/api/auth/register', { username: 'alice', password: 'longenough' });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error, 'username taken');
    const weak = await c.post('/api/auth/register', { username: 'carol', password: 'short' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.code, 'ORR_AUTH_WEAK_PASSWORD');
  });

  test('validation reports every problem at once with its path', async () => {
    const r = await s.client().post('/api/auth/register', { username: 5 });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'ORR_VALIDATION');
    const paths = r.body.issues.map((i: { path: string }) => i.path).sort();
    assert.deepEqual(paths, ['body.password', 'body.username']);
  });

  test('wrong password and unknown user get the same 401', async () => {
    const c = s.client();
    const wrong = await c.post('/api/auth/login', { username: 'bob', password: 'not-the-password' });
    const unknown = await c.post('/api/auth/login', { username: 'nobody', password: 'not-the-password' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(wrong.body, unknown.body);
    assert.equal(wrong.body.error, 'invalid username or password');
  });

  test('repeated failures are throttled with 429 and retry_after_ms, even for the right password', async () => {
    const c = s.client();
    await s.client().register('dave');
    for (let i = 0; i < 3; i++) await c.post('/api/auth/login', { username: 'dave', password: 'wrong-password' });
    const r = await c.post('/api/auth/login', { username: 'dave', password: 'password-dave' });
    assert.equal(r.status, 429);
    assert.equal(r.body.code, 'ORR_AUTH_LOGIN_THROTTLED');
    assert.ok(r.body.retry_after_ms > 0);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
  });

  test('session cookie: whoami works, state changes need the CSRF token, logout ends it', async () => {
    const c = s.client();
    const login = await c.post('/api/auth/login', { username: 'bob', password: 'password-bob' });
    assert.equal(login.status, 200);
    const me = await c.get('/api/auth/whoami');
    assert.equal(me.status, 200);
    assert.equal(me.body.user.user_id, '@bob:localhost');
    assert.equal(me.body.via, 'session');
    const noCsrf = await c.post('/api/auth/logout', {}, { 'x-csrf-token': '' });
    assert.equal(noCsrf.status, 403);
    assert.equal(noCsrf.body.code, 'ORR_AUTH_CSRF');
    const out = await c.post('/api/auth/logout');
    assert.equal(out.status, 200);
    c.cookies.set('orrery_session', [...c.cookies.values()][0] ?? 'x');
    const after = await c.get('/api/auth/whoami');
    assert.equal(after.status, 401);
  });

  test('a logged-out session cookie replayed is rejected', async () => {
    const c = s.client();
    await c.post('/api/auth/login', { username: 'bob', password: 'password-bob' });
    const saved = new Map(c.cookies);
    await c.post('/api/auth/logout');
    const replay = s.client();
    replay.cookies = saved;
    assert.equal((await replay.get('/api/auth/whoami')).status, 401);
  });

  test('access tokens and JWTs authenticate API clients without CSRF', async () => {
    const c = s.client();
    const t = await c.post('/api/auth/login', { username: 'bob', password: 'password-bob', issue: 'access_token' });
    assert.match(t.body.access_token, /^orr_[0-9a-f]{64}$/);
    const api = s.client();
    api.bearer = t.body.access_token;
    assert.equal((await api.get('/api/auth/whoami')).body.via, 'access_token');
    const jwt = await c.post('/api/auth/login', { username: 'bob', password: 'password-bob', issue: 'jwt' });
    assert.equal(jwt.body.access_token.split('.').length, 3);
    const j = s.client();
    j.bearer = jwt.body.access_token;
    const who = await j.get('/api/auth/whoami');
    assert.equal(who.body.via, 'jwt');
    const made = await api.post('/api/auth/tokens', { label: 'ci' });
    assert.equal(made.status, 201);
    // A token logout revokes that token only.
    assert.equal((await api.post('/api/auth/logout')).status, 200);
    assert.equal((await api.get('/api/auth/whoami')).status, 401);
    assert.equal((await j.get('/api/auth/whoami')).status, 200);
    // A JWT cannot be logged out individually.
    assert.equal((await j.post('/api/auth/logout')).status, 400);
  });

  test('a JWT with a forged signature → 401, wherever the signature is changed (regression: the forgery once left it intact)', async () => {
    const c = s.client();
    const jwt = (await c.post('/api/auth/login', { username: 'bob', password: 'password-bob', issue: 'jwt' })).body.access_token as string;
    const genuine = s.client();
    genuine.bearer = jwt;
    assert.equal((await genuine.get('/api/auth/whoami')).status, 200);
    // The first byte, the middle, and the last byte's low bit (which lies in the last character).
    for (const byte of [0, 16, 31]) {
      const forged = s.client();
      forged.bearer = forgeSignature(jwt, byte);
      assert.notEqual(forged.bearer, jwt);
      assert.equal((await forged.get('/api/auth/whoami')).status, 401, `signature byte ${byte} flipped`);
    }
  });

  test('changing the password revokes every earlier session, token and JWT', async () => {
    const c = s.client();
    await c.register('erin');
    const token = (await c.post('/api/auth/login', { username: 'erin', password: 'password-erin', issue: 'access_token' })).body.access_token;
    const jwt = (await c.post('/api/auth/login', { username: 'erin', password: 'password-erin', issue: 'jwt' })).body.access_token;
    const other = s.client();
    await other.post('/api/auth/login', { username: 'erin', password: 'password-erin' });
    // A JWT's iat has 1 s resolution: a change made within its second of issue would not revoke it.
    clock.advance(1000);
    const wrong = await c.post('/api/auth/password', { current_password: 'nope-nope', new_password: 'a-new-password' });
    assert.equal(wrong.status, 401);
    const ok = await c.post('/api/auth/password', { current_password: 'password-erin', new_password: 'a-new-password' });
    assert.equal(ok.status, 200);
    assert.equal((await c.get('/api/auth/whoami')).status, 200, 'the browser that changed it gets a new session');
    assert.equal((await other.get('/api/auth/whoami')).status, 401);
    for (const bearer of [token, jwt]) {
      const b = s.client();
      b.bearer = bearer;
      assert.equal((await b.get('/api/auth/whoami')).status, 401);
    }
    assert.equal((await s.client().post('/api/auth/login', { username: 'erin', password: 'a-new-password' })).status, 200);
  });

  test('who may call: anonymous → 401, user → 403 on admin routes, admin → 200', async () => {
    const anon = s.client();
    assert.equal((await anon.get('/api/auth/whoami')).status, 401);
    assert.equal((await anon.get('/api/admin/users')).status, 401);
    const bob = s.client();
    await bob.post('/api/auth/login', { username: 'bob', password: 'password-bob' });
    const denied = await bob.get('/api/admin/users');
    clock.advance(1); // the revocation below comes after bob's session was issued
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error, 'admin only');
    const alice = s.client();
    await alice.post('/api/auth/login', { username: 'alice', password: 'password-alice' });
    const list = await alice.get('/api/admin/users');
    assert.equal(list.status, 200);
    assert.ok(list.body.users.some((u: { user_id: string }) => u.user_id === '@bob:localhost'));
    const created = await alice.post('/api/admin/users', { username: 'frank', password: 'password-frank' });
    assert.equal(created.status, 201);
    const revoke = await alice.post('/api/admin/users/@bob:localhost/revoke-sessions');
    assert.equal(revoke.status, 200);
    assert.equal((await bob.get('/api/auth/whoami')).status, 401);
    const missing = await alice.post('/api/admin/users/ghost/revoke-sessions');
    assert.equal(missing.status, 404);
  });
});

describe('accounts: registration policy', () => {
  test('closed: self-registration is refused, admins still create users', async () => {
    const s = await startTestApp({ REGISTRATION_POLICY: 'closed' });
    try {
      const r = await s.client().register('zed');
      assert.equal(r.status, 403);
      assert.equal(r.body.error, 'registration is closed');
      await s.orrery.services.accounts.createUser({ username: 'root', password: 'password-root', isAdmin: true });
      const admin = s.client();
      await admin.post('/api/auth/login', { username: 'root', password: 'password-root' });
      assert.equal((await admin.post('/api/admin/users', { username: 'zed', password: 'password-zed' })).status, 201);
      assert.equal((await s.client().get('/api/auth/config')).body.registration_policy, 'closed');
    } finally {
      await s.close();
    }
  });

  test('token: registration needs the token', async () => {
    const s = await startTestApp({ REGISTRATION_POLICY: 'token', REGISTRATION_TOKEN: 'let-me-in' });
    try {
      const c = s.client();
      assert.equal((await c.post('/api/auth/register', { username: 'a1', password: 'password-a1' })).status, 403);
      assert.equal((await c.post('/api/auth/register', { username: 'a1', password: 'password-a1', registration_token: 'wrong' })).status, 403);
      assert.equal((await c.post('/api/auth/register', { username: 'a1', password: 'password-a1', registration_token: 'let-me-in' })).status, 201);
    } finally {
      await s.close();
    }
  });
});

describe('accounts: concurrent first registrations', () => {
  let s: TestApp;
  before(async () => {
    s = await startTestApp({ RATE_LIMIT_MAX: '100000' });
  });
  after(() => s.close());

  test('of six accounts registered at once on an empty server, exactly one becomes admin', async () => {
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => s.client().register(`first${i}`)));
    assert.deepEqual(replies.map((r) => r.status), [201, 201, 201, 201, 201, 201]);
    assert.equal(replies.filter((r) => r.body.user.is_admin).length, 1);
  });
});
