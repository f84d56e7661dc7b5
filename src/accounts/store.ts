/**
 * Accounts SQL: the only file that queries `users`, `sessions`, `access_tokens`, `auth_failures`.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Dialect } from '../store/database.ts';
import type { AccessTokensTable, Database, SessionsTable, UsersTable } from '../store/schema.ts';

/** A `users` row. */
export type UserRow = Selectable<UsersTable>;
/** A `sessions` row. */
export type SessionRow = Selectable<SessionsTable>;
/** An `access_tokens` row. */
export type AccessTokenRow = Selectable<AccessTokensTable>;

/**
 * PostgreSQL advisory lock (key pair `'orry'`, 2) taken by a registration that may be the first: in
 * READ COMMITTED two concurrent first registrations would each see no users and both become admin.
 */
const FIRST_USER_LOCK = [0x6f727279, 2] as const;

/** Builds the accounts queries over `db` (`dialect` picks how the first-user check is made atomic). */
export function createAccountsStore(db: Kysely<Database>, dialect: Dialect) {
  return {
    /** Inserts a user, making it admin when it is the first one; runs in one transaction. */
    async insertUser(row: Omit<UserRow, 'is_admin'> & { is_admin?: number }, firstIsAdmin: boolean): Promise<UserRow> {
      return db.transaction().execute(async (trx) => {
        if (firstIsAdmin && row.is_admin === undefined && dialect === 'postgres') {
          await sql`select pg_advisory_xact_lock(${FIRST_USER_LOCK[0]}, ${FIRST_USER_LOCK[1]})`.execute(trx);
        }
        const existing = await trx.selectFrom('users').select('user_id').limit(1).executeTakeFirst();
        const is_admin = row.is_admin ?? (firstIsAdmin && !existing ? 1 : 0);
        const full = { ...row, is_admin };
        await trx.insertInto('users').values(full).execute();
        return full;
      });
    },
    findUserById: (userId: string) =>
      db.selectFrom('users').selectAll().where('user_id', '=', userId).executeTakeFirst(),
    findUserByLocalpart: (localpart: string) =>
      db.selectFrom('users').selectAll().where('localpart', '=', localpart).executeTakeFirst(),
    listUsers: () => db.selectFrom('users').selectAll().orderBy('created_at').execute(),
    async updatePassword(userId: string, passwordHash: string, revokedAt: number): Promise<void> {
      await db
        .updateTable('users')
        .set({ password_hash: passwordHash, sessions_revoked_at: revokedAt })
        .where('user_id', '=', userId)
        .execute();
    },
    async setSessionsRevokedAt(userId: string, at: number): Promise<void> {
      await db.updateTable('users').set({ sessions_revoked_at: at }).where('user_id', '=', userId).execute();
    },
    /** Set profile fields (Matrix `displayname`, `avatar_url`); absent fields are left alone. */
    async updateProfile(userId: string, fields: { display_name?: string | null; avatar_url?: string | null }): Promise<void> {
      if (Object.keys(fields).length === 0) return;
      await db.updateTable('users').set(fields).where('user_id', '=', userId).execute();
    },
    /** Users whose localpart or display name contains `term` (case-insensitive), at most `limit`. */
    searchUsers: (term: string, limit: number) => {
      // `%` and `_` in the term are letters, not wildcards.
      const pattern = `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return db
        .selectFrom('users')
        .selectAll()
        .where('deactivated_at', 'is', null)
        .where((eb) => eb.or([sql<boolean>`lower(localpart) like ${pattern} escape '\\'`, sql<boolean>`lower(coalesce(display_name, '')) like ${pattern} escape '\\'`]))
        .orderBy('localpart')
        .limit(limit)
        .execute();
    },
    async setAdmin(userId: string, isAdmin: boolean): Promise<void> {
      await db.updateTable('users').set({ is_admin: isAdmin ? 1 : 0 }).where('user_id', '=', userId).execute();
    },

    async insertSession(row: SessionRow): Promise<void> {
      await db.insertInto('sessions').values(row).execute();
    },
    findSession: (sessionHash: string) =>
      db.selectFrom('sessions').selectAll().where('session_hash', '=', sessionHash).executeTakeFirst(),
    async revokeSession(sessionHash: string, at: number): Promise<void> {
      await db.updateTable('sessions').set({ revoked_at: at }).where('session_hash', '=', sessionHash).execute();
    },
    async touchSession(sessionHash: string, at: number): Promise<void> {
      await db.updateTable('sessions').set({ last_seen_at: at }).where('session_hash', '=', sessionHash).execute();
    },

    async insertAccessToken(row: Omit<AccessTokenRow, 'token_id'>): Promise<number> {
      const r = await db.insertInto('access_tokens').values(row).returning('token_id').executeTakeFirstOrThrow();
      return Number(r.token_id);
    },
    findAccessTokenByHash: (tokenHash: string) =>
      db.selectFrom('access_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
    /** Deactivate one token; returns its user id when it was active, else undefined. */
    async revokeAccessToken(tokenId: number, at: number): Promise<string | undefined> {
      const r = await db
        .updateTable('access_tokens')
        .set({ revoked_at: at })
        .where('token_id', '=', tokenId)
        .where('revoked_at', 'is', null)
        .returning('user_id')
        .executeTakeFirst();
      return r?.user_id;
    },
    /**
     * One UPDATE for a batch of token uses (the heartbeat hot path). Uses within one batch happen in
     * the same event-loop turn, so each token gets the batch's latest instant (at most a few ms later).
     */
    async touchAccessTokens(items: Array<{ tokenId: number; at: number }>): Promise<void[]> {
      if (items.length) {
        const at = items.reduce((max, it) => (it.at > max ? it.at : max), items[0]!.at);
        const ids = [...new Set(items.map((it) => it.tokenId))];
        await sql`update access_tokens set last_used_at = ${at} where token_id in (${sql.join(ids)})`.execute(db);
      }
      return items.map(() => undefined);
    },
    listAccessTokens: (userId: string, kind: string) =>
      db.selectFrom('access_tokens').selectAll().where('user_id', '=', userId).where('kind', '=', kind).orderBy('created_at', 'desc').execute(),
    /**
     * Tokens and their users in one query, for a batch of lookups (the hot path of every runtime
     * call). Written with the `sql` template: Kysely's builder cost more CPU than SQLite on this path
     * (docs/PERFORMANCE.md). Unknown hashes are simply absent from the result.
     */
    findAccessTokensWithUsers: async (tokenHashes: string[]) =>
      (
        await sql<AccessTokenRow & {
          localpart: string;
          password_hash: string | null;
          display_name: string | null;
          is_admin: number;
          user_created_at: number;
          sessions_revoked_at: number | null;
          deactivated_at: number | null;
          avatar_url: string | null;
        }>`select t.token_id, t.token_hash, t.user_id, t.kind, t.label, t.created_at, t.last_used_at, t.expires_at, t.revoked_at, t.device_id,
                  u.localpart, u.password_hash, u.display_name, u.is_admin, u.created_at as user_created_at,
                  u.sessions_revoked_at, u.deactivated_at, u.avatar_url
             from access_tokens t join users u on u.user_id = t.user_id
            where t.token_hash in (${sql.join(tokenHashes)})`.execute(db)
      ).rows,
    findAccessTokenById: (tokenId: number) =>
      db.selectFrom('access_tokens').selectAll().where('token_id', '=', tokenId).executeTakeFirst(),
    async revokeUserTokens(userId: string, kind: string, at: number): Promise<number> {
      const r = await db
        .updateTable('access_tokens')
        .set({ revoked_at: at })
        .where('user_id', '=', userId)
        .where('kind', '=', kind)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    /**
     * Reserve one login attempt under `key`, so that concurrent attempts cannot all pass a check made
     * before any of them is counted. The grant is one conditional UPDATE (a row lock on PostgreSQL,
     * the single writer on SQLite): it succeeds only while the key is not locked and its failures
     * plus the attempts still pending stay under `limit`. A window (`lockoutMs` from its first
     * attempt) that is over, with no lock in force, starts again (pending ones too: a crashed
     * process's reservations must not hold a key forever).
     * Returns `null` when granted, else ms to wait: until the lock ends, or `busyRetryMs` when the
     * limit is taken by attempts still in flight.
     */
    async reserveAuthAttempt(key: string, now: number, limit: number, lockoutMs: number, busyRetryMs: number): Promise<number | null> {
      const unlocked = sql`(auth_failures.locked_until is null or auth_failures.locked_until <= ${now})`;
      await sql`insert into auth_failures (key, failures, pending, window_start, locked_until) values (${key}, 0, 0, ${now}, null)
        on conflict (key) do update set failures = 0, pending = 0, window_start = ${now}, locked_until = null
        where ${unlocked} and auth_failures.window_start <= ${now - lockoutMs}`.execute(db);
      const granted = await sql`update auth_failures set pending = pending + 1
        where key = ${key} and ${unlocked} and failures + pending < ${limit} returning pending`.execute(db);
      if (granted.rows.length > 0) return null;
      const row = await db.selectFrom('auth_failures').select('locked_until').where('key', '=', key).executeTakeFirst();
      const lockedUntil = row?.locked_until === null || row?.locked_until === undefined ? 0 : Number(row.locked_until);
      return lockedUntil > now ? lockedUntil - now : busyRetryMs;
    },
    /** Settle a reservation of `key`: a failure counts (and locks the key for `lockoutMs` at `limit`); a success or a withdrawal does not. */
    async settleAuthAttempt(key: string, failed: boolean, now: number, limit: number, lockoutMs: number): Promise<void> {
      const pending = sql`case when pending > 0 then pending - 1 else 0 end`;
      if (!failed) {
        await sql`update auth_failures set pending = ${pending} where key = ${key}`.execute(db);
        return;
      }
      await sql`update auth_failures set pending = ${pending}, failures = failures + 1,
          locked_until = case when failures + 1 >= ${limit} then ${now + lockoutMs} else locked_until end
        where key = ${key}`.execute(db);
    },
    async deleteAuthFailure(key: string): Promise<void> {
      await db.deleteFrom('auth_failures').where('key', '=', key).execute();
    },
  };
}

/** The accounts store's API. */
export type AccountsStore = ReturnType<typeof createAccountsStore>;
