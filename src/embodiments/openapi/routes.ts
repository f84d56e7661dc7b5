/**
 * The OpenAPI family (issue 12 item 4; research/smythos.md §7, §11.8, §12 items 29-32): an agent's
 * skills as OpenAPI documents, a Swagger UI page, a Postman collection and ChatGPT actions. The original's
 * paths take the agent from `X-AGENT-ID` or the host; `/agents/:agentId/…` names it in the path (what the
 * UI links to). A version comes from `?version=` or `X-AGENT-VERSION` (then paths are `/v<version>/api/…`).
 * Who may read: whoever may call the agent's skills (src/embodiments/openapi/reader.ts).
 *
 * | method | path | answer |
 * |---|---|---|
 * | GET | /api-docs/openapi.json, /emb/api/openapi.json, /agents/:agentId/api-docs/openapi.json | OpenAPI 3.0.1, every skill |
 * | GET | /api-docs/openapi-llm.json, /emb/api/openapi-llm.json, /agents/:agentId/api-docs/openapi-llm.json | 3.0.1, AI-exposed skills |
 * | GET | /api-docs/openapi-gpt.json, /emb/chatgpt/openapi-gpt.json, /.well-known/openapi.json, /agents/:agentId/api-docs/openapi-gpt.json | 3.1.0 GPT Actions |
 * | GET | /swagger, /emb/swagger, /agents/:agentId/swagger | Swagger UI (HTML) |
 * | GET | /postman, /emb/postman, /agents/:agentId/postman | Postman collection (attachment) |
 * | GET | /.well-known/ai-plugin.json, /agents/:agentId/.well-known/ai-plugin.json | ChatGPT plugin manifest |
 * | GET | /swagger/assets/:file | Swagger UI's static files (anyone) |
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmbodimentRoutesOptions } from '../http.ts';
import { aiPluginManifest } from './ai-plugin.ts';
import { toGptActions } from './gpt.ts';
import { attachmentHeader, postmanCollection } from './postman.ts';
import { openForDocuments, type DocumentTarget } from './reader.ts';
import { agentOpenApi, type OpenApiDocument } from './spec.ts';
import { SWAGGER_ASSET_PATH, SWAGGER_ASSETS, SWAGGER_INIT_FILE, SWAGGER_INIT_JS, swaggerAssetsDir, swaggerDocument, swaggerPage } from './swagger.ts';

type Kind = 'openapi' | 'openapi-llm' | 'openapi-gpt' | 'swagger' | 'postman' | 'ai-plugin';

/** The route table: each kind of document at the original paths, then under `/agents/:agentId`. */
const ROUTES: readonly [Kind, readonly string[]][] = [
  ['openapi', ['/api-docs/openapi.json', '/emb/api/openapi.json', '/agents/:agentId/api-docs/openapi.json']],
  ['openapi-llm', ['/api-docs/openapi-llm.json', '/emb/api/openapi-llm.json', '/agents/:agentId/api-docs/openapi-llm.json']],
  ['openapi-gpt', ['/api-docs/openapi-gpt.json', '/emb/chatgpt/openapi-gpt.json', '/.well-known/openapi.json', '/agents/:agentId/api-docs/openapi-gpt.json']],
  ['swagger', ['/swagger', '/emb/swagger', '/agents/:agentId/swagger']],
  ['postman', ['/postman', '/emb/postman', '/agents/:agentId/postman']],
  ['ai-plugin', ['/.well-known/ai-plugin.json', '/agents/:agentId/.well-known/ai-plugin.json']],
];

const documentOf = (t: DocumentTarget, variant: 'plain' | 'llm'): OpenApiDocument =>
  agentOpenApi({ name: t.loaded.agent.name, version: t.loaded.version, definition: t.loaded.definition }, { variant, serverUrl: t.serverUrl, pathVersion: t.pathVersion, secured: t.secured });

/** Sends the `kind` document of an opened agent. */
async function send(kind: Kind, t: DocumentTarget, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  switch (kind) {
    case 'openapi':
      return reply.send(documentOf(t, 'plain'));
    case 'openapi-llm':
      return reply.send(documentOf(t, 'llm'));
    case 'openapi-gpt':
      return reply.send(toGptActions(documentOf(t, 'llm')));
    case 'swagger':
      return reply.type('text/html; charset=utf-8').send(swaggerPage(swaggerDocument(documentOf(t, 'plain'), t.secured)));
    case 'postman': {
      let collection: unknown;
      try {
        collection = await postmanCollection(documentOf(t, 'plain'));
      } catch (error) {
        request.log.warn({ err: error, agent_id: t.loaded.agent.id }, 'Postman conversion failed');
        return reply.code(422).send({ error: `The agent's skills could not be converted to a Postman collection: ${(error as Error).message}` });
      }
      return reply.header('content-disposition', attachmentHeader(t.loaded.agent.name)).type('application/json; charset=utf-8').send(collection);
    }
    case 'ai-plugin':
      return reply.send(
        aiPluginManifest({
          name: t.loaded.agent.name,
          definition: t.loaded.definition,
          secured: t.secured,
          openapiUrl: t.viaPath ? `${t.serverUrl}/api-docs/openapi-gpt.json` : `${t.origin}/.well-known/openapi.json`,
          logoUrl: `${t.origin}${SWAGGER_ASSET_PATH}/favicon-32x32.png`,
          legalInfoUrl: `${t.origin}/`,
        }),
      );
  }
}

/** Registers the routes at the root. */
export async function openapiRoutes(app: FastifyInstance, opts: EmbodimentRoutesOptions): Promise<void> {
  // The agent decides who may read (its skill access), not the platform.
  const config = { auth: 'public' as const };
  const schema = { hide: true };
  for (const [kind, urls] of ROUTES) {
    for (const url of urls) {
      app.get(url, { config, schema }, async (request, reply) => {
        const target = await openForDocuments(request, reply, opts);
        return target ? send(kind, target, request, reply) : reply;
      });
    }
  }

  const assetsDir = swaggerAssetsDir();
  const cached = new Map<string, Buffer>();
  app.get(`${SWAGGER_ASSET_PATH}/:file`, { config, schema }, async (request, reply) => {
    const { file } = request.params as { file: string };
    if (file === SWAGGER_INIT_FILE) return reply.header('cache-control', 'public, max-age=3600').type('text/javascript; charset=utf-8').send(SWAGGER_INIT_JS);
    // Only the listed files: the name never reaches the file system otherwise.
    const type = Object.hasOwn(SWAGGER_ASSETS, file) ? SWAGGER_ASSETS[file] : undefined;
    if (!type) return reply.code(404).send({ error: `No such Swagger UI file: ${file}` });
    let body = cached.get(file);
    if (!body) cached.set(file, (body = await readFile(path.join(assetsDir, file))));
    return reply.header('cache-control', 'public, max-age=86400').type(type).send(body);
  });
}
