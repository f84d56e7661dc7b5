/**
 * The chat stream's wire format alone (src/embodiments/chat/stream.ts), no database: the body's rules
 * with the field each failure names, and the SSE writer over a real socket — head at once, events as
 * `event:`/`data:` frames, a keep-alive comment while nothing is said, nothing after the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHAT_MAX_CHARS, CHAT_MAX_MESSAGES, chatBodyProblem, startSse, type SseWriter } from '../../src/embodiments/chat/stream.ts';
import { waitFor } from '../helpers/wait.ts';

test('a chat body: the conversation so far, the user\'s message last; each problem names its field', () => {
  const ok = chatBodyProblem({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }] });
  assert.ok('request' in ok && ok.request.messages.length === 3);
  const cases: [unknown, RegExp][] = [
    [undefined, /^body: must be a JSON object/],
    [[], /^body: must be a JSON object/],
    [{}, /^body\.messages: required/],
    [{ messages: {} }, /^body\.messages: must be an array/],
    [{ messages: [] }, /^body\.messages: messages must hold at least/],
    [{ messages: [{ role: 'system', content: 'x' }] }, /^body\.messages\.0\.role: /],
    [{ messages: [{ role: 'user', content: 'x', name: 'n' }] }, /^body\.messages\.0: Unrecognized key/],
    [{ messages: [{ role: 'user' }] }, /^body\.messages\.0\.content: /],
    [{ messages: [{ role: 'assistant', content: 'x' }] }, /last message must be the user's/],
    [{ messages: Array.from({ length: CHAT_MAX_MESSAGES + 1 }, () => ({ role: 'user', content: 'x' })) }, /at most 200 messages/],
    [{ messages: [{ role: 'user', content: 'x'.repeat(CHAT_MAX_CHARS + 1) }] }, /^body\.messages\.0\.content: /],
    [{ messages: [{ role: 'assistant', content: 'x'.repeat(CHAT_MAX_CHARS) }, { role: 'user', content: 'y' }] }, /at most 200000 characters in all/],
  ];
  for (const [body, problem] of cases) {
    const result = chatBodyProblem(body);
    assert.ok('problem' in result, JSON.stringify(body)?.slice(0, 60));
    assert.match(result.problem, problem);
  }
});

test('the SSE writer: the head at once, events as frames, a keep-alive comment in silence, nothing after the end', async () => {
  let writer!: SseWriter;
  const server = http.createServer((_req, res) => (writer = startSse(res, 30)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    assert.equal(res.status, 200, 'the head arrives before any event');
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('x-accel-buffering'), 'no');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })();
    await waitFor(() => text.includes(': keep-alive\n\n'), { what: 'a keep-alive comment' });
    writer.send('text', { delta: 'hé\nllo' });
    writer.send('done', { text: 'hé\nllo' });
    writer.end();
    writer.send('text', { delta: 'after the end' });
    await pump;
    const frames = text.split('\n\n').filter((f) => f && !f.startsWith(':'));
    assert.deepEqual(frames, ['event: text\ndata: {"delta":"hé\\nllo"}', 'event: done\ndata: {"text":"hé\\nllo"}']);
  } finally {
    server.close();
  }
});
