/**
 * CORS and security headers.
 *
 * CORS with credentials is allowed only for `BASE_URL`, `CORS_ORIGINS` and, in development, the
 * loopback origins of the server's own port, in every mode (the server's own pages need no CORS:
 * browsers do not apply it to same-origin requests). Before,
 * development (what `npm start` runs) reflected any `Origin` with credentials, so a page on any site
 * could read `GET /api/auth/whoami` (CSRF token included) and act as the signed-in user. Any other
 * origin gets no CORS headers at all, so the browser keeps the response from it.
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
  /** `CORS_ORIGINS`, without trailing slashes. */
  corsOrigins: string[];
  /** `BASE_URL`, when configured. */
  publicOrigin?: string;
  /** Development only: the server's port, whose loopback origins are allowed (the UI's dev server proxies with them). */
  devPort?: number | undefined;
  /**
   * Paths that decide CORS per request themselves, without credentials (embodiments: an agent's own
   * allowed origins, src/embodiments/http.ts). Their preflights are answered for any origin — a
   * preflight only lets the browser send a request whose response it still cannot read unless the
   * handler allows its origin — and this plugin adds no CORS header to their responses.
   */
  ownCorsPath?: (url: string) => boolean;
}

/** Lower-cased `scheme://host[:port]` of `value`, or undefined when it is not an origin. */
function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.origin === 'null' ? undefined : url.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Whether `origin` may call the API with credentials: a fixed list, built once. */
export function corsPolicy(opts: Pick<SecurityOptions, 'corsOrigins' | 'publicOrigin' | 'devPort'>) {
  const allowed = new Set<string>();
  for (const o of [...opts.corsOrigins, ...(opts.publicOrigin ? [opts.publicOrigin] : [])]) {
    const origin = originOf(o);
    if (origin) allowed.add(origin);
  }
  if (opts.devPort !== undefined) {
    for (const host of ['localhost', '127.0.0.1', '[::1]']) allowed.add(`http://${host}:${opts.devPort}`);
  }
  return (origin: string): boolean => {
    const o = originOf(origin);
    return o !== undefined && allowed.has(o);
  };
}

/** Registers @fastify/cors and the `helmet` headers with Orrery's policy. */
export const securityPlugin = fp(
  async function security(app: FastifyInstance, opts: SecurityOptions) {
    const allows = corsPolicy(opts);
    const platform = {
      // Answers with the origin itself when allowed; `false` sends no CORS headers at all.
      origin: (origin: string | undefined, callback: (error: Error | null, allow: string | false) => void) =>
        callback(null, origin !== undefined && allows(origin) ? origin : false),
      credentials: true,
      exposedHeaders: ['x-correlation-id', 'retry-after', 'x-run-id'],
    };
    const ownPreflight = {
      origin: true,
      credentials: false,
      methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      maxAge: 600,
    };
    const ownCorsPath = opts.ownCorsPath;
    await app.register(cors, {
      delegator: (request, callback) => {
        if (!ownCorsPath?.(request.url)) return callback(null, platform);
        callback(null, request.method === 'OPTIONS' ? ownPreflight : { origin: false });
      },
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
  { name: 'orrery-security', fastify: '5.x' },
);
