/**
 * Server-Sent Events as OpenAI streams them: `data: <json>` frames (the Responses API adds `event:`
 * lines), ending with `data: [DONE]` for Chat Completions. The reply is hijacked, so the headers set
 * on it so far (CORS, correlation id) are copied to the raw response first.
 */
import type { FastifyReply } from 'fastify';

/** A started event stream; writes after the caller left are dropped. */
export interface OpenAiStream {
  /** One `data:` frame (and an `event:` line when given). */
  send(data: unknown, event?: string): void;
  /** Write `data: [DONE]` (Chat Completions only) and end. */
  end(done?: boolean): void;
  /** Whether the caller is gone. */
  readonly closed: boolean;
}

/** Hijack `reply` and start a `text/event-stream` answer. */
export function startStream(reply: FastifyReply): OpenAiStream {
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value as string | number | string[];
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.flushHeaders();
  const closed = () => raw.destroyed || raw.writableEnded;
  return {
    send(data, event) {
      if (closed()) return;
      raw.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    },
    end(done = false) {
      if (closed()) return;
      raw.end(done ? 'data: [DONE]\n\n' : undefined);
    },
    get closed() {
      return closed();
    },
  };
}
