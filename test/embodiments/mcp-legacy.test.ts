/**
 * The legacy MCP SSE transport's sessions (issue 12 item 3; src/embodiments/mcp/legacy-sse.ts): a
 * session ends with its stream, every message is authorized again and runs under its own correlation
 * id, and a process holds at most MAX_LEGACY_SESSIONS. Raw HTTP where the session id matters, the SDK
 * client where the protocol does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { agentCallers, importFixture, type AgentCallers } from '../agents/api-helpers.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';
import { MAX_LEGACY_SESSIONS } from '../../src/embodiments/mcp/legacy-sse.ts';

const doc = agent(
  [
    { ...endpoint('EP', 'shout', ['text']), data: { endpoint: 'shout', method: 'POST', description: 'Shout the text back', ai_exposed: true } },
    { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['said'], outputs: ['Output!'] },
  ],
  [['EP', 'body.text', 'OUT', 'said']],
);

/** An open legacy stream: the message endpoint its first event named, and a way to hang up. */
interface Stream {
  endpoint: string;
  close(): Promise<void>;
}

describe('MCP legacy SSE sessions', () => {
  let t: TestServer;
  let u: AgentCallers;
  let id: string;
  let token: string;
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

  /** Opens `GET /agents/<id>/mcp/sse` and reads up to the endpoint event. */
  async function stream(headers: Record<string, string> = {}): Promise<Stream> {
    const abort = new AbortController();
    const res = await fetch(`${t.url}/agents/${id}/mcp/sse`, { headers, signal: abort.signal });
    assert.equal(res.status, 200, await (res.status === 200 ? '' : res.text()));
    const reader = res.body!.getReader();
    let text = '';
    while (!/data: (\S+sessionId=\S+)/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    return { endpoint: /data: (\S+)/.exec(text)![1]!, close: async () => abort.abort() };
  }
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  before(async () => {
    t = await startTestServer({ RATE_LIMIT_MAX: '100000' });
    u = await agentCallers(t);
    token = u.aliceToken.bearer!;
    id = await importFixture(u.alice, JSON.stringify(doc));
  });
  after(async () => {
    await t.close();
  });

  test('a session ends with its stream: its messages are then 404 Transport not found', async () => {
    const s = await stream(bearer(token));
    const list = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
    assert.equal((await post(s.endpoint, list, bearer(token))).status, 202);
    await s.close();
    await waitFor(async () => (await post(s.endpoint, list, bearer(token))).status === 404, { what: 'the session to be forgotten' });
    assert.deepEqual(await (await post(s.endpoint, list, bearer(token))).json(), { error: 'Transport not found' });
  });

  test('each message runs its tools under its own correlation id', async () => {
    const s = await stream(bearer(token));
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'shout', arguments: { text: 'c' } } };
    const res = await post(s.endpoint, call, { ...bearer(token), 'x-correlation-id': 'mcp-legacy-message-1' });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('x-correlation-id'), 'mcp-legacy-message-1');
    const runs = await waitFor(async () => {
      const page = (await u.alice.get(`/api/agents/${id}/runs`)).body as { runs: { correlation_id: string }[] };
      return page.runs.some((r) => r.correlation_id === 'mcp-legacy-message-1') && page.runs;
    }, { what: 'the run of the message' });
    assert.ok(runs.length > 0);
    await s.close();
  });

  test('every message is authorized again: an anonymous session on a public agent stops when the agent stops being public', async () => {
    await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'public' });
    const client = new McpClient({ name: 'orrery-test', version: '1.0.0' });
    try {
      await client.connect(new SSEClientTransport(new URL(`${t.url}/agents/${id}/mcp/sse`)));
      assert.equal((await client.callTool({ name: 'shout', arguments: { text: 'a' } })).isError, false);
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'owner' });
      await assert.rejects(client.listTools(), /401|Unauthorized|requires authentication/i);
    } finally {
      await u.alice.req('PATCH', `/api/agents/${id}`, { skill_access: 'owner' });
      await client.close();
    }
  });

  test(`a process holds at most ${MAX_LEGACY_SESSIONS} sessions; past that 503 with a clear error, and room again once one closes`, async () => {
    const streams = await Promise.all(Array.from({ length: MAX_LEGACY_SESSIONS }, () => stream(bearer(token))));
    try {
      const full = await fetch(`${t.url}/agents/${id}/mcp/sse`, { headers: bearer(token) });
      assert.equal(full.status, 503);
      assert.match(((await full.json()) as { error: string }).error, /Too many MCP SSE sessions.*Streamable HTTP/);
      await streams.pop()!.close();
      const again = await waitFor(async () => {
        const res = await fetch(`${t.url}/agents/${id}/mcp/sse`, { headers: bearer(token) });
        if (res.status === 200) return res;
        await res.body?.cancel();
        return undefined;
      }, { what: 'room for a session' });
      await again.body!.cancel();
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  });
});
