/**
 * Request rate limits per authenticated principal, else per client IP (@fastify/rate-limit).
 * A 429 carries `retry_after_ms` in the body and `Retry-After` in seconds. Loopback is limited like
 * anyone else unless `RATE_LIMIT_ALLOW_LOOPBACK` is set. Routes opt out with `config.rateLimit: false`.
 */
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { DomainError, PlatformErrors } from '../lib/errors.ts';

/** Options of {@link rateLimitPlugin}. */
export interface RateLimitOptions {
  max: number;
  windowMs: number;
  allowLoopback: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Registers the global limiter; it runs after credentials are resolved. */
export const rateLimitPlugin = fp(
  async function rateLimits(app: FastifyInstance, opts: RateLimitOptions) {
    await app.register(rateLimit, {
      global: true,
      max: opts.max,
      timeWindow: opts.windowMs,
      hook: 'onRequest',
      keyGenerator: (request) => (request.principal ? `user:${request.principal.user.userId}` : `ip:${request.ip}`),
      allowList: (request) => opts.allowLoopback && LOOPBACK.has(request.ip),
      errorResponseBuilder: (_request, context) =>
        new DomainError(PlatformErrors.rateLimited, { details: { retry_after_ms: context.ttl } }),
    });
  },
  { name: 'orrery-rate-limit', fastify: '5.x', dependencies: ['orrery-auth'] },
);
