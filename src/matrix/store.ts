/**
 * Matrix module SQL: the only file that queries `matrix_filters` and `openid_tokens`.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/** Builds the queries over `db`. */
export function createMatrixStore(db: Kysely<Database>) {
  return {
    async insertFilter(user_id: string, filter: string): Promise<number> {
      const r = await db.insertInto('matrix_filters').values({ user_id, filter }).returning('filter_id').executeTakeFirstOrThrow();
      return Number(r.filter_id);
    },
    findFilter: async (user_id: string, filter_id: number) =>
      (await db.selectFrom('matrix_filters').select('filter').where('user_id', '=', user_id).where('filter_id', '=', filter_id).executeTakeFirst())?.filter,
    async insertOpenidToken(token_hash: string, user_id: string, expires_at: number): Promise<void> {
      await db.insertInto('openid_tokens').values({ token_hash, user_id, expires_at }).execute();
    },
    findOpenidToken: (token_hash: string) => db.selectFrom('openid_tokens').selectAll().where('token_hash', '=', token_hash).executeTakeFirst(),
    async deleteExpiredOpenidTokens(now: number): Promise<void> {
      await db.deleteFrom('openid_tokens').where('expires_at', '<=', now).execute();
    },
  };
}

/** The Matrix store's API. */
export type MatrixStore = ReturnType<typeof createMatrixStore>;
