/**
 * Any OpenAI-compatible endpoint through the official `openai` client: OpenAI itself, Ollama, vLLM,
 * LM Studio, llama.cpp server, OpenRouter. Responses API (what the original bot called) or Chat
 * Completions. The client retries 429 and 5xx with exponential backoff (honouring `retry-after`) and
 * times out each attempt.
 */
import OpenAI, { APIError } from 'openai';
import { LlmError, type GenerateRequest, type LlmProvider } from '../types.ts';

/** Options of {@link createOpenAiCompatibleProvider}. */
export interface OpenAiCompatibleOptions {
  apiKey: string;
  model: string;
  /** Origin or `/v1` base, e.g. `https://api.openai.com` or `http://localhost:11434/v1`. */
  baseUrl?: string;
  api?: 'responses' | 'chat';
  /** Per-attempt timeout, ms (default 30 000). */
  timeoutMs?: number;
  /** Retries on 429/5xx/network errors (default 3). */
  maxRetries?: number;
}

/** `https://host` → `https://host/v1`; a base that already ends in `/v1` (or another path) is kept. */
export function normaliseBaseUrl(raw = 'https://api.openai.com'): string {
  const base = raw.replace(/\/+$/, '');
  return new URL(base).pathname === '/' || new URL(base).pathname === '' ? `${base}/v1` : base;
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
          const r = await client.chat.completions.create(
            {
              model: options.model,
              messages: [
                { role: 'system', content: request.system },
                { role: 'user', content: request.input },
              ],
              max_tokens: request.maxOutputTokens,
            },
            { signal: request.signal },
          );
          return r.choices[0]?.message?.content?.trim() ?? '';
        }
        const r = await client.responses.create(
          {
            model: options.model,
            input: [
              { role: 'system', content: [{ type: 'input_text', text: request.system }] },
              { role: 'user', content: [{ type: 'input_text', text: request.input }] },
            ],
            max_output_tokens: request.maxOutputTokens,
          },
          { signal: request.signal },
        );
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
