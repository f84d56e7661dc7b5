/**
 * The database factory: Kysely over better-sqlite3 (embedded default) or over `pg` (PostgreSQL),
 * chosen by `DATABASE_URL` (DESIGN §4). Everything above this file sees one `Kysely<Database>`.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { Database } from './schema.ts';

/** Which SQL dialect a {@link Store} speaks. */
export type Dialect = 'sqlite' | 'postgres';

/** An open database: the query builder, its dialect, a liveness probe and a close. */
export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /**
   * Resolves when the database answers `SELECT 1` within `timeoutMs`.
   * @throws Error when it fails or times out.
   */
  ping(timeoutMs?: number): Promise<void>;
  /** Closes the pool or file handle; idempotent. */
  close(): Promise<void>;
}

/** Where to connect. */
export interface OpenStoreOptions {
  /** `postgres://…` for PostgreSQL; absent for SQLite. */
  databaseUrl?: string | undefined;
  /** Folder holding `orrery.sqlite` when SQLite is used. */
  dataPath: string;
  /** SQLite file name inside `dataPath` (default `orrery.sqlite`). */
  sqliteFile?: string;
  /** Pool size for PostgreSQL (default 10). */
  pgPoolMax?: number;
}

const INT8_OID = 20;

/**
 * Open the database named by `options`. SQLite runs in WAL mode with foreign keys on and a 5 s busy
 * timeout; PostgreSQL `int8` values are parsed as JS numbers (all our integers are < 2^53).
 */
export function openStore(options: OpenStoreOptions): Store {
  let closed = false;
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.pgPoolMax ?? 10,
      connectionTimeoutMillis: 5000,
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    pool.on('error', () => {
      /* idle client errors surface on the next query; the health check reports them */
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return makeStore(db, 'postgres', async () => {
      if (!closed) {
        closed = true;
        await db.destroy();
      }
    });
  }
  mkdirSync(options.dataPath, { recursive: true });
  const file = path.join(options.dataPath, options.sqliteFile ?? 'orrery.sqlite');
  const handle = new SQLite(file);
  handle.pragma('journal_mode = WAL');
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 5000');
  handle.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }) });
  return makeStore(db, 'sqlite', async () => {
    if (!closed) {
      closed = true;
      await db.destroy();
    }
  });
}

/** Prepared statements kept per SQL text (batched `IN (…)` queries add one text per batch size). */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * Wrap a better-sqlite3 handle so `prepare` reuses statements (LRU by SQL text). Safe because
 * better-sqlite3 runs each statement to completion synchronously and Kysely does not stream here.
 * Preparing was ~9% of CPU on the heartbeat path (docs/PERFORMANCE.md).
 */
function withStatementCache(handle: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (source: string): SQLite.Statement => {
    let statement = cache.get(source);
    if (statement) {
      cache.delete(source);
    } else {
      statement = handle.prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, statement);
    return statement;
  };
  return new Proxy(handle, {
    get(target, property, receiver) {
      if (property === 'prepare') return prepare;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function makeStore(db: Kysely<Database>, dialect: Dialect, close: () => Promise<void>): Store {
  return {
    db,
    dialect,
    close,
    async ping(timeoutMs = 2000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([sql`select 1`.execute(db), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** True when `error` is a unique-constraint violation on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
