/**
 * The browser UI: the Vite build in `dist/web`, served at `/`, with client-side routes answered by
 * `index.html`. API paths and non-HTML requests that match nothing still get the JSON 404.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Options of {@link webRoutes}. */
export interface WebOptions {
  root: string;
}

const API_PREFIXES = ['/api/', '/_matrix/', '/docs', '/openapi.json', '/health'];

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Orrery</title>
<body style="font-family:system-ui;margin:3rem"><h1>Orrery</h1><p>The web UI is not built. Run <code>npm run build:web</code>
(or start with <code>npm start</code>, which builds it).</p></body></html>`;

/** Registers static assets and the SPA fallback. */
export async function webRoutes(app: FastifyInstance, opts: WebOptions): Promise<void> {
  const built = existsSync(path.join(opts.root, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, { root: opts.root, prefix: '/', wildcard: false, index: false });
  }
  const sendIndex = function spaIndex(_request: unknown, reply: FastifyReply) {
    if (!built) return reply.type('text/html').send(NOT_BUILT);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  };
  app.get('/', { schema: { hide: true } }, sendIndex);
  app.get('/*', { schema: { hide: true } }, async function spaFallback(request, reply) {
    const pathname = request.url.split('?')[0]!;
    const wantsHtml = (request.headers.accept ?? '').includes('text/html');
    if (!wantsHtml || API_PREFIXES.some((p) => pathname.startsWith(p))) return reply.callNotFound();
    return sendIndex(request, reply);
  });
}
