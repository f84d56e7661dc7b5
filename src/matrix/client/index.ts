/**
 * The Matrix client-server API route table (CONVENTIONS "One file per spec section"): every section
 * in spec order, served under `/_matrix/client/v3` and, for SDKs that still call them (matrix-nio),
 * `/_matrix/client/r0`. Routes are `runtime_or_user` unless they say `public`: a Matrix access
 * token, a runtime token (`kzrt_…`, the same user on both APIs), an API token, a JWT or a web
 * session (with its CSRF header) all authenticate; `?access_token=` works as the spec allows.
 * Errors are `{errcode, error}` (src/matrix/errors.ts); an unknown endpoint under `/_matrix/` is 404
 * `M_UNRECOGNIZED` (server/errors.ts's not-found handler).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { DomainError, PlatformErrors } from '../../lib/errors.ts';
import { toErrorView } from '../../server/errors.ts';
import { MatrixErrors, matrixErrcode } from '../errors.ts';
import type { MatrixRouteDeps, MatrixSectionDeps } from './deps.ts';
import { capabilityRoutes, discoveryRoutes } from './discovery.ts';
import { ephemeralRoutes } from './ephemeral.ts';
import { membershipRoutes } from './membership.ts';
import { openidRoutes, openidUserinfoRoutes } from './openid.ts';
import { profileRoutes } from './profile.ts';
import { roomEventsRoutes } from './room-events.ts';
import { roomsRoutes } from './rooms.ts';
import { sessionRoutes } from './session.ts';
import { syncRoutes } from './sync.ts';

/** The versioned sections, in the order of the spec's chapters. */
const SECTIONS = [
  capabilityRoutes, // Server discovery, capabilities, push rules
  sessionRoutes, // Client authentication, account registration
  syncRoutes, // Filtering, syncing
  roomsRoutes, // Rooms: creation, aliases, directory
  membershipRoutes, // Room membership
  roomEventsRoutes, // Sending and getting events, redactions
  ephemeralRoutes, // Typing, receipts, read markers
  profileRoutes, // Presence, profiles, client config, user directory
  openidRoutes, // OpenID
] as const;

/** Prefixes the versioned sections are served under. */
export const CLIENT_PREFIXES = ['/_matrix/client/v3', '/_matrix/client/r0'] as const;

/** Matrix auth errors: no token → `M_MISSING_TOKEN`; a bad one → `M_UNKNOWN_TOKEN` (`soft_logout: false`). */
const AUTH_ERRORS = { missing: MatrixErrors.missingToken, invalid: MatrixErrors.unknownToken };

/** Registers the whole Matrix surface. */
export async function matrixRoutes(app: FastifyInstance, deps: MatrixRouteDeps): Promise<void> {
  app.addHook('onRoute', (route) => {
    route.config = { auth: 'runtime_or_user', authErrors: AUTH_ERRORS, ...(route.config ?? {}), surface: 'matrix' };
    // In /openapi.json once, under their own tag: the r0 twins would only repeat them.
    route.schema = { ...(route.schema ?? {}), tags: ['matrix'], ...(route.url.startsWith('/_matrix/client/r0') ? { hide: true } : {}) };
  });

  // Matrix clients send JSON, sometimes without a content type; an empty body is `{}`.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, function matrixJson(_request, body, done) {
    const text = String(body).trim();
    if (!text) return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new DomainError(MatrixErrors.notJson), undefined);
    }
  });

  app.setErrorHandler(function matrixError(error: FastifyError, request, reply) {
    const view = toErrorView(error);
    if (!view) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send({ errcode: 'M_UNKNOWN', error: 'Internal server error', correlation_id: request.id });
    }
    const { errcode, status } = matrixErrcode(view.code, view.status, view.details);
    const { issues, ...details } = view.details;
    const message = Array.isArray(issues) && issues.length > 0 ? `${view.message}: ${(issues as Array<{ path: string; message: string }>).map((i) => `${i.path}: ${i.message}`).join('; ')}` : view.message;
    if (status === 429 && typeof details.retry_after_ms === 'number') reply.header('retry-after', String(Math.max(1, Math.ceil(details.retry_after_ms / 1000))));
    return reply.code(status).send({ errcode, error: message, ...details, ...(errcode === 'M_UNKNOWN_TOKEN' ? { soft_logout: false } : {}) });
  });

  // One registration budget per address for both prefixes (a limiter per route would double it).
  const { max, windowMs } = deps.matrix.registrationLimit();
  const registrations = app.createRateLimit({ max, timeWindow: windowMs, keyGenerator: (request) => `register:${request.ip}` });
  const sectionDeps: MatrixSectionDeps = {
    ...deps,
    async limitRegistration(request) {
      const outcome = await registrations(request);
      if (!outcome.isAllowed && outcome.isExceeded) throw new DomainError(PlatformErrors.registrationRateLimited, { details: { retry_after_ms: outcome.ttl } });
    },
  };

  await discoveryRoutes(app, deps);
  await openidUserinfoRoutes(app, deps);
  for (const prefix of CLIENT_PREFIXES) {
    await app.register(
      async function matrixClientApi(client) {
        for (const section of SECTIONS) await section(client, sectionDeps);
      },
      { prefix },
    );
  }
}
