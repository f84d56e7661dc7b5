/**
 * `POST /v1/responses`: the Responses API (https://platform.openai.com/docs/api-reference/responses),
 * which the original Runtime Connect bot calls (src/llm/openai-compatible/provider.ts), so
 * `orrery connect --openai-base-url <orrery>/v1 --openai-model <agentId>` puts an agent into the shared
 * space. Text in and out: `instructions` and `input` (a string, or messages whose content is a string or
 * `input_text`/`output_text` parts); one assistant message out. Streamed, it sends the event sequence the
 * official client parses: `response.created` … `response.output_text.delta` … `response.completed`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authTokenOf, type EmbodimentRoutesOptions } from '../http.ts';
import { openConversation, watchHangUp } from './access.ts';
import { modelFailure } from './chat-completions.ts';
import { startStream } from './sse.ts';
import { messageId, ResponsesBody, responseId, responsesMessagesOf, sendOpenAiError } from './wire.ts';

/** Handles one response. */
export async function createResponse(request: FastifyRequest, reply: FastifyReply, opts: EmbodimentRoutesOptions): Promise<FastifyReply> {
  const opened = await openConversation(request, reply, opts, ResponsesBody, responsesMessagesOf, 'input');
  if (!opened) return reply;
  const { loaded, caller, model, body, messages } = opened;
  if (!messages.some((m) => m.role === 'user')) return sendOpenAiError(reply, 400, "Invalid 'input': it has no user message.", { param: 'input' });

  const id = responseId();
  const itemId = messageId();
  const createdAt = Math.floor(opts.now() / 1000);
  const hangUp = watchHangUp(reply);
  const converse = {
    messages,
    caller,
    correlationId: request.id,
    authToken: authTokenOf(request),
    signal: hangUp.signal,
    maxOutputTokens: body.max_output_tokens ?? undefined,
  };
  const item = (text: string, status: 'in_progress' | 'completed') => ({
    type: 'message',
    id: itemId,
    status,
    role: 'assistant',
    content: status === 'completed' ? [{ type: 'output_text', text, annotations: [] }] : [],
  });
  const response = (status: 'in_progress' | 'completed' | 'failed', text: string, usage?: { promptTokens: number; completionTokens: number }, error?: string) => ({
    id,
    object: 'response',
    created_at: createdAt,
    status,
    error: error ? { code: 'server_error', message: error } : null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model,
    output: status === 'completed' ? [item(text, 'completed')] : [],
    parallel_tool_calls: true,
    temperature: null,
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    usage: usage
      ? {
          input_tokens: usage.promptTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: usage.completionTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: usage.promptTokens + usage.completionTokens,
        }
      : null,
  });

  if (!body.stream) {
    try {
      const result = await opts.embodiments.converse(loaded, converse);
      return reply.send({ ...response('completed', result.text, result.usage), output_text: result.text });
    } catch (error) {
      const failure = modelFailure(error);
      if (hangUp.signal.aborted) return reply;
      if (!failure) throw error;
      request.log.warn({ err: error, agent_id: loaded.agent.id }, 'response: the model failed');
      return sendOpenAiError(reply, failure.status, failure.message, { code: 'model_error' });
    } finally {
      hangUp.done();
    }
  }

  const stream = startStream(reply);
  let sequence = 0;
  const event = (type: string, data: Record<string, unknown>) => stream.send({ type, ...data, sequence_number: sequence++ }, type);
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  event('response.created', { response: response('in_progress', '') });
  event('response.in_progress', { response: response('in_progress', '') });
  event('response.output_item.added', { output_index: 0, item: item('', 'in_progress') });
  event('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [] } });
  try {
    const result = await opts.embodiments.converse(loaded, converse, { text: (delta) => event('response.output_text.delta', { ...at, delta, logprobs: [] }) });
    event('response.output_text.done', { ...at, text: result.text, logprobs: [] });
    event('response.content_part.done', { ...at, part: { type: 'output_text', text: result.text, annotations: [] } });
    event('response.output_item.done', { output_index: 0, item: item(result.text, 'completed') });
    event('response.completed', { response: response('completed', result.text, result.usage) });
  } catch (error) {
    const failure = modelFailure(error);
    if (!hangUp.signal.aborted) request.log.warn({ err: error, agent_id: loaded.agent.id }, 'streamed response failed');
    const message = failure?.message ?? 'The answer failed; the server log has the details.';
    event('response.failed', { response: response('failed', '', undefined, message) });
  } finally {
    hangUp.done();
    stream.end();
  }
  return reply;
}
