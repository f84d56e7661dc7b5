/**
 * Runtime SQL: the only file that queries `runtime_invites`. (Runtime tokens are access tokens of
 * kind `runtime`, owned by accounts; messages and presence are rooms'.)
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, RuntimeInvitesTable } from '../store/schema.ts';

/** A `runtime_invites` row. */
export type InviteRow = Selectable<RuntimeInvitesTable>;

/** Builds the runtime queries over `db`. */
export function createRuntimeStore(db: Kysely<Database>) {
  return {
    async insertInvite(row: Omit<InviteRow, 'invite_id'>): Promise<void> {
      await db.insertInto('runtime_invites').values(row).execute();
    },
    findInviteByHash: (code_hash: string) =>
      db.selectFrom('runtime_invites').selectAll().where('code_hash', '=', code_hash).executeTakeFirst(),
    /**
     * Optimistic reservation: count one claim only if nobody claimed since `seenUsed` was read.
     * Returns 1 when this caller won, 0 when another claim got there first.
     */
    async reserveInvite(invite: InviteRow, at: number): Promise<number> {
      const next = invite.used_claims + 1;
      const r = await db
        .updateTable('runtime_invites')
        .set({ used_claims: next, used_at: at, revoked: next >= invite.max_claims ? 1 : 0 })
        .where('invite_id', '=', invite.invite_id)
        .where('used_claims', '=', invite.used_claims)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    /** Undo a reservation after a failed claim, so the invite can be claimed again. */
    async restoreInvite(invite: InviteRow): Promise<void> {
      await db
        .updateTable('runtime_invites')
        .set({ used_claims: invite.used_claims, used_at: invite.used_at, revoked: invite.revoked })
        .where('invite_id', '=', invite.invite_id)
        .execute();
    },
  };
}

/** The runtime store's API. */
export type RuntimeStore = ReturnType<typeof createRuntimeStore>;
