/**
 * `GET /health` (seed 001 "Health Monitoring"): status, mode, loaded modules, version, uptime and
 * dependency checks. 200 `status:"ok"` when every check passes; 503 `status:"degraded"` naming the
 * failing check otherwise.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Store } from '../store/database.ts';

/** What the health route reports on. */
export interface HealthOptions {
  store: Store;
  mode: string;
  modules: string[];
  version: string;
  startedAtMs: number;
  /** More dependency checks by name: each returns `ok` or a reason (e.g. the event bus). */
  checks?: Record<string, () => string>;
}

const HealthBody = z.object({
  status: z.enum(['ok', 'degraded']),
  mode: z.string(),
  modules: z.array(z.string()),
  version: z.string(),
  uptime_s: z.number(),
  checks: z.record(z.string(), z.string()),
});

/** Registers `GET /health`. */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/health',
    {
      schema: {
        tags: ['platform'],
        summary: 'Liveness and dependency checks',
        response: { 200: HealthBody, 503: HealthBody },
      },
    },
    async function health(request, reply) {
      const checks: Record<string, string> = {};
      try {
        await opts.store.ping(2000);
        checks.database = 'ok';
      } catch (error) {
        request.log.warn({ err: error }, 'health check: database failed');
        checks.database = `failed: ${(error as Error).message}`;
      }
      for (const [name, check] of Object.entries(opts.checks ?? {})) {
        checks[name] = check();
        if (checks[name] !== 'ok') request.log.warn({ check: name, reason: checks[name] }, `health check: ${name} failed`);
      }
      const ok = Object.values(checks).every((c) => c === 'ok');
      return reply.code(ok ? 200 : 503).send({
        status: ok ? 'ok' : 'degraded',
        mode: opts.mode,
        modules: opts.modules,
        version: opts.version,
        uptime_s: Math.round((Date.now() - opts.startedAtMs) / 100) / 10,
        checks,
      });
    },
  );
}
