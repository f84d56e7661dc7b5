/**
 * The `echo` model: deterministic, offline, no key. For demos and tests only — it answers with the
 * message it was given, so a bot can be tried end to end without any model service. Asked to stream
 * (`onText`), it hands its reply over in a few pieces.
 */
import { offlineChatReply, splitIntoPieces } from '../stream-pieces.ts';
import type { GenerateRequest, LlmProvider } from '../types.ts';

/** Reply `echo: <input without its "<sender>: " prefix>` (streamed in pieces when `onText` is given); in a conversation, `echo: <last user message>`. */
export function createEchoProvider(): LlmProvider {
  return {
    name: 'echo',
    model: 'echo',
    async generate(request: GenerateRequest): Promise<string> {
      const text = request.input.replace(/^[^:]{1,80}:\s*/, '').trim();
      const reply = `echo: ${text}`;
      if (request.onText) for (const piece of splitIntoPieces(reply)) request.onText(piece);
      return reply;
    },
    async chat(request) {
      return offlineChatReply(request.messages, (text) => `echo: ${text.trim()}`, request.onText);
    },
  };
}
