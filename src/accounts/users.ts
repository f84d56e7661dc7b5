/**
 * Accounts: users and passwords — creation under a registration policy, lookup, password change.
 * Part of the accounts service (`service.ts` composes it); knows nothing of HTTP.
 */
import argon2 from 'argon2';
import { DomainError } from '../lib/errors.ts';
import { safeEqual } from '../lib/secrets.ts';
import { AccountErrors } from './errors.ts';
import { parseUsername, userIdOf } from './localpart.ts';
import type { UserRow } from './store.ts';
import type { AccountsDeps, Revocations } from './service.ts';
import type { User } from './types.ts';

/**
 * argon2id at OWASP's recommended profile (19 MiB, 2 passes, 1 lane): argon2's library default
 * (64 MiB, 3 passes, 4 lanes) costs ~8× more CPU per login for little gain on a 2-core host.
 * Hashes carry their parameters, so verifying older hashes keeps working if this changes.
 */
export const ARGON2 = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
/** Localparts no one may register: the server's own user. */
const RESERVED_LOCALPARTS = new Set(['orrery']);

/** Listener run after an account is created (e.g. rooms joins it to the shared room). */
export type UserCreatedListener = (user: User) => Promise<void>;

/** The service's view of a `users` row (never the password hash). */
export function toUser(row: UserRow): User {
  return {
    userId: row.user_id,
    localpart: row.localpart,
    displayName: row.display_name,
    isAdmin: row.is_admin === 1,
    createdAt: row.created_at,
    avatarUrl: row.avatar_url ?? null,
  };
}

/**
 * Credentials issued strictly before `sessions_revoked_at` (ms) are dead. Strictly: the session a
 * password change creates for the browser that made it may share the revocation's millisecond and
 * must survive (regression: test "changing the password revokes every earlier session…").
 */
export function revokedSince(row: Pick<UserRow, 'sessions_revoked_at'>, issuedAt: number): boolean {
  return row.sessions_revoked_at !== null && issuedAt < row.sessions_revoked_at;
}

/** Builds the users part of the accounts service. */
export function createUsers(deps: AccountsDeps, revocations: Revocations) {
  const { store, config, clock } = deps;
  const listeners: UserCreatedListener[] = [];

  function checkPassword(password: string): void {
    if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) throw new DomainError(AccountErrors.weakPassword);
  }

  function localpartOrThrow(username: string): string {
    const parsed = parseUsername(username, config.serverName);
    if (!parsed.ok) throw new DomainError(AccountErrors.invalidUsername, { message: parsed.reason });
    return parsed.localpart;
  }

  async function createUser(input: { username: string; password: string; isAdmin?: boolean; displayName?: string | null }): Promise<User> {
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
          avatar_url: null,
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

  return {
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
     * Whether `username` is valid and free (Matrix `GET /register/available`).
     * @throws DomainError invalidUsername | usernameTaken
     */
    async checkUsernameAvailable(username: string): Promise<void> {
      const localpart = localpartOrThrow(username);
      if (RESERVED_LOCALPARTS.has(localpart) || (await store.findUserByLocalpart(localpart))) throw new DomainError(AccountErrors.usernameTaken);
    },

    /**
     * Admin path (CLI `orrery admin create-user`, `POST /api/admin/users`): ignores the policy.
     * @throws DomainError invalidUsername | weakPassword | usernameTaken
     */
    createUser,

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
      await revocations.announce(userId);
    },

    /** Revoke every session, access token and JWT of `userId` issued up to now. @throws DomainError userNotFound */
    async revokeAllSessions(userId: string): Promise<void> {
      if (!(await store.findUserById(userId))) throw new DomainError(AccountErrors.userNotFound);
      await store.setSessionsRevokedAt(userId, clock.now());
      await revocations.announce(userId);
    },

    /** Look a user up by id or username. @throws DomainError userNotFound */
    async getUser(idOrName: string): Promise<User> {
      const parsed = parseUsername(idOrName, config.serverName);
      const row = parsed.ok ? await store.findUserByLocalpart(parsed.localpart) : undefined;
      if (!row) throw new DomainError(AccountErrors.userNotFound);
      return toUser(row);
    },

    /**
     * Set the Matrix profile of `userId` (`displayname`, `avatar_url`); absent fields stay.
     * @throws DomainError userNotFound
     */
    async updateProfile(userId: string, fields: { displayName?: string | null; avatarUrl?: string | null }): Promise<User> {
      await store.updateProfile(userId, {
        ...(fields.displayName !== undefined ? { display_name: fields.displayName } : {}),
        ...(fields.avatarUrl !== undefined ? { avatar_url: fields.avatarUrl } : {}),
      });
      const row = await store.findUserById(userId);
      if (!row) throw new DomainError(AccountErrors.userNotFound);
      return toUser(row);
    },

    /** A user by Matrix user id, or null (no error: profile lookups of unknown users answer 404 themselves). */
    async findUser(userId: string): Promise<User | null> {
      const row = await store.findUserById(userId);
      return row && !row.deactivated_at ? toUser(row) : null;
    },

    /** Active users whose localpart or display name contains `term`, at most `limit` (user directory). */
    async searchUsers(term: string, limit: number): Promise<User[]> {
      return (await store.searchUsers(term, limit)).map(toUser);
    },

    /** Every account, oldest first. */
    async listUsers(): Promise<User[]> {
      return (await store.listUsers()).map(toUser);
    },
  };
}
