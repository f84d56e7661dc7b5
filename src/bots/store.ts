/**
 * Bots SQL: the only file that queries `bot_registrations` and `bot_commands` (migration 000007).
 * Rows keep the table's shapes (`is_global` 0/1, `command_filter` JSON text, ms times); the service
 * turns them into {@link BotRegistration}s and {@link BotCommand}s.
 */
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from '../store/database.ts';
import type { Database } from '../store/schema.ts';

/** A `bot_registrations` row. */
export type RegistrationRow = Selectable<Database['bot_registrations']>;
/** A `bot_commands` row. */
export type CommandRow = Selectable<Database['bot_commands']>;

/** Builds the bots queries over `db`. */
export function createBotsStore(db: Kysely<Database>) {
  return {
    async insertRegistration(row: RegistrationRow): Promise<void> {
      await db.insertInto('bot_registrations').values(row).execute();
    },
    findRegistration: (id: string) => db.selectFrom('bot_registrations').selectAll().where('id', '=', id).executeTakeFirst(),
    /** A user's registrations, oldest first. */
    listRegistrationsOf: (username: string) =>
      db.selectFrom('bot_registrations').selectAll().where('username', '=', username).orderBy('created_at').orderBy('id').execute(),
    /** Global registrations, oldest first. */
    listGlobalRegistrations: () =>
      db.selectFrom('bot_registrations').selectAll().where('is_global', '=', 1).orderBy('created_at').orderBy('id').execute(),
    /** Deletes a registration (its commands cascade); the number of rows deleted. */
    async deleteRegistration(id: string): Promise<number> {
      const r = await db.deleteFrom('bot_registrations').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    /** Inserts a command; false when the registration already has one with the same `command_key`. */
    async insertCommand(row: CommandRow): Promise<boolean> {
      try {
        await db.insertInto('bot_commands').values(row).execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    /** A command with its registration's owner, or undefined. */
    findCommandWithOwner: (id: string) =>
      db
        .selectFrom('bot_commands as bc')
        .innerJoin('bot_registrations as br', 'br.id', 'bc.bot_id')
        .select(['bc.id', 'bc.bot_id', 'br.username'])
        .where('bc.id', '=', id)
        .executeTakeFirst(),
    /** Commands of registrations owned by `username` (optionally one registration), oldest first. */
    listCommandsOf: (username: string, botId?: string) => {
      let q = db
        .selectFrom('bot_commands as bc')
        .innerJoin('bot_registrations as br', 'br.id', 'bc.bot_id')
        .selectAll('bc')
        .where('br.username', '=', username);
      if (botId !== undefined) q = q.where('bc.bot_id', '=', botId);
      return q.orderBy('bc.created_at').orderBy('bc.id').execute();
    },
    /** Commands of the given registrations, oldest first. */
    listCommandsOfRegistrations: (botIds: readonly string[]) =>
      botIds.length === 0
        ? Promise.resolve([] as CommandRow[])
        : db.selectFrom('bot_commands').selectAll().where('bot_id', 'in', botIds).orderBy('created_at').orderBy('id').execute(),
    async deleteCommand(id: string): Promise<void> {
      await db.deleteFrom('bot_commands').where('id', '=', id).execute();
    },
  };
}

/** The bots store's API. */
export type BotsStore = ReturnType<typeof createBotsStore>;
