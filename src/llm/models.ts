/**
 * The model router behind agents' `context.generate` (src/agents/engine/component.ts): a `.smyth` component names
 * a model (`Echo`, `gpt-4o-mini`, …) and this picks the provider. `Echo` is SmythOS's offline model
 * (`smyth-echo/provider.ts`); every other name goes to one OpenAI-compatible endpoint (`openai-compatible/provider.ts`),
 * optionally renamed through a model map so agents written for SmythOS's hosted models can run on a local server.
 * It also owns how a model's reply text becomes a value (SmythOS connectors' `postProcess`), since that differs
 * between the Echo model and the others.
 */
import { jsonrepair } from 'jsonrepair';
import { createOpenAiCompatibleProvider } from './openai-compatible/provider.ts';
import { createSmythEchoProvider } from './smyth-echo/provider.ts';
import type { ChatReply, ChatRequest, LlmProvider } from './types.ts';

/** One generation, as components ask for it. `maxOutputTokens` defaults to the router's (1024). */
export interface ModelRequest {
  model: string;
  prompt: string;
  system?: string;
  maxOutputTokens?: number;
  signal?: AbortSignal;
  /** Stream the reply: called with each piece of text as it arrives. */
  onText?: (text: string) => void;
}

/** Resolves to the model's reply text. @throws {UnknownModelError} @throws {LlmError} from the provider */
export type ModelRouter = (request: ModelRequest) => Promise<string>;

/** The OpenAI-compatible endpoint every non-`Echo` model goes to. */
export interface OpenAiEndpointOptions {
  /** As `OPENAI_BASE_URL` (see `normaliseBaseUrl`); default `https://api.openai.com`. */
  baseUrl?: string;
  /** As `OPENAI_API_KEY`; may be empty for local servers (Ollama, llama.cpp) that take none. */
  apiKey?: string;
  /** As `OPENAI_API`: `responses` (default) or `chat` (Chat Completions, what most local servers speak). */
  api?: 'responses' | 'chat';
  /** Agent model name → endpoint model name; the key `*` renames every name not listed. See {@link parseModelMap}. */
  models?: Readonly<Record<string, string>>;
  /** Per-attempt timeout, ms (provider default 30 000). */
  timeoutMs?: number;
  /** Retries on 429/5xx (provider default 3). */
  maxRetries?: number;
}

/** Options of {@link createModelRouter}. Without `openAi` (or with neither a base URL nor a key) only `Echo` works. */
export interface ModelRouterOptions {
  openAi?: OpenAiEndpointOptions;
  /** Used when a request gives no `maxOutputTokens` (default 1024, SmythOS's GenAILLM default). */
  defaultMaxOutputTokens?: number;
}

/**
 * A model this server cannot reach. The message says why; agent components answer SmythOS's own
 * `The model '<name>' is not available. Please try a different one.` and log this message.
 */
export class UnknownModelError extends Error {
  override name = 'UnknownModelError';
  constructor(readonly model: string) {
    super(`model '${model}' is not available: only Echo runs offline, and no OpenAI-compatible endpoint is configured (set OPENAI_BASE_URL and/or OPENAI_API_KEY)`);
  }
}

/** True for SmythOS's offline model, whatever its case (`Echo`, `echo`). */
export function isEchoModel(model: string): boolean {
  return model.trim().toLowerCase() === 'echo';
}

/**
 * `gpt-4o=llama3.2, claude-3-haiku=qwen2.5, *=llama3.2` → `{ 'gpt-4o': 'llama3.2', … }` (for an env option).
 * An empty string gives `{}`. @throws Error naming the entry when one has no `=` or an empty side
 */
export function parseModelMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const at = entry.indexOf('=');
    const from = entry.slice(0, at).trim();
    const to = entry.slice(at + 1).trim();
    if (at < 0 || from === '' || to === '') throw new Error(`model map entry '${entry.trim()}' is not <agent model>=<endpoint model>`);
    map[from] = to;
  }
  return map;
}

/** The provider for a model name: `Echo` offline, any other the endpoint's (made once per endpoint model, then reused). */
function providerPicker(options: ModelRouterOptions): (model: string) => LlmProvider {
  const echo = createSmythEchoProvider();
  const openAi = options.openAi;
  const endpointConfigured = Boolean(openAi && (openAi.baseUrl || openAi.apiKey));
  const providers = new Map<string, LlmProvider>();
  return (model) => {
    if (isEchoModel(model)) return echo;
    if (!endpointConfigured || !openAi) throw new UnknownModelError(model);
    const target = openAi.models?.[model] ?? openAi.models?.['*'] ?? model;
    let provider = providers.get(target);
    if (!provider) {
      provider = createOpenAiCompatibleProvider({
        // The client refuses an empty key; local servers ignore whatever is sent.
        apiKey: openAi.apiKey || 'none',
        model: target,
        baseUrl: openAi.baseUrl,
        api: openAi.api,
        timeoutMs: openAi.timeoutMs,
        maxRetries: openAi.maxRetries,
      });
      providers.set(target, provider);
    }
    return provider;
  };
}

/** Build the router. Providers are made once per endpoint model name and reused. */
export function createModelRouter(options: ModelRouterOptions = {}): ModelRouter {
  const providerFor = providerPicker(options);
  const defaultMax = options.defaultMaxOutputTokens ?? 1024;
  return async (request) => {
    const provider = providerFor(request.model);
    return provider.generate({
      system: request.system ?? '',
      input: request.prompt,
      maxOutputTokens: request.maxOutputTokens ?? defaultMax,
      signal: request.signal,
      ...(request.onText ? { onText: request.onText } : {}),
    });
  };
}

/** One conversation turn, as the conversation engine asks for it (src/embodiments/conversation.ts). */
export interface ChatModelRequest extends Omit<ChatRequest, 'maxOutputTokens'> {
  model: string;
  /** Default: the router's (1024). */
  maxOutputTokens?: number;
}

/** Resolves to the model's turn. @throws {UnknownModelError} @throws {LlmError} from the provider */
export type ChatRouter = (request: ChatModelRequest) => Promise<ChatReply>;

/** Build the conversation router over the same models as {@link createModelRouter}. */
export function createChatRouter(options: ModelRouterOptions = {}): ChatRouter {
  const providerFor = providerPicker(options);
  const defaultMax = options.defaultMaxOutputTokens ?? 1024;
  return async ({ model, maxOutputTokens, ...request }) => providerFor(model).chat({ ...request, maxOutputTokens: maxOutputTokens ?? defaultMax });
}

const DIGITS = /^-?\d+(\.\d+)?$/;
const isDigits = (text: string): boolean => DIGITS.test(text.trim());
function isSafeNumber(text: string): boolean {
  const n = parseFloat(text);
  return !Number.isNaN(n) && n <= Number.MAX_SAFE_INTEGER && n >= Number.MIN_SAFE_INTEGER && n.toString() === text.trim();
}

/** `JSON.parse`, then once more after `jsonrepair`; `undefined` when both fail. */
function parseOrRepair(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    try {
      return { value: JSON.parse(jsonrepair(text)) };
    } catch {
      return undefined;
    }
  }
}

/**
 * SmythOS's permissive reply parser (SRE `JsonContent.helper.ts` `tryParse`): numbers and non-JSON text stay
 * strings (text comes back trimmed); `{…}`/`[…]` is parsed, repaired with `jsonrepair` if need be; otherwise the
 * widest `{…}` inside the text is tried; when nothing parses, the original text is returned. Never throws.
 */
export function parseJsonReply(text: unknown): unknown {
  if (typeof text !== 'string' || text === '' || isDigits(text) || isSafeNumber(text)) return text;
  let str = text.trim();
  if ((str.startsWith('{') && str.endsWith('}')) || (str.startsWith('[') && str.endsWith(']'))) {
    const parsed = parseOrRepair(str);
    if (parsed) return parsed.value;
  }
  str = (/(\{.*\})/s.exec(text)?.[1] ?? text).trim();
  if ((isDigits(str) && !isSafeNumber(str)) || (!str.startsWith('{') && !str.startsWith('['))) return str;
  const parsed = parseOrRepair(str);
  return parsed ? parsed.value : text;
}

/**
 * The Echo connector's `postProcess`: text that starts with `{` or `[` is parsed (repaired if need be); a
 * parse failure, or a parsed object with a truthy `error` field, gives the text back unchanged.
 */
function parseEchoReply(text: string): unknown {
  if (!text || (isDigits(text) && !isSafeNumber(text)) || (!text.startsWith('{') && !text.startsWith('['))) return text;
  const parsed = parseOrRepair(text);
  if (!parsed) return text;
  const value = parsed.value as { error?: unknown } | null;
  return value?.error ? text : value;
}

/**
 * A model's reply text as the value SmythOS's LLM components see: for `Echo` its connector's strict parse,
 * for every other model {@link parseJsonReply}. Source: SRE `Echo.class.ts` and `LLMConnector.ts` `postProcess`.
 */
export function postProcessReply(model: string, text: string): unknown {
  return isEchoModel(model) ? parseEchoReply(text) : parseJsonReply(text);
}
