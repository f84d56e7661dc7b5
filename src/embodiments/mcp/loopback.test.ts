/**
 * The short way (loopback.ts) answers exactly as the SDK's web-standard transport does for the
 * requests it takes, and leaves every other request to that transport.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { EmbodimentsService, ToolCallContext } from '../service.ts';
import type { LoadedAgent } from '../../agents/service.ts';
import { createLoopback, fitsLoopback } from './loopback.ts';
import { authInfoOf, createScopedMcpServer } from './server.ts';

const headers = { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-protocol-version': '2025-06-18' };

/** A scope whose one tool `shout` answers its text, fails on `fail: true`, and waits `ms` first. */
function scope(agentId: string) {
  const embodiments = {
    tools: () => [{ name: 'shout', description: 'Shout', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }],
    callTool: async (_loaded: LoadedAgent, name: string, args: Record<string, unknown>) => {
      await new Promise((r) => setTimeout(r, Number(args.ms ?? 0)));
      if (name !== 'shout') return { text: `Unknown tool: ${name}`, isError: true };
      return args.fail ? { text: 'HTTP 500', isError: true } : { text: JSON.stringify({ said: args.text, agent: agentId }), isError: false };
    },
  } as unknown as EmbodimentsService;
  return { embodiments, loaded: { agent: { id: agentId } } as LoadedAgent, context: {} as ToolCallContext };
}

/** The SDK transport's answer to `body`: status, content type and body text. */
async function viaSdk(body: unknown, agentId = 'a') {
  const server = createScopedMcpServer();
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    const response = await transport.handleRequest(new Request('http://localhost/agents/a/mcp', { method: 'POST', headers }), { parsedBody: body, authInfo: authInfoOf(scope(agentId)) });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  } finally {
    await server.close();
  }
}

const requests = [
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'shout', arguments: { text: 'hello' } } },
  { jsonrpc: '2.0', id: 'str-7', method: 'tools/call', params: { name: 'shout', arguments: { text: 'x', fail: true } } },
  { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'nope', arguments: {} } },
  { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { arguments: {} } },
  { jsonrpc: '2.0', id: 4, method: 'tools/list' },
  { jsonrpc: '2.0', id: 5, method: 'ping' },
  { jsonrpc: '2.0', id: 6, method: 'no/such/method', params: {} },
  { jsonrpc: '2.0', id: 0, method: 'resources/list' },
];

test('each request the short way takes is answered as the SDK transport answers it, byte for byte', async () => {
  const loopback = await createLoopback(createScopedMcpServer());
  try {
    for (const request of requests) {
      assert.ok(fitsLoopback(headers, request), JSON.stringify(request));
      const sdk = await viaSdk(request);
      assert.equal(sdk.status, 200);
      assert.equal(sdk.type, 'application/json');
      assert.equal(JSON.stringify(await loopback.answer(request as never, authInfoOf(scope('a')))), sdk.text, JSON.stringify(request));
    }
  } finally {
    await loopback.close();
  }
});

test('concurrent callers with the same request id each get their own answer, for their own agent', async () => {
  const loopback = await createLoopback(createScopedMcpServer());
  try {
    const call = (agentId: string, ms: number) =>
      loopback.answer({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'shout', arguments: { text: agentId, ms } } }, authInfoOf(scope(agentId)));
    // The first finishes last: answers are matched by the transport's own ids, not by arrival.
    const answers = await Promise.all([call('a', 30), call('b', 0), call('c', 10)]);
    assert.deepEqual(
      answers.map((a) => [(a as unknown as { id: number }).id, JSON.parse((a as unknown as { result: { content: { text: string }[] } }).result.content[0]!.text).agent]),
      [
        [1, 'a'],
        [1, 'b'],
        [1, 'c'],
      ],
    );
  } finally {
    await loopback.close();
  }
});

test('what the short way leaves to the SDK transport: initialize, batches, notifications, responses, bad envelopes and headers it would refuse', () => {
  const call = requests[0]!;
  assert.equal(fitsLoopback(headers, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } } }), false);
  assert.equal(fitsLoopback(headers, [call]), false);
  assert.equal(fitsLoopback(headers, { jsonrpc: '2.0', method: 'notifications/initialized' }), false);
  assert.equal(fitsLoopback(headers, { jsonrpc: '2.0', id: 1, result: {} }), false);
  assert.equal(fitsLoopback(headers, { jsonrpc: '1.0', id: 1, method: 'ping' }), false);
  assert.equal(fitsLoopback(headers, { id: 1, method: 'ping' }), false);
  assert.equal(fitsLoopback(headers, null), false);
  assert.equal(fitsLoopback(headers, 'tools/call'), false);
  assert.equal(fitsLoopback({ ...headers, accept: 'application/json' }, call), false);
  assert.equal(fitsLoopback({ ...headers, accept: undefined }, call), false);
  assert.equal(fitsLoopback({ ...headers, 'content-type': 'text/plain; a=application/json' }, call), false);
  assert.equal(fitsLoopback({ ...headers, 'content-type': undefined }, call), false);
  assert.equal(fitsLoopback({ ...headers, 'mcp-protocol-version': '1999-01-01' }, call), false);
  assert.equal(fitsLoopback({ ...headers, 'mcp-protocol-version': ['2025-06-18', '2025-06-18'] }, call), false);
  // Taken: parameters on the content type, no protocol version (the SDK assumes its default).
  assert.equal(fitsLoopback({ ...headers, 'content-type': 'Application/JSON; charset=utf-8' }, call), true);
  assert.equal(fitsLoopback({ ...headers, 'mcp-protocol-version': undefined }, call), true);
});

test('closing answers what is still running with a closed-connection error, not a hang', async () => {
  const loopback = await createLoopback(createScopedMcpServer());
  const pending = loopback.answer({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'shout', arguments: { text: 'late', ms: 50 } } }, authInfoOf(scope('a')));
  await loopback.close();
  assert.deepEqual(await pending, { jsonrpc: '2.0', id: 9, error: { code: -32000, message: 'Connection closed' } });
  // And a request that comes after the close gets the same, at once.
  const late = await loopback.answer({ jsonrpc: '2.0', id: 'late', method: 'ping' }, authInfoOf(scope('a')));
  assert.deepEqual(late, { jsonrpc: '2.0', id: 'late', error: { code: -32000, message: 'Connection closed' } });
});
