/**
 * OpenAPI 3 of the platform API, generated from the route schemas (@fastify/swagger with the zod
 * transform), served at `/openapi.json`, with Swagger UI at `/docs` (assets served locally).
 * Must be registered before any route so it sees them all.
 */
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { SESSION_COOKIE } from './auth.ts';

/** Options of {@link openapiPlugin}. */
export interface OpenApiOptions {
  version: string;
  baseUrl: string;
}

/** Registers the generator, `/openapi.json` and `/docs`. */
export const openapiPlugin = fp(
  async function openapi(app: FastifyInstance, opts: OpenApiOptions) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Orrery platform API',
          version: opts.version,
          description: 'Accounts, rooms, runtime connect, bots and agents. Errors: `{error, code, ...}`.',
        },
        servers: [{ url: opts.baseUrl }],
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'orr_ access token, JWT or kzrt_ runtime token' },
            session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          },
        },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false });
    app.get('/openapi.json', { schema: { hide: true }, config: { module: 'server' } }, async function openapiJson() {
      return app.swagger();
    });
  },
  { name: 'orrery-openapi', fastify: '5.x' },
);
