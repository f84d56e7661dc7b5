/**
 * Streaming helpers shared by the providers (`GenerateRequest.onText`): the pieces a caller is given
 * must concatenate to exactly the reply that is returned, and replies are trimmed.
 */
import type { ChatMessage, ChatReply } from './types.ts';

/**
 * A streamed reply, trimmed as it goes: leading whitespace is dropped, and whitespace is held back
 * until more text follows it, so the pieces passed to `onText` concatenate to {@link text}, which is
 * the whole reply trimmed (what the provider answers unstreamed).
 */
export function trimmedStream(onText: (text: string) => void): { push(piece: string): void; text(): string } {
  let sent = '';
  let held = '';
  return {
    push(piece) {
      if (!piece) return;
      if (!sent) {
        piece = piece.trimStart();
        if (!piece) return;
      }
      const tail = /\s+$/.exec(piece);
      const body = tail ? piece.slice(0, tail.index) : piece;
      if (body) {
        onText(held + body);
        sent += held + body;
        held = tail?.[0] ?? '';
      } else held += piece;
    },
    text: () => sent,
  };
}

/** Most pieces an offline model's reply is cut into. */
const MAX_PIECES = 8;

/**
 * `text` cut at word boundaries into at most {@link MAX_PIECES} pieces that concatenate to it exactly
 * (an offline model "streams" its reply with them); empty text gives none.
 */
export function splitIntoPieces(text: string): string[] {
  const words = text.match(/\s*\S+|\s+$/g) ?? [];
  const size = Math.ceil(words.length / MAX_PIECES);
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += size) pieces.push(words.slice(i, i + size).join(''));
  return pieces;
}

/**
 * An offline model's conversation turn: `reply` (made from the last user message's text) streamed in
 * pieces when asked, no tool calls, no usage. Offline models never call tools.
 */
export function offlineChatReply(messages: readonly ChatMessage[], reply: (lastUser: string) => string, onText?: (text: string) => void): ChatReply {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const text = reply(lastUser?.content ?? '');
  if (onText) for (const piece of splitIntoPieces(text)) onText(piece);
  return { text, toolCalls: [], finishReason: 'stop' };
}
