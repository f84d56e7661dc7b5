/**
 * Skill calls over HTTP (issue 10 §4; research/smythos.md §4-5): `GET|POST /api/<endpoint>`,
 * `/v<version>/api/<endpoint>` and the explicit `/agents/<agentId>/api/<endpoint>`, the agent taken
 * from `X-AGENT-ID` or the host `<agentId>.<DEFAULT_AGENT_DOMAIN|PROD_AGENT_DOMAIN>`, the version from
 * the path prefix or `X-AGENT-VERSION` (a production host without one runs the newest deployment, any
 * other host the draft). Routing follows the smart router's priority (§4): `X-FORCE-AGENT-RUNNER`,
 * then any `X-DEBUG-*`/`X-MONITOR-ID`, then `X-FORCE-DEBUGGER`, then `X-ROUTING-MODE`; the decision
 * and its reason go into the request's log line. Debugger-bound calls go to the debugger
 * (src/debugger/service.ts), or answer 501 where SERVER_MODE does not run it. Platform paths (`/api/agents/*`, `/api/runtime/*`, `/api/auth/*`, …) are matched by their own
 * routes first and never reach an agent; an unknown one is the server's 404.
 *
 * | method | path | who |
 * |---|---|---|
 * | GET, POST | /api/* , /v:version/api/* , /agents/:agentId/api/* , /agents/:agentId/v:version/api/* | per the agent's skill access: owner (default), vault key, or public |
 */
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RunRequest, UploadedFile } from './engine/types.ts';
import type { AgentRunner, SkillAnswer, SkillCall, SkillCaller } from './runner.ts';

/** The debug headers of a skill call, as sent (absent: undefined; present and empty: ''). */
export interface DebugHeaders {
  run?: string | undefined;
  read?: string | undefined;
  inject?: string | undefined;
  stop?: string | undefined;
  skip?: string | undefined;
  /** `X-MONITOR-ID`, split on commas, trimmed, empty ids dropped. */
  monitorIds: string[];
}

/** A skill call the smart router sent to the debugger (research/smythos.md §4, §6). */
export interface DebugCall extends SkillCall {
  debug: DebugHeaders;
  /** `?includeNewState=true`: a step's answer carries the read that follows it. */
  includeNewState: boolean;
  /** The request body as parsed, whatever its shape (an injection is a JSON array). */
  rawBody: unknown;
}

/** The debugger as the skill routes see it (src/debugger/service.ts implements it). */
export interface DebuggerPort {
  /** Answer a debugger-bound call; never throws for what a caller or an agent can cause. */
  handle(call: DebugCall): Promise<SkillAnswer>;
}

/** Options of {@link agentRunnerRoutes}. */
export interface AgentRunnerRoutesOptions {
  runner: AgentRunner;
  /** Development agents' domain: `<agentId>.<domain>` runs the draft. */
  defaultAgentDomain: string;
  /** Production agents' domain (empty: none): `<agentId>.<domain>` runs the newest deployment. */
  prodAgentDomain: string;
  /** Whether `token` is the CSRF token of the web session stored as `sessionHash` (accounts). */
  checkCsrf(sessionHash: string, token: string | undefined): boolean;
  /** Serves debugger-bound calls; absent (SERVER_MODE without `debugger`): they answer 501. */
  debugger?: DebuggerPort;
}

/** Multipart limits (SmythOS: 5 files of at most 5 MB, held in memory). */
export const UPLOAD_MAX_FILES = 5;
export const UPLOAD_MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Multipart text fields: how many, and bytes each. */
export const UPLOAD_MAX_FIELDS = 100;
export const UPLOAD_MAX_FIELD_BYTES = 64 * 1024;

/** Path prefixes that belong to the platform: an agent's skill can never shadow them. */
export const RESERVED_API_PREFIXES = ['/api/agents', '/api/runtime', '/api/auth', '/api/admin', '/api/bots', '/api/me', '/api/docs'];

const DEBUG_HEADERS = ['x-debug-run', 'x-debug-read', 'x-debug-inj', 'x-debug-stop', 'x-debug-skip', 'x-monitor-id'];
const VERSION_SEGMENT = /^v(\d+(?:\.\d+)?)$/;
const AGENT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/i;
/** Request headers a component never sees (credentials). */
const HIDDEN_HEADERS = new Set(['authorization', 'cookie', 'x-csrf-token', 'proxy-authorization']);

/** Where the smart router sends a call, and why (research §4). */
export interface RoutingDecision {
  target: 'agent-runner' | 'debugger';
  reason: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The smart router's decision, logged with the request. */
    routing?: RoutingDecision;
  }
}

/** The smart router's decision from headers alone, in SmythOS's priority order. */
export function routeByHeaders(headers: Record<string, string | string[] | undefined>): RoutingDecision {
  if (headers['x-force-agent-runner'] !== undefined) return { target: 'agent-runner', reason: 'X-FORCE-AGENT-RUNNER present' };
  const debug = DEBUG_HEADERS.find((h) => headers[h] !== undefined);
  if (debug) return { target: 'debugger', reason: `${debug.toUpperCase()} present` };
  if (headers['x-force-debugger'] !== undefined) return { target: 'debugger', reason: 'X-FORCE-DEBUGGER present' };
  const mode = String(headers['x-routing-mode'] ?? '').toLowerCase();
  if (mode === 'debugger') return { target: 'debugger', reason: 'X-ROUTING-MODE: debugger' };
  if (mode === 'agent-runner') return { target: 'agent-runner', reason: 'X-ROUTING-MODE: agent-runner' };
  return { target: 'agent-runner', reason: 'default (no routing header)' };
}

/** `headers` without the debug headers (a nested call's). */
function withoutDebugHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  const out = { ...headers };
  for (const name of DEBUG_HEADERS) delete out[name];
  return out;
}

/** The debug headers of a request (research §6.2). */
export function debugHeadersOf(headers: Record<string, string | string[] | undefined>): DebugHeaders {
  const text = (name: string) => headerText(headers[name])?.trim();
  const monitors = text('x-monitor-id');
  return {
    run: text('x-debug-run'),
    read: text('x-debug-read'),
    inject: text('x-debug-inj'),
    stop: text('x-debug-stop'),
    skip: text('x-debug-skip'),
    monitorIds: monitors ? monitors.split(',').map((id) => id.trim()).filter(Boolean) : [],
  };
}

/** The agent id a host names, and whether it is the production domain. */
export function agentFromHost(host: string, defaultDomain: string, prodDomain: string): { agentId?: string; production: boolean } {
  const name = host.replace(/:\d+$/, '').toLowerCase();
  for (const [domain, production] of [
    [prodDomain, true],
    [defaultDomain, false],
  ] as const) {
    if (!domain) continue;
    const suffix = `.${domain.toLowerCase()}`;
    if (name.endsWith(suffix)) {
      const label = name.slice(0, -suffix.length);
      if (AGENT_ID.test(label)) return { agentId: label, production };
    }
  }
  return { production: false };
}

/**
 * Who is calling a skill (or an embodiment of its agent): a person's credential — a web session with
 * its CSRF token, an `orr_` access token or an API JWT — or else a bearer to compare with the agent's
 * vault key. Runtime tokens and bot JWTs are for their own surfaces and count as no one.
 */
export function skillCallerOf(request: FastifyRequest, checkCsrf: (sessionHash: string, token: string | undefined) => boolean): SkillCaller {
  let principal = request.principal && ['session', 'access_token', 'jwt'].includes(request.principal.via) ? request.principal : null;
  // A skill may act on GET too, and a cross-site page can make a browser send the session cookie
  // with a GET: a cookie counts only with the session's CSRF token, whatever the method.
  if (principal?.sessionHash) {
    const token = request.headers['x-csrf-token'];
    if (!checkCsrf(principal.sessionHash, typeof token === 'string' ? token : undefined)) principal = null;
  }
  const authorization = request.headers.authorization;
  const bearer = !request.principal && authorization?.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : undefined;
  return { userId: principal?.user.userId, admin: principal?.user.isAdmin, bearer };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Registers the skill routes at the root. */
export async function agentRunnerRoutes(app: FastifyInstance, opts: AgentRunnerRoutesOptions): Promise<void> {
  await app.register(formbody, { bodyLimit: 100 * 1024 });
  // Fields are small (5 files carry the bulk): 100 fields of at most 64 KiB.
  await app.register(multipart, {
    limits: { files: UPLOAD_MAX_FILES, fileSize: UPLOAD_MAX_FILE_BYTES, fields: UPLOAD_MAX_FIELDS, fieldSize: UPLOAD_MAX_FIELD_BYTES, parts: UPLOAD_MAX_FILES + UPLOAD_MAX_FIELDS },
    throwFileSizeLimit: true,
  });

  /** Fields and files of a multipart body; 400 `Too many files` / `File too large`. */
  async function readMultipart(request: FastifyRequest, reply: FastifyReply): Promise<{ body: Record<string, unknown>; files: UploadedFile[] } | undefined> {
    const body: Record<string, unknown> = {};
    const files: UploadedFile[] = [];
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          files.push({ fieldname: part.fieldname, filename: part.filename, mimetype: part.mimetype, data: await part.toBuffer() });
        } else {
          if (part.valueTruncated) {
            await reply.status(400).send({ error: `Field too large: ${part.fieldname} (at most ${UPLOAD_MAX_FIELD_BYTES} bytes)` });
            return undefined;
          }
          body[part.fieldname] = part.value;
        }
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      const message =
        code === 'FST_FILES_LIMIT' ? 'Too many files' : code === 'FST_REQ_FILE_TOO_LARGE' ? `File too large: at most ${UPLOAD_MAX_FILE_BYTES} bytes` : 'Invalid multipart body';
      await reply.status(400).send({ error: message });
      return undefined;
    }
    return { body, files };
  }

  async function serve(request: FastifyRequest, reply: FastifyReply, parts: { agentId?: string; version?: string; endpoint: string }) {
    // A nested call (another agent's AgentPlugin, research §6.2 `X-REQUEST-TAG`) ignores every debug header.
    const nested = request.headers['x-request-tag'] !== undefined;
    const decision = routeByHeaders(nested ? withoutDebugHeaders(request.headers) : request.headers);
    request.routing = decision;
    const debuggerPort = opts.debugger;
    if (decision.target === 'debugger' && !debuggerPort) {
      return reply.status(501).send({ error: `Not Implemented: this call is routed to the debugger (${decision.reason}), which this server does not run (SERVER_MODE)` });
    }
    const host = agentFromHost(request.headers.host ?? '', opts.defaultAgentDomain, opts.prodAgentDomain);
    const agentId = parts.agentId ?? headerText(request.headers['x-agent-id']) ?? host.agentId;
    const path = `/api/${parts.endpoint}`;
    if (!agentId) return reply.status(404).send({ error: `${path} Not Found` });
    const version = parts.version ?? headerText(request.headers['x-agent-version']) ?? (host.production ? 'latest' : undefined);
    let body: Record<string, unknown> = {};
    let files: UploadedFile[] | undefined;
    const caller = skillCallerOf(request, opts.checkCsrf);
    if (request.isMultipart()) {
      // Up to 25 MB of uploads are read only for a caller the agent will take.
      const refused = await opts.runner.refusal({ agentId, version, caller, request: { method: request.method, path, body: {}, query: {}, headers: {} } });
      if (refused) return reply.status(refused.status).send(refused.body);
      const read = await readMultipart(request, reply);
      if (!read) return reply;
      ({ body, files } = read);
    } else if (request.body && typeof request.body === 'object' && !Array.isArray(request.body)) body = request.body as Record<string, unknown>;
    else if (decision.target === 'debugger' && Array.isArray(request.body)) body = {};
    else if (request.body !== undefined && request.body !== null && request.method === 'POST') {
      return reply.status(400).send({ error: 'The request body must be a JSON object, a form or multipart' });
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (!HIDDEN_HEADERS.has(name) && typeof value === 'string') headers[name] = value;
    const query = { ...(request.query as Record<string, unknown>) };
    const includeNewState = decision.target === 'debugger' && String(query.includeNewState) === 'true';
    if (decision.target === 'debugger') delete query.includeNewState;
    const runRequest: RunRequest = {
      method: request.method,
      path,
      body: request.method === 'GET' ? {} : body,
      query,
      headers,
      ...(files ? { files } : {}),
    };
    const abort = new AbortController();
    // The response's socket closing before the answer is sent means the caller went away (the
    // request stream's own 'close' fires once a POST body has been read, so it cannot tell).
    const onClose = () => {
      if (!reply.raw.writableFinished) abort.abort(new Error('client closed the connection'));
    };
    reply.raw.once('close', onClose);
    try {
      const call = { agentId, version, request: runRequest, caller, correlationId: request.id, signal: abort.signal };
      const answer =
        decision.target === 'debugger' && debuggerPort
          ? await debuggerPort.handle({ ...call, debug: debugHeadersOf(request.headers), includeNewState, rawBody: request.body })
          : await opts.runner.runSkill(call);
      if (answer.runId) reply.header('x-run-id', answer.runId);
      reply.status(answer.status);
      if (typeof answer.body === 'string') return reply.type('text/plain; charset=utf-8').send(answer.body);
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer.body ?? null));
    } finally {
      reply.raw.off('close', onClose);
    }
  }

  const handler = (pick: (request: FastifyRequest) => { agentId?: string; version?: string; endpoint: string } | undefined) =>
    async function skill(request: FastifyRequest, reply: FastifyReply) {
      const parts = pick(request);
      if (!parts) return reply.callNotFound();
      return serve(request, reply, parts);
    };
  const config = { auth: 'public' as const };
  const methods = ['GET', 'POST'] as ('GET' | 'POST')[];
  const endpointOf = (rest: string | undefined) => (rest && !rest.includes('/') ? rest : undefined);

  app.route({
    method: methods,
    url: '/api/*',
    config,
    schema: { hide: true },
    handler: handler((request) => {
      const path = request.url.split('?')[0]!;
      if (RESERVED_API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return undefined;
      const endpoint = endpointOf((request.params as { '*': string })['*']);
      return endpoint ? { endpoint } : undefined;
    }),
  });
  app.route({
    method: methods,
    url: '/:version/api/*',
    config,
    schema: { hide: true },
    handler: handler((request) => {
      const { version, '*': rest } = request.params as { version: string; '*': string };
      const match = VERSION_SEGMENT.exec(version);
      const endpoint = endpointOf(rest);
      return match && endpoint ? { version: match[1]!, endpoint } : undefined;
    }),
  });
  // A deployed version by path under the agent's own prefix (what an agent's versioned OpenAPI document,
  // src/embodiments/openapi, points its clients at).
  app.route({
    method: methods,
    url: '/agents/:agentId/:version/api/*',
    config,
    schema: { hide: true },
    handler: handler((request) => {
      const { agentId, version, '*': rest } = request.params as { agentId: string; version: string; '*': string };
      const match = VERSION_SEGMENT.exec(version);
      const endpoint = endpointOf(rest);
      return match && endpoint && AGENT_ID.test(agentId) ? { agentId, version: match[1]!, endpoint } : undefined;
    }),
  });
  app.route({
    method: methods,
    url: '/agents/:agentId/api/*',
    config,
    schema: { hide: true },
    handler: handler((request) => {
      const { agentId, '*': rest } = request.params as { agentId: string; '*': string };
      const endpoint = endpointOf(rest);
      return endpoint && AGENT_ID.test(agentId) ? { agentId, endpoint } : undefined;
    }),
  });
}
