/**
 * An agent as an MCP server (issue 12 item 3; research/smythos.md §7 "MCP", §12 item 33), with the
 * official SDK's low-level `Server`: the tools are the agent's AI-exposed skills with their input
 * schemas (JSON Schema already, which the high-level `McpServer` would want as zod), and `tools/call`
 * runs the skill and answers its result as text — `isError: true` with the reason when the skill fails
 * or the tool is unknown (`Unknown tool: <name>`). Transport-agnostic: the routes connect it to
 * Streamable HTTP or to the legacy SSE transport.
 *
 * Building a `Server` costs about as much as the transport's whole request, so stateless requests other
 * than `initialize` (whose answer names the agent) borrow a server from a {@link McpServerPool}: its
 * handlers take the agent and the caller from the request (`authInfo.extra.scope`), not from the server.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { LoadedAgent } from '../../agents/service.ts';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { AgentRef, EmbodimentsService, ToolCallContext } from '../service.ts';

/** What one MCP request is about: the agent and how its skills are called. */
export interface McpScope {
  embodiments: EmbodimentsService;
  loaded: LoadedAgent;
  context: ToolCallContext;
}

/** An agent the caller may use through MCP: how the request named it, the agent, and how its tools run. */
export interface McpOpened {
  ref: AgentRef;
  loaded: LoadedAgent;
  context: ToolCallContext;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** The `authInfo` to hand a transport with a request, so the server's handlers serve `scope`. */
export function authInfoOf(scope: McpScope): AuthInfo {
  return { token: '', clientId: scope.loaded.agent.id, scopes: [], extra: { scope } };
}

/** The scope a request carries in its `authInfo`, if any. */
const scopeIn = (extra: Extra): McpScope | undefined => extra.authInfo?.extra?.scope as McpScope | undefined;

/** Installs the tool handlers; `scopeOf` says which agent a request is about. */
function serveTools(server: Server, scopeOf: (extra: Extra) => McpScope): Server {
  server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => {
    const { embodiments, loaded } = scopeOf(extra);
    return { tools: embodiments.tools(loaded).map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema })) };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { embodiments, loaded, context } = scopeOf(extra);
    const { text, isError } = await embodiments.callTool(loaded, request.params.name, request.params.arguments ?? {}, { ...context, signal: extra.signal });
    return { content: [{ type: 'text' as const, text }], isError };
  });
  return server;
}

/**
 * A new MCP server for one agent, named after it (`serverInfo`: the agent's name, its version or
 * `1.0.0`). Its tools serve the scope a request carries in `authInfo` (a legacy session's messages,
 * each authorized and correlated on its own), else `context`.
 */
export function createAgentMcpServer(embodiments: EmbodimentsService, loaded: LoadedAgent, context: ToolCallContext): Server {
  const server = new Server({ name: loaded.agent.name, version: loaded.version ?? '1.0.0' }, { capabilities: { tools: {} } });
  const scope = { embodiments, loaded, context };
  return serveTools(server, (extra) => scopeIn(extra) ?? scope);
}

/** Most idle servers a pool keeps. */
const POOL_MAX_IDLE = 64;

/** Servers for stateless requests, each used by one request at a time; a request names its scope with {@link authInfoOf}. */
export interface McpServerPool {
  /** An idle server (or a new one); give it back with {@link give} once its transport is closed. */
  take(): Server;
  give(server: Server): void;
}

/**
 * A server for any agent: each request names its agent and caller with {@link authInfoOf} (one
 * without is answered with an internal error). What the pool holds, and what the loopback serves.
 */
export function createScopedMcpServer(): Server {
  const scopeOf = (extra: Extra): McpScope => {
    const scope = scopeIn(extra);
    if (!scope) throw new Error('an MCP request without its scope');
    return scope;
  };
  return serveTools(new Server({ name: 'orrery-agent', version: '1.0.0' }, { capabilities: { tools: {} } }), scopeOf);
}

/** Builds a pool. */
export function createMcpServerPool(): McpServerPool {
  const idle: Server[] = [];
  return {
    take: () => idle.pop() ?? createScopedMcpServer(),
    give(server) {
      if (idle.length < POOL_MAX_IDLE) idle.push(server);
    },
  };
}
