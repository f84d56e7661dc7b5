/**
 * The OpenAI-compatible API (issue 12 item 2; research/smythos.md §7): every agent is a model named
 * `agentId[@version]`, reached with any OpenAI client at base URL `<origin>/v1`. The original's paths
 * `/_openai/v1/…` and `/emb/openai/v1/…` answer the same. Errors are OpenAI's `{error: {message, type,
 * param, code}}` (`config.surface: 'openai'` makes the server's own errors — a body that is not JSON,
 * one too large — take that shape too).
 *
 * | method | path (under /v1, /_openai/v1, /emb/openai/v1) | who |
 * |---|---|---|
 * | POST | /chat/completions | the agent's skill access (docs/embodiments.md) |
 * | POST | /responses | the agent's skill access |
 * | GET | /models | a user: the agents they may use; a key: the agent named by `X-AGENT-ID`/host |
 * | GET | /models/:model | the agent's skill access |
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AgentMeta } from '../../agents/types.ts';
import { agentRefOf, applyCors, type EmbodimentRoutesOptions } from '../http.ts';
import { agentForModel, sendUnauthorized } from './access.ts';
import { chatCompletion } from './chat-completions.ts';
import { createResponse } from './responses.ts';

/** The prefixes the API answers under: the modern one and the original's two. */
export const OPENAI_PREFIXES = ['/v1', '/_openai/v1', '/emb/openai/v1'] as const;

/** OpenAI's model object for an agent (`created` in seconds). */
function modelJson(agent: Pick<AgentMeta, 'id' | 'name' | 'createdAt'>, id = agent.id) {
  return { id, object: 'model', created: Math.floor(agent.createdAt / 1000), owned_by: 'orrery', name: agent.name };
}

/** Registers the routes under every prefix. */
export async function openaiRoutes(app: FastifyInstance, opts: EmbodimentRoutesOptions): Promise<void> {
  const config = { auth: 'public' as const, surface: 'openai' as const };
  const hide = { hide: true };

  async function listModels(request: FastifyRequest, reply: FastifyReply) {
    // A list changes nothing and a foreign page cannot read it (CORS): a web session counts without
    // its CSRF token here, so the UI can show it.
    const person = request.principal && ['session', 'access_token', 'jwt'].includes(request.principal.via) ? request.principal.user : undefined;
    if (person) {
      const agents = await opts.embodiments.agentsOf({ userId: person.userId, admin: person.isAdmin });
      return reply.send({ object: 'list', data: agents.map((a) => modelJson(a)) });
    }
    // A key opens one agent only: the one the request names by header or host.
    const ref = agentRefOf(request, opts);
    if (!ref) return sendUnauthorized(request, reply);
    const found = await agentForModel(request, reply, opts, ref.agentId);
    if (!found) return reply;
    await applyCors(request, reply, opts.embodiments, found.loaded.agent.id, 'openai');
    return reply.send({ object: 'list', data: [modelJson(found.loaded.agent)] });
  }

  async function oneModel(request: FastifyRequest, reply: FastifyReply) {
    const { model } = request.params as { model: string };
    const found = await agentForModel(request, reply, opts, model);
    if (!found) return reply;
    await applyCors(request, reply, opts.embodiments, found.loaded.agent.id, 'openai');
    return reply.send(modelJson(found.loaded.agent, model));
  }

  for (const prefix of OPENAI_PREFIXES) {
    app.post(`${prefix}/chat/completions`, { config, schema: hide }, (request, reply) => chatCompletion(request, reply, opts));
    app.post(`${prefix}/responses`, { config, schema: hide }, (request, reply) => createResponse(request, reply, opts));
    app.get(`${prefix}/models`, { config, schema: hide }, listModels);
    app.get(`${prefix}/models/:model`, { config, schema: hide }, oneModel);
  }
}
