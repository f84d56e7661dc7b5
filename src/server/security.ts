/**
 * CORS and security headers. Development reflects any origin (so a Vite dev server or a script can
 * call the API with credentials); production allows only `CORS_ORIGINS`.
 */
import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
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
    await app.register(helmet, {
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
      hsts: opts.isProduction,
      crossOriginEmbedderPolicy: false,
    });
  },
  { name: 'orrery-security' },
);
