/**
 * `/api/agents` (docs/api.md "Agents"; issue 10 item 1): import, read, replace, configure, deploy,
 * export and delete `.smyth` agents, their vault keys and their run records — schemas and status codes
 * over src/agents/service.ts. Web session (+ CSRF on unsafe methods), `orr_` token or API JWT; every
 * route is the owner's (an admin's: any agent); another user's agent is a 404.
 *
 * | method | path | what |
 * |---|---|---|
 * | GET, POST | /api/agents | list; import (body: the `.smyth` JSON, `?name=`) → 201 |
 * | GET, PUT, PATCH, DELETE | /api/agents/:agentId | read; replace the draft; settings; delete → 204 |
 * | POST | /api/agents/:agentId/deploy | `{version?}` → 201 |
 * | GET | /api/agents/:agentId/versions | newest first |
 * | GET | /api/agents/:agentId/export?version= | the `.smyth` file (attachment) |
 * | GET | /api/agents/:agentId/keys | names and times, never values |
 * | PUT, DELETE | /api/agents/:agentId/keys/:name | `{value}` → 201 new / 200 replaced; → 204 |
 * | GET | /api/agents/:agentId/runs?limit=&before= | newest first |
 * | GET | /api/agents/:agentId/runs/:runId | the run and its calls in call order |
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseJsonOrEmpty } from '../server/input.ts';
import type { AgentsService, AgentView } from './service.ts';
import { AGENT_NAME_MAX_CHARS } from './service.ts';
import { KEY_NAME, KEY_VALUE_MAX_CHARS } from './vault.ts';
import { SKILL_ACCESS_MODES, type AgentKeyInfo, type AgentMeta, type AgentProblem, type AgentVersionInfo, type CallRecord, type RunRecord, type SkillAccess } from './types.ts';
import { ALLOWED_ORIGINS_MAX, EMBODIMENT_NAMES, normalizeOrigin, type EmbodimentName, type EmbodimentSetting, type EmbodimentSettings, type EmbodimentSettingsPatch } from './embodiment-settings.ts';

/** Options of {@link agentsRoutes}. */
export interface AgentsRoutesOptions {
  agents: AgentsService;
}

/** Largest `.smyth` document accepted on import and replace, bytes (exported agents run to a few MB). */
export const AGENT_DOCUMENT_MAX_BYTES = 8 * 1024 * 1024;
/** Largest mock data an agent may hold, bytes of JSON. */
export const MOCK_DATA_MAX_BYTES = 1024 * 1024;
/** Largest page of runs. */
export const RUNS_PAGE_MAX = 100;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const Iso = z.string().describe('ISO 8601');

const ProblemBody = z.object({
  severity: z.enum(['error', 'warning']),
  component_id: z.string().optional(),
  title: z.string().optional(),
  path: z.string().describe('where in the document, e.g. `components[2].data.endpoint`'),
  message: z.string(),
});
const VersionBody = z.object({ version: z.string(), created_at: Iso, created_by: z.string() });
const KeyBody = z.object({ name: z.string(), created_at: Iso, updated_at: Iso });
const EmbodimentBody = z.object({ enabled: z.boolean(), allowed_origins: z.array(z.string()).describe('browser origins that may call it (CORS); `*` any') });
const EmbodimentsBody = z.object({
  openai: EmbodimentBody.describe('OpenAI-compatible `/v1/chat/completions`, `/v1/responses`, `/v1/models`'),
  mcp: EmbodimentBody.describe('MCP server (Streamable HTTP and legacy SSE)'),
  openapi: EmbodimentBody.describe('OpenAPI documents, Swagger UI, Postman collection, ChatGPT actions'),
  chat: EmbodimentBody.describe('the chat page and the embeddable widget'),
  alexa: EmbodimentBody.describe('Alexa skill endpoint'),
  chat_model: z.string().nullable().describe("the model conversations use; null: the server's CHAT_DEFAULT_MODEL"),
});
const EmbodimentPatch = z.object({
  enabled: z.boolean().optional(),
  allowed_origins: z
    .array(z.string().max(300))
    .max(ALLOWED_ORIGINS_MAX)
    .optional()
    .superRefine((origins, ctx) => {
      for (const origin of origins ?? []) {
        try {
          normalizeOrigin(origin);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }
    }),
});
const embodimentsJson = (e: EmbodimentSettings): z.infer<typeof EmbodimentsBody> => {
  const one = (s: EmbodimentSetting) => ({ enabled: s.enabled, allowed_origins: s.allowedOrigins });
  return { openai: one(e.openai), mcp: one(e.mcp), openapi: one(e.openapi), chat: one(e.chat), alexa: one(e.alexa), chat_model: e.chatModel };
};
const MetaBody = z.object({
  id: z.string(),
  name: z.string(),
  owner_id: z.string(),
  skill_access: z.enum(SKILL_ACCESS_MODES as [SkillAccess, ...SkillAccess[]]),
  skill_key_name: z.string().nullable(),
  debug_enabled: z.boolean(),
  embodiments: EmbodimentsBody,
  created_at: Iso,
  updated_at: Iso,
});
const SkillBody = z.object({
  component_id: z.string(),
  endpoint: z.string(),
  method: z.enum(['GET', 'POST']),
  path: z.string(),
  description: z.string().optional(),
  summary: z.string().optional(),
  ai_exposed: z.boolean(),
  inputs: z.array(z.unknown()),
});
const AgentBody = MetaBody.extend({
  mock_data: z.record(z.string(), z.unknown()).nullable().describe('stubbed component outputs for the debugger: `{componentId: {data: {outputs}}}`'),
  skills: z.array(SkillBody), versions: z.array(VersionBody), problems: z.array(ProblemBody) });
const RunBody = z.object({
  id: z.string(),
  agent_id: z.string(),
  version: z.string().nullable().describe('null: the draft'),
  method: z.string(),
  skill: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'cancelled', 'timeout']),
  input: z.unknown(),
  result: z.unknown(),
  error: z.string().nullable(),
  http_status: z.number().int().nullable(),
  caller_id: z.string().nullable(),
  correlation_id: z.string(),
  parent_run_id: z.string().nullable(),
  debug_session_id: z.string().nullable(),
  steps: z.number().int(),
  started_at: Iso,
  ended_at: Iso.nullable(),
  duration_ms: z.number().int().nullable(),
});
const CallBody = z.object({
  seq: z.number().int(),
  component_id: z.string(),
  component_name: z.string(),
  title: z.string().nullable(),
  step: z.number().int(),
  source_id: z.string().nullable(),
  input: z.unknown(),
  output: z.unknown(),
  error: z.string().nullable(),
  started_at: Iso,
  ended_at: Iso.nullable(),
  duration_ms: z.number().int().nullable(),
  logs: z.array(z.object({ level: z.string(), message: z.string(), at: Iso })),
});

const problemJson = (p: AgentProblem): z.infer<typeof ProblemBody> => ({
  severity: p.severity,
  ...(p.componentId !== undefined ? { component_id: p.componentId } : {}),
  ...(p.title !== undefined ? { title: p.title } : {}),
  path: p.path,
  message: p.message,
});
const versionJson = (v: AgentVersionInfo) => ({ version: v.version, created_at: iso(v.createdAt)!, created_by: v.createdBy });
const keyJson = (k: AgentKeyInfo) => ({ name: k.name, created_at: iso(k.createdAt)!, updated_at: iso(k.updatedAt)! });
const metaJson = (a: AgentMeta): z.infer<typeof MetaBody> => ({
  id: a.id,
  name: a.name,
  owner_id: a.ownerId,
  skill_access: a.skillAccess,
  skill_key_name: a.skillKeyName,
  debug_enabled: a.debugEnabled,
  embodiments: embodimentsJson(a.embodiments),
  created_at: iso(a.createdAt)!,
  updated_at: iso(a.updatedAt)!,
});
/** An {@link AgentView} as JSON. */
export function agentJson(a: AgentView): z.infer<typeof AgentBody> {
  return {
    ...metaJson(a),
    mock_data: a.mockData,
    skills: a.skills.map(({ componentId, ...s }) => ({ component_id: componentId, ...s })),
    versions: a.versions.map(versionJson),
    problems: a.problems.map(problemJson),
  };
}
/** The PATCH body's `embodiments` as the service takes it. */
function embodimentsPatch(body: { chat_model?: string | null | undefined } & Partial<Record<EmbodimentName, { enabled?: boolean | undefined; allowed_origins?: string[] | undefined } | undefined>>): EmbodimentSettingsPatch {
  const patch: EmbodimentSettingsPatch = {};
  for (const name of EMBODIMENT_NAMES) {
    const one = body[name];
    if (!one) continue;
    patch[name] = { ...(one.enabled !== undefined ? { enabled: one.enabled } : {}), ...(one.allowed_origins !== undefined ? { allowedOrigins: one.allowed_origins } : {}) };
  }
  if (body.chat_model !== undefined) patch.chatModel = body.chat_model;
  return patch;
}
const duration = (from: number, to: number | null) => (to === null ? null : Math.max(0, to - from));
/** A {@link RunRecord} as JSON. */
export function runJson(r: RunRecord): z.infer<typeof RunBody> {
  return {
    id: r.id,
    agent_id: r.agentId,
    version: r.version,
    method: r.method,
    skill: r.skill,
    status: r.status,
    input: r.input,
    result: r.result,
    error: r.error,
    http_status: r.httpStatus,
    caller_id: r.callerId,
    correlation_id: r.correlationId,
    parent_run_id: r.parentRunId,
    debug_session_id: r.debugSessionId,
    steps: r.steps,
    started_at: iso(r.startedAt)!,
    ended_at: iso(r.endedAt),
    duration_ms: duration(r.startedAt, r.endedAt),
  };
}
/** A {@link CallRecord} as JSON. */
export function callJson(c: CallRecord): z.infer<typeof CallBody> {
  return {
    seq: c.seq,
    component_id: c.componentId,
    component_name: c.componentName,
    title: c.title,
    step: c.step,
    source_id: c.sourceId,
    input: c.input,
    output: c.output,
    error: c.error,
    started_at: iso(c.startedAt)!,
    ended_at: iso(c.endedAt),
    duration_ms: duration(c.startedAt, c.endedAt),
    logs: c.logs.map((l) => ({ level: l.level, message: l.message, at: iso(l.at)! })),
  };
}

/** `attachment; filename="<name>.smyth"` with the name made header-safe (and its UTF-8 spelling beside). */
export function attachmentHeader(name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9 ._()-]/g, '_').trim() || 'agent';
  return `attachment; filename="${ascii}.smyth"; filename*=UTF-8''${encodeURIComponent(`${name}.smyth`)}`;
}

const AgentParams = z.object({ agentId: z.string().min(1).max(64) });
/** The `.smyth` body: read as text and checked by import (every problem at once), not by this schema. */
const SmythBody = z.unknown().describe('the .smyth file: the agent object, or {"data": <agent>, "version": …}');

/** Registers the routes (expects prefix `/api/agents`). */
export async function agentsRoutes(app: FastifyInstance, opts: AgentsRoutesOptions): Promise<void> {
  const { agents } = opts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['agents'];
  const config = { auth: 'user' as const };

  // The `.smyth` text is stored exactly as sent, so JSON bodies are kept as text beside their parse.
  const rawBodies = new WeakMap<FastifyRequest, string>();
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, function agentJsonBody(request, body, done) {
    try {
      const parsed = parseJsonOrEmpty(String(body), 'invalid JSON body');
      if (parsed !== undefined) rawBodies.set(request, String(body));
      done(null, parsed);
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  const caller = (request: FastifyRequest) => request.principal!.user;
  const documentOf = (request: FastifyRequest) => rawBodies.get(request) ?? '';

  r.get('/', { config, schema: { tags, summary: 'Your agents (an admin: everyone’s), oldest first', response: { 200: z.object({ agents: z.array(MetaBody) }) } } }, async (request) => ({
    agents: (await agents.list(caller(request))).map(metaJson),
  }));

  const Imported = z.object({ agent: AgentBody, problems: z.array(ProblemBody).describe('warnings (errors refuse the import with a 400)') });
  r.post(
    '/',
    {
      config,
      bodyLimit: AGENT_DOCUMENT_MAX_BYTES,
      schema: { tags, summary: 'Import a .smyth agent (the body is the file)', body: SmythBody, querystring: z.object({ name: z.string().max(AGENT_NAME_MAX_CHARS).optional() }), response: { 201: Imported } },
    },
    async (request, reply) => {
      const { agent, problems } = await agents.create(caller(request), documentOf(request), request.query.name !== undefined ? { name: request.query.name } : {});
      return reply.code(201).send({ agent: agentJson(agent), problems: problems.map(problemJson) });
    },
  );

  r.get('/:agentId', { config, schema: { tags, summary: 'One agent: settings, skills, versions, problems', params: AgentParams, response: { 200: z.object({ agent: AgentBody }) } } }, async (request) => ({
    agent: agentJson(await agents.get(caller(request), request.params.agentId)),
  }));

  r.put(
    '/:agentId',
    {
      config,
      bodyLimit: AGENT_DOCUMENT_MAX_BYTES,
      schema: { tags, summary: 'Replace the draft with a .smyth document (versions stay)', params: AgentParams, body: SmythBody, querystring: z.object({ name: z.string().max(AGENT_NAME_MAX_CHARS).optional() }), response: { 200: Imported } },
    },
    async (request) => {
      const { agent, problems } = await agents.replace(caller(request), request.params.agentId, documentOf(request), request.query.name !== undefined ? { name: request.query.name } : {});
      return { agent: agentJson(agent), problems: problems.map(problemJson) };
    },
  );

  r.patch(
    '/:agentId',
    {
      config,
      schema: {
        tags,
        summary: 'Rename, choose who may call the skills, switch live debug, set the mock data',
        params: AgentParams,
        body: z.object({
          name: z.string().min(1).max(AGENT_NAME_MAX_CHARS).optional(),
          skill_access: z.enum(SKILL_ACCESS_MODES as [SkillAccess, ...SkillAccess[]]).optional().describe('owner | key | public'),
          skill_key_name: z.string().regex(KEY_NAME).nullable().optional().describe('the vault key accepted as a bearer in `key` mode'),
          debug_enabled: z.boolean().optional().describe('live debug: hold plain calls of the draft as debug sessions'),
          mock_data: z
            .record(z.string().max(200), z.object({ data: z.object({ outputs: z.record(z.string(), z.unknown()) }).loose() }).loose())
            .nullable()
            .optional()
            .refine((v) => v === undefined || v === null || JSON.stringify(v).length <= MOCK_DATA_MAX_BYTES, `mock_data is larger than ${MOCK_DATA_MAX_BYTES} bytes`)
            .describe('stubbed outputs per component id; null removes them'),
          embodiments: z
            .object({
              openai: EmbodimentPatch.optional(),
              mcp: EmbodimentPatch.optional(),
              openapi: EmbodimentPatch.optional(),
              chat: EmbodimentPatch.optional(),
              alexa: EmbodimentPatch.optional(),
              chat_model: z.string().max(200).nullable().optional(),
            })
            .strict()
            .optional()
            .describe('switch embodiments on or off, set their browser origins and the chat model (given fields only)'),
        }),
        response: { 200: z.object({ agent: AgentBody }) },
      },
    },
    async (request) => {
      const b = request.body;
      const agent = await agents.patch(caller(request), request.params.agentId, {
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.skill_access !== undefined ? { skillAccess: b.skill_access } : {}),
        ...(b.skill_key_name !== undefined ? { skillKeyName: b.skill_key_name } : {}),
        ...(b.debug_enabled !== undefined ? { debugEnabled: b.debug_enabled } : {}),
        ...(b.mock_data !== undefined ? { mockData: b.mock_data } : {}),
        ...(b.embodiments !== undefined ? { embodiments: embodimentsPatch(b.embodiments) } : {}),
      });
      return { agent: agentJson(agent) };
    },
  );

  r.delete('/:agentId', { config, schema: { tags, summary: 'Delete an agent with its versions, keys, runs and memory', params: AgentParams } }, async (request, reply) => {
    await agents.remove(caller(request), request.params.agentId);
    return reply.code(204).send();
  });

  r.post(
    '/:agentId/deploy',
    {
      config,
      schema: {
        tags,
        summary: 'Deploy the draft as an immutable version (given, or the next minor)',
        params: AgentParams,
        body: z.object({ version: z.string().max(40).optional().describe('`1.2`; default: the next minor after the latest, `1.0` first') }).nullish(),
        response: { 201: z.object({ version: VersionBody }) },
      },
    },
    async (request, reply) => {
      const info = await agents.deploy(caller(request), request.params.agentId, request.body?.version);
      return reply.code(201).send({ version: versionJson(info) });
    },
  );

  r.get('/:agentId/versions', { config, schema: { tags, summary: 'Deployed versions, newest first', params: AgentParams, response: { 200: z.object({ versions: z.array(VersionBody) }) } } }, async (request) => ({
    versions: (await agents.listVersions(caller(request), request.params.agentId)).map(versionJson),
  }));

  r.get(
    '/:agentId/export',
    { config, schema: { tags, summary: 'Download the draft (or ?version=) as a .smyth file', params: AgentParams, querystring: z.object({ version: z.string().max(40).optional() }) } },
    async (request, reply) => {
      const { name, text } = await agents.exportDocument(caller(request), request.params.agentId, request.query.version);
      return reply.type('application/json; charset=utf-8').header('content-disposition', attachmentHeader(name)).send(text);
    },
  );

  r.get('/:agentId/keys', { config, schema: { tags, summary: 'Vault key names (never values)', params: AgentParams, response: { 200: z.object({ keys: z.array(KeyBody) }) } } }, async (request) => ({
    keys: (await agents.listKeys(caller(request), request.params.agentId)).map(keyJson),
  }));

  const KeyParams = AgentParams.extend({ name: z.string().min(1).max(200) });
  r.put(
    '/:agentId/keys/:name',
    {
      config,
      schema: {
        tags,
        summary: 'Store a vault key (encrypted at rest; read as {{KEY(name)}})',
        params: KeyParams,
        body: z.object({ value: z.string().min(1).max(KEY_VALUE_MAX_CHARS) }),
        response: { 200: z.object({ key: KeyBody }), 201: z.object({ key: KeyBody }) },
      },
    },
    async (request, reply) => {
      const { key, created } = await agents.putKey(caller(request), request.params.agentId, request.params.name, request.body.value);
      return reply.code(created ? 201 : 200).send({ key: keyJson(key) });
    },
  );

  r.delete('/:agentId/keys/:name', { config, schema: { tags, summary: 'Remove a vault key', params: KeyParams } }, async (request, reply) => {
    await agents.deleteKey(caller(request), request.params.agentId, request.params.name);
    return reply.code(204).send();
  });

  r.get(
    '/:agentId/runs',
    {
      config,
      schema: {
        tags,
        summary: 'Runs of the agent, newest first',
        params: AgentParams,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(RUNS_PAGE_MAX).default(20).describe(`1-${RUNS_PAGE_MAX}`),
          before: z.string().max(100).optional().describe('a run id: the previous page’s next_before'),
        }),
        response: { 200: z.object({ runs: z.array(RunBody), next_before: z.string().nullable() }) },
      },
    },
    async (request) => {
      const page = await agents.listRuns(caller(request), request.params.agentId, { limit: request.query.limit, before: request.query.before });
      return { runs: page.runs.map(runJson), next_before: page.nextBefore };
    },
  );

  r.get(
    '/:agentId/runs/:runId',
    { config, schema: { tags, summary: 'One run and every component call in it', params: AgentParams.extend({ runId: z.string().min(1).max(100) }), response: { 200: z.object({ run: RunBody, calls: z.array(CallBody) }) } } },
    async (request) => {
      const { run, calls } = await agents.readRun(caller(request), request.params.agentId, request.params.runId);
      return { run: runJson(run), calls: calls.map(callJson) };
    },
  );
}
