/**
 * Regression (issue 7 item 9): no per-address registration limit, so one address could mint accounts
 * (and their share of every per-account budget) in bulk. Self-service registration now allows
 * `REGISTRATION_MAX_PER_ADDRESS` attempts per `REGISTRATION_WINDOW_MS` per client address.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ REGISTRATION_MAX_PER_ADDRESS: '3', REGISTRATION_WINDOW_MS: '3600000', RATE_LIMIT_MAX: '100000' });
});
after(() => s.close());

test('10 registrations at once from one address: 3 are handled, 7 get 429 with retry_after_ms; admins still create users', async () => {
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => s.client().register(`bulk${i}`)));
  const limited = answers.filter((a) => a.status === 429);
  assert.equal(answers.filter((a) => a.status === 201).length, 3);
  assert.equal(limited.length, 7);
  assert.equal(limited[0]!.body.code, 'ORR_REGISTRATION_RATE_LIMITED');
  assert.ok(limited[0]!.body.retry_after_ms > 0);
  assert.ok(Number(limited[0]!.headers.get('retry-after')) >= 1);
  // Being signed in does not lift the limit (it is per address, not per principal).
  const admin = answers.find((a) => a.status === 201 && a.body.user.is_admin);
  assert.ok(admin);
  const signedIn = s.client();
  await signedIn.post('/api/auth/login', { username: admin.body.user.localpart, password: `password-${admin.body.user.localpart}` });
  assert.equal((await signedIn.post('/api/auth/register', { username: 'more', password: 'password-more' })).status, 429);
  // The admin path is not self-service registration.
  assert.equal((await signedIn.post('/api/admin/users', { username: 'made', password: 'password-made' })).status, 201);
});
