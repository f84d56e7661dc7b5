/**
 * The MCP embodiment (issue 12 item 3; research/smythos.md §7 "MCP", §12 item 33) with the official SDK's
 * client over Streamable HTTP and over the legacy SSE transport, against a live server, on both databases.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { startTestServer, TEST_DB, type TestServer } from '../helpers/server.ts';
import { agentCallers, importFixture, type AgentCallers } from '../agents/api-helpers.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';

/** An agent with `shout` (POST text → {said}), `look` (GET q → {q}) and a skill hidden from AI. */
const doc = agent(
  [
    { ...endpoint('EP', 'shout', ['text']), data: { endpoint: 'shout', method: 'POST', description: 'Shout the text back', ai_exposed: true } },
    { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['said'], outputs: ['Output!'] },
    endpoint('EL', 'look', ['q'], 'GET'),
    { id: 'OL', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['q'], outputs: ['Output!'] },
    { ...endpoint('EX', 'secret', []), data: { endpoint: 'secret', method: 'POST', ai_exposed: false } },
  ],
  [
    ['EP', 'body.text', 'OUT', 'said'],
    ['EL', 'query.q', 'OL', 'q'],
  ],
);

type Transport = 'streamable' | 'sse';

describe('MCP', () => {
  let t: TestServer;
  let u: AgentCallers;
  let id: string;
  let token: string;
  const open: McpClient[] = [];

  /** A connected MCP client over `kind`, at `path`, sending `headers`. */
  async function connect(kind: Transport, path: string, headers: Record<string, string> = {}): Promise<McpClient> {
    const url = new URL(`${t.url}${path}`);
    const transport =
      kind === 'streamable'
        ? new StreamableHTTPClientTransport(url, { requestInit: { headers } })
        : new SSEClientTransport(url, { requestInit: { headers }, eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) } });
    const client = new McpClient({ name: 'orrery-test', version: '1.0.0' });
    await client.connect(transport);
    open.push(client);
    return client;
  }
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

  before(async () => {
    t = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    u = await agentCallers(t);
    token = u.aliceToken.bearer!;
    id = await importFixture(u.alice, JSON.stringify(doc));
  });
  after(async () => {
    for (const c of open) await c.close().catch(() => undefined);
    await t.close();
  });

  for (const [kind, path] of [
    ['streamable', () => `/agents/${id}/mcp`],
    ['sse', () => `/agents/${id}/mcp/sse`],
  ] as const) {
    test(`${kind}: tools are exactly the AI-exposed skills with their schemas; a call runs the skill; an unknown tool is isError (§12 item 33)`, async () => {
      const client = await connect(kind, path(), bearer(token));
      assert.deepEqual(client.getServerVersion(), { name: 'test agent', version: '1.0.0' }, 'the server is named after the agent (the draft: 1.0.0)');
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map((x) => [x.name, x.description]),
        [
          ['shout', 'Shout the text back'],
          ['look', "Call the agent's look skill (GET /api/look)."],
        ],
      );
      assert.deepEqual(tools[0]!.inputSchema, { type: 'object', properties: { text: { type: 'string' } } });
      assert.deepEqual(await client.callTool({ name: 'shout', arguments: { text: 'hi' } }), { content: [{ type: 'text', text: '{"said":"hi"}' }], isError: false });
      assert.deepEqual(await client.callTool({ name: 'look', arguments: { q: 'x y' } }), { content: [{ type: 'text', text: '{"q":"x y"}' }], isError: false }, 'a GET skill takes its arguments as its query');
      assert.deepEqual(await client.callTool({ name: 'nope', arguments: {} }), { content: [{ type: 'text', text: 'Unknown tool: nope' }], isError: true });
      assert.equal((await client.callTool({ name: 'secret', arguments: {} })).isError, true, 'a hidden skill is not a tool');
    });
  }

  test('/mcp takes the agent from X-AGENT-ID; the legacy /mcp/sse and /emb/mcp/sse too', async () => {
    const headers = { ...bearer(token), 'x-agent-id': id };
    assert.equal((await (await connect('streamable', '/mcp', headers)).listTools()).tools.length, 2);
    assert.equal((await (await connect('sse', '/mcp/sse', headers)).listTools()).tools.length, 2);
    assert.equal((await (await connect('sse', '/emb/mcp/sse', headers)).listTools()).tools.length, 2);
    const none = await fetch(`${t.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: '{}' });
    assert.equal(none.status, 404);
    assert.equal((await none.json()).error.code, -32001);
  });

  test('who may connect: anonymous 401, another user 404, the owner\'s token, a vault key in key mode, anyone on a public agent', async () => {
    for (const kind of ['streamable', 'sse'] as const) {
      const path = kind === 'streamable' ? `/agents/${id}/mcp` : `/agents/${id}/mcp/sse`;
      await assert.rejects(connect(kind, path), /401|Unauthorized|requires authentication/i, `${kind} anonymous`);
      const bobToken = (await t.client().post('/api/auth/login', { username: 'bob', password: 'password-bob', issue: 'access_token' })).body.access_token as string;
      await assert.rejects(connect(kind, path, bearer(bobToken)), /404|not found/i, `${kind} bob`);
    }
    const raw = await fetch(`${t.url}/agents/${id}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
    assert.equal(raw.status, 401);
    assert.equal(raw.headers.get('www-authenticate'), 'Bearer');
    assert.deepEqual(await raw.json(), { jsonrpc: '2.0', error: { code: -32001, message: 'This agent requires authentication' }, id: null });

    await u.alice.req('PUT', `/api/agents/${id}/keys/API_KEY`, { value: 'mcp-key-1' });
    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'key' });
    try {
      assert.equal((await (await connect('streamable', `/agents/${id}/mcp`, bearer('mcp-key-1'))).callTool({ name: 'shout', arguments: { text: 'k' } })).isError, false);
      await assert.rejects(connect('streamable', `/agents/${id}/mcp`, bearer('mcp-key-2')), /401|Unauthorized|requires authentication/i);
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'public' });
      assert.equal((await (await connect('streamable', `/agents/${id}/mcp`)).listTools()).tools.length, 2, 'public: anonymous');
      assert.equal((await (await connect('sse', `/agents/${id}/mcp/sse`)).listTools()).tools.length, 2, 'public: anonymous, legacy');
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'owner' });
    }
  });

  test('switched off: 404 on both transports', async () => {
    await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { mcp: { enabled: false } } });
    try {
      await assert.rejects(connect('streamable', `/agents/${id}/mcp`, bearer(token)), /404|not found/i);
      await assert.rejects(connect('sse', `/agents/${id}/mcp/sse`, bearer(token)), /404|not found/i);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { mcp: { enabled: true } } });
    }
  });

  test('legacy messages: an unknown session is 404 Transport not found; a session answers only the credential that opened it', async () => {
    const unknown = await fetch(`${t.url}/emb/mcp/message?sessionId=nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { error: 'Transport not found' });
    const res = await fetch(`${t.url}/agents/${id}/mcp/sse`, { headers: bearer(token) });
    const reader = res.body!.getReader();
    let text = '';
    while (!/sessionId=([\w-]+)/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const endpointLine = /data: (\S+)/.exec(text)![1]!;
    assert.match(endpointLine, /^\/emb\/mcp\/message\?sessionId=/, 'the original\'s message path');
    const body = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';
    const stranger = await fetch(`${t.url}${endpointLine}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(stranger.status, 404, 'no credential: not this session');
    const owner = await fetch(`${t.url}${endpointLine}`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body });
    assert.equal(owner.status, 202);
    await reader.cancel();
  });

  test('concurrent stateless calls each get their own answer (servers are pooled, never shared by two requests at once)', async () => {
    const call = async (i: number) => {
      const res = await fetch(`${t.url}/agents/${id}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...bearer(token) },
        body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'shout', arguments: { text: `n${i}` } } }),
      });
      return (await res.json()) as { id: number; result: { content: { text: string }[] } };
    };
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => call(i)));
    answers.forEach((a, i) => {
      assert.equal(a.id, i);
      assert.equal(a.result.content[0]!.text, `{"said":"n${i}"}`);
    });
  });

  test('bad requests are JSON-RPC errors, never 500: a body that is not JSON, GET and DELETE on a stateless server', async () => {
    const notJson = await fetch(`${t.url}/agents/${id}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...bearer(token) }, body: '{"jsonrpc":' });
    assert.equal(notJson.status, 400);
    assert.equal((await notJson.json()).error.code, -32700);
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${t.url}/agents/${id}/mcp`, { method, headers: bearer(token) });
      assert.equal(res.status, 405, method);
    }
    const notRpc = await fetch(`${t.url}/agents/${id}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...bearer(token) }, body: '{"hello":1}' });
    assert.ok(notRpc.status >= 400 && notRpc.status < 500, String(notRpc.status));
  });

  test('CORS: a page from an origin the agent allows for MCP may read the answers of both transports; another origin may not', async () => {
    await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { mcp: { allowed_origins: ['https://tools.example'] } } });
    try {
      const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...bearer(token) };
      for (const [origin, allowed] of [['https://tools.example', 'https://tools.example'], ['https://evil.example', null]] as const) {
        const res = await fetch(`${t.url}/agents/${id}/mcp`, { method: 'POST', headers: { ...headers, origin }, body: list });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('access-control-allow-origin'), allowed, origin);
        const abort = new AbortController();
        const sse = await fetch(`${t.url}/agents/${id}/mcp/sse`, { headers: { ...bearer(token), origin }, signal: abort.signal });
        assert.equal(sse.status, 200);
        assert.equal(sse.headers.get('access-control-allow-origin'), allowed, `${origin} (legacy stream)`);
        abort.abort();
      }
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { embodiments: { mcp: { allowed_origins: [] } } });
    }
  });

  test('a deployed version named by X-AGENT-VERSION is the server\'s version', async () => {
    assert.equal((await u.alice.post(`/api/agents/${id}/deploy`, { version: '2.0' })).status, 201);
    const client = await connect('streamable', `/agents/${id}/mcp`, { ...bearer(token), 'x-agent-version': '2.0' });
    assert.deepEqual(client.getServerVersion(), { name: 'test agent', version: '2.0' });
    assert.equal((await client.callTool({ name: 'shout', arguments: { text: 'v' } })).isError, false);
    await assert.rejects(connect('streamable', `/agents/${id}/mcp`, { ...bearer(token), 'x-agent-version': '9.9' }), /404|not found/i);
  });

  test('stateless: one client initializes through one instance and calls through another on the same database (PostgreSQL)', { skip: TEST_DB !== 'postgres' }, async () => {
    const peer = await startTestServer({ RATE_LIMIT_MAX: '100000' }, { peerOf: t });
    try {
      // Every request after the first (initialize) goes to the other instance, as a load balancer might send it.
      const served: string[] = [];
      const route = async (url: string | URL, init?: RequestInit) => {
        const target = served.length === 0 ? t : peer;
        const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { method?: string }) : {};
        served.push(`${target === t ? 'first' : 'peer'} ${init?.method ?? 'GET'} ${body.method ?? ''}`.trim());
        return fetch(String(url).replace(t.url, target.url), init);
      };
      const client = new McpClient({ name: 'orrery-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${t.url}/agents/${id}/mcp`), { requestInit: { headers: bearer(token) }, fetch: route }));
      assert.deepEqual((await client.callTool({ name: 'shout', arguments: { text: 'across' } })).content, [{ type: 'text', text: '{"said":"across"}' }]);
      await client.close();
      assert.equal(served[0], 'first POST initialize');
      assert.ok(served.includes('peer POST tools/call'), served.join(', '));
    } finally {
      await peer.close();
    }
  });
});
