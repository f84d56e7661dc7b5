/**
 * CORS and security headers. Development reflects any origin (so a Vite dev server or a script can
 * call the API with credentials); production allows only `CORS_ORIGINS`.
 *
 * Headers come from `helmet`, whose middleware is built once here and run per request:
 * @fastify/helmet rebuilds it on every request, which cost ~11% of CPU on a bare route (profiled,
 * docs/PERFORMANCE.md).
 */
import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import helmet from 'helmet';
import type { FastifyInstance } from 'fastify';

/** Options of {@link securityPlugin}. */
export interface SecurityOptions {
  isProduction: boolean;
  corsOrigins: string[];
}

/** Registers @fastify/cors and @fastify/helmet with Orrery's policy. */
export const securityPlugin = fp(
  async function security(app: FastifyInstance, opts: SecurityOptions) {
    await app.register(cors, {
      origin: opts.isProduction ? opts.corsOrigins : true,
      credentials: true,
      exposedHeaders: ['x-correlation-id', 'retry-after'],
    });
    const securityHeaders = helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'", 'data:'],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
        },
      },
      strictTransportSecurity: opts.isProduction,
      crossOriginEmbedderPolicy: false,
    });
    app.addHook('onRequest', function applySecurityHeaders(request, reply, done) {
      securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined));
    });
  },
  { name: 'orrery-security' },
);
