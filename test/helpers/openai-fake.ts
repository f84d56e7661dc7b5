/**
 * A real local HTTP server that speaks OpenAI's Chat Completions API (whole and `stream: true`), for
 * tests of the conversation engine and of everything built on it: each request is answered by the
 * test's script — text, or tool calls — and recorded. Tool calls stream as OpenAI streams them (the
 * id and name first, then the arguments in pieces); usage is reported.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One scripted model turn: text, tool calls (`arguments` is the JSON text), both (the text streams
 * first, as models do), or an HTTP failure.
 */
export type FakeTurn =
  | { text: string }
  | { toolCalls: { name: string; arguments: string }[] }
  | { text: string; toolCalls: { name: string; arguments: string }[] }
  | { status: number; message: string };

/** The body of one Chat Completions request the fake received. */
export interface FakeRequest {
  model: string;
  messages: { role: string; content: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
  tools?: { type: 'function'; function: { name: string; description?: string; parameters: Record<string, unknown> } }[];
  stream?: boolean;
  [field: string]: unknown;
}

/** A running fake. */
export interface OpenAiFake {
  /** `http://127.0.0.1:<port>/v1`, for `OPENAI_BASE_URL`. */
  baseUrl: string;
  /** Every request received, in order. */
  requests: FakeRequest[];
  /**
   * How each turn is answered: a function of the request (default: echo the last message's content as
   * `model says: …`), or set {@link queue} for a fixed sequence. A promise holds the answer back until
   * it settles (to test a caller hanging up mid-turn).
   */
  reply: (request: FakeRequest) => FakeTurn | Promise<FakeTurn>;
  /** Turns answered first, in order, before {@link reply} is asked. */
  queue: (FakeTurn | Promise<FakeTurn>)[];
  /** How many requests were closed by their caller before the answer was complete. */
  abandoned: number;
  close(): Promise<void>;
}

/** Start a fake on an ephemeral loopback port. */
export async function startOpenAiFake(): Promise<OpenAiFake> {
  let calls = 0;
  const fake: OpenAiFake = {
    baseUrl: '',
    requests: [],
    queue: [],
    abandoned: 0,
    reply: (request) => ({ text: `model says: ${request.messages.at(-1)?.content ?? ''}` }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    res.once('close', () => {
      if (!res.writableFinished) fake.abandoned++;
    });
    req.on('end', async () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      const request = JSON.parse(body) as FakeRequest;
      fake.requests.push(request);
      const turn = await (fake.queue.shift() ?? fake.reply(request));
      if (res.destroyed) return;
      if ('status' in turn) {
        res.writeHead(turn.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: turn.message, type: 'server_error' } }));
        return;
      }
      const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
      const toolCalls = 'toolCalls' in turn ? turn.toolCalls.map((c) => ({ id: `call_${++calls}`, type: 'function', function: c })) : undefined;
      const text = 'text' in turn ? turn.text : null;
      if (!request.stream) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: `chatcmpl-fake${calls}`,
            object: 'chat.completion',
            created: 0,
            model: request.model,
            choices: [{ index: 0, message: { role: 'assistant', content: text, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, finish_reason: toolCalls ? 'tool_calls' : 'stop' }],
            usage,
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: unknown, finish: string | null = null, extra: Record<string, unknown> = {}) =>
        res.write(`data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model: request.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`);
      chunk({ role: 'assistant', content: '' });
      if (text !== null) for (const piece of text.match(/[\s\S]{1,4}/g) ?? []) chunk({ content: piece });
      toolCalls?.forEach((call, index) => {
        chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
        for (const piece of call.function.arguments.match(/[\s\S]{1,3}/g) ?? []) chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
      });
      chunk({}, toolCalls ? 'tool_calls' : 'stop');
      if ((request.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
        res.write(`data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model: request.model, choices: [], usage })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}
