/**
 * `--openai-base-url` means the URL the original bot meant: `<base>/v1/responses`, whatever path the
 * base has (a gateway under `/openai`), except that a base already ending in `/v1` is kept (Ollama).
 * Checked on the function and against a real HTTP server standing in for the gateway.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenAiCompatibleProvider, normaliseBaseUrl } from './provider.ts';

test('base URLs: /v1 is appended as the original did, unless the path already ends in /v1', () => {
  const cases: Array<[string, string]> = [
    ['https://api.openai.com', 'https://api.openai.com/v1'],
    ['https://api.openai.com/', 'https://api.openai.com/v1'],
    ['https://gw.example/openai', 'https://gw.example/openai/v1'],
    ['https://gw.example/openai/', 'https://gw.example/openai/v1'],
    ['http://localhost:11434/v1', 'http://localhost:11434/v1'],
    ['http://localhost:11434/v1/', 'http://localhost:11434/v1'],
    ['https://openrouter.ai/api/v1', 'https://openrouter.ai/api/v1'],
    ['https://gw.example/v1x', 'https://gw.example/v1x/v1'],
  ];
  for (const [raw, expected] of cases) assert.equal(normaliseBaseUrl(raw), expected, raw);
  assert.equal(normaliseBaseUrl(), 'https://api.openai.com/v1');
  assert.throws(() => normaliseBaseUrl('not a url'), TypeError);
});

let server: http.Server;
let origin = '';
const paths: string[] = [];
before(async () => {
  server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    req.resume().on('end', () => {
      const body = req.url!.endsWith('/chat/completions')
        ? { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }] }
        : { id: 'r', object: 'response', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] }] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test('the gateway receives the path the original bot would have called', async () => {
  const ask = (baseUrl: string, api: 'responses' | 'chat' = 'responses') =>
    createOpenAiCompatibleProvider({ apiKey: 'k', model: 'm', baseUrl, api, maxRetries: 0 }).generate({ system: 's', input: 'u: hi', maxOutputTokens: 5 });
  paths.length = 0;
  assert.equal(await ask(`${origin}/openai`), 'ok');
  assert.equal(await ask(`${origin}/openai/`), 'ok');
  assert.equal(await ask(origin), 'ok');
  assert.equal(await ask(`${origin}/v1`), 'ok');
  assert.equal(await ask(`${origin}/openai`, 'chat'), 'ok');
  assert.deepEqual(paths, ['/openai/v1/responses', '/openai/v1/responses', '/v1/responses', '/v1/responses', '/openai/v1/chat/completions']);
});
