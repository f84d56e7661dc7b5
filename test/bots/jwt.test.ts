/**
 * The bot endpoints' JWT (docs/bot-runner.md "JWT"): HS256, claims `user`/`iat`/`exp`, 24 h, with or
 * without `Bearer `, refused when expired (injectable clock), badly signed, or issued before
 * `sessions_revoked_at`; obtained from `POST /_server-session` with a Matrix OpenID token (over the
 * Matrix API, as the original's setup script) or with a web session (+ CSRF).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { ManualClock } from '../../src/lib/clock.ts';
import { startTestApp, type TestApp } from '../helpers/server.ts';
import { assertError, botUser, openIdToken, withJwt } from './helpers.ts';

describe('bot JWT', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000' }, { clock });
    await t.client().register('admin');
  });
  after(() => t.close());

  test('POST /_server-session exchanges a real OpenID token for a JWT in the Authorization header (201, no body)', async () => {
    const web = t.client();
    await web.register('openid');
    const userId = (await web.get('/_matrix/client/v3/account/whoami')).body.user_id as string;
    const res = await t.client().post('/_server-session', { access_token: await openIdToken(web, userId) });
    assert.equal(res.status, 201);
    assert.equal(res.body, null);
    assert.equal(res.headers.get('access-control-expose-headers'), 'Authorization');
    const jwt = res.headers.get('authorization')!;
    assert.deepEqual(decodeProtectedHeader(jwt), { alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(jwt);
    assert.equal(claims.user, userId);
    assert.equal(claims.iat, Math.floor(clock.now() / 1000));
    assert.equal(claims.exp, claims.iat! + 24 * 3600, 'a 24 h TTL by default');
    assert.equal((await withJwt(t, jwt).get('/_bot-registrations')).status, 200);
  });

  test('the JWT works with and without `Bearer `', async () => {
    const u = await botUser(t, 'bearer');
    assert.equal((await withJwt(t, u.jwt).get('/_bot-registrations')).status, 200);
    assert.equal((await withJwt(t, `Bearer ${u.jwt}`).get('/_bot-registrations')).status, 200);
  });

  test('an expired JWT → 401 Token expired (the injectable clock moves past exp)', async () => {
    const u = await botUser(t, 'expiring');
    clock.advance(24 * 3600 * 1000 - 1000);
    assert.equal((await u.api.get('/_bot-registrations')).status, 200, 'valid until exp');
    clock.advance(2000);
    assertError(await u.api.get('/_bot-registrations'), 401, 'Token expired');
  });

  test('a JWT with a wrong signature, another key, or no user claim → 401 Token invalid', async () => {
    const u = await botUser(t, 'forged');
    const [h, p] = u.jwt.split('.');
    assertError(await withJwt(t, `${h}.${p}.${'A'.repeat(43)}`).get('/_bot-registrations'), 401, 'Token invalid');
    const iat = Math.floor(clock.now() / 1000);
    const foreign = await new SignJWT({ user: u.userId }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(iat).setExpirationTime(iat + 60).sign(new TextEncoder().encode('not-the-server-secret-not-the-server-secret'));
    assertError(await withJwt(t, foreign).get('/_bot-registrations'), 401, 'Token invalid');
    // An API-client JWT (POST /api/auth/login issue=jwt) is another key and other claims.
    const login = await t.client().post('/api/auth/login', { username: 'forged', password: 'password-forged', issue: 'jwt' });
    assertError(await withJwt(t, login.body.access_token).get('/_bot-registrations'), 401, 'Token invalid');
    // ...and the bot JWT is no credential elsewhere.
    assert.equal((await t.client().get('/api/auth/whoami', { authorization: `Bearer ${u.jwt}` })).status, 401);
  });

  test('a JWT issued before the user revoked their sessions → 401 Session revoked; a new one works', async () => {
    const u = await botUser(t, 'revoker');
    clock.advance(5000);
    await t.services.accounts.revokeAllSessions(u.userId);
    assertError(await u.api.get('/_bot-registrations'), 401, 'Session revoked');
    clock.advance(1000);
    const { token } = await t.services.accounts.issueBotJwt(u.userId);
    assert.equal((await withJwt(t, token).get('/_bot-registrations')).status, 200);
  });

  test('POST /_server-session with a web session (and its CSRF token) issues a JWT for that user; without CSRF → 403', async () => {
    const web = t.client();
    await web.register('websession');
    const userId = (await web.get('/_matrix/client/v3/account/whoami')).body.user_id as string;
    const res = await web.post('/_server-session');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(decodeJwt(res.headers.get('authorization')!).user, userId);
    const forged = await web.req('POST', '/_server-session', undefined, { 'x-csrf-token': 'forged' });
    assert.equal(forged.status, 403);
    assert.deepEqual(forged.body, { errors: ['missing or invalid csrf token'] });
  });

  test('POST /_server-session refusals: bad JSON → 400, no token and no session → 400, unknown or expired OpenID token → 401', async () => {
    const anonymous = t.client();
    assertError(await anonymous.req('POST', '/_server-session', '{nope'), 400, 'Request body is not valid JSON');
    assertError(await anonymous.post('/_server-session', {}), 400, "Request body missing 'access_token' property");
    assertError(await anonymous.post('/_server-session', { access_token: 'not-a-token' }), 401, 'OpenID token is invalid or expired');
    const web = t.client();
    await web.register('openidexpiry');
    const userId = (await web.get('/_matrix/client/v3/account/whoami')).body.user_id as string;
    const token = await openIdToken(web, userId);
    clock.advance(3600 * 1000 + 1000);
    assertError(await anonymous.post('/_server-session', { access_token: token }), 401, 'OpenID token is invalid or expired');
  });
});
