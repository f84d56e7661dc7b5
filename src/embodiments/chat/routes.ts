/**
 * The agent's chat (issue 12 item 6; research/smythos.md §7 "Chatbot widget", "Chat stream wire format"):
 * a streaming conversation for the chat page (`/agents/<agentId>/chat`, a page of the web UI) and the
 * embeddable widget. The stream is Server-Sent Events — not the original's concatenated JSON objects
 * with `}{` rewritten — and stateless: the page sends the whole history, so any instance answers.
 *
 * The events and the body: ./stream.ts. The agent is the path's; `X-AGENT-VERSION` names a deployed
 * version (else the draft). Refusals are `{error}` JSON before any event: 401 without an acceptable
 * credential, 404 for an agent that does not exist for the caller (another user's too) or whose chat
 * is switched off. CORS is the agent's allowed origins for `chat`, on refusals too, so the widget can
 * show why; never with credentials.
 *
 * | method | path | who |
 * |---|---|---|
 * | POST | /agents/:agentId/chat/stream | the agent's skill access (a session with its CSRF token) |
 * | GET | /agents/:agentId/chat/config | the agent's skill access (a session needs no CSRF token to read) |
 * | GET | /agents/:agentId/chat/widget.js | anyone, for an agent whose chat is on: the script; what it may call is the stream's CORS |
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SkillCaller } from '../../agents/runner.ts';
import type { LoadedAgent } from '../../agents/service.ts';
import { LlmError } from '../../llm/types.ts';
import { UnknownModelError } from '../../llm/models.ts';
import { AGENT_ID, agentRefOf, applyCors, authTokenOf, callerOf, originOf, type EmbodimentRoutesOptions } from '../http.ts';
import { chatBodyProblem, startSse } from './stream.ts';
import { widgetScript } from './widget.ts';

/** A read-only caller: a person's session counts without its CSRF token (cf. src/embodiments/openapi/routes.ts). */
function readerOf(request: FastifyRequest, opts: EmbodimentRoutesOptions): SkillCaller {
  const principal = request.principal && ['session', 'access_token', 'jwt'].includes(request.principal.via) ? request.principal : null;
  return principal ? { userId: principal.user.userId, admin: principal.user.isAdmin } : callerOf(request, opts);
}

/** Registers the routes at the root. */
export async function chatRoutes(app: FastifyInstance, opts: EmbodimentRoutesOptions): Promise<void> {
  const config = { auth: 'public' as const };
  const hide = { hide: true };
  const notFound = (agentId: string) => `Agent ${agentId} not found, or its chat is switched off`;

  /** The agent when `caller` may chat with it; else the refusal is sent and undefined returned. */
  async function open(request: FastifyRequest, reply: FastifyReply, caller: SkillCaller): Promise<LoadedAgent | undefined> {
    const { agentId } = request.params as { agentId: string };
    const ref = agentRefOf(request, opts, agentId);
    if (!ref) return void reply.code(404).send({ error: `Agent ${agentId} not found` });
    // Before the verdict: an allowed page may read a refusal too (the widget shows why it cannot chat).
    // An unknown agent or a switched-off chat allows no origin, so nothing leaks to other pages.
    await applyCors(request, reply, opts.embodiments, ref.agentId, 'chat');
    const opened = await opts.embodiments.open(ref, caller, 'chat');
    if (!('refused' in opened)) return opened;
    switch (opened.refused) {
      case 'unauthorized':
        return void reply.code(401).send({ error: opened.message });
      case 'broken':
        return void reply.code(503).send({ error: opened.message });
      case 'no_version':
        return void reply.code(404).send({ error: opened.message });
      default:
        // Another user's agent (403) and a switched-off chat look like no agent at all.
        return void reply.code(404).send({ error: notFound(agentId) });
    }
  }

  app.post('/agents/:agentId/chat/stream', { config, schema: hide }, async (request, reply) => {
    const caller = callerOf(request, opts);
    const loaded = await open(request, reply, caller);
    if (!loaded) return reply;
    const body = chatBodyProblem(request.body);
    if ('problem' in body) return reply.code(400).send({ error: body.problem });

    // A client hanging up (the page's Stop, a closed tab) stops the model and the skills it runs.
    const abort = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort(new Error('the client closed the connection'));
    });
    // Hijacked: Fastify sends nothing more, so CORS and the other headers set so far go on the raw reply.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value as string | number | string[]);
    reply.hijack();
    const sse = startSse(reply.raw);
    try {
      const result = await opts.embodiments.converse(
        loaded,
        { messages: body.request.messages, caller, correlationId: request.id, authToken: authTokenOf(request), signal: abort.signal },
        {
          text: (delta) => sse.send('text', { delta }),
          toolCall: (call) => sse.send('tool_call', { id: call.id, name: call.name, arguments: call.arguments }),
          toolResult: (call) => sse.send('tool_result', { id: call.id, name: call.name, text: call.text, isError: call.isError }),
        },
      );
      sse.send('done', { text: result.text, model: result.model, usage: { prompt_tokens: result.usage.promptTokens, completion_tokens: result.usage.completionTokens } });
    } catch (error) {
      if (!abort.signal.aborted) {
        request.log.warn({ err: error, agent_id: loaded.agent.id }, 'chat stream failed');
        // A model's failure is the owner's to fix and safe to name; anything else stays in the log.
        const known = error instanceof LlmError || error instanceof UnknownModelError;
        sse.send('error', { message: known ? `The agent's model failed: ${(error as Error).message}` : 'The answer failed; the server log has the details.' });
      }
    } finally {
      sse.end();
    }
    return reply;
  });

  app.get('/agents/:agentId/chat/config', { config, schema: hide }, async (request, reply) => {
    const loaded = await open(request, reply, readerOf(request, opts));
    if (!loaded) return reply;
    const intro = loaded.definition.introMessage;
    return reply.header('cache-control', 'no-store').send({
      agent_id: loaded.agent.id,
      name: loaded.agent.name,
      intro: typeof intro === 'string' && intro.trim() ? intro : null,
      model: opts.embodiments.chatModelOf(loaded),
      tools: opts.embodiments.tools(loaded).map((t) => ({ name: t.name, description: t.description })),
    });
  });

  app.get('/agents/:agentId/chat/widget.js', { config, schema: hide }, async (request, reply) => {
    const { agentId } = request.params as { agentId: string };
    if (!AGENT_ID.test(agentId)) return reply.code(404).send({ error: `Agent ${agentId} not found` });
    // No bubble for an agent that is gone or whose chat is off: a site would offer a chat that cannot
    // answer. Who may chat is not asked: the script is the same for everyone and holds nothing of the
    // agent (its name comes from …/chat/config, under the agent's access).
    const found = await opts.embodiments.openAsOwner({ agentId }, 'chat');
    if ('refused' in found && found.refused !== 'broken') return reply.code(404).send({ error: notFound(agentId) });
    return reply
      .header('cache-control', 'public, max-age=300')
      .header('cross-origin-resource-policy', 'cross-origin')
      .type('application/javascript; charset=utf-8')
      .send(widgetScript(originOf(request, opts), agentId));
  });
}
