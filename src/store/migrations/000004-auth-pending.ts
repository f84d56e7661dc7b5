/**
 * 000004 — `auth_failures.pending`: login attempts reserved and still being checked, apart from the
 * failures. The throttle grants an attempt only while failures and pending together stay under the
 * limit, and only completed failures lock a key (docs/security.md): counting in-flight attempts as
 * failures locked addresses whose attempts were about to be given back.
 */
import type { Kysely } from 'kysely';

/** Adds the column. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('auth_failures').addColumn('pending', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

/** Drops it. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('auth_failures').dropColumn('pending').execute();
}
