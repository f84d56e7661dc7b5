/**
 * The model router: `Echo` offline as SmythOS answers, every other model through a real HTTP server on loopback
 * speaking OpenAI's Chat Completions and Responses APIs (renamed through the model map), and a clear error naming
 * the model when no endpoint is configured. Also SmythOS's reply parsing (`postProcessReply`, `parseJsonReply`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createModelRouter, isEchoModel, parseJsonReply, parseModelMap, postProcessReply, UnknownModelError } from './models.ts';

interface Seen {
  url: string;
  authorization?: string;
  body: Record<string, unknown>;
}
let server: http.Server;
let origin = '';
const seen: Seen[] = [];
before(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization, body });
      const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (body.model === 'broken') return json(400, { error: { message: 'no such model' } });
      if (req.url === '/v1/chat/completions') {
        const messages = body.messages as Array<{ role: string; content: string }>;
        return json(200, { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: `${body.model} read: ${messages.at(-1)!.content}` } }] });
      }
      if (req.url === '/v1/responses') {
        const input = body.input as Array<{ content: Array<{ text: string }> }>;
        const text = `${body.model} read: ${input.at(-1)!.content[0]!.text}`;
        return json(200, { id: 'r', object: 'response', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }] });
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

describe('Echo', () => {
  test('answers the prompt itself, in any case, with no endpoint configured', async () => {
    const route = createModelRouter();
    assert.equal(await route({ model: 'Echo', prompt: 'Saying : Write a poem about flowers, the word Rose', system: 'ignored' }), 'Saying : Write a poem about flowers, the word Rose');
    assert.equal(await route({ model: 'echo', prompt: '  spaced  ' }), '  spaced  ');
    assert.ok(isEchoModel(' ECHO ') && !isEchoModel('echo-2'));
  });
});

describe('an OpenAI-compatible endpoint', () => {
  test('Chat Completions: the model name mapped, the system prompt and token limit sent, the key as bearer', async () => {
    seen.length = 0;
    const route = createModelRouter({ openAi: { baseUrl: `${origin}/v1`, apiKey: 'sk-1', api: 'chat', models: { 'gpt-4o': 'llama3.2' }, maxRetries: 0 }, defaultMaxOutputTokens: 77 });
    assert.equal(await route({ model: 'gpt-4o', prompt: 'hello', system: 'be brief' }), 'llama3.2 read: hello');
    assert.equal(await route({ model: 'qwen', prompt: 'again', maxOutputTokens: 5 }), 'qwen read: again', 'unmapped names pass through');
    assert.equal(seen[0]!.url, '/v1/chat/completions');
    assert.equal(seen[0]!.authorization, 'Bearer sk-1');
    assert.deepEqual(seen[0]!.body.messages, [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello' }]);
    assert.equal(seen[0]!.body.max_tokens, 77);
    assert.equal(seen[1]!.body.max_tokens, 5);
  });

  test('the Responses API by default; `*` maps every unlisted name; a keyless local server works', async () => {
    seen.length = 0;
    const route = createModelRouter({ openAi: { baseUrl: origin, models: { '*': 'local' }, maxRetries: 0 } });
    assert.equal(await route({ model: 'claude-3-haiku', prompt: 'hi' }), 'local read: hi');
    assert.equal(seen[0]!.url, '/v1/responses');
    assert.equal(seen[0]!.body.max_output_tokens, 1024);
  });

  test('an HTTP failure rejects with the status; Echo still answers offline beside it', async () => {
    const route = createModelRouter({ openAi: { baseUrl: origin, api: 'chat', maxRetries: 0 } });
    await assert.rejects(route({ model: 'broken', prompt: 'x' }), (e: Error & { status?: number }) => e.name === 'LlmError' && e.status === 400 && /no such model/.test(e.message));
    assert.equal(await route({ model: 'Echo', prompt: 'x' }), 'x');
  });
});

test('no endpoint configured: an UnknownModelError naming the model and the options to set', async () => {
  for (const route of [createModelRouter(), createModelRouter({ openAi: { api: 'chat' } })]) {
    await assert.rejects(route({ model: 'gpt-4o-mini', prompt: 'x' }), (e: Error) => e instanceof UnknownModelError && e.model === 'gpt-4o-mini' && /'gpt-4o-mini'.*OPENAI_BASE_URL/.test(e.message));
  }
});

test('parseModelMap: entries split on commas and "="; a malformed entry is named', () => {
  assert.deepEqual(parseModelMap(' gpt-4o = llama3.2 ,*=qwen,'), { 'gpt-4o': 'llama3.2', '*': 'qwen' });
  assert.deepEqual(parseModelMap(''), {});
  assert.throws(() => parseModelMap('a=b,oops'), /'oops'/);
  assert.throws(() => parseModelMap('=b'), /'=b'/);
});

describe('reply parsing as SmythOS does it', () => {
  test('other models: permissive (JSON inside text, repaired JSON, numbers and text as trimmed strings)', () => {
    assert.deepEqual(parseJsonReply('Here: {"a": 1} done'), { a: 1 });
    assert.deepEqual(parseJsonReply("{a: 'x',}"), { a: 'x' });
    assert.deepEqual(parseJsonReply('[1, 2]'), [1, 2]);
    assert.equal(parseJsonReply('42'), '42');
    assert.equal(parseJsonReply('  plain  '), 'plain');
    assert.equal(parseJsonReply(''), '');
    assert.deepEqual(postProcessReply('gpt-4o', '{"error": "x"}'), { error: 'x' });
  });

  test('Echo: only text starting with { or [ is parsed; a parsed error field keeps the text', () => {
    assert.equal(postProcessReply('Echo', 'Here: {"a": 1}'), 'Here: {"a": 1}');
    assert.deepEqual(postProcessReply('Echo', '{"a": 1}'), { a: 1 });
    assert.equal(postProcessReply('Echo', '{"error": "x"}'), '{"error": "x"}');
    assert.equal(postProcessReply('Echo', ' {"a": 1}'), ' {"a": 1}');
  });
});
