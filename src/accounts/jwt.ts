/**
 * Accounts: stateless HS256 JWTs for API clients (`sub` = user id, `iss` = server name, `iat`, `exp`),
 * keyed by an HMAC of the server secret, valid until `exp` or the user's `sessions_revoked_at`.
 * Part of the accounts service.
 */
import { SignJWT, jwtVerify } from 'jose';
import { hmac } from '../lib/secrets.ts';
import type { AccountsDeps } from './service.ts';
import type { Principal } from './types.ts';
import { revokedSince, toUser } from './users.ts';

/** Builds the JWT part of the accounts service. */
export function createJwts(deps: AccountsDeps) {
  const { store, config, clock } = deps;
  const jwtKey = new TextEncoder().encode(hmac(config.sessionSecret, 'orrery-jwt-v1'));

  return {
    /** Issue an HS256 JWT (`sub` = user id, `iat`, `exp` = now + JWT_TTL_S); `expiresAt` in ms. */
    async issueJwt(userId: string): Promise<{ token: string; expiresAt: number }> {
      const iat = Math.floor(clock.now() / 1000);
      const exp = iat + config.jwtTtlS;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(config.serverName)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(jwtKey);
      return { token, expiresAt: exp * 1000 };
    },

    /** Verify a JWT; null when malformed, badly signed, expired, or issued before a revocation. */
    async resolveJwt(raw: string): Promise<Principal | null> {
      try {
        const { payload } = await jwtVerify(raw, jwtKey, {
          algorithms: ['HS256'],
          issuer: config.serverName,
          currentDate: new Date(clock.now()),
        });
        if (typeof payload.sub !== 'string' || typeof payload.iat !== 'number') return null;
        const row = await store.findUserById(payload.sub);
        if (!row || row.deactivated_at || revokedSince(row, payload.iat * 1000)) return null;
        return { user: toUser(row), via: 'jwt' };
      } catch {
        return null;
      }
    },
  };
}
