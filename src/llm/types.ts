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

/** A model behind the port. */
export interface LlmProvider {
  /** `openai-compatible` or `echo`. */
  readonly name: string;
  readonly model: string;
  /** The reply text. @throws {LlmError} naming the provider and, for HTTP failures, the status */
  generate(request: GenerateRequest): Promise<string>;
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
