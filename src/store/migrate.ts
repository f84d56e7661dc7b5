/**
 * Running migrations: numbered six-digit files under `migrations/`, listed here explicitly (no
 * filesystem autoloading, so the bundle and the order are obvious). Idempotent: applied ones are skipped.
 */
import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Store } from './database.ts';
import * as m000001 from './migrations/000001-init.ts';
import * as m000002 from './migrations/000002-rooms-runtime.ts';
import * as m000003 from './migrations/000003-events-dedupe-key.ts';
import * as m000004 from './migrations/000004-auth-pending.ts';
import * as m000005 from './migrations/000005-matrix.ts';
import * as m000006 from './migrations/000006-queue.ts';
import * as m000007 from './migrations/000007-bots.ts';
import * as m000008 from './migrations/000008-agents.ts';
import * as m000009 from './migrations/000009-debugger.ts';
import * as m000010 from './migrations/000010-debugger-monitor.ts';
import * as m000011 from './migrations/000011-embodiments.ts';

/** Every migration in order; append, never edit. */
const MIGRATIONS: Record<string, Migration> = {
  '000001-init': m000001,
  '000002-rooms-runtime': m000002,
  '000003-events-dedupe-key': m000003,
  '000004-auth-pending': m000004,
  '000005-matrix': m000005,
  '000006-queue': m000006,
  '000007-bots': m000007,
  '000008-agents': m000008,
  '000009-debugger': m000009,
  '000010-debugger-monitor': m000010,
  '000011-embodiments': m000011,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Result of {@link migrateToLatest}: names applied by this call (empty when already current). */
export interface MigrateResult {
  applied: string[];
  latest: string;
}

/**
 * Bring the schema to the newest version.
 * @throws Error naming the failing migration.
 */
export async function migrateToLatest(store: Store): Promise<MigrateResult> {
  const migrator = new Migrator({ db: store.db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${reason}`);
  }
  return {
    applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
    latest: Object.keys(MIGRATIONS).at(-1)!,
  };
}
