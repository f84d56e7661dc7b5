/**
 * Requests held open (event streams, long-polls) against their credential and the server's life:
 * - issue 7 item 4: after a runtime token was revoked, or a user's sessions were, streams and
 *   long-polls already open with them kept receiving messages;
 * - item 9: a cap on open streams per credential; `HEAD /api/runtime/stream` wrote a body;
 * - item 15: SIGTERM with a stream open waited the full `SHUTDOWN_TIMEOUT_MS`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import net from 'node:net';
import { ManualClock } from '../../src/lib/clock.ts';
import { Client } from '../helpers/client.ts';
import { startTestServer, TEST_DB, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { linkedUser, type LinkedUser } from './helpers.ts';

/** Open the shared stream with `headers`: its text so far, whether the server ended it, and `until`. */
async function openStream(s: TestServer, headers: Record<string, string>) {
  const res = await fetch(`${s.url}/api/runtime/stream`, { headers: { accept: 'text/event-stream', ...headers } });
  assert.equal(res.status, 200, `stream: ${res.status}`);
  const body = res.body!.getReader();
  const state = { text: '', ended: false };
  const decoder = new TextDecoder();
  void (async () => {
    for (;;) {
      const { value, done } = await body.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      state.text += decoder.decode(value, { stream: true });
    }
    state.ended = true;
  })();
  const reader = {
    state,
    until: (re: RegExp) => waitFor(() => re.test(state.text), { what: `${re} on the stream` }),
    cancel: () => body.cancel(),
  };
  await reader.until(/: connected/);
  return { reader, state };
}

const bearer = (u: LinkedUser) => ({ authorization: `Bearer ${u.token}` });
const cookieOf = (c: Client) => ({ cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') });

describe('revocation reaches what is already open', () => {
  let s: TestServer;
  let poster: LinkedUser;
  before(async () => {
    s = await startTestServer({ RUNTIME_SHARED_MIN_GAP_MS: '0', RUNTIME_SHARED_DUPLICATE_WINDOW_MS: '0' });
    poster = await linkedUser(s, 'poster');
  });
  after(() => s.close());

  test('revoking a runtime token ends its open stream and answers its long-poll', async () => {
    const u = await linkedUser(s, 'revoked1');
    const { reader, state } = await openStream(s, bearer(u));
    const head = (await u.bot.get('/api/runtime/feed')).body.streamCursor;
    const poll = u.bot.get(`/api/runtime/feed?after=${head}&wait=30000`);
    await waitFor(() => s.orrery.app.live.size() >= 2, { what: 'stream and long-poll tracked' });
    const started = Date.now();
    const list = await u.web.get('/api/runtime/tokens');
    assert.equal((await u.web.req('DELETE', `/api/runtime/tokens/${list.body.tokens[0].id}`)).status, 200);
    await waitFor(() => state.ended, { what: 'the stream to end' });
    const answered = await poll;
    assert.equal(answered.status, 200);
    assert.deepEqual(answered.body.messages, []);
    assert.ok(Date.now() - started < 5000, 'the long-poll was answered at once, not after its wait');
    // Nothing posted afterwards reaches the closed stream, and the token is refused from now on.
    await poster.bot.post('/api/runtime/shared', { content: 'after the revocation' });
    assert.doesNotMatch(reader.state.text, /after the revocation/);
    assert.equal((await u.bot.get('/api/runtime/feed')).status, 401);
  });

  test("revoking a user's sessions ends the streams of their web session; other users' streams go on", async () => {
    const u = await linkedUser(s, 'revoked2');
    const bystander = await linkedUser(s, 'bystander');
    const web = await openStream(s, cookieOf(u.web));
    const other = await openStream(s, bearer(bystander));
    assert.equal((await u.web.post('/api/auth/sessions/revoke')).status, 200);
    await waitFor(() => web.state.ended, { what: 'the session stream to end' });
    await poster.bot.post('/api/runtime/shared', { content: 'still flowing' });
    await other.reader.until(/still flowing/);
    assert.equal(other.state.ended, false);
    await other.reader.cancel();
  });

  test('an admin revoke of all of a user\'s runtime tokens ends their streams', async () => {
    const u = await linkedUser(s, 'revoked3');
    const { state } = await openStream(s, bearer(u));
    const admin = new Client(s.url);
    // The first account of this server is `poster`, the admin.
    await admin.post('/api/auth/login', { username: 'poster', password: 'password-poster' });
    const r = await admin.post('/api/runtime/token/revoke', { revokeAllForUser: true, username: 'revoked3' });
    assert.deepEqual(r.body, { ok: true, revoked: 1 });
    await waitFor(() => state.ended, { what: 'the stream to end' });
  });
});

describe('expiry reaches what is already open', () => {
  test('a runtime token that goes idle past RUNTIME_TOKEN_IDLE_MS loses its stream at the next check', async () => {
    const clock = new ManualClock();
    const s = await startTestServer({ RUNTIME_TOKEN_IDLE_MS: '60000' }, { clock });
    try {
      const u = await linkedUser(s, 'idler');
      const { state } = await openStream(s, bearer(u));
      await s.orrery.app.live.revalidateAll();
      assert.equal(state.ended, false, 'a live token keeps its stream');
      clock.advance(61_000);
      await s.orrery.app.live.revalidateAll();
      await waitFor(() => state.ended, { what: 'the idle token\'s stream to end' });
    } finally {
      await s.close();
    }
  });
});

describe('open streams per credential, HEAD', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ RUNTIME_STREAM_MAX_PER_CREDENTIAL: '2' });
  });
  after(() => s.close());

  test('one credential holds at most RUNTIME_STREAM_MAX_PER_CREDENTIAL streams, also when they open at once', async () => {
    const u = await linkedUser(s, 'greedy');
    const attempts = await Promise.all(
      Array.from({ length: 10 }, () => fetch(`${s.url}/api/runtime/stream`, { headers: bearer(u) })),
    );
    const open = attempts.filter((r) => r.status === 200);
    const refused = attempts.filter((r) => r.status === 429);
    assert.equal(open.length, 2);
    assert.equal(refused.length, 8);
    const body = (await refused[0]!.json()) as { code: string; error: string; retry_after_ms: number };
    assert.equal(body.code, 'ORR_TOO_MANY_STREAMS');
    assert.ok(body.retry_after_ms > 0);
    assert.equal(refused[0]!.headers.get('retry-after'), '1');
    // Another credential is not affected; a long-poll counts against the same cap.
    const other = await linkedUser(s, 'modest');
    assert.equal((await fetch(`${s.url}/api/runtime/stream`, { headers: bearer(other) }).then(async (r) => (await r.body?.cancel(), r.status))), 200);
    const poll = await u.bot.get('/api/runtime/feed?after=s0&wait=1000');
    assert.ok(poll.status === 429 || (poll.status === 200 && poll.body.messages.length > 0), `long-poll: ${poll.status}`);
    // Closing one frees its slot.
    await open[0]!.body!.cancel();
    await waitFor(async () => {
      const again = await fetch(`${s.url}/api/runtime/stream`, { headers: bearer(u) });
      const ok = again.status === 200;
      await again.body?.cancel();
      return ok;
    }, { what: 'a freed stream slot' });
    await open[1]!.body!.cancel();
  });

  test('HEAD /api/runtime/stream answers the head of a stream and no body', async () => {
    const u = await linkedUser(s, 'header');
    const { status, headers, bytes } = await new Promise<{ status: number; headers: Record<string, unknown>; bytes: number }>((resolve, reject) => {
      const url = new URL(`${s.url}/api/runtime/stream`);
      const req = httpRequest({ method: 'HEAD', host: url.hostname, port: url.port, path: url.pathname, headers: bearer(u) }, (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    assert.match(String(headers['content-type']), /^text\/event-stream/);
    assert.equal(bytes, 0);
    assert.equal(s.orrery.app.live.size(), 0, 'a HEAD holds nothing open');
  });
});

describe('shutdown with streams and long-polls open', () => {
  test('stop() ends them at once instead of waiting SHUTDOWN_TIMEOUT_MS; the long-poll gets its answer', async () => {
    const s = await startTestServer({ SHUTDOWN_TIMEOUT_MS: '20000' });
    const u = await linkedUser(s, 'leaver');
    const { state } = await openStream(s, bearer(u));
    const head = (await u.bot.get('/api/runtime/feed')).body.streamCursor;
    const poll = u.bot.get(`/api/runtime/feed?after=${head}&wait=30000`);
    await waitFor(() => s.orrery.app.live.size() === 2, { what: 'both tracked' });
    const started = Date.now();
    await s.close();
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 5000, `shutdown took ${elapsed} ms`);
    assert.equal(state.ended, true);
    const answered = await poll;
    assert.equal(answered.status, 200);
    assert.deepEqual(answered.body.messages, []);
  });
});

describe('shutdown with idle connections open', () => {
  // (That a request in flight at SIGTERM still gets its answer is the CLI's SIGTERM test.)
  test('a connection that never sent a request does not hold the stop for SHUTDOWN_TIMEOUT_MS', async () => {
    const s = await startTestServer({ SHUTDOWN_TIMEOUT_MS: '20000' });
    const url = new URL(s.url);
    const silent = net.connect(Number(url.port), url.hostname);
    await new Promise((resolve) => silent.once('connect', resolve));
    const started = Date.now();
    await s.close();
    const elapsed = Date.now() - started;
    silent.destroy();
    assert.ok(elapsed < 5000, `shutdown took ${elapsed} ms`);
  });
});

describe('revocation across instances (PostgreSQL)', { skip: TEST_DB !== 'postgres' && 'needs PostgreSQL' }, () => {
  test('a token revoked on instance A ends its stream held open on instance B', async () => {
    const a = await startTestServer();
    const b = await startTestServer({}, { peerOf: a });
    try {
      const u = await linkedUser(a, 'roamer');
      const { state } = await openStream(b, bearer(u));
      const list = await u.web.get('/api/runtime/tokens');
      assert.equal((await u.web.req('DELETE', `/api/runtime/tokens/${list.body.tokens[0].id}`)).status, 200);
      await waitFor(() => state.ended, { what: 'the stream on B to end' });
    } finally {
      await b.close();
      await a.close();
    }
  });
});
