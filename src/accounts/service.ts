/**
 * Accounts: registration under a policy, password login with an atomic throttle, web sessions with
 * CSRF tokens, hashed access tokens, JWTs, revocation, and the one place a bearer credential is
 * resolved. This file composes the parts, one per seam: `users.ts`, `login.ts`, `sessions.ts`,
 * `tokens.ts`, `jwt.ts`. Knows nothing of HTTP: callers pass plain values and get {@link DomainError}s.
 */
import type { Config } from '../config/load.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { AccountErrors } from './errors.ts';
import { createBotJwts } from './bot-jwt.ts';
import { createJwts } from './jwt.ts';
import { createLogin } from './login.ts';
import { createSessions } from './sessions.ts';
import type { AccountsStore } from './store.ts';
import { ACCESS_TOKEN_PREFIX, createTokens, type TokenRecord } from './tokens.ts';
import type { CredentialKind, Principal } from './types.ts';
import { createUsers, type UserCreatedListener } from './users.ts';

/** What the accounts service needs. */
export interface AccountsDeps {
  store: AccountsStore;
  config: Pick<Config, 'serverName' | 'sessionSecret' | 'registration' | 'login' | 'sessionTtlS' | 'jwtTtlS' | 'bots'>;
  clock: Clock;
}

/** Told the user id whose credentials were revoked (one of them, or all), so open streams can close. */
export type CredentialsRevokedListener = (userId: string) => Promise<void> | void;

/** How the parts announce a revocation (internal to accounts). */
export interface Revocations {
  announce(userId: string): Promise<void>;
}

/**
 * Resolves bearer tokens of a kind another module owns (runtime's `kzrt_…`): a principal, or a
 * {@link DomainError} thrown with the surface's own reason (`token expired`).
 */
export type BearerResolver = (raw: string) => Promise<Principal>;

/** Builds the accounts service. */
export function createAccountsService(deps: AccountsDeps) {
  const { store, clock } = deps;
  const revokedListeners: CredentialsRevokedListener[] = [];
  const revocations: Revocations = {
    async announce(userId) {
      for (const listener of revokedListeners) await listener(userId);
    },
  };
  const resolvers = new Map<string, BearerResolver>();
  const users = createUsers(deps, revocations);
  const sessions = createSessions(deps);
  const tokens = createTokens(deps, revocations);
  const jwts = createJwts(deps);

  const service = {
    ...users,
    ...createLogin(deps),
    ...sessions,
    ...tokens,
    ...jwts,
    ...createBotJwts(deps),

    /** Register `fn` to run after any credential of a user is revoked or logged out. */
    onCredentialsRevoked(fn: CredentialsRevokedListener): void {
      revokedListeners.push(fn);
    },

    /** Let the module owning tokens that start with `prefix` resolve them (e.g. runtime's `kzrt_`). */
    registerBearerPrefix(prefix: string, resolve: BearerResolver): void {
      resolvers.set(prefix, resolve);
    },

    /**
     * Resolve any bearer credential: a registered module's token kind, an `orr_` access token or a
     * JWT. Null when it is none of them or not valid.
     * @throws DomainError from a registered resolver that refuses a token with a reason of its own
     */
    async resolveBearer(raw: string): Promise<Principal | null> {
      for (const [prefix, resolve] of resolvers) if (raw.startsWith(prefix)) return resolve(raw);
      if (raw.startsWith(ACCESS_TOKEN_PREFIX)) return tokens.resolveAccessToken(raw);
      if (raw.split('.').length === 3) return jwts.resolveJwt(raw);
      return null;
    },

    /**
     * End the credential the request used.
     * @throws DomainError jwtNotRevocable for JWTs (stateless; use `revokeAllSessions`).
     */
    async logout(principal: Principal): Promise<void> {
      if (principal.sessionHash) {
        await store.revokeSession(principal.sessionHash, clock.now());
        await revocations.announce(principal.user.userId);
      } else if (principal.tokenId !== undefined) await tokens.revokeToken(principal.tokenId);
      else throw new DomainError(AccountErrors.jwtNotRevocable);
    },
  };
  return service;
}

/** The accounts service API. */
export type AccountsService = ReturnType<typeof createAccountsService>;
export type { CredentialKind, TokenRecord, UserCreatedListener };
