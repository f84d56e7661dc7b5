/**
 * The embodiments' route table (issue 12; seed 001 "Embodiment module"; research/smythos.md §7), in
 * the order the README lists them. Each surface maps its protocol onto the embodiments service
 * (src/embodiments/service.ts) and answers errors in its own convention (OpenAI's `{error:{message,
 * type, code}}`, MCP's JSON-RPC errors and `isError` results, Alexa's speech, `{error}` elsewhere).
 *
 * | surface | paths |
 * |---|---|
 * | OpenAI-compatible | `/v1/chat/completions`, `/v1/responses`, `/v1/models`, also under `/_openai/v1/` and `/emb/openai/v1/` |
 * | MCP | `/agents/:agentId/mcp`, `/mcp` (Streamable HTTP); `/mcp/sse`, `/emb/mcp/sse`, `/emb/mcp/message` (legacy SSE) |
 * | OpenAPI family | `/api-docs/openapi.json`, `/api-docs/openapi-llm.json`, `/api-docs/openapi-gpt.json`, `/swagger`, `/postman`, `/.well-known/ai-plugin.json`, `/.well-known/openapi.json` |
 * | Alexa | `POST /alexa`, `POST /alexa/publish` (also under `/emb/alexa`) |
 * | Chat | `/agents/:agentId/chat` (page), `POST /agents/:agentId/chat/stream`, `/agents/:agentId/chat/widget.js` |
 */
import type { FastifyInstance } from 'fastify';
import type { EmbodimentRoutesOptions } from './http.ts';
import { openaiRoutes } from './openai/routes.ts';
import { mcpRoutes } from './mcp/routes.ts';
import { openapiRoutes } from './openapi/routes.ts';
import { chatRoutes } from './chat/routes.ts';
import { alexaRoutes } from './alexa/routes.ts';

export type { EmbodimentRoutesOptions };

/** Registers every embodiment's routes at the root. */
export async function embodimentRoutes(app: FastifyInstance, opts: EmbodimentRoutesOptions): Promise<void> {
  await app.register(openaiRoutes, opts);
  await app.register(mcpRoutes, opts);
  await app.register(openapiRoutes, opts);
  await app.register(chatRoutes, opts);
  await app.register(alexaRoutes, opts);
}
