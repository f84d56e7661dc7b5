/**
 * Accounts: opaque bearer tokens (`orr_…` API tokens, and the token kinds other modules own, such as
 * runtime's `kzrt_…`), stored as SHA-256, shown once. Part of the accounts service.
 */
import { createBatcher } from '../lib/batcher.ts';
import { randomToken, sha256Hex } from '../lib/secrets.ts';
import type { AccessTokenRow, UserRow } from './store.ts';
import type { AccountsDeps, Revocations } from './service.ts';
import type { Principal, User } from './types.ts';
import { revokedSince, toUser } from './users.ts';

/** Prefix of Orrery's own API access tokens. */
export const ACCESS_TOKEN_PREFIX = 'orr_';
/** Longest token label kept, characters. */
const MAX_LABEL = 60;

/** A stored token as other modules see it (never the hash). */
export interface TokenRecord {
  tokenId: number;
  userId: string;
  kind: string;
  label: string;
  /** ms */
  createdAt: number;
  /** ms, or null when never used */
  lastUsedAt: number | null;
  /** ms, or null when it does not expire by date */
  expiresAt: number | null;
  active: boolean;
  /** Matrix device id of the login that created it, or null. */
  deviceId: string | null;
}

function tokenRecord(row: AccessTokenRow): TokenRecord {
  return {
    tokenId: Number(row.token_id),
    userId: row.user_id,
    kind: row.kind,
    label: row.label,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    active: row.revoked_at === null,
    deviceId: row.device_id ?? null,
  };
}

/** Builds the tokens part of the accounts service. */
export function createTokens(deps: AccountsDeps, revocations: Revocations) {
  const { store, clock } = deps;
  const tokenToucher = createBatcher(store.touchAccessTokens);
  // Every bot request starts with this lookup; a burst of them becomes one `IN (…)` query.
  const tokenFinder = createBatcher(async (hashes: string[]) => {
    const rows = await store.findAccessTokensWithUsers([...new Set(hashes)]);
    const byHash = new Map(rows.map((row) => [row.token_hash, row]));
    return hashes.map((hash) => byHash.get(hash));
  });

  const tokens = {
    /** Mint an opaque bearer token of `kind` for `userId`; returns the raw value (shown once). */
    async createAccessToken(
      userId: string,
      options: { kind?: string; label?: string; prefix?: string; randomBytes?: number; lastUsedAt?: number | null; deviceId?: string } = {},
    ): Promise<{ token: string; tokenId: number }> {
      const token = randomToken(options.prefix ?? ACCESS_TOKEN_PREFIX, options.randomBytes ?? 32);
      const tokenId = await store.insertAccessToken({
        token_hash: sha256Hex(token),
        user_id: userId,
        kind: options.kind ?? 'access',
        label: (options.label ?? 'api').slice(0, MAX_LABEL),
        created_at: clock.now(),
        last_used_at: options.lastUsedAt ?? null,
        expires_at: null,
        revoked_at: null,
        device_id: options.deviceId ?? null,
      });
      return { token, tokenId };
    },

    /** Resolve an `orr_` access token; null when unknown, revoked, expired or of another kind. */
    async resolveAccessToken(raw: string): Promise<Principal | null> {
      const found = await tokens.findTokenWithUser(raw);
      if (!found?.user) return null;
      const { record, user } = found;
      if (record.kind !== 'access' || !record.active || (record.expiresAt !== null && record.expiresAt <= clock.now())) return null;
      return { user, via: 'access_token', tokenId: record.tokenId };
    },

    /** The stored record of a raw token of any kind. */
    async findTokenRecord(raw: string): Promise<TokenRecord | null> {
      const row = await store.findAccessTokenByHash(sha256Hex(raw));
      return row ? tokenRecord(row) : null;
    },
    /** The stored record of a token by its SHA-256 hex. */
    async findTokenRecordByHash(tokenHash: string): Promise<TokenRecord | null> {
      const row = await store.findAccessTokenByHash(tokenHash);
      return row ? tokenRecord(row) : null;
    },
    /** A token record by id (e.g. to revoke one's own token from the UI). */
    async findTokenRecordById(tokenId: number): Promise<TokenRecord | null> {
      const row = await store.findAccessTokenById(tokenId);
      return row ? tokenRecord(row) : null;
    },
    /**
     * A raw token's record and, when its user may still act (not deactivated, not revoked since the
     * token was issued), that user, for modules that authenticate their own token kind. Lookups made
     * in the same event-loop turn share one query.
     */
    async findTokenWithUser(raw: string): Promise<{ record: TokenRecord; user: User | null } | null> {
      const row = await tokenFinder.add(sha256Hex(raw));
      if (!row) return null;
      const userRow: UserRow = {
        user_id: row.user_id,
        localpart: row.localpart,
        password_hash: row.password_hash,
        display_name: row.display_name,
        is_admin: row.is_admin,
        created_at: row.user_created_at,
        sessions_revoked_at: row.sessions_revoked_at,
        deactivated_at: row.deactivated_at,
        avatar_url: row.avatar_url,
      };
      const record = tokenRecord(row);
      const usable = !userRow.deactivated_at && !revokedSince(userRow, record.createdAt);
      return { record, user: usable ? toUser(userRow) : null };
    },
    /** Record a use of a token now (batched with concurrent uses into one transaction). */
    touchToken: (tokenId: number) => tokenToucher.add({ tokenId, at: clock.now() }),
    /** Deactivate one token (its open streams are closed); returns 1 if it was active, else 0. */
    async revokeToken(tokenId: number): Promise<number> {
      const userId = await store.revokeAccessToken(tokenId, clock.now());
      if (userId === undefined) return 0;
      await revocations.announce(userId);
      return 1;
    },
    /** Deactivate every active token of `kind` held by `userId`; returns how many. */
    async revokeUserTokens(userId: string, kind: string): Promise<number> {
      const n = await store.revokeUserTokens(userId, kind, clock.now());
      if (n > 0) await revocations.announce(userId);
      return n;
    },
    /** Tokens of `kind` held by `userId`, newest first. */
    async listTokens(userId: string, kind: string): Promise<TokenRecord[]> {
      return (await store.listAccessTokens(userId, kind)).map(tokenRecord);
    },
  };
  return tokens;
}
