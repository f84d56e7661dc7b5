/**
 * The conversation engine (issue 12 item 1; research/smythos.md §7 "OpenAI-compatible chat completions"):
 * an agent as a chat model. Its `behavior` is the system prompt (the caller's system messages appended
 * after `######`, as SmythOS does), its AI-exposed skills are the tools, the model is the agent's
 * `chatModel` or the server's default, reached through src/llm with OpenAI function calling. When the
 * model calls tools, they run server-side as skill calls of the agent (through the agent runner, as
 * the caller), their results go back to the model, and so on until it answers in text or
 * `maxToolRounds` model turns have been taken. Earlier turns of the conversation are replayed as given.
 * Knows nothing of HTTP: the OpenAI routes, the chat page and Alexa map onto {@link Conversations.converse}.
 */
import type { AgentDefinition } from '../agents/definition.ts';
import type { ChatRouter } from '../llm/models.ts';
import type { ChatMessage, ChatTool, ToolCall } from '../llm/types.ts';
import type { SkillTool } from './tools.ts';

/** What a tool call did: its result as text (JSON for a JSON answer) and whether the skill failed. */
export interface ToolOutcome {
  text: string;
  isError: boolean;
}

/** One tool call of a conversation, with what it did. */
export interface ConversationToolCall extends ToolCall, ToolOutcome {}

/** Told what happens as it happens (streaming answers, the chat page's tool cards). */
export interface ConversationEvents {
  /** A piece of the answer's text. */
  text?(delta: string): void;
  /** The model called a tool; it is about to run. */
  toolCall?(call: ToolCall): void;
  /** A tool call finished. */
  toolResult?(call: ConversationToolCall): void;
}

/** One answer asked of an agent. */
export interface ConversationRequest {
  definition: AgentDefinition;
  /** The model to use (the agent's `chatModel` or the server default, resolved by the caller). */
  model: string;
  /** The conversation so far, the last message being the caller's (a user turn, usually). */
  messages: ChatMessage[];
  /** The agent's tools (AI-exposed skills). */
  tools: SkillTool[];
  /** Runs a tool call; never throws for what the skill or the model can cause. */
  runTool(tool: SkillTool, args: Record<string, unknown>, signal?: AbortSignal): Promise<ToolOutcome>;
  signal?: AbortSignal;
  /** Upper bound on the answer's tokens per model turn. */
  maxOutputTokens?: number;
}

/** The answer: its text, every tool call made, and the tokens the model reported (0 when none). */
export interface ConversationResult {
  text: string;
  toolCalls: ConversationToolCall[];
  /** `length`: the model ran out of tokens; `tool_calls`: it still wanted tools when the rounds ran out. */
  finishReason: 'stop' | 'length' | 'tool_calls';
  usage: { promptTokens: number; completionTokens: number };
}

/** What {@link createConversations} needs. */
export interface ConversationsDeps {
  chat: ChatRouter;
  /** Most model turns one answer may take (CHAT_MAX_TOOL_ROUNDS). */
  maxToolRounds: number;
}

/** The engine's API. */
export interface Conversations {
  /**
   * One answer. @throws {LlmError} or {UnknownModelError} when the model fails (callers map them onto
   * their surface's error); an aborted `signal` rejects with its reason.
   */
  converse(request: ConversationRequest, events?: ConversationEvents): Promise<ConversationResult>;
}

/** The separator SmythOS puts between an agent's behavior and a caller's system messages. */
export const SYSTEM_SEPARATOR = '\n\n######\n';

/**
 * The system prompt and the remaining turns: the agent's `behavior`, then every system message of the
 * request (in order) after {@link SYSTEM_SEPARATOR}; the other messages stay where they are.
 */
export function withSystemPrompt(definition: AgentDefinition, messages: readonly ChatMessage[]): ChatMessage[] {
  const behavior = typeof definition.behavior === 'string' ? definition.behavior.trim() : '';
  const extra = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const system = [behavior, ...(extra.length ? [extra.join('\n')] : [])].filter(Boolean).join(SYSTEM_SEPARATOR);
  const rest = messages.filter((m) => m.role !== 'system');
  return system ? [{ role: 'system', content: system }, ...rest] : rest;
}

/** A model's argument text as an object: `{}` for empty text. @throws SyntaxError naming what is wrong */
function parseArguments(text: string): Record<string, unknown> {
  if (!text.trim()) return {};
  const value: unknown = JSON.parse(text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new SyntaxError('the arguments are not a JSON object');
  return value as Record<string, unknown>;
}

/** Builds the engine. */
export function createConversations(deps: ConversationsDeps): Conversations {
  return {
    async converse(request, events = {}) {
      const messages = withSystemPrompt(request.definition, request.messages);
      const byName = new Map(request.tools.map((t) => [t.name, t]));
      const tools: ChatTool[] = request.tools.map((t) => ({ name: t.name, description: t.description, parameters: t.inputSchema }));
      const toolCalls: ConversationToolCall[] = [];
      const usage = { promptTokens: 0, completionTokens: 0 };
      let text = '';
      for (let round = 1; ; round++) {
        request.signal?.throwIfAborted();
        // The last round offers no tools, so the model has to answer in words.
        const offer = round < deps.maxToolRounds ? tools : [];
        // The texts of successive turns ("Let me look that up." … "It is 4.") are paragraphs of one
        // answer: a blank line goes between them, streamed before a turn's first piece as well.
        const earlier = text;
        let opened = false;
        const onText = events.text
          ? (delta: string): void => {
              if (!delta) return;
              if (!opened && earlier) events.text!('\n\n');
              opened = true;
              events.text!(delta);
            }
          : undefined;
        const reply = await deps.chat({
          model: request.model,
          messages,
          ...(offer.length ? { tools: offer } : {}),
          ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
          ...(onText ? { onText } : {}),
        });
        usage.promptTokens += reply.usage?.promptTokens ?? 0;
        usage.completionTokens += reply.usage?.completionTokens ?? 0;
        if (reply.text) text = earlier ? `${earlier}\n\n${reply.text}` : reply.text;
        if (!reply.toolCalls.length) return { text, toolCalls, finishReason: reply.finishReason === 'length' ? 'length' : 'stop', usage };
        if (!offer.length) return { text, toolCalls, finishReason: 'tool_calls', usage };
        messages.push({ role: 'assistant', content: reply.text || null, tool_calls: reply.toolCalls });
        // A model may ask for several calls at once; they are independent, so they run together.
        const outcomes = await Promise.all(
          reply.toolCalls.map(async (call): Promise<ConversationToolCall> => {
            events.toolCall?.(call);
            const tool = byName.get(call.name);
            let outcome: ToolOutcome;
            if (!tool) outcome = { text: `Unknown tool: ${call.name}`, isError: true };
            else {
              try {
                outcome = await request.runTool(tool, parseArguments(call.arguments), request.signal);
              } catch (error) {
                if (request.signal?.aborted) throw error;
                outcome = { text: `Invalid arguments for ${call.name}: ${(error as Error).message}`, isError: true };
              }
            }
            const done = { ...call, ...outcome };
            events.toolResult?.(done);
            return done;
          }),
        );
        for (const done of outcomes) {
          toolCalls.push(done);
          messages.push({ role: 'tool', tool_call_id: done.id, content: done.isError ? `Error: ${done.text}` : done.text });
        }
      }
    },
  };
}
