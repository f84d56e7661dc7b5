/**
 * Test harness over a real database — SQLite in a temp folder, or PostgreSQL in a database of its own
 * when `ORRERY_TEST_DB=postgres` (dropped afterwards): `startTestServer`, a real Orrery on an ephemeral
 * port, for what needs a socket (streams, long-polls, the CLI, bots, browsers); `startTestApp`, the
 * same app never listening, for request/response tests through Fastify's `inject()` (no socket, faster).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config/load.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { startOrrery, type RunningOrrery } from '../../src/main.ts';
import { createApp, type OrreryApp } from '../../src/app.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { Client } from './client.ts';

/** Dialect under test: `sqlite` (default) or `postgres`. */
export const TEST_DB = (process.env.ORRERY_TEST_DB ?? 'sqlite') as 'sqlite' | 'postgres';
/** PostgreSQL used by the postgres run. */
export const TEST_PG_URL = process.env.ORRERY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** What tests need of an Orrery under test, listening or not. */
export interface TestTarget {
  orrery: OrreryApp;
  config: Config;
  store: Store;
  dataPath: string;
  /** A new client (own cookie jar) talking to this Orrery. */
  client(): Client;
  close(): Promise<void>;
}

/** A started test server and what tests need to poke at it. */
export interface TestServer extends RunningOrrery, TestTarget {}

/** A built app that does not listen; requests go through `inject()`. */
export interface TestApp extends TestTarget {
  app: OrreryApp['app'];
  services: OrreryApp['services'];
}

/** Options of {@link startTestServer} and {@link startTestApp}. */
export interface TestOptions {
  clock?: Clock;
  logStream?: NodeJS.WritableStream;
}

/**
 * A fresh PostgreSQL database (`create database orrery_t_…`) and its URL; `drop` removes it.
 * A database, not a schema, per test server: Kysely's migrator introspects every schema of its
 * database, so another test's `drop schema` or `alter table` there could fail its migration.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `orrery_t_${randomBytes(6).toString('hex')}`;
  const admin = async (query: string) => {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    try {
      await c.query(query);
    } finally {
      await c.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/** Open a fresh, isolated database for the current dialect; `drop` removes it. */
export async function freshStore(dataPath: string): Promise<{ store: Store; databaseUrl?: string; drop(): Promise<void> }> {
  if (TEST_DB === 'postgres') {
    const database = await createTestDatabase();
    const store = openStore({ databaseUrl: database.url, dataPath, pgPoolMax: 5 });
    return {
      store,
      databaseUrl: database.url,
      async drop() {
        await store.close();
        await database.drop();
      },
    };
  }
  const store = openStore({ dataPath });
  return { store, drop: () => store.close() };
}

/** The test defaults overridden by `env`, over `dataPath` and (PostgreSQL) `databaseUrl`. */
function testConfig(dataPath: string, databaseUrl: string | undefined, env: Record<string, string>): Config {
  return loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    DATA_PATH: dataPath,
    LOG_LEVEL: 'silent',
    SESSION_SECRET: 'test-secret-test-secret-test-secret-1234',
    // Test files register many accounts from 127.0.0.1; the registration limit has its own test.
    REGISTRATION_MAX_PER_ADDRESS: '100000',
    // On PostgreSQL every job type's Graphile Worker runner polls with up to QUEUE_CONCURRENCY
    // connections: at the default 10, two test files' servers at once could exhaust the test
    // server's 100 connections ("sorry, too many clients already"). No test needs more than 3 here.
    QUEUE_CONCURRENCY: '3',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
}

/** Start Orrery with test defaults overridden by `env`. */
export async function startTestServer(
  env: Record<string, string> = {},
  options: TestOptions & {
    /** PostgreSQL only: a second instance on this server's database (a scale-out peer); not dropped on close. */
    peerOf?: TestServer;
  } = {},
): Promise<TestServer> {
  const dataPath = mkdtempSync(path.join(tmpdir(), 'orrery-test-'));
  const { peerOf, ...startOptions } = options;
  if (peerOf && !peerOf.config.databaseUrl) throw new Error('peerOf needs a PostgreSQL test server');
  const db = peerOf
    ? (() => {
        const store = openStore({ databaseUrl: peerOf.config.databaseUrl, dataPath, pgPoolMax: 5 });
        return { store, databaseUrl: peerOf.config.databaseUrl, drop: () => store.close() };
      })()
    : await freshStore(dataPath);
  const config = testConfig(dataPath, db.databaseUrl, env);
  const running = await startOrrery(config, { store: db.store, ...startOptions });
  return {
    ...running,
    config,
    store: db.store,
    dataPath,
    client: () => new Client(running.url),
    async close() {
      await running.stop();
      await db.drop().catch(() => undefined);
      rmSync(dataPath, { recursive: true, force: true });
    },
  };
}

/**
 * Build Orrery with test defaults overridden by `env` on a fresh, migrated database, without
 * listening: for tests that need no socket (CONVENTIONS "Tests that need no socket use inject()").
 * Its clients reach the app through `inject()`, where `request.ip` is 127.0.0.1.
 */
export async function startTestApp(env: Record<string, string> = {}, options: TestOptions = {}): Promise<TestApp> {
  const dataPath = mkdtempSync(path.join(tmpdir(), 'orrery-test-'));
  const db = await freshStore(dataPath);
  const config = testConfig(dataPath, db.databaseUrl, env);
  let orrery: OrreryApp | undefined;
  try {
    await migrateToLatest(db.store);
    orrery = await createApp({ config, store: db.store, ...options });
    await orrery.app.ready();
  } catch (error) {
    await orrery?.app.close().catch(() => undefined);
    await db.drop().catch(() => undefined);
    rmSync(dataPath, { recursive: true, force: true });
    throw error;
  }
  const built = orrery;
  return {
    orrery: built,
    app: built.app,
    services: built.services,
    config,
    store: db.store,
    dataPath,
    client: () => new Client(built.app),
    async close() {
      await built.app.close();
      await db.drop().catch(() => undefined);
      rmSync(dataPath, { recursive: true, force: true });
    },
  };
}

/** A log destination for {@link startTestServer} that keeps every line, for asserting on the log. */
export function captureLog(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}
