/**
 * SmythOS's offline `Echo` model, as agents imported from SmythOS expect it: the reply is the user turn itself,
 * unchanged (SRE `LLMManager/LLM.service/connectors/Echo.class.ts` answers with the first message of the request,
 * which for its LLM components is the prompt; it adds no prompt enhancement and ignores any system prompt).
 * Not the `echo` provider beside it, which prefixes `echo: ` for the Runtime Connect bot. Asked to stream
 * (`onText`), it hands its reply over in a few pieces, as SRE's connectors stream a model's.
 */
import { offlineChatReply, splitIntoPieces } from '../stream-pieces.ts';
import type { GenerateRequest, LlmProvider } from '../types.ts';

/**
 * The `Echo` model: `generate({input})` resolves to `input` exactly (no trimming, no prefix); streamed, its
 * pieces concatenate to `input` exactly. In a conversation it answers the last user message, unchanged, and never
 * calls a tool.
 * Source: SRE `Echo.class.ts` `request()`; fixture `smyth/sre-echo-LLMPrompt.smyth` answers
 * `Saying : Write a poem about flowers, the word Rose` for the prompt `Saying : {{Input}}`.
 */
export function createSmythEchoProvider(): LlmProvider {
  return {
    name: 'smyth-echo',
    model: 'Echo',
    async generate(request: GenerateRequest): Promise<string> {
      if (request.onText) for (const piece of splitIntoPieces(request.input)) request.onText(piece);
      return request.input;
    },
    async chat(request) {
      return offlineChatReply(request.messages, (text) => text, request.onText);
    },
  };
}
