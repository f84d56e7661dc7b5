/**
 * OpenAI's wire conventions, as the official clients expect them (https://platform.openai.com/docs/api-reference):
 * error bodies, ids, `model` names that pick an agent and its version (research/smythos.md §7), and the
 * request messages of Chat Completions and of the Responses API turned into the conversation engine's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ChatMessage } from '../../llm/types.ts';
import type { AgentRef } from '../service.ts';

/** OpenAI's error body. `type` is `invalid_request_error` for 4xx, `server_error` for 5xx. */
export interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Send an OpenAI-shaped error. */
export function sendOpenAiError(reply: FastifyReply, status: number, message: string, options: { param?: string | null; code?: string | null; type?: string } = {}): FastifyReply {
  const body: OpenAiError = {
    error: { message, type: options.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'), param: options.param ?? null, code: options.code ?? null },
  };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** `chatcmpl-<uuid>` (what the original answers). */
export const chatCompletionId = (): string => `chatcmpl-${randomUUID()}`;
/** `resp_<48 hex>` / `msg_<48 hex>`, shaped as OpenAI's. */
export const responseId = (): string => `resp_${randomBytes(24).toString('hex')}`;
export const messageId = (): string => `msg_${randomBytes(24).toString('hex')}`;

const DRAFT = new Set(['dev', 'develop', 'development', 'test', 'staging']);
const LATEST = new Set(['prod', 'production', 'stable', 'latest']);

/**
 * `agentId[@version]` → the agent and version: `@dev|develop|development|test|staging` the draft,
 * `@prod|production|stable|latest` the newest deployment, `@1.2` that deployment, none the draft
 * (research §7). Undefined when `model` names no agent.
 */
export function agentRefOfModel(model: string): AgentRef | undefined {
  const [agentId = '', version, ...rest] = model.trim().split('@');
  if (!agentId || rest.length || !/^[a-z0-9][a-z0-9-]{0,62}$/i.test(agentId)) return undefined;
  if (version === undefined || DRAFT.has(version.toLowerCase())) return { agentId };
  if (LATEST.has(version.toLowerCase())) return { agentId, version: 'latest' };
  return { agentId, version };
}

/** Text of a message content: a string, or the text parts of an array (`text`, `input_text`, `output_text`). */
const Content = z.union([
  z.string(),
  z.null(),
  z.array(z.object({ type: z.string(), text: z.string().optional() }).loose()),
]);
function textOf(content: z.infer<typeof Content>): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((p) => p.type === 'text' || p.type === 'input_text' || p.type === 'output_text')
    .map((p) => p.text ?? '')
    .join('');
}

/** Most messages and characters a request may carry (a history that big is a mistake or an attack). */
export const MAX_MESSAGES = 500;
export const MAX_TEXT_CHARS = 1_000_000;

/** The Chat Completions body fields Orrery reads; every other field is accepted and ignored (clients send many). */
export const ChatCompletionBody = z
  .object({
    model: z.string({ error: (i) => (i.input === undefined ? "Missing required parameter: 'model'." : "Invalid type for 'model': expected a string.") }).min(1, "Invalid 'model': empty string."),
    messages: z
      .array(
        z
          .object({
            role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function'], { error: "Invalid value for 'role': expected one of system, developer, user, assistant, tool." }),
            content: Content.optional(),
          })
          .loose(),
        { error: (i) => (i.input === undefined ? "Missing required parameter: 'messages'." : "Invalid type for 'messages': expected an array of objects.") },
      )
      .min(1, "Invalid 'messages': empty array. Expected an array with minimum length 1.")
      .max(MAX_MESSAGES, `Invalid 'messages': at most ${MAX_MESSAGES} messages.`),
    stream: z.boolean({ error: "Invalid type for 'stream': expected a boolean." }).nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
  })
  .loose();

/** The Responses API body fields Orrery reads. */
export const ResponsesBody = z
  .object({
    model: z.string({ error: (i) => (i.input === undefined ? "Missing required parameter: 'model'." : "Invalid type for 'model': expected a string.") }).min(1, "Invalid 'model': empty string."),
    input: z.union(
      [
        z.string(),
        z
          .array(
            z
              .object({
                type: z.string().optional(),
                role: z.enum(['system', 'developer', 'user', 'assistant'], { error: "Invalid value for 'input[].role': expected one of system, developer, user, assistant." }),
                content: Content,
              })
              .loose(),
          )
          .max(MAX_MESSAGES, `Invalid 'input': at most ${MAX_MESSAGES} items.`),
      ],
      { error: (i) => (i.input === undefined ? "Missing required parameter: 'input'." : "Invalid 'input': expected a string or an array of messages.") },
    ),
    instructions: z.string().nullish(),
    stream: z.boolean({ error: "Invalid type for 'stream': expected a boolean." }).nullish(),
    max_output_tokens: z.number().int().positive().nullish(),
  })
  .loose();

/** The first problem of a failed parse as OpenAI words it, with the parameter it names. */
export function firstIssue(error: z.ZodError): { message: string; param: string } {
  const issue = error.issues[0]!;
  const param = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') || 'body';
  const message = issue.message.includes(`'`) ? issue.message : `Invalid '${param}': ${issue.message}`;
  return { message, param };
}

/**
 * Chat Completions messages → the engine's: `developer` is a system message; the assistant's tool calls
 * and tool results of an earlier turn are replayed as text (the engine runs the agent's own tools; a
 * client's tools are not offered). @throws RangeError when the text is over {@link MAX_TEXT_CHARS}
 */
export function chatMessagesOf(messages: z.infer<typeof ChatCompletionBody>['messages']): ChatMessage[] {
  let total = 0;
  const out: ChatMessage[] = [];
  for (const m of messages) {
    const text = textOf(m.content ?? null);
    total += text.length;
    if (total > MAX_TEXT_CHARS) throw new RangeError(`Invalid 'messages': more than ${MAX_TEXT_CHARS} characters in all.`);
    if (m.role === 'system' || m.role === 'developer') out.push({ role: 'system', content: text });
    else if (m.role === 'user') out.push({ role: 'user', content: text });
    else if (m.role === 'assistant') out.push({ role: 'assistant', content: text });
    else out.push({ role: 'user', content: `Tool result: ${text}` });
  }
  return out;
}

/** Responses API `instructions` + `input` → the engine's messages. @throws RangeError as {@link chatMessagesOf} */
export function responsesMessagesOf(body: z.infer<typeof ResponsesBody>): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (body.instructions) out.push({ role: 'system', content: body.instructions });
  if (typeof body.input === 'string') out.push({ role: 'user', content: body.input });
  else for (const item of body.input) out.push({ role: item.role === 'developer' ? 'system' : item.role, content: textOf(item.content) } as ChatMessage);
  const total = out.reduce((n, m) => n + (m.content?.length ?? 0), 0);
  if (total > MAX_TEXT_CHARS) throw new RangeError(`Invalid 'input': more than ${MAX_TEXT_CHARS} characters in all.`);
  return out;
}
