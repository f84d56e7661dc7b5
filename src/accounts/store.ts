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
    async revokeAccessToken(tokenId: number, at: number): Promise<number> {
      const r = await db
        .updateTable('access_tokens')
        .set({ revoked_at: at })
        .where('token_id', '=', tokenId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
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
        }>`select t.token_id, t.token_hash, t.user_id, t.kind, t.label, t.created_at, t.last_used_at, t.expires_at, t.revoked_at,
                  u.localpart, u.password_hash, u.display_name, u.is_admin, u.created_at as user_created_at,
                  u.sessions_revoked_at, u.deactivated_at
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

    getAuthFailure: (key: string) =>
      db.selectFrom('auth_failures').selectAll().where('key', '=', key).executeTakeFirst(),
    async putAuthFailure(row: { key: string; failures: number; window_start: number; locked_until: number | null }) {
      await db
        .insertInto('auth_failures')
        .values(row)
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            failures: row.failures,
            window_start: row.window_start,
            locked_until: row.locked_until,
          }),
        )
        .execute();
    },
    async deleteAuthFailure(key: string): Promise<void> {
      await db.deleteFrom('auth_failures').where('key', '=', key).execute();
    },
  };
}

/** The accounts store's API. */
export type AccountsStore = ReturnType<typeof createAccountsStore>;
