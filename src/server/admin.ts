/**
 * The admin server on `ADMIN_PORT`, bound to 127.0.0.1 only (seed 001 `ADMIN_PORT`; Foundation
 * issue item 5): `GET /stats`, `GET /disable` (stop accepting and drain), `GET /enable`,
 * `GET /metrics` (Prometheus text format).
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';
import type { ListenerControl } from './listener.ts';

/** Address the admin server binds to; never configurable, so it is never exposed. */
export const ADMIN_HOST = '127.0.0.1';

/** What the admin routes report on and control. */
export interface AdminOptions {
  listener: ListenerControl;
  metrics: Metrics;
  startedAtMs: number;
  logLevel: string;
}

/** Build (not start) the admin server. */
export function createAdminServer(opts: AdminOptions): FastifyInstance {
  const admin = Fastify({ logger: { level: opts.logLevel }, logController: new LogController({ disableRequestLogging: true }), forceCloseConnections: true });

  admin.get('/stats', async function stats() {
    return {
      accepting: opts.listener.accepting(),
      open_connections: await opts.listener.openConnections(),
      requests_in_flight: opts.metrics.inFlight(),
      uptime_s: Math.round((Date.now() - opts.startedAtMs) / 100) / 10,
      memory_rss_bytes: process.memoryUsage().rss,
    };
  });
  admin.get('/disable', async function disable() {
    await opts.listener.disable();
    return { ok: true, accepting: false };
  });
  admin.get('/enable', async function enable() {
    await opts.listener.enable();
    return { ok: true, accepting: true };
  });
  admin.get('/metrics', async function metrics(_request, reply) {
    reply.type(opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
  admin.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'not found', path: request.url.split('?')[0] });
  });
  return admin;
}
