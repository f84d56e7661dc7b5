/**
 * What every embodiment's routes share over HTTP: which agent a request means, who is calling, the
 * `X-AUTH-TOKEN` to forward, and CORS from the agent's allowed origins. The platform's CORS plugin
 * leaves these paths to us ({@link isEmbodimentPath}; src/server/security.ts `ownCorsPath`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmbodimentName } from '../agents/embodiment-settings.ts';
import { agentFromHost, skillCallerOf } from '../agents/runner-routes.ts';
import type { SkillCaller } from '../agents/runner.ts';
import type { AgentRef, EmbodimentsService } from './service.ts';

/** Options every embodiment's routes get (src/embodiments/routes.ts). */
export interface EmbodimentRoutesOptions {
  embodiments: EmbodimentsService;
  /** Development agents' domain: `<agentId>.<domain>` means the draft. */
  defaultAgentDomain: string;
  /** Production agents' domain (empty: none): `<agentId>.<domain>` means the newest deployment. */
  prodAgentDomain: string;
  /** Whether `token` is the CSRF token of the web session stored as `sessionHash` (accounts). */
  checkCsrf(sessionHash: string, token: string | undefined): boolean;
  /** `BASE_URL` when configured: absolute URLs in documents; else they are built from the request. */
  publicOrigin?: string | undefined;
  /** ALEXA_VERIFY_SIGNATURE (resolved). */
  alexaVerifySignature: boolean;
  /** ms since epoch (the injectable clock): Alexa's timestamp check, `created` of OpenAI objects. */
  now(): number;
}

/** Agent ids: a DNS label (src/agents/service.ts `newAgentId`; imported ids may be longer). */
export const AGENT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/i;

/**
 * Paths whose CORS the embodiments decide: the OpenAI-compatible API (`/v1/…`, `/_openai/v1/…`),
 * everything under `/emb/`, MCP (`/mcp…`, `/agents/<id>/mcp…`), the documents (`/api-docs/…`,
 * `/swagger`, `/postman`, `/.well-known/ai-plugin.json`, `/.well-known/openapi.json`), Alexa and the
 * chat stream (`/agents/<id>/chat/…`). Not `/agents/<id>/api/…` (skills keep the platform policy).
 */
export function isEmbodimentPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  // `/v1/api/<endpoint>` is a skill of deployment 1 (src/agents/runner-routes.ts), not the OpenAI API.
  if (/^\/v\d+(\.\d+)?\/api\//.test(path)) return false;
  return /^\/(v1|_openai\/v1|emb|mcp|api-docs|swagger|postman|alexa)(\/|$)/.test(path) || /^\/\.well-known\/(ai-plugin|openapi)\.json$/.test(path) || /^\/agents\/[^/]+\/(mcp|chat|api-docs|swagger|postman|alexa)(\/|$)/.test(path);
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The agent a request means, or undefined: `agentId` from the path when the route has one, else
 * `X-AGENT-ID`, else the host `<agentId>.<DEFAULT_AGENT_DOMAIN|PROD_AGENT_DOMAIN>`. The version is
 * `X-AGENT-VERSION`, else `latest` on a production host, else the draft (research/smythos.md §5.1).
 */
export function agentRefOf(request: FastifyRequest, opts: Pick<EmbodimentRoutesOptions, 'defaultAgentDomain' | 'prodAgentDomain'>, fromPath?: string): AgentRef | undefined {
  const host = agentFromHost(request.headers.host ?? '', opts.defaultAgentDomain, opts.prodAgentDomain);
  const agentId = fromPath ?? headerText(request.headers['x-agent-id'])?.trim() ?? host.agentId;
  if (!agentId || !AGENT_ID.test(agentId)) return undefined;
  const version = headerText(request.headers['x-agent-version'])?.trim() || (host.production ? 'latest' : undefined);
  return { agentId, version };
}

/** Who is calling (see src/agents/runner-routes.ts `skillCallerOf`). */
export function callerOf(request: FastifyRequest, opts: Pick<EmbodimentRoutesOptions, 'checkCsrf'>): SkillCaller {
  return skillCallerOf(request, opts.checkCsrf);
}

/** `X-AUTH-TOKEN`, forwarded to the skill calls a request causes (research §7). */
export function authTokenOf(request: FastifyRequest): string | undefined {
  const value = headerText(request.headers['x-auth-token'])?.trim();
  return value || undefined;
}

/** The server's own origin as callers reach it: `BASE_URL`, else the request's scheme and host. */
export function originOf(request: FastifyRequest, opts: Pick<EmbodimentRoutesOptions, 'publicOrigin'>): string {
  if (opts.publicOrigin) return opts.publicOrigin.replace(/\/+$/, '');
  return `${request.protocol}://${request.headers.host ?? request.hostname}`;
}

/** Response headers a browser may read from an embodiment. */
const EXPOSED = 'x-correlation-id, retry-after, x-run-id, mcp-session-id, mcp-protocol-version, content-disposition';

/**
 * CORS for one embodiment response: when the request comes from a browser page (`Origin`) that the
 * agent allows for `embodiment`, the response names that origin (never with credentials). Call it
 * before sending, once the agent is known; a request without `Origin` is left alone.
 */
export async function applyCors(request: FastifyRequest, reply: FastifyReply, embodiments: EmbodimentsService, agentId: string, embodiment: EmbodimentName): Promise<void> {
  const origin = headerText(request.headers.origin);
  reply.header('vary', 'Origin');
  if (!origin) return;
  if (await embodiments.originAllowed(agentId, embodiment, origin)) {
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-expose-headers', EXPOSED);
  }
}
