/**
 * One contract for every LLM provider: the echo model, and the OpenAI-compatible provider against a
 * real HTTP server on loopback that speaks both the Responses and the Chat Completions API.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEchoProvider } from './echo/provider.ts';
import { createOpenAiCompatibleProvider } from './openai-compatible/provider.ts';
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

const providers: Array<[string, () => LlmProvider, RegExp]> = [
  ['echo', () => createEchoProvider(), /^echo: hello bot$/],
  ['openai-compatible responses', () => createOpenAiCompatibleProvider({ apiKey: 'sk-test', model: 'm', baseUrl: base }), /^model says: alice: hello bot$/],
  ['openai-compatible chat', () => createOpenAiCompatibleProvider({ apiKey: 'sk-test', model: 'm', baseUrl: `${base}/v1`, api: 'chat' }), /^chat says: alice: hello bot$/],
];

for (const [label, make, expected] of providers) {
  describe(`LLM contract: ${label}`, () => {
    test('answers one user turn with text', async () => {
      const reply = await make().generate({ system: 'be nice', input: 'alice: hello bot', maxOutputTokens: 180 });
      assert.match(reply, expected);
    });
  });
}

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
