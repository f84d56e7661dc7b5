import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp } from '../helpers/server.ts';

describe('rate limits', () => {
  test('per IP: the request over the limit → 429 with retry_after_ms and Retry-After; loopback is not exempt', async () => {
    const s = await startTestApp({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
    try {
      const c = s.client();
      for (let i = 0; i < 3; i++) assert.equal((await c.get('/api/auth/config')).status, 200);
      const r = await c.get('/api/auth/config');
      assert.equal(r.status, 429);
      assert.equal(r.body.error, 'rate limited');
      assert.ok(r.body.retry_after_ms > 0 && r.body.retry_after_ms <= 60000);
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
    } finally {
      await s.close();
    }
  });

  test('per principal: an authenticated user has a budget of its own', async () => {
    const s = await startTestApp({ RATE_LIMIT_MAX: '4' });
    try {
      const token = (await s.orrery.services.accounts.createAccessToken(
        (await s.orrery.services.accounts.createUser({ username: 'rl', password: 'password-rl' })).userId,
      )).token;
      const anon = s.client();
      for (let i = 0; i < 4; i++) await anon.get('/api/auth/config');
      assert.equal((await anon.get('/api/auth/config')).status, 429);
      const user = s.client();
      user.bearer = token;
      assert.equal((await user.get('/api/auth/whoami')).status, 200, 'the IP is exhausted but the principal is not');
    } finally {
      await s.close();
    }
  });

  test('RATE_LIMIT_ALLOW_LOOPBACK exempts 127.0.0.1', async () => {
    const s = await startTestApp({ RATE_LIMIT_MAX: '2', RATE_LIMIT_ALLOW_LOOPBACK: 'true' });
    try {
      const c = s.client();
      for (let i = 0; i < 5; i++) assert.equal((await c.get('/api/auth/config')).status, 200);
    } finally {
      await s.close();
    }
  });
});
