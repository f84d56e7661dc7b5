/**
 * The chat stream's wire format (issue 12 item 6; research/smythos.md §7 "Chat stream wire format"):
 * what a request carries and how an answer is written as Server-Sent Events. The original streamed
 * concatenated JSON objects (its client rewrote `}{` to split them); this is SSE, which browsers,
 * proxies and every HTTP client already know how to read incrementally.
 *
 * Events, in order: `text` `{delta}` as the model writes; `tool_call` `{id, name, arguments}` as a skill
 * starts and `tool_result` `{id, name, text, isError}` when it ends; then exactly one of `done`
 * `{text, model, usage}` or `error` `{message}`. Comment lines (`: keep-alive`) may come in between
 * while a skill runs, so that proxies do not close a quiet connection; readers skip them.
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';

/** Most turns one chat request may carry (the page sends the whole history: the server keeps none). */
export const CHAT_MAX_MESSAGES = 200;
/** Most characters of all the turns' content together, and of any one turn. */
export const CHAT_MAX_CHARS = 200_000;
/** ms between keep-alive comments on a quiet stream (nginx closes a silent one after 60 s). */
export const KEEP_ALIVE_MS = 15_000;

/** `{messages: [{role: 'user'|'assistant', content}]}`, the last one the user's. */
export const ChatBody = z
  .object({
    messages: z
      .array(z.object({ role: z.enum(['user', 'assistant']), content: z.string().max(CHAT_MAX_CHARS) }).strict(), {
        error: (issue) => (issue.input === undefined ? 'required: the conversation so far, the user\'s message last' : 'must be an array'),
      })
      .min(1, 'messages must hold at least the user\'s message')
      .max(CHAT_MAX_MESSAGES, `at most ${CHAT_MAX_MESSAGES} messages`)
      .refine((m) => m.at(-1)?.role === 'user', 'the last message must be the user\'s')
      .refine((m) => m.reduce((n, x) => n + x.content.length, 0) <= CHAT_MAX_CHARS, `at most ${CHAT_MAX_CHARS} characters in all`),
  }, { error: 'must be a JSON object {"messages": [...]}' });

/** A parsed chat request. */
export type ChatRequest = z.infer<typeof ChatBody>;

/** `body` as a chat request, or what is wrong with it: one sentence naming the field (`body.messages.0.role: …`). */
export function chatBodyProblem(body: unknown): { problem: string } | { request: ChatRequest } {
  const parsed = ChatBody.safeParse(body);
  if (parsed.success) return { request: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { problem: `${['body', ...issue.path].join('.')}: ${issue.message}` };
}

/** Writes one answer's events to a response whose head is already sent. */
export interface SseWriter {
  /** One event; nothing once the connection is gone. */
  send(event: 'text' | 'tool_call' | 'tool_result' | 'done' | 'error', data: unknown): void;
  /** Stops the keep-alive and ends the response. */
  end(): void;
}

/**
 * Starts an SSE answer on `raw` (200, `text/event-stream`, headers already set on `raw` kept) with a
 * keep-alive comment every `keepAliveMs` of silence.
 */
export function startSse(raw: ServerResponse, keepAliveMs = KEEP_ALIVE_MS): SseWriter {
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  // Headers out at once: a client learns the request was accepted before the model's first word.
  raw.flushHeaders();
  const open = () => !raw.destroyed && !raw.writableEnded;
  let last = Date.now();
  const timer = setInterval(() => {
    if (open() && Date.now() - last >= keepAliveMs) raw.write(': keep-alive\n\n');
  }, keepAliveMs);
  timer.unref();
  return {
    send(event, data) {
      if (!open()) return;
      last = Date.now();
      raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      clearInterval(timer);
      if (!raw.writableEnded) raw.end();
    },
  };
}
