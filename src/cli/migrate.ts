/**
 * `orrery migrate`: bring the database schema up to date (also done by `start`).
 */
import { Command } from 'commander';
import { configFromFlags, withConfigFlags } from './config-flags.ts';

/** Builds the `migrate` subcommand. */
export function migrateCommand(): Command {
  return withConfigFlags(new Command('migrate').description('run database migrations (idempotent)')).action(
    async (options: Record<string, string | undefined>) => {
      const config = configFromFlags(options);
      // Loaded when run, so that the other subcommands start without the store.
      const [{ openStore }, { migrateToLatest }] = await Promise.all([import('../store/database.ts'), import('../store/migrate.ts')]);
      const store = openStore({ databaseUrl: config.databaseUrl, dataPath: config.dataPath });
      try {
        const result = await migrateToLatest(store);
        process.stdout.write(
          result.applied.length
            ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}\n`
            : `database is up to date (${result.latest})\n`,
        );
      } catch (error) {
        process.stderr.write(`orrery: ${(error as Error).message}\n`);
        process.exitCode = 1;
      } finally {
        await store.close();
      }
    },
  );
}
