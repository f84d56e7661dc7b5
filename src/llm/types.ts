/**
 * The LLM port (docs/architecture.md, `src/llm`): one interface, several providers (an OpenAI-compatible HTTP
 * endpoint, an offline `echo` model). Implementations live in sibling folders under the same file
 * name, `provider.ts`, and pass one contract suite (`contract.test.ts`).
 */

/** One generation request: a system prompt and one user turn. */
export interface GenerateRequest {
  system: string;
  input: string;
  /** Upper bound on generated tokens (the original bot used 180). */
  maxOutputTokens: number;
  signal?: AbortSignal;
  /** When given, the reply is streamed: called with each piece of text as it arrives (the whole reply is still returned). */
  onText?: (text: string) => void;
}

/** A tool call the model asked for: `arguments` is the JSON text the model wrote (it may not parse). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One turn of a conversation, as OpenAI's Chat Completions API shapes it. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A function the model may call: `parameters` is a JSON Schema object. */
export interface ChatTool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** One model turn of a conversation with tools (OpenAI function calling). */
export interface ChatRequest {
  messages: ChatMessage[];
  tools?: ChatTool[];
  maxOutputTokens: number;
  signal?: AbortSignal;
  /** When given, the reply's text is streamed: called with each piece as it arrives. */
  onText?: (text: string) => void;
}

/** Token counts of one model turn, when the model reported them. */
export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

/** What the model answered: text, tool calls (then `finishReason` is `tool_calls`), or both. */
export interface ChatReply {
  text: string;
  toolCalls: ToolCall[];
  finishReason: 'stop' | 'tool_calls' | 'length';
  usage?: ChatUsage;
}

/** A model behind the port. */
export interface LlmProvider {
  /** `openai-compatible` or `echo`. */
  readonly name: string;
  readonly model: string;
  /** The reply text. @throws {LlmError} naming the provider and, for HTTP failures, the status */
  generate(request: GenerateRequest): Promise<string>;
  /**
   * One turn of a conversation that may call tools (embodiments' conversation engine). Offline models
   * answer without tools. @throws {LlmError} as {@link generate}
   */
  chat(request: ChatRequest): Promise<ChatReply>;
}

/** A failed generation; `status` is the HTTP status when there was one (429 and 5xx are retryable). */
export class LlmError extends Error {
  override name = 'LlmError';
  constructor(
    message: string,
    readonly provider: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
