import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { captureLog, startTestServer, type TestServer } from '../helpers/server.ts';
import { linkedUser, type LinkedUser } from './helpers.ts';
import { waitFor } from '../helpers/wait.ts';

/** A raw HTTP/1.1 reader of `/api/runtime/stream`: every byte it receives, and whether the server closed. */
function rawStream(s: TestServer, token: string, headers: Record<string, string> = {}) {
  const url = new URL(s.url);
  const socket = net.connect(Number(url.port), url.hostname);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.write(`GET /api/runtime/stream HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${token}\r\n${extra}\r\n`);
  const state = { text: '', ended: false, socket };
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (state.text += d));
  socket.on('end', () => (state.ended = true));
  return state;
}

/** Complete SSE `message` events in `text` (an event cut off by the close is not one, as in the SSE spec). */
function completeMessages(text: string): { id: string; content: string }[] {
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  return body
    .split('\n\n')
    .slice(0, -1)
    .filter((e) => e.includes('event: message'))
    .map((e) => ({ id: /^id: (.*)$/m.exec(e)![1]!, content: JSON.parse(/^data: (.*)$/m.exec(e)![1]!).content as string }));
}

describe('event stream wire format and slow readers', () => {
  let s: TestServer;
  let u: LinkedUser;
  const posters: LinkedUser[] = [];
  const log = captureLog();
  const logLines = log.lines;
  before(async () => {
    s = await startTestServer(
      {
        LOG_LEVEL: 'warn',
        RUNTIME_SHARED_MIN_GAP_MS: '0',
        RUNTIME_SHARED_MAX_PER_MINUTE: '100000',
        RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE: '100000',
        RUNTIME_SHARED_DUPLICATE_WINDOW_MS: '0',
        RUNTIME_STREAM_MAX_BACKLOG_BYTES: '16384',
        RATE_LIMIT_MAX: '100000',
      },
      { logStream: log.stream },
    );
    u = await linkedUser(s, 'streamer');
    // Several posters keep each one's rate-limit window (rows it re-reads per post) short.
    for (let i = 0; i < 8; i++) posters.push(await linkedUser(s, `poster${i}`));
  });
  after(() => s.close());

  test('the body is close-delimited SSE: no chunk framing, no length, Connection: close', async () => {
    const r = rawStream(s, u.token);
    await waitFor(() => r.text.includes(': connected'), { what: 'the connected comment' });
    const head = r.text.slice(0, r.text.indexOf('\r\n\r\n')).toLowerCase();
    assert.match(head, /^http\/1\.1 200 ok/);
    assert.match(head, /\r\ncontent-type: text\/event-stream; charset=utf-8/);
    assert.match(head, /\r\nconnection: close/);
    assert.doesNotMatch(head, /transfer-encoding|content-length/);
    assert.ok(r.text.endsWith('\r\n\r\nretry: 2000\n: connected\n\n'), 'frames follow the head byte for byte');
    await u.bot.post('/api/runtime/shared', { content: 'framed' });
    await waitFor(() => completeMessages(r.text).length === 1, { what: 'one message' });
    assert.equal(completeMessages(r.text)[0]!.content, 'framed');
    r.socket.destroy();
  });

  test('a stream with no credentials or a bad cursor is refused before any frame', async () => {
    const none = rawStream(s, 'kzrt_nope');
    await waitFor(() => none.text.includes('\r\n\r\n'), { what: 'a response' });
    assert.match(none.text, /^HTTP\/1\.1 401/);
    none.socket.destroy();
    const bad = rawStream(s, u.token, { 'last-event-id': 'junk' });
    await waitFor(() => bad.text.includes('\r\n\r\n'), { what: 'a response' });
    assert.match(bad.text, /^HTTP\/1\.1 400/);
    assert.doesNotMatch(bad.text, /event-stream/);
    bad.socket.destroy();
  });

  test('a reader that stops reading is cut off at the backlog limit and resumes with Last-Event-ID, losing nothing', async () => {
    const slow = rawStream(s, u.token);
    await waitFor(() => slow.text.includes(': connected'), { what: 'the connected comment' });
    slow.socket.pause();
    const posted: string[] = [];
    const big = '€'.repeat(1900); // 3 bytes each in UTF-8: fewer posts fill the buffers
    // Fill the kernel's buffers and then the server's own backlog until the server gives up on the reader.
    while (!logLines.some((l) => l.includes('stream reader too slow')) && posted.length < 3000) {
      const content = `slow ${posted.length} ${big}`;
      assert.equal((await posters[posted.length % posters.length]!.bot.post('/api/runtime/shared', { content })).status, 200);
      posted.push(content);
    }
    assert.ok(logLines.some((l) => l.includes('stream reader too slow')), `closed after ${posted.length} posts`);
    slow.socket.resume();
    await waitFor(() => slow.ended, { what: 'the server to end the stream' });
    const got = completeMessages(slow.text);
    assert.ok(got.length > 0 && got.length < posted.length, `got ${got.length} of ${posted.length} before the cut`);
    assert.deepEqual(got.map((m) => m.content), posted.slice(0, got.length), 'what arrived is a prefix, in order');

    const resumed = rawStream(s, u.token, { 'last-event-id': got.at(-1)!.id });
    await waitFor(() => completeMessages(resumed.text).length === posted.length - got.length, { what: 'the rest after resuming', timeoutMs: 10_000 });
    assert.deepEqual(completeMessages(resumed.text).map((m) => m.content), posted.slice(got.length));
    resumed.socket.destroy();
  });
});
