/**
 * Runtime tokens (`kzrt_…`; docs/runtime-connect.md "Endpoints", "Security"): authentication with idle expiry,
 * heartbeats that keep them alive, direct issue (when enabled), admin rotate and revoke, and a user's
 * own list. Tokens are accounts' access tokens of kind `runtime`; presence is rooms'. Part of the
 * runtime service.
 */
import { DomainError } from '../lib/errors.ts';
import { safeEqual } from '../lib/secrets.ts';
import type { TokenRecord } from '../accounts/service.ts';
import type { Principal, User } from '../accounts/types.ts';
import { RuntimeErrors } from './errors.ts';
import { RUNTIME_TOKEN_KIND, type RuntimeDeps } from './types.ts';

/** `kzrt_` + 24 random bytes (48 hex). */
export const RUNTIME_TOKEN_PREFIX = 'kzrt_';

/** The runtime tokens part, as the invites part uses it. */
export type RuntimeTokens = ReturnType<typeof createRuntimeTokens>;

/** Builds the tokens part of the runtime service. */
export function createRuntimeTokens(deps: RuntimeDeps) {
  const { accounts, rooms, clock, config } = deps;
  const limits = config.runtime;

  async function mintToken(userId: string, label: string, lastUsedAt: number | null): Promise<string> {
    const { token } = await accounts.createAccessToken(userId, {
      kind: RUNTIME_TOKEN_KIND,
      prefix: RUNTIME_TOKEN_PREFIX,
      randomBytes: 24,
      label: label.slice(0, 60) || 'runtime',
      lastUsedAt,
    });
    return token;
  }

  const tokens = {
    /** Mint a runtime token for `userId` (shown once); `lastUsedAt` (ms) starts its idle clock. */
    mintToken,

    /**
     * Resolve a `kzrt_` token. Idle expiry (docs/runtime-connect.md, quirk 2): when the last presence call (or the
     * creation) is older than `RUNTIME_TOKEN_IDLE_MS`, the token is deactivated, its user's presence
     * removed, and the call fails with `token expired`; later calls get `invalid token`.
     * @throws DomainError invalidToken | tokenExpired
     */
    async authenticate(raw: string): Promise<Principal> {
      const found = await accounts.findTokenWithUser(raw);
      const record = found?.record;
      if (!record || record.kind !== RUNTIME_TOKEN_KIND || !record.active) throw new DomainError(RuntimeErrors.invalidToken);
      const base = record.lastUsedAt ?? record.createdAt;
      if (clock.now() - base > limits.tokenIdleMs) {
        await accounts.revokeToken(record.tokenId);
        await rooms.clearPresence(record.userId);
        throw new DomainError(RuntimeErrors.tokenExpired);
      }
      const user = found.user;
      if (!user) throw new DomainError(RuntimeErrors.invalidToken);
      return { user, via: 'runtime_token', tokenId: record.tokenId };
    },

    /** Heartbeat: present now, token kept alive. */
    async heartbeat(principal: Principal): Promise<void> {
      await Promise.all([
        rooms.touchPresence(principal.user.userId, true, limits.presenceWindowMs),
        principal.tokenId !== undefined ? accounts.touchToken(principal.tokenId) : undefined,
      ]);
    },

    /** Clean shutdown: presence removed at once (the token is still "used", as in the original). */
    async clearPresence(principal: Principal): Promise<void> {
      await rooms.clearPresence(principal.user.userId);
      if (principal.tokenId !== undefined) await accounts.touchToken(principal.tokenId);
    },

    /** @throws DomainError disabled unless `RUNTIME_ALLOW_DIRECT_TOKEN_ISSUE` */
    assertDirectIssueEnabled(): void {
      if (!limits.allowDirectTokenIssue) {
        throw new DomainError(RuntimeErrors.disabled, {
          details: { reason: 'runtime is invite-claim only', how_to_claim: 'Use /runtime/connect while logged in and claim invite code.' },
        });
      }
    },

    /** Direct issue (`POST /api/runtime/token`), only when enabled; expiry counts from creation. */
    async issueDirect(user: User, label: string | undefined): Promise<{ token: string; note: string }> {
      tokens.assertDirectIssueEnabled();
      const token = await mintToken(user.userId, label ?? 'runtime', null);
      return { token, note: 'Store this token now. It will not be shown again.' };
    },

    /** True when `key` is the configured bootstrap key (constant time). @throws DomainError bootstrapDisabled when none is set */
    checkBootstrapKey(key: string): boolean {
      if (!limits.bootstrapKey) throw new DomainError(RuntimeErrors.bootstrapDisabled);
      return safeEqual(key, limits.bootstrapKey);
    },

    /**
     * Admin rotate: a new token for the same user, the old one deactivated.
     * @throws DomainError missingTokenArg | invalidToken
     */
    async rotate(rawToken: string | undefined, label: string | undefined) {
      const old = rawToken?.trim() ?? '';
      if (!old) throw new DomainError(RuntimeErrors.missingTokenArg);
      const record = await accounts.findTokenRecord(old);
      if (!record || record.kind !== RUNTIME_TOKEN_KIND || !record.active) throw new DomainError(RuntimeErrors.invalidToken);
      const token = await mintToken(record.userId, label?.trim() || record.label || 'runtime', clock.now());
      await accounts.revokeToken(record.tokenId);
      return { ok: true as const, token, note: 'Store token now. Old token is revoked.' };
    },

    /**
     * Admin revoke (fixed: revoking a token also clears its user's presence, quirk 7).
     * @throws DomainError revokeTarget | missingUserTarget
     */
    async revoke(body: { token?: string | undefined; tokenHash?: string | undefined; revokeAllForUser?: boolean | undefined; userId?: string | undefined; username?: string | undefined }) {
      if (body.token !== undefined || body.tokenHash !== undefined) {
        const record =
          body.token !== undefined ? await accounts.findTokenRecord(body.token.trim()) : await accounts.findTokenRecordByHash(body.tokenHash!.trim());
        if (!record || record.kind !== RUNTIME_TOKEN_KIND) return { ok: true as const, revoked: 0 };
        const revoked = await accounts.revokeToken(record.tokenId);
        if (revoked) await rooms.clearPresence(record.userId);
        return { ok: true as const, revoked };
      }
      if (body.revokeAllForUser !== true) throw new DomainError(RuntimeErrors.revokeTarget);
      const target = body.userId ?? body.username ?? '';
      const user = target ? await accounts.getUser(target).catch(() => null) : null;
      if (!user) throw new DomainError(RuntimeErrors.missingUserTarget);
      const revoked = await accounts.revokeUserTokens(user.userId, RUNTIME_TOKEN_KIND);
      await rooms.clearPresence(user.userId);
      return { ok: true as const, revoked };
    },

    /** The caller's runtime tokens, newest first. */
    async listTokens(userId: string): Promise<TokenRecord[]> {
      return accounts.listTokens(userId, RUNTIME_TOKEN_KIND);
    },

    /** Revoke one of the caller's own runtime tokens. @throws DomainError tokenNotFound */
    async revokeOwnToken(userId: string, tokenId: number): Promise<void> {
      const record = await accounts.findTokenRecordById(tokenId);
      if (!record || record.userId !== userId || record.kind !== RUNTIME_TOKEN_KIND) throw new DomainError(RuntimeErrors.tokenNotFound);
      if (await accounts.revokeToken(tokenId)) await rooms.clearPresence(userId);
    },
  };
  return tokens;
}
