/**
 * Accounts: the bot endpoints' JWTs (research/boxel-bot-runner.md §1.1, docs/bot-runner.md "JWT"):
 * HS256, claims `user` (the Matrix user id), `iat`, `exp` (now + BOT_JWT_TTL_S, default 24 h), keyed
 * by an HMAC of the server secret distinct from the API-client JWTs' key (`jwt.ts`), so neither kind
 * is accepted where the other is expected. Refusals carry the original's 401 strings. Part of the
 * accounts service.
 */
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { DomainError } from '../lib/errors.ts';
import { hmac } from '../lib/secrets.ts';
import { AccountErrors } from './errors.ts';
import type { AccountsDeps } from './service.ts';
import type { User } from './types.ts';
import { revokedSince, toUser } from './users.ts';

/** A verified bot JWT: its `user` claim, and that user when they exist (and are not deactivated). */
export interface BotJwtClaims {
  userId: string;
  /** Null when no active account has that id: the bot endpoints answer 404 `user is not found`. */
  user: User | null;
  /** seconds since epoch */
  iat: number;
  exp: number;
}

/** Builds the bot-JWT part of the accounts service. */
export function createBotJwts(deps: AccountsDeps) {
  const { store, config, clock } = deps;
  const key = new TextEncoder().encode(hmac(config.sessionSecret, 'orrery-bot-jwt-v1'));

  return {
    /** Issue a bot JWT for `userId` (`@name:server`); `expiresAt` in ms. */
    async issueBotJwt(userId: string): Promise<{ token: string; expiresAt: number }> {
      const iat = Math.floor(clock.now() / 1000);
      const exp = iat + config.bots.jwtTtlS;
      const token = await new SignJWT({ user: userId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresAt: exp * 1000 };
    },

    /**
     * Verify a bot JWT (the raw token, `Bearer ` already removed).
     * @throws DomainError jwtExpired (`Token expired`), jwtInvalid (`Token invalid`: bad signature,
     *   malformed, no `user` or `iat`), jwtRevoked (`Session revoked`: issued before the user's
     *   `sessions_revoked_at`)
     */
    async verifyBotJwt(raw: string): Promise<BotJwtClaims> {
      let payload;
      try {
        ({ payload } = await jwtVerify(raw, key, { algorithms: ['HS256'], currentDate: new Date(clock.now()) }));
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new DomainError(AccountErrors.jwtExpired);
        throw new DomainError(AccountErrors.jwtInvalid);
      }
      const { user, iat, exp } = payload as { user?: unknown; iat?: unknown; exp?: unknown };
      if (typeof user !== 'string' || !user || typeof iat !== 'number' || typeof exp !== 'number') throw new DomainError(AccountErrors.jwtInvalid);
      const row = await store.findUserById(user);
      if (row && revokedSince(row, iat * 1000)) throw new DomainError(AccountErrors.jwtRevoked);
      return { userId: user, user: row && !row.deactivated_at ? toUser(row) : null, iat, exp };
    },
  };
}
