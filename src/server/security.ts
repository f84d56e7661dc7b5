/**
 * CORS and security headers. Development reflects any origin (so a Vite dev server or a script can
 * call the API with credentials); production allows only `CORS_ORIGINS`.
 *
 * Headers come from `helmet`. Our policy has no per-request parts (no nonces), so helmet runs once
 * at start against a recording response and the resulting headers are set as one object per request:
 * @fastify/helmet rebuilt helmet's middleware on every request (~11% of CPU on a bare route), and even
 * a prebuilt middleware chain cost a measurable share of the heartbeat path (docs/PERFORMANCE.md).
 */
import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** Run `middleware` once against a stand-in response and return the headers it set. */
async function recordHeaders(middleware: Middleware): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
    getHeader: (name: string) => headers[name.toLowerCase()],
  } as unknown as ServerResponse;
  await new Promise<void>((resolve, reject) =>
    middleware({ headers: {} } as IncomingMessage, res, (err) => (err ? reject(err as Error) : resolve())),
  );
  return headers;
}

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
    const headers = await recordHeaders(securityHeaders);
    app.addHook('onRequest', function applySecurityHeaders(_request, reply, done) {
      reply.headers(headers);
      done();
    });
  },
  { name: 'orrery-security' },
);
