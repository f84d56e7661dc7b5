/**
 * Accounts: registration under a policy, password login with throttling, web sessions with CSRF
 * tokens, hashed access tokens and JWTs, and revocation (Foundation issue, item 6).
 * Knows nothing of HTTP: callers pass plain values and get {@link DomainError}s.
 */
import argon2 from 'argon2';
import { SignJWT, jwtVerify } from 'jose';
import type { Config } from '../config/load.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { createBatcher } from '../lib/batcher.ts';
import { hmac, randomToken, safeEqual, sha256Hex } from '../lib/secrets.ts';
import { AccountErrors } from './errors.ts';
import { parseUsername, userIdOf } from './localpart.ts';
import type { AccessTokenRow, AccountsStore, UserRow } from './store.ts';
import type { CredentialKind, NewSession, Principal, User } from './types.ts';

/** What the accounts service needs. */
export interface AccountsDeps {
  store: AccountsStore;
  config: Pick<Config, 'serverName' | 'sessionSecret' | 'registration' | 'login' | 'sessionTtlS' | 'jwtTtlS'>;
  clock: Clock;
}

/** Listener run after an account is created (e.g. rooms joins it to the shared room). */
export type UserCreatedListener = (user: User) => Promise<void>;

const ACCESS_TOKEN_PREFIX = 'orr_';
/**
 * argon2id at OWASP's recommended profile (19 MiB, 2 passes, 1 lane): argon2's library default
 * (64 MiB, 3 passes, 4 lanes) costs ~8× more CPU per login for little gain on a 2-core host.
 * Hashes carry their parameters, so verifying older hashes keeps working if this changes.
 */
const ARGON2 = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const MIN_PASSWORD = 8;
/** Failures allowed per client address, as a multiple of `LOGIN_MAX_FAILURES` (per username). */
const IP_FAILURE_FACTOR = 10;
const MAX_PASSWORD = 1024;

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
  };
}

/** Localparts no one may register: the server's own user. */
const RESERVED_LOCALPARTS = new Set(['orrery']);

function toUser(row: UserRow): User {
  return {
    userId: row.user_id,
    localpart: row.localpart,
    displayName: row.display_name,
    isAdmin: row.is_admin === 1,
    createdAt: row.created_at,
  };
}

/** Builds the accounts service. */
export function createAccountsService(deps: AccountsDeps) {
  const { store, config, clock } = deps;
  const listeners: UserCreatedListener[] = [];
  const tokenToucher = createBatcher(store.touchAccessTokens);
  // Every bot request starts with this lookup; a burst of them becomes one `IN (…)` query.
  const tokenFinder = createBatcher(async (hashes: string[]) => {
    const rows = await store.findAccessTokensWithUsers([...new Set(hashes)]);
    const byHash = new Map(rows.map((row) => [row.token_hash, row]));
    return hashes.map((hash) => byHash.get(hash));
  });
  const jwtKey = new TextEncoder().encode(hmac(config.sessionSecret, 'orrery-jwt-v1'));
  let dummyHash: Promise<string> | undefined;

  function checkPassword(password: string): void {
    if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
      throw new DomainError(AccountErrors.weakPassword);
    }
  }

  function localpartOrThrow(username: string): string {
    const parsed = parseUsername(username, config.serverName);
    if (!parsed.ok) throw new DomainError(AccountErrors.invalidUsername, { message: parsed.reason });
    return parsed.localpart;
  }

  /**
   * Credentials issued strictly before `sessions_revoked_at` (ms) are dead. Strictly: the session a
   * password change creates for the browser that made it may share the revocation's millisecond and
   * must survive (regression: test "changing the password revokes every earlier session…").
   */
  function revokedSince(row: UserRow, issuedAt: number): boolean {
    return row.sessions_revoked_at !== null && issuedAt < row.sessions_revoked_at;
  }

  async function createUser(input: {
    username: string;
    password: string;
    isAdmin?: boolean;
    displayName?: string | null;
  }): Promise<User> {
    const localpart = localpartOrThrow(input.username);
    checkPassword(input.password);
    if (RESERVED_LOCALPARTS.has(localpart) || (await store.findUserByLocalpart(localpart))) {
      throw new DomainError(AccountErrors.usernameTaken);
    }
    const password_hash = await argon2.hash(input.password, ARGON2);
    let row: UserRow;
    try {
      row = await store.insertUser(
        {
          user_id: userIdOf(localpart, config.serverName),
          localpart,
          password_hash,
          display_name: input.displayName ?? null,
          created_at: clock.now(),
          sessions_revoked_at: null,
          deactivated_at: null,
          ...(input.isAdmin === undefined ? {} : { is_admin: input.isAdmin ? 1 : 0 }),
        },
        true,
      );
    } catch (error) {
      if (await store.findUserByLocalpart(localpart)) throw new DomainError(AccountErrors.usernameTaken);
      throw error;
    }
    const user = toUser(row);
    for (const listener of listeners) await listener(user);
    return user;
  }

  /** Throttle state per key; returns ms until unlocked, or 0. */
  async function lockedFor(key: string): Promise<number> {
    const row = await store.getAuthFailure(key);
    const now = clock.now();
    return row?.locked_until && row.locked_until > now ? row.locked_until - now : 0;
  }

  /** A client address may fail for many users before it is throttled; a username only a few times. */
  const limitOf = (key: string) => (key.startsWith('ip:') ? config.login.maxFailures * IP_FAILURE_FACTOR : config.login.maxFailures);

  async function recordFailure(key: string): Promise<void> {
    const now = clock.now();
    const row = await store.getAuthFailure(key);
    const fresh = !row || now - row.window_start > config.login.lockoutMs;
    const failures = fresh ? 1 : row.failures + 1;
    const locked_until = failures >= limitOf(key) ? now + config.login.lockoutMs : null;
    await store.putAuthFailure({ key, failures, window_start: fresh ? now : row.window_start, locked_until });
  }

  /** The CSRF token bound to a session: HMAC of its hash, so it needs no storage. */
  const csrfTokenFor = (sessionHash: string): string => hmac(config.sessionSecret, `csrf:${sessionHash}`);

  const service = {
    /** Register `fn` to run after every account creation. */
    onUserCreated(fn: UserCreatedListener): void {
      listeners.push(fn);
    },

    /**
     * Self-service registration under `REGISTRATION_POLICY`. The first account becomes admin.
     * @throws DomainError registrationClosed | registrationToken | invalidUsername | weakPassword | usernameTaken
     */
    async register(input: { username: string; password: string; registrationToken?: string | undefined }): Promise<User> {
      const { policy, token } = config.registration;
      if (policy === 'closed') throw new DomainError(AccountErrors.registrationClosed);
      if (policy === 'token' && !(input.registrationToken && token && safeEqual(input.registrationToken, token))) {
        throw new DomainError(AccountErrors.registrationToken);
      }
      return createUser(input);
    },

    /**
     * Admin path (CLI `orrery admin create-user`, `POST /api/admin/users`): ignores the policy.
     * @throws DomainError invalidUsername | weakPassword | usernameTaken
     */
    createUser,

    /**
     * Password login. Unknown user and wrong password give the same error and take the same time.
     * After `LOGIN_MAX_FAILURES` failures per username (10× that per client address), logins are refused
     * for `LOGIN_LOCKOUT_MS`.
     * @throws DomainError loginThrottled (details.retry_after_ms) | badCredentials
     */
    async login(input: { username: string; password: string; clientIp: string }): Promise<User> {
      const parsed = parseUsername(input.username, config.serverName);
      const keys = [`ip:${input.clientIp}`, ...(parsed.ok ? [`user:${parsed.localpart}`] : [])];
      const waits = await Promise.all(keys.map(lockedFor));
      const wait = Math.max(...waits);
      if (wait > 0) throw new DomainError(AccountErrors.loginThrottled, { details: { retry_after_ms: wait } });

      const row = parsed.ok ? await store.findUserByLocalpart(parsed.localpart) : undefined;
      let ok = false;
      if (row?.password_hash && !row.deactivated_at) {
        ok = await argon2.verify(row.password_hash, input.password).catch(() => false);
      } else {
        dummyHash ??= argon2.hash('orrery-timing-equaliser', ARGON2);
        await argon2.verify(await dummyHash, input.password).catch(() => false);
      }
      if (!ok || !row) {
        for (const key of keys) await recordFailure(key);
        throw new DomainError(AccountErrors.badCredentials);
      }
      // Only the username's counter resets: logging into one's own account must not clear an address's record.
      if (parsed.ok) await store.deleteAuthFailure(`user:${parsed.localpart}`);
      return toUser(row);
    },

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
      if (now - session.last_seen_at > 60_000) await store.touchSession(sessionHash, now);
      return { user: toUser(row), via: 'session', sessionHash };
    },

    /** Mint an opaque bearer token of `kind` for `userId`; returns the raw value (shown once). */
    async createAccessToken(
      userId: string,
      options: { kind?: string; label?: string; prefix?: string; randomBytes?: number; lastUsedAt?: number | null } = {},
    ): Promise<{ token: string; tokenId: number }> {
      const token = randomToken(options.prefix ?? ACCESS_TOKEN_PREFIX, options.randomBytes ?? 32);
      const tokenId = await store.insertAccessToken({
        token_hash: sha256Hex(token),
        user_id: userId,
        kind: options.kind ?? 'access',
        label: (options.label ?? 'api').slice(0, 60),
        created_at: clock.now(),
        last_used_at: options.lastUsedAt ?? null,
        expires_at: null,
        revoked_at: null,
      });
      return { token, tokenId };
    },

    /** Resolve an `orr_` access token; null when unknown, revoked, expired or of another kind. */
    async resolveAccessToken(raw: string): Promise<Principal | null> {
      const found = await service.findTokenWithUser(raw);
      if (!found?.user) return null;
      const { record, user } = found;
      if (record.kind !== 'access' || !record.active || (record.expiresAt !== null && record.expiresAt <= clock.now())) return null;
      return { user, via: 'access_token', tokenId: record.tokenId };
    },

    /** Issue an HS256 JWT (`sub` = user id, `iat`, `exp` = now + JWT_TTL_S). */
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

    /**
     * End the credential the request used.
     * @throws DomainError jwtNotRevocable for JWTs (stateless; use {@link revokeAllSessions}).
     */
    async logout(principal: Principal): Promise<void> {
      const now = clock.now();
      if (principal.sessionHash) await store.revokeSession(principal.sessionHash, now);
      else if (principal.tokenId !== undefined) await store.revokeAccessToken(principal.tokenId, now);
      else throw new DomainError(AccountErrors.jwtNotRevocable);
    },

    /** Revoke every session, access token and JWT of `userId` issued up to now. */
    async revokeAllSessions(userId: string): Promise<void> {
      if (!(await store.findUserById(userId))) throw new DomainError(AccountErrors.userNotFound);
      await store.setSessionsRevokedAt(userId, clock.now());
    },

    /**
     * Change the password after checking the current one; every existing session and token is revoked.
     * @throws DomainError badCredentials | weakPassword
     */
    async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<void> {
      const row = await store.findUserById(userId);
      if (!row?.password_hash || !(await argon2.verify(row.password_hash, currentPassword).catch(() => false))) {
        throw new DomainError(AccountErrors.badCredentials);
      }
      checkPassword(newPassword);
      const hash = await argon2.hash(newPassword, ARGON2);
      await store.updatePassword(userId, hash, clock.now());
    },

    /** Look a user up by id or username. @throws DomainError userNotFound */
    async getUser(idOrName: string): Promise<User> {
      const parsed = parseUsername(idOrName, config.serverName);
      const row = parsed.ok ? await store.findUserByLocalpart(parsed.localpart) : undefined;
      if (!row) throw new DomainError(AccountErrors.userNotFound);
      return toUser(row);
    },

    /** Every account, oldest first. */
    async listUsers(): Promise<User[]> {
      return (await store.listUsers()).map(toUser);
    },

    /**
     * The stored record of a raw token of any kind, with its user when that user may still act
     * (not deactivated, not revoked since the token was issued). For modules that own a token kind
     * (runtime tokens) and apply their own rules on top.
     */
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
      };
      const record = tokenRecord(row);
      const usable = !userRow.deactivated_at && !revokedSince(userRow, record.createdAt);
      return { record, user: usable ? toUser(userRow) : null };
    },
    /** Record a use of a token now (batched with concurrent uses into one transaction). */
    touchToken: (tokenId: number) => tokenToucher.add({ tokenId, at: clock.now() }),
    /** Deactivate one token; returns 1 if it was active. */
    revokeToken: (tokenId: number) => store.revokeAccessToken(tokenId, clock.now()),
    /** Deactivate every active token of `kind` held by `userId`; returns how many. */
    revokeUserTokens: (userId: string, kind: string) => store.revokeUserTokens(userId, kind, clock.now()),
    /** Tokens of `kind` held by `userId`, newest first. */
    async listTokens(userId: string, kind: string): Promise<TokenRecord[]> {
      return (await store.listAccessTokens(userId, kind)).map(tokenRecord);
    },

    /** Resolve any bearer credential: `orr_` access token or JWT. */
    async resolveBearer(raw: string): Promise<Principal | null> {
      if (raw.startsWith(ACCESS_TOKEN_PREFIX)) return service.resolveAccessToken(raw);
      if (raw.split('.').length === 3) return service.resolveJwt(raw);
      return null;
    },
  };
  return service;
}

/** The accounts service API. */
export type AccountsService = ReturnType<typeof createAccountsService>;
export type { CredentialKind };
