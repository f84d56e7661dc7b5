/**
 * Central authentication: routes declare `config.auth`; handlers read `request.principal` and never
 * parse credentials (CONVENTIONS "Endpoints are data"). Credentials are resolved once, in `onRequest`,
 * so rate limits can key on the principal; requirements are enforced in `preValidation`, so a 401
 * comes before a 400. Cookie-authenticated state changes must carry `x-csrf-token`.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorSpec } from '../lib/errors.ts';
import { AccountErrors } from '../accounts/errors.ts';
import type { AccountsService } from '../accounts/service.ts';
import type { Principal } from '../accounts/types.ts';

/**
 * Who may call a route: anyone; a signed-in user (session, access token or JWT); an admin; a
 * runtime token (`kzrt_`); or either of the last two.
 */
export type AuthRequirement = 'public' | 'user' | 'admin' | 'runtime' | 'runtime_or_user';

/** Name of the web session cookie. */
export const SESSION_COOKIE = 'orrery_session';
/** Header carrying the CSRF token for cookie-authenticated state changes. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, or null when no valid credential came with the request. */
    principal: Principal | null;
    /** Why a presented credential was refused (e.g. `token expired`), for the enforcing hook. */
    authError: DomainError | null;
  }
  interface FastifyContextConfig {
    /** Who may call the route (default `public`). */
    auth?: AuthRequirement;
    /** Errors for "no credential" and "bad credential" when a surface has its own strings (Kozmos). */
    authErrors?: { missing: ErrorSpec; invalid: ErrorSpec };
  }
  interface FastifyInstance {
    /** Sets the session cookie (httpOnly, SameSite=Lax, Secure in production). */
    setSessionCookie(reply: FastifyReply, value: string, expiresAt: number): void;
    /** Clears the session cookie. */
    clearSessionCookie(reply: FastifyReply): void;
  }
}

/** Bearer value of an `Authorization` header (scheme matched case-insensitively), or undefined. */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1]?.trim() || undefined;
}

/** Options of {@link authPlugin}. */
export interface AuthPluginOptions {
  accounts: AccountsService;
  secureCookies: boolean;
  /** Resolves `kzrt_` runtime tokens (runtime module); throws a DomainError to refuse one. */
  resolveRuntimeToken?: (raw: string) => Promise<Principal>;
}

/** Prefix of runtime tokens (research/kozmos.md §0). */
const RUNTIME_PREFIX = 'kzrt_';

/** Resolves credentials and enforces each route's `config.auth`. */
export const authPlugin = fp(
  async function auth(app: FastifyInstance, opts: AuthPluginOptions) {
    const { accounts } = opts;
    app.decorateRequest('principal', null);
    app.decorateRequest('authError', null);

    app.decorate('setSessionCookie', function setSessionCookie(reply: FastifyReply, value: string, expiresAt: number) {
      reply.setCookie(SESSION_COOKIE, value, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: opts.secureCookies,
        expires: new Date(expiresAt),
      });
    });
    app.decorate('clearSessionCookie', function clearSessionCookie(reply: FastifyReply) {
      reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: opts.secureCookies });
    });

    app.addHook('onRequest', async function resolvePrincipal(request) {
      const requirement = request.routeOptions.config?.auth;
      if (requirement === undefined || requirement === 'public') {
        // Public routes still learn who is calling when it is cheap (cookie or bearer), for rate limits.
        if (!request.headers.authorization && !request.cookies?.[SESSION_COOKIE]) return;
      }
      const bearer = bearerOf(request);
      if (bearer?.startsWith(RUNTIME_PREFIX) && opts.resolveRuntimeToken) {
        try {
          request.principal = await opts.resolveRuntimeToken(bearer);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          request.authError = error;
        }
        return;
      }
      if (bearer) {
        request.principal = await accounts.resolveBearer(bearer);
        return;
      }
      const cookie = request.cookies?.[SESSION_COOKIE];
      if (cookie) request.principal = await accounts.resolveSession(cookie);
    });

    app.addHook('preValidation', async function enforceAuth(request) {
      const config = request.routeOptions.config;
      const requirement = config?.auth ?? 'public';
      if (requirement === 'public') return;
      const errors = config?.authErrors ?? { missing: AccountErrors.unauthorized, invalid: AccountErrors.unauthorized };
      const presented = bearerOf(request) !== undefined || Boolean(request.cookies?.[SESSION_COOKIE]);
      if (!presented) throw new DomainError(errors.missing);
      if (request.authError && requirement !== 'user' && requirement !== 'admin') throw request.authError;
      const principal = request.principal;
      const isRuntime = principal?.via === 'runtime_token';
      const accepted =
        principal !== null &&
        (requirement === 'runtime' ? isRuntime : requirement === 'runtime_or_user' ? true : !isRuntime);
      if (!accepted) throw new DomainError(errors.invalid);
      if (requirement === 'admin' && !principal.user.isAdmin) throw new DomainError(AccountErrors.forbidden);
      if (principal.sessionHash && !SAFE_METHODS.has(request.method)) {
        const token = request.headers[CSRF_HEADER];
        if (!accounts.checkCsrf(principal.sessionHash, typeof token === 'string' ? token : undefined)) {
          throw new DomainError(AccountErrors.csrf);
        }
      }
    });
  },
  { name: 'orrery-auth', dependencies: ['@fastify/cookie'] },
);
