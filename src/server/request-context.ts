/**
 * Correlation ids and request logs: every response carries `x-correlation-id` (echoed when the
 * client sent a sane one, generated otherwise), every log line of the request carries it as
 * `correlation_id`, and one structured line per request records the routing decision and its reason.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

/** Header carrying the correlation id, both directions. */
export const CORRELATION_HEADER = 'x-correlation-id';
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify `genReqId`: reuse the client's id when it is safe to log, else a UUID. */
export function correlationIdOf(req: IncomingMessage): string {
  const given = req.headers[CORRELATION_HEADER];
  return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Module that owns the route (set by `app.ts` when it registers the module). */
    module?: string;
  }
}

/** Adds the header and the one-line access log with `module`, `route` and `reason`. */
export const requestContextPlugin = fp(
  async function requestContext(app: FastifyInstance) {
    app.addHook('onRequest', async function echoCorrelationId(request, reply) {
      reply.header(CORRELATION_HEADER, request.id);
    });
    app.addHook('onResponse', async function accessLog(request, reply) {
      const route = request.routeOptions.url;
      const module = request.routeOptions.config?.module;
      request.log.info(
        {
          method: request.method,
          url: request.url.split('?')[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          module: module ?? null,
          route: route ?? null,
          reason: route ? `matched ${route} of module ${module ?? 'server'}` : 'no route matched',
          ...(request.routing ? { routing: request.routing } : {}),
        },
        'request completed',
      );
    });
  },
  { name: 'orrery-request-context', fastify: '5.x' },
);
