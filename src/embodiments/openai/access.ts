/**
 * Which agent an OpenAI-compatible request may use, answered in OpenAI's words: the agent is the
 * request's `model` (research §7), the caller is checked against the agent's skill access
 * (docs/embodiments.md "Who may call"). The original's two 401s are kept: no credential at all is
 * `Invalid Authentication`, a credential that is not accepted `Incorrect API key provided`. An agent
 * the caller may not see, an unknown one and a switched-off embodiment are all OpenAI's
 * `model_not_found`, so existence does not leak.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { LoadedAgent } from '../../agents/service.ts';
import type { SkillCaller } from '../../agents/runner.ts';
import type { ChatMessage } from '../../llm/types.ts';
import { applyCors, callerOf, type EmbodimentRoutesOptions } from '../http.ts';
import type { AgentRef } from '../service.ts';
import { agentRefOfModel, firstIssue, sendOpenAiError } from './wire.ts';

/** Whether the request carries any credential (a bearer or the session cookie). */
export function presentsCredential(request: FastifyRequest): boolean {
  return Boolean(request.headers.authorization?.trim()) || request.principal !== null;
}

/** 401 in the original's words: nothing presented, or something presented and refused. */
export function sendUnauthorized(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('www-authenticate', 'Bearer');
  return presentsCredential(request)
    ? sendOpenAiError(reply, 401, 'Incorrect API key provided. Use an Orrery access token or the agent\'s API key.', { code: 'invalid_api_key' })
    : sendOpenAiError(reply, 401, 'Invalid Authentication', { code: 'invalid_api_key' });
}

/** OpenAI's 404 for a model the caller cannot use. */
export function sendModelNotFound(reply: FastifyReply, model: string): FastifyReply {
  return sendOpenAiError(reply, 404, `The model '${model}' does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' });
}

/**
 * The agent `model` names when the caller may use it through the OpenAI embodiment, with the caller;
 * otherwise the refusal is sent and undefined returned.
 */
export async function agentForModel(
  request: FastifyRequest,
  reply: FastifyReply,
  opts: EmbodimentRoutesOptions,
  model: string,
): Promise<{ loaded: LoadedAgent; caller: SkillCaller; ref: AgentRef } | undefined> {
  const ref = agentRefOfModel(model);
  if (!ref) {
    if (!presentsCredential(request)) sendUnauthorized(request, reply);
    else sendModelNotFound(reply, model);
    return undefined;
  }
  const caller = callerOf(request, opts);
  const opened = await opts.embodiments.open(ref, caller, 'openai');
  if ('refused' in opened) {
    if (opened.refused === 'unauthorized') sendUnauthorized(request, reply);
    else if (opened.refused === 'broken') sendOpenAiError(reply, 503, opened.message, { code: 'model_unavailable' });
    else sendModelNotFound(reply, model);
    return undefined;
  }
  return { loaded: opened, caller, ref };
}

/** A conversation request that passed every check: its agent, caller, body and messages. */
export interface OpenedConversation<B> {
  loaded: LoadedAgent;
  caller: SkillCaller;
  model: string;
  body: B;
  messages: ChatMessage[];
}

/**
 * The checks every conversation endpoint makes, in order: a JSON object with a `model` (401 first when
 * nothing is presented), the agent and the caller ({@link agentForModel}), CORS, the body against
 * `schema`, and its messages (`toMessages`; a RangeError is a 400 on `param`). Sends the refusal and
 * returns undefined when one fails.
 */
export async function openConversation<B>(
  request: FastifyRequest,
  reply: FastifyReply,
  opts: EmbodimentRoutesOptions,
  schema: z.ZodType<B>,
  toMessages: (body: B) => ChatMessage[],
  param: string,
): Promise<OpenedConversation<B> | undefined> {
  const raw = request.body;
  const isObject = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  const model = isObject ? (raw as { model?: unknown }).model : undefined;
  if (typeof model !== 'string' || !model) {
    if (!presentsCredential(request)) sendUnauthorized(request, reply);
    else if (!isObject) sendOpenAiError(reply, 400, 'The request body must be a JSON object.', { param: 'body' });
    else sendOpenAiError(reply, 400, model === undefined ? "Missing required parameter: 'model'." : "Invalid 'model': expected a non-empty string.", { param: 'model' });
    return undefined;
  }
  const found = await agentForModel(request, reply, opts, model);
  if (!found) return undefined;
  await applyCors(request, reply, opts.embodiments, found.loaded.agent.id, 'openai');
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const { message, param: where } = firstIssue(parsed.error);
    sendOpenAiError(reply, 400, message, { param: where });
    return undefined;
  }
  try {
    return { loaded: found.loaded, caller: found.caller, model, body: parsed.data, messages: toMessages(parsed.data) };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    sendOpenAiError(reply, 400, error.message, { param });
    return undefined;
  }
}

/** An abort signal that fires when the caller hangs up before the answer is sent; `done()` stops watching. */
export function watchHangUp(reply: FastifyReply): { signal: AbortSignal; done(): void } {
  const abort = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) abort.abort(new Error('the client closed the connection'));
  };
  reply.raw.once('close', onClose);
  return { signal: abort.signal, done: () => reply.raw.off('close', onClose) };
}
