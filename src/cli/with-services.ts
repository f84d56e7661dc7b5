/**
 * Shell subcommands that act on Orrery's database directly (`orrery admin …`, `orrery bots …`):
 * open it, migrate, assemble the same services as the server, run, print one result, close. Shell
 * access to the data is already full trust, so these work whatever REGISTRATION_POLICY says.
 */
import type { Services } from '../services.ts';
import { DomainError } from '../lib/errors.ts';
import { configFromFlags } from './config-flags.ts';

/**
 * Run `fn` over the services and print what it returns; an error prints `orrery: <message>` and
 * sets exit code 1.
 */
export async function withServices(options: Record<string, string | undefined>, fn: (services: Services) => Promise<string>): Promise<void> {
  const config = configFromFlags(options);
  // Loaded when run, so that `orrery --help` and the other subcommands start without the services.
  const [{ openStore }, { migrateToLatest }, { createServices }] = await Promise.all([
    import('../store/database.ts'),
    import('../store/migrate.ts'),
    import('../services.ts'),
  ]);
  const store = openStore({ databaseUrl: config.databaseUrl, dataPath: config.dataPath });
  try {
    await migrateToLatest(store);
    // The same assembly as the server: an account created here joins the shared space like any other.
    const assembled = await createServices({ config, store });
    try {
      process.stdout.write((await fn(assembled.services)) + '\n');
    } finally {
      await assembled.close();
    }
  } catch (error) {
    process.stderr.write(`orrery: ${error instanceof DomainError ? error.message : (error as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}
