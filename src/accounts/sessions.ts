/**
 * Accounts: web sessions (an httpOnly cookie whose value is stored only as its SHA-256) and their
 * CSRF tokens (an HMAC of the session hash, so they need no storage). Part of the accounts service.
 */
import { hmac, randomToken, safeEqual, sha256Hex } from '../lib/secrets.ts';
import type { AccountsDeps } from './service.ts';
import type { NewSession, Principal } from './types.ts';
import { revokedSince, toUser } from './users.ts';

/** A session's `last_seen_at` is written at most this often, ms (it only informs the UI). */
const TOUCH_EVERY_MS = 60_000;

/** Builds the sessions part of the accounts service. */
export function createSessions(deps: AccountsDeps) {
  const { store, config, clock } = deps;
  /** The CSRF token bound to a session: HMAC of its hash, so it needs no storage. */
  const csrfTokenFor = (sessionHash: string): string => hmac(config.sessionSecret, `csrf:${sessionHash}`);

  return {
    /** Start a web session for `userId`; the raw cookie value is returned once and stored hashed. */
    async createSession(userId: string, userAgent: string | null): Promise<NewSession> {
      const cookieValue = randomToken('', 32);
      const session_hash = sha256Hex(cookieValue);
      const now = clock.now();
      const expiresAt = now + config.sessionTtlS * 1000;
      await store.insertSession({
        session_hash,
        user_id: userId,
        created_at: now,
        expires_at: expiresAt,
        last_seen_at: now,
        revoked_at: null,
        user_agent: userAgent?.slice(0, 300) ?? null,
      });
      return { cookieValue, csrfToken: csrfTokenFor(session_hash), expiresAt };
    },

    csrfTokenFor,

    /** True when `token` is the CSRF token of `sessionHash` (constant time). */
    checkCsrf(sessionHash: string, token: string | undefined): boolean {
      return token !== undefined && safeEqual(token, csrfTokenFor(sessionHash));
    },

    /** Resolve a session cookie value; null when unknown, expired, revoked or deactivated. */
    async resolveSession(cookieValue: string): Promise<Principal | null> {
      const sessionHash = sha256Hex(cookieValue);
      const session = await store.findSession(sessionHash);
      const now = clock.now();
      if (!session || session.revoked_at !== null || session.expires_at <= now) return null;
      const row = await store.findUserById(session.user_id);
      if (!row || row.deactivated_at || revokedSince(row, session.created_at)) return null;
      if (now - session.last_seen_at > TOUCH_EVERY_MS) await store.touchSession(sessionHash, now);
      return { user: toUser(row), via: 'session', sessionHash };
    },
  };
}
