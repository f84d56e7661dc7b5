/**
 * Regression (issue 7 item 1): the login throttle raced under concurrency. 550 wrong passwords sent
 * at once from one address were all checked (312 argon2 checks where 5 per username and 50 per
 * address are allowed), and a 200-guess burst with the right password inside it logged in. Each
 * attempt now reserves its slot before hashing, in one atomic statement, on both databases.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../helpers/client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const LIMIT = 5;
const IP_LIMIT = LIMIT * 10;

/** Fire every login at once; the statuses, in send order. */
async function burst(s: TestServer, attempts: Array<{ username: string; password: string }>): Promise<number[]> {
  const responses = await Promise.all(attempts.map((a) => new Client(s.url).post('/api/auth/login', a)));
  return responses.map((r) => r.status);
}

describe('login throttle under concurrency', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ LOGIN_MAX_FAILURES: String(LIMIT), LOGIN_LOCKOUT_MS: '600000', RATE_LIMIT_MAX: '100000' });
    await new Client(s.url).register('owner');
    await new Client(s.url).register('victim');
  });
  after(() => s.close());

  test('a concurrent burst of 200 guesses, the right password at the end: at most 5 are checked, and the right one is not let in', async () => {
    const attempts = Array.from({ length: 200 }, (_, i) => ({ username: 'victim', password: i === 199 ? 'password-victim' : `wrong-${i}` }));
    const statuses = await burst(s, attempts);
    const checked = statuses.filter((st) => st !== 429);
    assert.ok(checked.length <= LIMIT, `${checked.length} attempts were checked, at most ${LIMIT} allowed`);
    assert.ok(statuses.every((st) => st === 401 || st === 429), `statuses: ${[...new Set(statuses)].join(',')}`);
    // The right password afterwards is refused too: the username stays locked.
    const late = await new Client(s.url).post('/api/auth/login', { username: 'victim', password: 'password-victim' });
    assert.equal(late.status, 429);
    assert.equal(late.body.code, 'ORR_AUTH_LOGIN_THROTTLED');
    assert.ok(late.body.retry_after_ms > 0);
  });

  test('550 wrong passwords at once over many usernames from one address: at most 50 are checked', async () => {
    const attempts = Array.from({ length: 550 }, (_, i) => ({ username: `nobody${i % 110}`, password: `wrong-${i}` }));
    const statuses = await burst(s, attempts);
    const checked = statuses.filter((st) => st !== 429).length;
    assert.ok(checked <= IP_LIMIT, `${checked} attempts were checked, at most ${IP_LIMIT} allowed per address`);
    assert.ok(checked >= LIMIT, `the address was throttled too early (${checked})`);
  });
});

describe('login throttle: a success gives its slot back', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MS: '600000' });
    await new Client(s.url).register('carol');
  });
  after(() => s.close());

  test('concurrent right-password logins all succeed and leave the username unthrottled', async () => {
    const statuses = await burst(s, Array.from({ length: 12 }, () => ({ username: 'carol', password: 'password-carol' })));
    // Reservations in flight count, so a burst larger than the limit may see some 429s, but never a 401.
    assert.ok(statuses.every((st) => st === 200 || st === 429), statuses.join(','));
    assert.ok(statuses.filter((st) => st === 200).length >= 3);
    // Once they are done, every slot is back: two failures and the right password still get in.
    for (let i = 0; i < 2; i++) assert.equal((await new Client(s.url).post('/api/auth/login', { username: 'carol', password: 'nope-nope' })).status, 401);
    assert.equal((await new Client(s.url).post('/api/auth/login', { username: 'carol', password: 'password-carol' })).status, 200);
  });
});
