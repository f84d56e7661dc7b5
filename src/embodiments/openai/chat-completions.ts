/**
 * `POST /v1/chat/completions` (research/smythos.md §7 "OpenAI-compatible chat completions", §11.3,
 * §12 items 26-28): the agent named by `model` answers the conversation through the conversation
 * engine, whole (`chat.completion`) or streamed (`chat.completion.chunk` frames, then `data: [DONE]`).
 * Its skills run server-side as tools; a streamed answer reports them as the original did
 * (`delta.smyth_event: {type: 'toolCall'}`, and `delta.status: <tool>` with `?include_status=true`).
 * `created` is in seconds, as OpenAI's is (the original sent milliseconds).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LlmError } from '../../llm/types.ts';
import { UnknownModelError } from '../../llm/models.ts';
import { authTokenOf, type EmbodimentRoutesOptions } from '../http.ts';
import { openConversation, watchHangUp } from './access.ts';
import { startStream } from './sse.ts';
import { ChatCompletionBody, chatCompletionId, chatMessagesOf, sendOpenAiError } from './wire.ts';

/** What a model failure is called in an answer: the model's own message, never a stack. */
export function modelFailure(error: unknown): { status: number; message: string } | undefined {
  if (error instanceof UnknownModelError) return { status: 503, message: error.message };
  if (error instanceof LlmError) return { status: 502, message: `The agent's model failed: ${error.message}` };
  return undefined;
}

/** Handles one chat completion. */
export async function chatCompletion(request: FastifyRequest, reply: FastifyReply, opts: EmbodimentRoutesOptions): Promise<FastifyReply> {
  const opened = await openConversation(request, reply, opts, ChatCompletionBody, (b) => chatMessagesOf(b.messages), 'messages');
  if (!opened) return reply;
  const { loaded, caller, model, body, messages } = opened;
  const id = chatCompletionId();
  const created = Math.floor(opts.now() / 1000);
  const hangUp = watchHangUp(reply);
  const conversation = {
    messages,
    caller,
    correlationId: request.id,
    authToken: authTokenOf(request),
    signal: hangUp.signal,
    maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
  };

  if (!body.stream) {
    try {
      const result = await opts.embodiments.converse(loaded, conversation);
      return reply.send({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: result.text, refusal: null }, logprobs: null, finish_reason: result.finishReason }],
        usage: usageOf(result.usage),
        system_fingerprint: null,
      });
    } catch (error) {
      const failure = modelFailure(error);
      if (hangUp.signal.aborted) return reply;
      if (!failure) throw error;
      request.log.warn({ err: error, agent_id: loaded.agent.id }, 'chat completion: the model failed');
      return sendOpenAiError(reply, failure.status, failure.message, { code: 'model_error' });
    } finally {
      hangUp.done();
    }
  }

  const includeStatus = String((request.query as Record<string, unknown>).include_status) === 'true';
  const stream = startStream(reply);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    stream.send({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  chunk({ role: 'assistant', content: '' });
  try {
    const result = await opts.embodiments.converse(loaded, conversation, {
      text: (delta) => chunk({ content: delta }),
      toolCall: (call) => {
        if (includeStatus) chunk({ status: call.name });
        chunk({ smyth_event: { type: 'toolCall', content: { id: call.id, name: call.name, arguments: call.arguments } } });
      },
    });
    chunk({}, result.finishReason);
    chunk({ smyth_event: { type: 'usage', content: usageOf(result.usage) } });
    if (body.stream_options?.include_usage) stream.send({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [], usage: usageOf(result.usage) });
    stream.end(true);
  } catch (error) {
    const failure = modelFailure(error);
    if (!hangUp.signal.aborted) request.log.warn({ err: error, agent_id: loaded.agent.id }, 'streamed chat completion failed');
    stream.send({ error: { message: failure?.message ?? 'The answer failed; the server log has the details.', type: 'server_error', param: null, code: 'model_error' } });
    stream.end(true);
  } finally {
    hangUp.done();
  }
  return reply;
}

/** OpenAI's usage object. */
export function usageOf(usage: { promptTokens: number; completionTokens: number }) {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}
