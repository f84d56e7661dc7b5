/**
 * Any OpenAI-compatible endpoint through the official `openai` client: OpenAI itself, Ollama, vLLM,
 * LM Studio, llama.cpp server, OpenRouter. Responses API (what the original bot called) or Chat
 * Completions, either answered whole or streamed (`stream: true`) when the caller wants the text as
 * it comes (`onText`: the debugger's monitor shows it live). The client retries 429 and 5xx with
 * exponential backoff (honouring `retry-after`) and times out each attempt.
 */
import OpenAI, { APIError } from 'openai';
import { LlmError, type GenerateRequest, type LlmProvider } from '../types.ts';
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

  return {
    name,
    model: options.model,
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
        if (error instanceof APIError) {
          throw new LlmError(`${name} (${baseURL}) ${api}: HTTP ${error.status ?? '?'}: ${error.message}`, name, error.status ?? undefined);
        }
        throw new LlmError(`${name} (${baseURL}) ${api}: ${(error as Error).message}`, name);
      }
    },
  };
}
