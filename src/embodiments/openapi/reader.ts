/**
 * Who reads an agent's documents, and which agent (issue 12 item 4): the agent from the path
 * (`/agents/:agentId/…`), else `X-AGENT-ID`, else the host (`agentRefOf`); a version from `?version=`,
 * else `X-AGENT-VERSION`. The reader must be allowed to call the agent's skills (its skill access), since
 * the documents reveal them.
 *
 * These are read-only GETs, so a web session counts without its CSRF token, unlike for a skill call
 * (`callerOf`): a link in the UI must open Swagger and download Postman, and a foreign page still cannot
 * read the answer (CORS, no credentials).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SkillCaller } from '../../agents/runner.ts';
import type { LoadedAgent } from '../../agents/service.ts';
import { agentRefOf, applyCors, originOf, type EmbodimentRoutesOptions } from '../http.ts';

/** An agent opened for its documents, with what they need to say. */
export interface DocumentTarget {
  loaded: LoadedAgent;
  /** The server's origin as callers reach it (`BASE_URL`, else the request's scheme and host). */
  origin: string;
  /** The agent came from the path: documents live under `/agents/<id>/`. */
  viaPath: boolean;
  /** The skills need a credential (skill access not `public`). */
  secured: boolean;
  /** Where the skills answer: the origin, or `<origin>/agents/<id>` for a path-named agent (§11.8). */
  serverUrl: string;
  /** A deployed version asked for by number: the documents' paths are `/v<version>/api/…`. */
  pathVersion: string | undefined;
}

/** The reader of a document: a person (web session without CSRF token, access token, API JWT), else a bearer key. */
export function readerOf(request: FastifyRequest): SkillCaller {
  const principal = request.principal && ['session', 'access_token', 'jwt'].includes(request.principal.via) ? request.principal : null;
  if (principal) return { userId: principal.user.userId, admin: principal.user.isAdmin };
  const authorization = request.headers.authorization;
  // A credential the platform resolved to something else (a runtime token, a bot) is not a key.
  const bearer = !request.principal && authorization?.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : undefined;
  return { bearer: bearer || undefined };
}

/**
 * The agent `request` names, when its reader may read its documents, with CORS applied; else the
 * refusal is sent (`{error}`: 400 a bad `?version`, 401 no acceptable credential, 404 no such agent or
 * version — also another user's agent and a switched-off `openapi` embodiment —, 503 a broken agent)
 * and undefined is returned.
 */
export async function openForDocuments(request: FastifyRequest, reply: FastifyReply, opts: EmbodimentRoutesOptions): Promise<DocumentTarget | undefined> {
  const { agentId } = (request.params ?? {}) as { agentId?: string };
  const ref = agentRefOf(request, opts, agentId);
  if (!ref) {
    reply.code(404).send({ error: agentId === undefined ? 'No agent: use /agents/<agentId>/…, or name it with X-AGENT-ID' : `Agent ${agentId} not found` });
    return undefined;
  }
  const queried = (request.query as { version?: unknown } | undefined)?.version;
  if (queried !== undefined) {
    if (typeof queried !== 'string' || !/^(latest|\d{1,9}\.\d{1,9})$/.test(queried)) {
      reply.code(400).send({ error: 'version must be a deployed version like 1.2, or latest' });
      return undefined;
    }
    ref.version = queried;
  }
  const opened = await opts.embodiments.open(ref, readerOf(request), 'openapi');
  if ('refused' in opened) {
    if (opened.refused === 'unauthorized') reply.code(401).header('www-authenticate', 'Bearer').send({ error: opened.message });
    else if (opened.refused === 'broken') reply.code(503).send({ error: opened.message });
    else if (opened.refused === 'no_version') reply.code(404).send({ error: opened.message });
    // One answer for "no such agent", "not yours" and "switched off": none tells the others apart.
    else reply.code(404).send({ error: `Agent ${ref.agentId} not found, or its documents are switched off` });
    return undefined;
  }
  await applyCors(request, reply, opts.embodiments, opened.agent.id, 'openapi');
  const origin = originOf(request, opts);
  const viaPath = agentId !== undefined;
  return {
    loaded: opened,
    origin,
    viaPath,
    secured: opened.agent.skillAccess !== 'public',
    serverUrl: viaPath ? `${origin}/agents/${opened.agent.id}` : origin,
    pathVersion: ref.version && ref.version !== 'latest' ? (opened.version ?? undefined) : undefined,
  };
}
