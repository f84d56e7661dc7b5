/**
 * Central authentication: routes declare `config.auth`; handlers read `request.principal` and never
 * parse credentials (CONVENTIONS "Endpoints are data"). Credentials are resolved once, in `onRequest`,
 * so rate limits can key on the principal; requirements are enforced in `preValidation`, so a 401
 * comes before a 400.
 *
 * CSRF: every unsafe request (not GET/HEAD/OPTIONS) that a valid session cookie authenticates must
 * carry `x-csrf-token`, whatever the route's declared access, checked in `onRequest` before any route
 * hook. Before, only routes declared `user`/`admin` checked it, so a page on any origin could make a
 * signed-in admin's browser rotate or revoke runtime tokens (routes declared public).
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorSpec } from '../lib/errors.ts';
import { AccountErrors } from '../accounts/errors.ts';
import type { AccountsService } from '../accounts/service.ts';
import type { Principal } from '../accounts/types.ts';

/**
 * Who may call a route: anyone; a signed-in user (session, access token or JWT); an admin; a
 * runtime token (a principal `via: 'runtime_token'`, whichever module resolved it); a user or a
 * runtime token; or a bot JWT (`bot_jwt`: the bot endpoints' own token, in `Authorization` with or
 * without `Bearer `, refused with the original's strings — docs/bot-runner.md "JWT").
 */
export type AuthRequirement = 'public' | 'user' | 'admin' | 'runtime' | 'runtime_or_user' | 'bot_jwt';

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
    /** `bot_jwt` routes: the verified token's `user` claim (its account may not exist: `principal` is then null). */
    botJwtUser: string | null;
  }
  interface FastifyContextConfig {
    /** Who may call the route (default `public`). */
    auth?: AuthRequirement;
    /** Errors for "no credential" and "bad credential" when a surface has its own strings (Kozmos). */
    authErrors?: { missing: ErrorSpec; invalid: ErrorSpec };
  }
  interface FastifyInstance {
    /**
     * Resolve the credential `request` came with again (for requests held open: streams,
     * long-polls); true while it still authenticates as the same credential of the same user.
     */
    reauthenticate(request: FastifyRequest): Promise<boolean>;
    /** Sets the session cookie (httpOnly, SameSite=Lax, Secure in production). */
    setSessionCookie(reply: FastifyReply, value: string, expiresAt: number): void;
    /** Clears the session cookie. */
    clearSessionCookie(reply: FastifyReply): void;
  }
}

/**
 * Bearer value of an `Authorization` header (scheme matched case-insensitively), or undefined. On
 * the Matrix surface the spec's `?access_token=` query parameter counts too (matrix-nio sends only that).
 */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header) : null;
  const fromHeader = match?.[1]?.trim();
  if (fromHeader) return fromHeader;
  if (request.routeOptions.config?.surface !== 'matrix' || request.url.startsWith('/_matrix/federation/')) return undefined;
  const fromQuery = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof fromQuery === 'string' && fromQuery ? fromQuery : undefined;
}

/** Options of {@link authPlugin}. */
export interface AuthPluginOptions {
  accounts: AccountsService;
  secureCookies: boolean;
}

/** Which credential a principal used: one token, one session, or (stateless) one user's JWTs. */
export function credentialKey(principal: Principal): string {
  if (principal.sessionHash) return `session:${principal.sessionHash}`;
  if (principal.tokenId !== undefined) return `token:${principal.tokenId}`;
  return `${principal.via}:${principal.user.userId}`;
}

/** Resolves credentials and enforces each route's `config.auth`. */
export const authPlugin = fp(
  async function auth(app: FastifyInstance, opts: AuthPluginOptions) {
    const { accounts } = opts;
    app.decorateRequest('principal', null);
    app.decorateRequest('authError', null);
    app.decorateRequest('botJwtUser', null);

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

    /** The principal of the request's credential (bearer first, else the session cookie), or null. */
    async function resolve(request: FastifyRequest): Promise<Principal | null> {
      const bearer = bearerOf(request);
      if (bearer) return accounts.resolveBearer(bearer);
      const cookie = request.cookies?.[SESSION_COOKIE];
      return cookie ? accounts.resolveSession(cookie) : null;
    }

    app.decorate('reauthenticate', async function reauthenticate(request: FastifyRequest): Promise<boolean> {
      const before = request.principal;
      if (!before) return false;
      const now = await resolve(request).catch(() => null);
      return now !== null && now.user.userId === before.user.userId && credentialKey(now) === credentialKey(before);
    });

    app.addHook('onRequest', async function resolvePrincipal(request) {
      const requirement = request.routeOptions.config?.auth;
      const authorization = request.headers.authorization;
      if (requirement === 'bot_jwt' && typeof authorization === 'string' && authorization.trim()) {
        // The original removed the literal prefix with a string replace: a bare token works too.
        try {
          const claims = await accounts.verifyBotJwt(authorization.trim().replace(/^Bearer\s+/i, ''));
          request.botJwtUser = claims.userId;
          request.principal = claims.user ? { user: claims.user, via: 'bot_jwt' } : null;
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          request.authError = error;
        }
        return;
      }
      if (requirement === undefined || requirement === 'public') {
        // Public routes still learn who is calling when it is cheap (cookie or bearer), for rate limits and CSRF.
        if (!bearerOf(request) && !request.cookies?.[SESSION_COOKIE]) return;
      }
      try {
        request.principal = await resolve(request);
      } catch (error) {
        // A module's token kind refused with a reason of its own (`token expired`).
        if (!(error instanceof DomainError)) throw error;
        request.authError = error;
      }
      const principal = request.principal;
      if (principal?.sessionHash && !SAFE_METHODS.has(request.method)) {
        const token = request.headers[CSRF_HEADER];
        if (!accounts.checkCsrf(principal.sessionHash, typeof token === 'string' ? token : undefined)) {
          throw new DomainError(AccountErrors.csrf);
        }
      }
    });

    app.addHook('preValidation', async function enforceAuth(request) {
      const config = request.routeOptions.config;
      const requirement = config?.auth ?? 'public';
      if (requirement === 'public') return;
      if (requirement === 'bot_jwt') {
        const header = request.headers.authorization;
        if (typeof header !== 'string' || !header.trim()) throw new DomainError(AccountErrors.jwtMissingHeader);
        if (request.authError) throw request.authError;
        if (!request.botJwtUser) throw new DomainError(AccountErrors.jwtInvalid);
        return;
      }
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
    });
  },
  { name: 'orrery-auth', fastify: '5.x', dependencies: ['@fastify/cookie'] },
);
