/**
 * The legacy MCP transport (HTTP+SSE, protocol 2024-11-05; the original's only one, research/smythos.md
 * §7 "MCP"): `GET …/sse` opens an event stream whose first event names the message endpoint
 * `/emb/mcp/message?sessionId=…`; the client POSTs its JSON-RPC messages there and reads the answers
 * from the stream.
 *
 * Sessions live in this process (a map from session id to transport), so behind a load balancer this
 * transport needs sticky routing; Streamable HTTP (routes.ts) does not. A session belongs to the
 * credential that opened it: a message carrying another one is answered like an unknown session
 * (404 `Transport not found`, the original's answer), so a session id alone grants nothing. Every
 * message is authorized again (a revoked token, a rotated key or a switched-off MCP server takes
 * effect at once) and runs its tools under its own correlation id and `X-AUTH-TOKEN`.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { AgentRef, EmbodimentsService } from '../service.ts';
import { authInfoOf, createAgentMcpServer, type McpOpened } from './server.ts';

/** The legacy transport's message path, as the original advertised it. */
export const LEGACY_MESSAGE_PATH = '/emb/mcp/message';
/** Most legacy SSE sessions one process holds by default. */
export const MAX_LEGACY_SESSIONS = 1000;

/** One open legacy session. */
interface LegacySession {
  transport: SSEServerTransport;
  server: Server;
  /** The agent as the stream named it (its messages are authorized against it again). */
  ref: AgentRef;
  /** Digest of the credential that opened the session ({@link credentialOf}). */
  credential: string;
}

/** What the legacy transport needs from the routes. */
export interface LegacySseOptions {
  embodiments: EmbodimentsService;
  /** Authorizes `request` for `ref` (the request's own agent when omitted); on refusal it has answered and gives undefined. */
  authorize(request: FastifyRequest, reply: FastifyReply, ref?: AgentRef): Promise<McpOpened | undefined>;
  /** Most sessions held at once; past it a new stream is refused with 503. */
  maxSessions: number;
}

/** The legacy transport's handlers and its sessions. */
export interface LegacySse {
  /** `GET …/sse`: opens a session on an event stream. */
  open(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
  /** `POST /emb/mcp/message?sessionId=`: one JSON-RPC message to a session; 202, the answer goes to the stream. */
  message(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
  /** Ends every session (the server is stopping: an open stream would keep it from closing). */
  closeAll(): Promise<void>;
  /** How many sessions are open. */
  readonly size: number;
}

/** Digest of the request's credential (`Authorization` header and web session; both empty: none). */
function credentialOf(request: FastifyRequest): string {
  const header = request.headers.authorization ?? '';
  return createHash('sha256').update(`${header}\n${request.principal?.sessionHash ?? ''}`).digest('hex');
}

/** Copies the headers set on `reply` (CORS, correlation id) to its raw response, before a hijack. */
export function carryHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value as string | number | string[]);
}

/** Builds the legacy transport. */
export function createLegacySse(opts: LegacySseOptions): LegacySse {
  const sessions = new Map<string, LegacySession>();

  async function open(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const found = await opts.authorize(request, reply);
    if (!found) return reply;
    if (sessions.size >= opts.maxSessions) {
      return reply.code(503).header('retry-after', '5').send({ error: `Too many MCP SSE sessions on this server (${opts.maxSessions}); use Streamable HTTP at /agents/${found.loaded.agent.id}/mcp` });
    }
    carryHeaders(reply);
    reply.hijack();
    const transport = new SSEServerTransport(LEGACY_MESSAGE_PATH, reply.raw);
    // The stream's own server answers `initialize` with the agent's name; tool handlers take each message's scope.
    const server = createAgentMcpServer(opts.embodiments, found.loaded, found.context);
    const ref = { agentId: found.loaded.agent.id, version: found.ref.version };
    sessions.set(transport.sessionId, { transport, server, ref, credential: credentialOf(request) });
    let forgotten = false;
    // The client hanging up, and the server closing its transport, both end the session: once is enough.
    const forget = () => {
      if (forgotten) return;
      forgotten = true;
      sessions.delete(transport.sessionId);
      void server.close();
    };
    reply.raw.once('close', forget);
    await server.connect(transport);
    const closed = transport.onclose;
    transport.onclose = () => {
      closed?.();
      forget();
    };
    return reply;
  }

  async function message(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const sessionId = (request.query as { sessionId?: unknown }).sessionId;
    const session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    // A session opened with another credential is as unknown as one that never was.
    if (!session || session.credential !== credentialOf(request)) return reply.code(404).send({ error: 'Transport not found' });
    const found = await opts.authorize(request, reply, session.ref);
    if (!found) return reply;
    // The SDK hands `req.auth` to the handlers as `authInfo`: this message's caller, correlation id and X-AUTH-TOKEN.
    (request.raw as IncomingMessage & { auth?: AuthInfo }).auth = authInfoOf({ embodiments: opts.embodiments, loaded: found.loaded, context: found.context });
    carryHeaders(reply);
    reply.hijack();
    await session.transport.handlePostMessage(request.raw, reply.raw, request.body);
    return reply;
  }

  return {
    open,
    message,
    async closeAll() {
      for (const session of [...sessions.values()]) await session.transport.close().catch(() => undefined);
      sessions.clear();
    },
    get size() {
      return sessions.size;
    },
  };
}
