/**
 * Any OpenAI-compatible endpoint through the official `openai` client: OpenAI itself, Ollama, vLLM,
 * LM Studio, llama.cpp server, OpenRouter. Responses API (what the original bot called) or Chat
 * Completions, either answered whole or streamed (`stream: true`) when the caller wants the text as
 * it comes (`onText`: the debugger's monitor shows it live). The client retries 429 and 5xx with
 * exponential backoff (honouring `retry-after`) and times out each attempt.
 */
import OpenAI, { APIError } from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { LlmError, type ChatReply, type ChatRequest, type GenerateRequest, type LlmProvider, type ToolCall } from '../types.ts';
import { trimmedStream } from '../stream-pieces.ts';

/** Options of {@link createOpenAiCompatibleProvider}. */
export interface OpenAiCompatibleOptions {
  apiKey: string;
  model: string;
  /** Base URL as the original bot took it (see {@link normaliseBaseUrl}); default `https://api.openai.com`. */
  baseUrl?: string;
  api?: 'responses' | 'chat';
  /** Per-attempt timeout, ms (default 30 000). */
  timeoutMs?: number;
  /** Retries on 429/5xx/network errors (default 3). */
  maxRetries?: number;
}

/**
 * The `/v1` base the client appends `responses` or `chat/completions` to, so `--openai-base-url`
 * means what it meant to the original bot, which called `<base>/v1/responses` whatever the base:
 * `https://api.openai.com` → `…/v1`, `https://gw/openai` → `https://gw/openai/v1`. One deliberate
 * difference: a base whose path already ends in `/v1` (Ollama's `http://localhost:11434/v1`,
 * OpenRouter's `https://openrouter.ai/api/v1`) is kept, where the original would have called
 * `/v1/v1/responses`. Trailing slashes are ignored; query strings are not supported.
 * @throws TypeError when `raw` is not an absolute URL
 */
export function normaliseBaseUrl(raw = 'https://api.openai.com'): string {
  const base = new URL(raw.trim()).toString().replace(/\/+$/, '');
  return /\/v1$/i.test(new URL(base).pathname) ? base : `${base}/v1`;
}

/** Build the provider. */
export function createOpenAiCompatibleProvider(options: OpenAiCompatibleOptions): LlmProvider {
  const baseURL = normaliseBaseUrl(options.baseUrl);
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL,
    timeout: options.timeoutMs ?? 30_000,
    maxRetries: options.maxRetries ?? 3,
  });
  const name = 'openai-compatible';
  const api = options.api ?? 'responses';

  const failure = (error: unknown, which: string): LlmError =>
    error instanceof APIError
      ? new LlmError(`${name} (${baseURL}) ${which}: HTTP ${error.status ?? '?'}: ${error.message}`, name, error.status ?? undefined)
      : new LlmError(`${name} (${baseURL}) ${which}: ${(error as Error).message}`, name);

  return {
    name,
    model: options.model,
    async chat(request: ChatRequest): Promise<ChatReply> {
      // Function calling goes through Chat Completions whatever `api` says: every OpenAI-compatible
      // server speaks it, where few local ones speak the Responses API.
      const body = {
        model: options.model,
        messages: request.messages.map((m): ChatCompletionMessageParam =>
          m.role === 'assistant'
            ? {
                role: 'assistant',
                content: m.content,
                ...(m.tool_calls?.length ? { tool_calls: m.tool_calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) } : {}),
              }
            : m,
        ),
        max_tokens: request.maxOutputTokens,
        ...(request.tools?.length ? { tools: request.tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.parameters } })) } : {}),
      };
      try {
        if (!request.onText) {
          const r = await client.chat.completions.create(body, { signal: request.signal });
          const choice = r.choices[0];
          const toolCalls: ToolCall[] = (choice?.message?.tool_calls ?? []).flatMap((c) => (c.type === 'function' ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : []));
          return {
            text: choice?.message?.content?.trim() ?? '',
            toolCalls,
            finishReason: toolCalls.length ? 'tool_calls' : choice?.finish_reason === 'length' ? 'length' : 'stop',
            ...(r.usage ? { usage: { promptTokens: r.usage.prompt_tokens, completionTokens: r.usage.completion_tokens } } : {}),
          };
        }
        const out = trimmedStream(request.onText);
        const calls: { id: string; name: string; arguments: string }[] = [];
        let finish: string | null = null;
        let usage: ChatReply['usage'];
        const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal: request.signal });
        for await (const chunk of stream) {
          if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
          const choice = chunk.choices[0];
          if (!choice) continue;
          out.push(choice.delta?.content ?? '');
          // A call arrives in pieces keyed by its index: the id and name first, the arguments in parts.
          for (const piece of choice.delta?.tool_calls ?? []) {
            const call = (calls[piece.index] ??= { id: '', name: '', arguments: '' });
            if (piece.id) call.id = piece.id;
            if (piece.function?.name) call.name += piece.function.name;
            if (piece.function?.arguments) call.arguments += piece.function.arguments;
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
        const toolCalls = calls.filter((c) => c.name);
        return { text: out.text(), toolCalls, finishReason: toolCalls.length ? 'tool_calls' : finish === 'length' ? 'length' : 'stop', ...(usage ? { usage } : {}) };
      } catch (error) {
        throw failure(error, 'chat');
      }
    },
    async generate(request: GenerateRequest): Promise<string> {
      try {
        if (api === 'chat') {
          const body = {
            model: options.model,
            messages: [
              { role: 'system' as const, content: request.system },
              { role: 'user' as const, content: request.input },
            ],
            max_tokens: request.maxOutputTokens,
          };
          if (request.onText) {
            const out = trimmedStream(request.onText);
            const stream = await client.chat.completions.create({ ...body, stream: true }, { signal: request.signal });
            for await (const chunk of stream) out.push(chunk.choices[0]?.delta?.content ?? '');
            return out.text();
          }
          const r = await client.chat.completions.create(body, { signal: request.signal });
          return r.choices[0]?.message?.content?.trim() ?? '';
        }
        const body = {
          model: options.model,
          input: [
            { role: 'system' as const, content: [{ type: 'input_text' as const, text: request.system }] },
            { role: 'user' as const, content: [{ type: 'input_text' as const, text: request.input }] },
          ],
          max_output_tokens: request.maxOutputTokens,
        };
        if (request.onText) {
          const out = trimmedStream(request.onText);
          const stream = await client.responses.create({ ...body, stream: true }, { signal: request.signal });
          for await (const event of stream) {
            if (event.type === 'response.output_text.delta') out.push(event.delta);
            else if (event.type === 'error') throw new Error(event.message);
            else if (event.type === 'response.failed') throw new Error(event.response.error?.message ?? 'the response failed');
          }
          return out.text();
        }
        const r = await client.responses.create(body, { signal: request.signal });
        return r.output_text?.trim() ?? '';
      } catch (error) {
        throw failure(error, api);
      }
    },
  };
}
