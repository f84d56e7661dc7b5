/**
 * Test harness: a real Orrery on an ephemeral port over a real database — SQLite in a temp folder, or
 * PostgreSQL in a schema of its own when `ORRERY_TEST_DB=postgres` (dropped afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config/load.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { startOrrery, type RunningOrrery } from '../../src/main.ts';
import type { Clock } from '../../src/lib/clock.ts';

/** Dialect under test: `sqlite` (default) or `postgres`. */
export const TEST_DB = (process.env.ORRERY_TEST_DB ?? 'sqlite') as 'sqlite' | 'postgres';
/** PostgreSQL used by the postgres run. */
export const TEST_PG_URL = process.env.ORRERY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A started test server and what tests need to poke at it. */
export interface TestServer extends RunningOrrery {
  config: Config;
  store: Store;
  dataPath: string;
  close(): Promise<void>;
}

/** Open a fresh, isolated database for the current dialect; `drop` removes it. */
export async function freshStore(dataPath: string): Promise<{ store: Store; databaseUrl?: string; drop(): Promise<void> }> {
  if (TEST_DB === 'postgres') {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const store = openStore({ databaseUrl: TEST_PG_URL, dataPath, pgSchema: schema, pgPoolMax: 5 });
    return {
      store,
      databaseUrl: TEST_PG_URL,
      async drop() {
        await store.close();
        const c = new pg.Client({ connectionString: TEST_PG_URL });
        await c.connect();
        await c.query(`drop schema if exists ${schema} cascade`);
        await c.end();
      },
    };
  }
  const store = openStore({ dataPath });
  return { store, drop: () => store.close() };
}

/** Start Orrery with test defaults overridden by `env`. */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { clock?: Clock; logStream?: NodeJS.WritableStream } = {},
): Promise<TestServer> {
  const dataPath = mkdtempSync(path.join(tmpdir(), 'orrery-test-'));
  const db = await freshStore(dataPath);
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    DATA_PATH: dataPath,
    LOG_LEVEL: 'silent',
    SESSION_SECRET: 'test-secret-test-secret-test-secret-1234',
    ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
    ...env,
  });
  const running = await startOrrery(config, { store: db.store, ...options });
  return {
    ...running,
    config,
    store: db.store,
    dataPath,
    async close() {
      await running.stop();
      await db.drop().catch(() => undefined);
      rmSync(dataPath, { recursive: true, force: true });
    },
  };
}
