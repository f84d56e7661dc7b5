/**
 * MCP (issue 12 item 3; research/smythos.md §7 "MCP", §11.4, §11.8, §12 item 33): every agent is an MCP
 * server whose tools are its AI-exposed skills.
 *
 * - **Streamable HTTP** (the current transport) at `/agents/:agentId/mcp`, and at `/mcp` for the agent
 *   named by `X-AGENT-ID` or the host. Stateless: nothing is held between requests, so any instance
 *   answers any request. A single plain request goes to a long-lived server in-process (loopback.ts);
 *   the rest gets a fresh SDK transport and a pooled server (server.ts). Answers are JSON
 *   (`enableJsonResponse`).
 * - **Legacy SSE** (the original's only transport, deprecated by MCP) at `/mcp/sse`, `/emb/mcp/sse` and
 *   `/agents/:agentId/mcp/sse`; its endpoint event points at `/emb/mcp/message?sessionId=…` (the
 *   original's fixed path). Its sessions live in this process: behind a load balancer the legacy
 *   transport needs sticky routing; Streamable HTTP does not (legacy-sse.ts).
 *
 * Authorization comes first, as for every embodiment (the original had none): the agent's skill access,
 * with a bearer (an Orrery access token or API JWT, or the agent's vault key in `key` mode); anonymous
 * only when the agent is public. A legacy session belongs to the credential that opened it.
 *
 * | method | path | who |
 * |---|---|---|
 * | POST, GET, DELETE | /agents/:agentId/mcp, /mcp | the agent's skill access (GET and DELETE: 405, no sessions) |
 * | GET | /agents/:agentId/mcp/sse, /mcp/sse, /emb/mcp/sse | the agent's skill access |
 * | POST | /emb/mcp/message, /mcp/message | the credential that opened the session |
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { DomainError } from '../../lib/errors.ts';
import { agentRefOf, applyCors, authTokenOf, callerOf, type EmbodimentRoutesOptions } from '../http.ts';
import type { AgentRef } from '../service.ts';
import { createLegacySse, LEGACY_MESSAGE_PATH, MAX_LEGACY_SESSIONS } from './legacy-sse.ts';
import { createLoopback, fitsLoopback } from './loopback.ts';
import { authInfoOf, createAgentMcpServer, createMcpServerPool, createScopedMcpServer, type McpOpened } from './server.ts';

/** Request headers the Streamable HTTP transport reads. */
const TRANSPORT_HEADERS = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id', 'last-event-id', 'host', 'origin'] as const;

/** A JSON-RPC error body with no request id (the request could not be read or was refused). */
const rpcError = (code: number, message: string) => ({ jsonrpc: '2.0', error: { code, message }, id: null });

/** Registers the MCP routes at the root. */
export async function mcpRoutes(app: FastifyInstance, opts: EmbodimentRoutesOptions): Promise<void> {
  const config = { auth: 'public' as const };
  const hide = { hide: true };
  const pool = createMcpServerPool();
  const loopback = await createLoopback(createScopedMcpServer());
  app.addHook('onClose', () => loopback.close());

  // A body that is not JSON is a JSON-RPC parse error, in JSON-RPC's shape (the SDK's clients read it).
  app.setErrorHandler(async (error: unknown, _request, reply) => {
    if (error instanceof DomainError && (error.kind === 'invalid' || error.kind === 'unsupported_media_type')) {
      return reply.code(error.kind === 'invalid' ? 400 : 415).send(rpcError(-32700, `Parse error: ${error.message}`));
    }
    throw error;
  });

  /**
   * The agent `ref` (default: the one the request names) when the caller may use its MCP server;
   * otherwise the refusal is sent (401 with `WWW-Authenticate: Bearer`, 404, 503) and undefined given.
   */
  async function authorize(request: FastifyRequest, reply: FastifyReply, given?: AgentRef): Promise<McpOpened | undefined> {
    const { agentId } = (request.params ?? {}) as { agentId?: string };
    const ref = given ?? agentRefOf(request, opts, agentId);
    if (!ref) {
      reply.code(404).send(rpcError(-32001, 'No agent: use /agents/<agentId>/mcp, or name it with X-AGENT-ID'));
      return undefined;
    }
    const caller = callerOf(request, opts);
    const opened = await opts.embodiments.open(ref, caller, 'mcp');
    if ('refused' in opened) {
      if (opened.refused === 'unauthorized') reply.code(401).header('www-authenticate', 'Bearer').send(rpcError(-32001, opened.message));
      else if (opened.refused === 'broken') reply.code(503).send(rpcError(-32603, opened.message));
      // Another user's agent is no different from one that does not exist.
      else reply.code(404).send(rpcError(-32001, `Agent ${ref.agentId} not found, or its MCP server is switched off`));
      return undefined;
    }
    await applyCors(request, reply, opts.embodiments, opened.agent.id, 'mcp');
    return { ref, loaded: opened, context: { caller, correlationId: request.id, authToken: authTokenOf(request) } };
  }

  const legacy = createLegacySse({ embodiments: opts.embodiments, authorize, maxSessions: MAX_LEGACY_SESSIONS });

  async function streamable(request: FastifyRequest, reply: FastifyReply) {
    const found = await authorize(request, reply);
    if (!found) return reply;
    if (request.method !== 'POST') {
      // No sessions, so no stream to resume (GET) and nothing to end (DELETE).
      return reply.code(405).header('allow', 'POST').send(rpcError(-32000, 'Method not allowed: this server is stateless; POST JSON-RPC messages'));
    }
    const scope = { embodiments: opts.embodiments, loaded: found.loaded, context: found.context };
    // One plain request (what a client sends per tool call) takes the short way, answered as the SDK's transport would.
    if (fitsLoopback(request.headers, request.body)) {
      const answer = await loopback.answer(request.body, authInfoOf(scope));
      return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(answer));
    }
    // `initialize` is answered by a server named after the agent; anything else by a pooled one.
    const initialize = [request.body].flat().some((m) => (m as { method?: unknown } | null)?.method === 'initialize');
    const server = initialize ? createAgentMcpServer(opts.embodiments, found.loaded, found.context) : pool.take();
    // The SDK's web-standard transport, fed a Request made from the one Fastify has already parsed:
    // its Node wrapper would convert the whole request again (through @hono/node-server) on every call.
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    try {
      await server.connect(transport);
      // Only what the transport reads (content negotiation, the protocol version, DNS-rebinding checks).
      const headers: Record<string, string> = {};
      for (const name of TRANSPORT_HEADERS) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const response = await transport.handleRequest(new Request(`http://${request.headers.host ?? 'localhost'}${request.url}`, { method: 'POST', headers }), {
        parsedBody: request.body,
        authInfo: authInfoOf(scope),
      });
      reply.code(response.status);
      response.headers.forEach((value, name) => {
        if (name !== 'content-length') reply.header(name, value);
      });
      return reply.send(response.body ? await response.text() : undefined);
    } finally {
      await server.close();
      if (!initialize) pool.give(server);
    }
  }

  app.route({ method: ['POST', 'GET', 'DELETE'], url: '/agents/:agentId/mcp', config, schema: hide, handler: streamable });
  app.route({ method: ['POST', 'GET', 'DELETE'], url: '/mcp', config, schema: hide, handler: streamable });
  for (const url of ['/agents/:agentId/mcp/sse', '/mcp/sse', '/emb/mcp/sse']) app.get(url, { config, schema: hide }, legacy.open);
  for (const url of [LEGACY_MESSAGE_PATH, '/mcp/message']) app.post(url, { config, schema: hide }, legacy.message);

  // Before the server stops taking connections: an open SSE stream would keep it from closing.
  app.addHook('preClose', () => legacy.closeAll());
}
