/**
 * Runtime Connect invites (docs/runtime-connect.md "Endpoints"): a signed-in user creates a one-time code and
 * claims it for a `kzrt_` runtime token bound to their own account. Part of the runtime service.
 */
import { DomainError } from '../lib/errors.ts';
import { randomToken, sha256Hex } from '../lib/secrets.ts';
import type { User } from '../accounts/types.ts';
import { RuntimeErrors } from './errors.ts';
import type { RuntimeTokens } from './tokens.ts';
import type { RuntimeDeps } from './types.ts';

/** `kzinv_` + 18 random bytes (36 hex). */
const INVITE_PREFIX = 'kzinv_';
/** Invite lifetime bounds and default, minutes. */
const TTL_MINUTES = { min: 1, max: 60, default: 10 };

/** Builds the invites part of the runtime service. */
export function createInvites(deps: RuntimeDeps, tokens: RuntimeTokens) {
  const { store, rooms, clock, config } = deps;

  return {
    /** Create a one-time invite (links under `origin`); `ttlMinutes` is clamped to [1, 60], default 10 (fractions kept). */
    async createInvite(origin: string, userId: string, ttlMinutes: number | string | undefined): Promise<{ code: string; url: string; specUrl: string; expiresAt: string }> {
      const n = Number(ttlMinutes ?? TTL_MINUTES.default);
      const ttl = Number.isFinite(n) ? Math.min(TTL_MINUTES.max, Math.max(TTL_MINUTES.min, n)) : TTL_MINUTES.default;
      const code = randomToken(INVITE_PREFIX, 18);
      const now = clock.now();
      const expires_at = now + Math.round(ttl * 60_000);
      await store.insertInvite({
        code_hash: sha256Hex(code),
        created_by: userId,
        expires_at,
        max_claims: 1,
        used_claims: 0,
        used_at: null,
        revoked: 0,
        created_at: now,
      });
      return {
        code,
        url: `${origin}/runtime/connect?code=${encodeURIComponent(code)}`,
        specUrl: `${origin}/api/runtime/spec`,
        expiresAt: new Date(expires_at).toISOString(),
      };
    },

    /**
     * Claim an invite for the claimer's own account: single use; of two concurrent
     * claims exactly one wins. Mints a `kzrt_` token (shown once) and marks the claimer present.
     * @throws DomainError missingInviteCode | invalidInvite | inviteExpired | inviteUsed | claimFailed
     */
    async claimInvite(origin: string, user: User, rawCode: string | undefined, label: string | undefined) {
      const code = rawCode?.trim() ?? '';
      if (!code) throw new DomainError(RuntimeErrors.missingInviteCode);
      const invite = await store.findInviteByHash(sha256Hex(code));
      if (!invite || invite.revoked === 1) throw new DomainError(RuntimeErrors.invalidInvite);
      const now = clock.now();
      if (invite.expires_at <= now || invite.used_claims >= invite.max_claims) throw new DomainError(RuntimeErrors.inviteExpired);
      if ((await store.reserveInvite(invite, now)) !== 1) throw new DomainError(RuntimeErrors.inviteUsed);
      let token: string;
      try {
        token = await tokens.mintToken(user.userId, label?.trim() || 'runtime', now);
        await rooms.touchPresence(user.userId, true, config.runtime.presenceWindowMs);
      } catch {
        await store.restoreInvite(invite);
        throw new DomainError(RuntimeErrors.claimFailed);
      }
      return {
        user: { id: user.userId, username: user.localpart },
        token,
        mode: 'linked-user' as const,
        note: 'Store token now. It will not be shown again.',
        next: {
          spec: `${origin}/api/runtime/spec`,
          presence: `${origin}/api/runtime/presence`,
          shared: `${origin}/api/runtime/shared`,
        },
      };
    },
  };
}
