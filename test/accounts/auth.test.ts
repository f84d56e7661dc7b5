import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../helpers/client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('accounts: register, login, sessions, tokens', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MS: '60000' });
  });
  after(() => s.close());

  test('the first account becomes admin, later ones do not; ids are Matrix user ids', async () => {
    const a = new Client(s.url);
    const r1 = await a.register('alice');
    assert.equal(r1.status, 201);
    assert.equal(r1.body.user.user_id, '@alice:localhost');
    assert.equal(r1.body.user.is_admin, true);
    const cookie = r1.headers.getSetCookie().join(';');
    assert.match(cookie, /orrery_session=/);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    const r2 = await new Client(s.url).register('bob');
    assert.equal(r2.body.user.is_admin, false);
  });

  test('invalid localpart → 400 naming the rule; taken → 409; short password → 400', async () => {
    const c = new Client(s.url);
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
    const r = await new Client(s.url).post('/api/auth/register', { username: 5 });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'ORR_VALIDATION');
    const paths = r.body.issues.map((i: { path: string }) => i.path).sort();
    assert.deepEqual(paths, ['body.password', 'body.username']);
  });

  test('wrong password and unknown user get the same 401', async () => {
    const c = new Client(s.url);
    const wrong = await c.post('/api/auth/login', { username: 'bob', password: 'not-the-password' });
    const unknown = await c.post('/api/auth/login', { username: 'nobody', password: 'not-the-password' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(wrong.body, unknown.body);
    assert.equal(wrong.body.error, 'invalid username or password');
  });

  test('repeated failures are throttled with 429 and retry_after_ms, even for the right password', async () => {
    const c = new Client(s.url);
    await new Client(s.url).register('dave');
    for (let i = 0; i < 3; i++) await c.post('/api/auth/login', { username: 'dave', password: 'wrong-password' });
    const r = await c.post('/api/auth/login', { username: 'dave', password: 'password-dave' });
    assert.equal(r.status, 429);
    assert.equal(r.body.code, 'ORR_AUTH_LOGIN_THROTTLED');
    assert.ok(r.body.retry_after_ms > 0);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
  });

  test('session cookie: whoami works, state changes need the CSRF token, logout ends it', async () => {
    const c = new Client(s.url);
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
    const c = new Client(s.url);
    await c.post('/api/auth/login', { username: 'bob', password: 'password-bob' });
    const saved = new Map(c.cookies);
    await c.post('/api/auth/logout');
    const replay = new Client(s.url);
    replay.cookies = saved;
    assert.equal((await replay.get('/api/auth/whoami')).status, 401);
  });

  test('access tokens and JWTs authenticate API clients without CSRF', async () => {
    const c = new Client(s.url);
    const t = await c.post('/api/auth/login', { username: 'bob', password: 'password-bob', issue: 'access_token' });
    assert.match(t.body.access_token, /^orr_[0-9a-f]{64}$/);
    const api = new Client(s.url);
    api.bearer = t.body.access_token;
    assert.equal((await api.get('/api/auth/whoami')).body.via, 'access_token');
    const jwt = await c.post('/api/auth/login', { username: 'bob', password: 'password-bob', issue: 'jwt' });
    assert.equal(jwt.body.access_token.split('.').length, 3);
    const j = new Client(s.url);
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
    const forged = new Client(s.url);
    forged.bearer = jwt.body.access_token.slice(0, -2) + 'xx';
    assert.equal((await forged.get('/api/auth/whoami')).status, 401);
  });

  test('changing the password revokes every earlier session, token and JWT', async () => {
    const c = new Client(s.url);
    await c.register('erin');
    const token = (await c.post('/api/auth/login', { username: 'erin', password: 'password-erin', issue: 'access_token' })).body.access_token;
    const jwt = (await c.post('/api/auth/login', { username: 'erin', password: 'password-erin', issue: 'jwt' })).body.access_token;
    const other = new Client(s.url);
    await other.post('/api/auth/login', { username: 'erin', password: 'password-erin' });
    await new Promise((r) => setTimeout(r, 1100)); // JWT iat has 1 s resolution
    const wrong = await c.post('/api/auth/password', { current_password: 'nope-nope', new_password: 'a-new-password' });
    assert.equal(wrong.status, 401);
    const ok = await c.post('/api/auth/password', { current_password: 'password-erin', new_password: 'a-new-password' });
    assert.equal(ok.status, 200);
    assert.equal((await c.get('/api/auth/whoami')).status, 200, 'the browser that changed it gets a new session');
    assert.equal((await other.get('/api/auth/whoami')).status, 401);
    for (const bearer of [token, jwt]) {
      const b = new Client(s.url);
      b.bearer = bearer;
      assert.equal((await b.get('/api/auth/whoami')).status, 401);
    }
    assert.equal((await new Client(s.url).post('/api/auth/login', { username: 'erin', password: 'a-new-password' })).status, 200);
  });

  test('who may call: anonymous → 401, user → 403 on admin routes, admin → 200', async () => {
    const anon = new Client(s.url);
    assert.equal((await anon.get('/api/auth/whoami')).status, 401);
    assert.equal((await anon.get('/api/admin/users')).status, 401);
    const bob = new Client(s.url);
    await bob.post('/api/auth/login', { username: 'bob', password: 'password-bob' });
    const denied = await bob.get('/api/admin/users');
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error, 'admin only');
    const alice = new Client(s.url);
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
    const s = await startTestServer({ REGISTRATION_POLICY: 'closed' });
    try {
      const r = await new Client(s.url).register('zed');
      assert.equal(r.status, 403);
      assert.equal(r.body.error, 'registration is closed');
      await s.orrery.services.accounts.createUser({ username: 'root', password: 'password-root', isAdmin: true });
      const admin = new Client(s.url);
      await admin.post('/api/auth/login', { username: 'root', password: 'password-root' });
      assert.equal((await admin.post('/api/admin/users', { username: 'zed', password: 'password-zed' })).status, 201);
      assert.equal((await new Client(s.url).get('/api/auth/config')).body.registration_policy, 'closed');
    } finally {
      await s.close();
    }
  });

  test('token: registration needs the token', async () => {
    const s = await startTestServer({ REGISTRATION_POLICY: 'token', REGISTRATION_TOKEN: 'let-me-in' });
    try {
      const c = new Client(s.url);
      assert.equal((await c.post('/api/auth/register', { username: 'a1', password: 'password-a1' })).status, 403);
      assert.equal((await c.post('/api/auth/register', { username: 'a1', password: 'password-a1', registration_token: 'wrong' })).status, 403);
      assert.equal((await c.post('/api/auth/register', { username: 'a1', password: 'password-a1', registration_token: 'let-me-in' })).status, 201);
    } finally {
      await s.close();
    }
  });
});

describe('accounts: concurrent first registrations', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ RATE_LIMIT_MAX: '100000' });
  });
  after(() => s.close());

  test('of six accounts registered at once on an empty server, exactly one becomes admin', async () => {
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => new Client(s.url).register(`first${i}`)));
    assert.deepEqual(replies.map((r) => r.status), [201, 201, 201, 201, 201, 201]);
    assert.equal(replies.filter((r) => r.body.user.is_admin).length, 1);
  });
});
