/**
 * One contract for every LLM provider: the echo models, and the OpenAI-compatible provider against a
 * real HTTP server on loopback that speaks both the Responses and the Chat Completions API, answered
 * whole or streamed (`stream: true`: Server-Sent Events as OpenAI sends them).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEchoProvider } from './echo/provider.ts';
import { createOpenAiCompatibleProvider } from './openai-compatible/provider.ts';
import { createSmythEchoProvider } from './smyth-echo/provider.ts';
import { LlmError, type LlmProvider } from './types.ts';

let server: http.Server;
let base = '';
let failuresLeft = 0;
before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' }).end('{"error":{"message":"slow down"}}');
        return;
      }
      if (req.headers.authorization !== 'Bearer sk-test') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}');
        return;
      }
      const input = JSON.parse(body);
      if (req.url === '/v1/chat/completions' && (input.tools || input.messages.some((m: { role: string }) => m.role === 'tool'))) {
        toolTurn(input, res);
        return;
      }
      if (input.stream === true) {
        streamed(req.url!, input, res);
        return;
      }
      if (req.url === '/v1/responses') {
        const text = input.input[1].content[0].text;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ id: 'r1', object: 'response', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `model says: ${text}` }] }] }),
        );
      } else if (req.url === '/v1/chat/completions') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: `chat says: ${input.messages[1].content}` } }] }),
        );
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

/**
 * A streamed answer: the reply cut into pieces (with whitespace around it, which the provider trims),
 * as Chat Completions chunks ending in `[DONE]`, or as Responses events ending in `response.completed`;
 * `fail mid-stream` in the input ends a Responses stream with an `error` event instead.
 */
function streamed(url: string, input: any, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const frame = (data: unknown, event?: string) => res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
  if (url === '/v1/chat/completions') {
    const reply = `chat says: ${input.messages[1].content}`;
    for (const content of ['\n ', ...pieces(reply), ' \n']) frame({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
    frame({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    res.end('data: [DONE]\n\n');
    return;
  }
  const text = input.input[1].content[0].text as string;
  const reply = `model says: ${text}`;
  let seq = 0;
  for (const delta of [' ', ...pieces(reply), '  ']) {
    frame({ type: 'response.output_text.delta', item_id: 'm1', output_index: 0, content_index: 0, delta, logprobs: [], sequence_number: seq++ }, 'response.output_text.delta');
  }
  if (text.includes('fail mid-stream')) frame({ type: 'error', code: 'server_error', message: 'the model fell over', param: null, sequence_number: seq++ }, 'error');
  else frame({ type: 'response.completed', response: { id: 'r1', object: 'response', output: [] }, sequence_number: seq++ }, 'response.completed');
  res.end();
}

/**
 * A conversation turn with tools: with a tool result in the history, the text `tool said: <result>`;
 * else a call of the first tool offered, `{"x":1}` — whole, or streamed as OpenAI streams calls (the id
 * and name first, then the arguments in pieces), with a usage chunk when asked.
 */
function toolTurn(input: any, res: http.ServerResponse): void {
  const last = input.messages.at(-1);
  const usage = { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 };
  const text = last.role === 'tool' ? `tool said: ${last.content}` : null;
  const call = { id: 'call_1', type: 'function', function: { name: input.tools?.[0]?.function?.name ?? 'none', arguments: '{"x":1}' } };
  if (input.stream !== true) {
    const message = text ? { role: 'assistant', content: text } : { role: 'assistant', content: null, tool_calls: [call] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ id: 'c2', object: 'chat.completion', choices: [{ index: 0, message, finish_reason: text ? 'stop' : 'tool_calls' }], usage }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (delta: unknown, finish: string | null = null) =>
    res.write(`data: ${JSON.stringify({ id: 'c2', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
  if (text) for (const content of pieces(text)) chunk({ content });
  else {
    chunk({ role: 'assistant', tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
    for (const part of pieces(call.function.arguments)) chunk({ tool_calls: [{ index: 0, function: { arguments: part } }] });
  }
  chunk({}, text ? 'stop' : 'tool_calls');
  if (input.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ id: 'c2', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [], usage })}\n\n`);
  res.end('data: [DONE]\n\n');
}

/** `text` in pieces of at most 5 characters. */
const pieces = (text: string) => text.match(/[\s\S]{1,5}/g) ?? [];

const providers: Array<[string, () => LlmProvider, RegExp]> = [
  ['echo', () => createEchoProvider(), /^echo: hello bot$/],
  ['smyth-echo', () => createSmythEchoProvider(), /^alice: hello bot$/],
  ['openai-compatible responses', () => createOpenAiCompatibleProvider({ apiKey: 'sk-test', model: 'm', baseUrl: base }), /^model says: alice: hello bot$/],
  ['openai-compatible chat', () => createOpenAiCompatibleProvider({ apiKey: 'sk-test', model: 'm', baseUrl: `${base}/v1`, api: 'chat' }), /^chat says: alice: hello bot$/],
];

for (const [label, make, expected] of providers) {
  describe(`LLM contract: ${label}`, () => {
    test('answers one user turn with text', async () => {
      const reply = await make().generate({ system: 'be nice', input: 'alice: hello bot', maxOutputTokens: 180 });
      assert.match(reply, expected);
    });

    test('streams when asked (onText): the pieces, in order, concatenate to the reply, which is the unstreamed one', async () => {
      const provider = make();
      const pieces: string[] = [];
      const reply = await provider.generate({ system: 'be nice', input: 'alice: hello bot', maxOutputTokens: 180, onText: (text) => pieces.push(text) });
      assert.match(reply, expected);
      assert.ok(pieces.length > 1, `streamed in several pieces: ${JSON.stringify(pieces)}`);
      assert.ok(pieces.every((p) => p.length > 0));
      assert.equal(pieces.join(''), reply);
      assert.equal(reply, await provider.generate({ system: 'be nice', input: 'alice: hello bot', maxOutputTokens: 180 }));
    });
  });
}

for (const label of ['echo', 'smyth-echo'] as const) {
  test(`${label} in a conversation: answers the last user message, never calls a tool, streams in pieces`, async () => {
    const provider = label === 'echo' ? createEchoProvider() : createSmythEchoProvider();
    const pieces: string[] = [];
    const messages = [
      { role: 'system' as const, content: 'be nice' },
      { role: 'user' as const, content: 'first' },
      { role: 'assistant' as const, content: 'ok' },
      { role: 'user' as const, content: 'hello there bot' },
    ];
    const reply = await provider.chat({ messages, tools: [{ name: 't', description: 'd', parameters: { type: 'object' } }], maxOutputTokens: 50, onText: (t) => pieces.push(t) });
    assert.equal(reply.text, label === 'echo' ? 'echo: hello there bot' : 'hello there bot');
    assert.deepEqual(reply.toolCalls, []);
    assert.equal(reply.finishReason, 'stop');
    assert.equal(pieces.join(''), reply.text);
  });
}

for (const streamed of [false, true]) {
  test(`openai-compatible conversation${streamed ? ', streamed' : ''}: a tool call comes back whole; the tool's result gets the answer; usage is reported`, async () => {
    const p = createOpenAiCompatibleProvider({ apiKey: 'sk-test', model: 'm', baseUrl: base, maxRetries: 0 });
    const tools = [{ name: 'lookup', description: 'look it up', parameters: { type: 'object', properties: { x: { type: 'number' } } } }];
    const pieces: string[] = [];
    const onText = streamed ? { onText: (t: string) => pieces.push(t) } : {};
    const first = await p.chat({ messages: [{ role: 'user', content: 'find x' }], tools, maxOutputTokens: 50, ...onText });
    assert.deepEqual(first.toolCalls, [{ id: 'call_1', name: 'lookup', arguments: '{"x":1}' }]);
    assert.equal(first.finishReason, 'tool_calls');
    assert.deepEqual(first.usage, { promptTokens: 7, completionTokens: 5 });
    const second = await p.chat({
      messages: [
        { role: 'user', content: 'find x' },
        { role: 'assistant', content: null, tool_calls: first.toolCalls },
        { role: 'tool', tool_call_id: 'call_1', content: '42' },
      ],
      tools,
      maxOutputTokens: 50,
      ...onText,
    });
    assert.equal(second.text, 'tool said: 42');
    assert.deepEqual(second.toolCalls, []);
    assert.equal(second.finishReason, 'stop');
    if (streamed) assert.equal(pieces.join(''), 'tool said: 42');
  });
}

test('openai-compatible conversation: a refused request is an LlmError with its status', async () => {
  const bad = createOpenAiCompatibleProvider({ apiKey: 'sk-wrong', model: 'm', baseUrl: base, maxRetries: 0 });
  await assert.rejects(bad.chat({ messages: [{ role: 'user', content: 'x' }], maxOutputTokens: 10 }), (e: unknown) => {
    assert.ok(e instanceof LlmError);
    assert.equal(e.status, 401);
    assert.match(e.message, /openai-compatible .* chat: HTTP 401/);
    return true;
  });
});

test('openai-compatible streaming: an error event mid-stream rejects with an LlmError after the pieces before it', async () => {
  const p = createOpenAiCompatibleProvider({ apiKey: 'sk-test', model: 'm', baseUrl: base, maxRetries: 0 });
  const pieces: string[] = [];
  await assert.rejects(p.generate({ system: 's', input: 'fail mid-stream', maxOutputTokens: 10, onText: (t) => pieces.push(t) }), (e: unknown) => {
    assert.ok(e instanceof LlmError);
    assert.match(e.message, /openai-compatible .*responses: the model fell over/);
    return true;
  });
  assert.equal(pieces.join(''), 'model says: fail mid-stream');
});

test('openai-compatible streaming: a refused stream request fails as the unstreamed one does (status kept)', async () => {
  const bad = createOpenAiCompatibleProvider({ apiKey: 'sk-wrong', model: 'm', baseUrl: base, maxRetries: 0, api: 'chat' });
  await assert.rejects(bad.generate({ system: 's', input: 'x', maxOutputTokens: 10, onText: () => undefined }), (e: unknown) => {
    assert.ok(e instanceof LlmError);
    assert.equal(e.status, 401);
    return true;
  });
});

test('openai-compatible retries 429 then succeeds; errors name the provider and status', async () => {
  failuresLeft = 2;
  const p = createOpenAiCompatibleProvider({ apiKey: 'sk-test', model: 'm', baseUrl: base, maxRetries: 3 });
  assert.match(await p.generate({ system: 's', input: 'bob: hi', maxOutputTokens: 10 }), /model says/);
  const bad = createOpenAiCompatibleProvider({ apiKey: 'sk-wrong', model: 'm', baseUrl: base, maxRetries: 0 });
  await assert.rejects(bad.generate({ system: 's', input: 'x', maxOutputTokens: 10 }), (e: unknown) => {
    assert.ok(e instanceof LlmError);
    assert.equal(e.status, 401);
    assert.match(e.message, /openai-compatible .* HTTP 401/);
    return true;
  });
});
