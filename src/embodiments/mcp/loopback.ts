/**
 * The short way for the request MCP clients send most: one JSON-RPC request (`tools/call`,
 * `tools/list`, …) in a stateless Streamable HTTP POST. It goes to one long-lived SDK `Server`
 * through an in-process transport, and its answer comes back as the JSON body the SDK's
 * web-standard transport would have written. The protocol (request validation, dispatch,
 * JSON-RPC errors) stays the SDK's; what is skipped is that transport's per-request machinery: a
 * fresh transport and `connect`/`close`, a `Request` and a `Response` with its body stream. That
 * machinery cost more than a direct skill call's whole difference from `tools/call`
 * (docs/PERFORMANCE.md, ninth session).
 *
 * Everything else — `initialize`, batches, notifications and responses, a header the SDK would refuse
 * or that this file does not read the same way — still goes through the SDK's transport
 * ({@link fitsLoopback} says which), so its answers, errors included, stay the SDK's own.
 * src/embodiments/mcp/loopback.test.ts checks that both ways answer byte for byte alike.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  isJSONRPCRequest,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

/** The request headers {@link fitsLoopback} reads (lower-case names, as Node gives them). */
export type LoopbackHeaders = Record<string, string | string[] | undefined>;

/**
 * Whether a stateless POST can take the short way: a single JSON-RPC request other than `initialize`
 * (whose answer names the agent), with the headers the SDK's transport accepts — an `Accept` naming
 * both `application/json` and `text/event-stream`, a `Content-Type` of exactly `application/json`
 * (parameters allowed) and, if sent, a supported `MCP-Protocol-Version`. For anything else the SDK's
 * transport answers, with its own status and message.
 */
export function fitsLoopback(headers: LoopbackHeaders, body: unknown): body is JSONRPCRequest {
  const accept = headers.accept;
  if (typeof accept !== 'string' || !accept.includes('application/json') || !accept.includes('text/event-stream')) return false;
  const type = headers['content-type'];
  if (typeof type !== 'string' || type.split(';', 1)[0]!.trim().toLowerCase() !== 'application/json') return false;
  const version = headers['mcp-protocol-version'];
  if (version !== undefined && (typeof version !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(version))) return false;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || (body as { method?: unknown }).method === 'initialize') return false;
  return isJSONRPCRequest(body);
}

/** A server's answer to one request: a JSON-RPC result or error, with the caller's id. */
export type LoopbackAnswer = JSONRPCMessage;

/** One long-lived server that answers requests handed to it in-process. */
export interface Loopback {
  /**
   * `request`'s answer from the server; `authInfo` reaches its handlers as with the SDK's transport.
   * Server-to-client notifications and requests made while answering are dropped, as the SDK's
   * transport drops them when it answers in JSON.
   */
  answer(request: JSONRPCRequest, authInfo: AuthInfo): Promise<LoopbackAnswer>;
  close(): Promise<void>;
}

/**
 * Connects `server` to an in-process transport for {@link Loopback.answer}. Requests from any number
 * of callers share the server: each gets an id of the transport's own on the way in (clients all
 * start counting at 0) and its own id back on the way out.
 */
export async function createLoopback(server: Server): Promise<Loopback> {
  const waiting = new Map<RequestId, (message: JSONRPCMessage) => void>();
  let next = 0;
  let closed = false;
  const connectionClosed = (id: RequestId): JSONRPCMessage => ({ jsonrpc: '2.0', id, error: { code: ErrorCode.ConnectionClosed, message: 'Connection closed' } });
  const transport: Transport = {
    async start() {},
    async close() {
      transport.onclose?.();
    },
    async send(message) {
      // Only answers carry an id and a result or an error; the server's own requests and notifications have nowhere to go.
      if (!('id' in message) || message.id === undefined || !('result' in message || 'error' in message)) return;
      const done = waiting.get(message.id);
      waiting.delete(message.id);
      done?.(message);
    },
  };
  await server.connect(transport);
  return {
    answer(request, authInfo) {
      // Nothing would ever answer: the server has let go of the transport.
      if (closed) return Promise.resolve(connectionClosed(request.id));
      const id = ++next;
      return new Promise((resolve) => {
        // The caller's id goes back in the place the server put its own, so the JSON is the same text.
        waiting.set(id, (message) => resolve({ ...message, id: request.id } as JSONRPCMessage));
        const extra: MessageExtraInfo = { authInfo };
        transport.onmessage?.({ ...request, id }, extra);
      });
    },
    async close() {
      closed = true;
      await server.close();
      // What was still being answered gets the error the SDK's client raises for a closed connection.
      for (const [id, done] of waiting) done(connectionClosed(id));
      waiting.clear();
    },
  };
}
