/**
 * Regression: `/sync?set_presence=unavailable` set the presence on every poll, and each setting was
 * announced as a change, which woke the same user's next long-poll at once: a client looping on
 * `/sync` spun without pause. A repeated, unchanged presence is no news.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({});
});
after(() => s.close());

async function register(username: string): Promise<string> {
  const res = await fetch(`${s.url}/_matrix/client/v3/register`, { method: 'POST', body: JSON.stringify({ username, password: 'password123', auth: { type: 'm.login.dummy' } }) });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function sync(token: string, query: string): Promise<{ next_batch: string; presence: { events: unknown[] } }> {
  const res = await fetch(`${s.url}/_matrix/client/v3/sync?${query}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  return (await res.json()) as { next_batch: string; presence: { events: unknown[] } };
}

test('a long-poll with an unchanged set_presence waits for news instead of answering at once', async () => {
  const token = await register('presence-loop');
  const first = await sync(token, 'set_presence=unavailable&timeout=0');
  // The change to `unavailable` is news once…
  const second = await sync(token, `set_presence=unavailable&timeout=0&since=${first.next_batch}`);
  const started = Date.now();
  // …and the same presence again is not: the poll runs to its timeout with nothing in it.
  const third = await sync(token, `set_presence=unavailable&timeout=600&since=${second.next_batch}`);
  assert.ok(Date.now() - started >= 500, `answered after ${Date.now() - started} ms`);
  assert.deepEqual(third.presence.events, []);
});
