/**
 * The database factory: Kysely over embedded SQLite (the default; `node:sqlite` or better-sqlite3 by
 * Node version, see sqlite/open.ts) or over `pg` (PostgreSQL), chosen by `DATABASE_URL`. Everything
 * above this file sees one `Kysely<Database>`.
 */
import path from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { createPrivateFile, ensurePrivateDir } from '../lib/private-files.ts';
import type { Database } from './schema.ts';
import { chooseSqliteDriver, openSqlite } from './sqlite/open.ts';
import type { SqliteDriverName } from './sqlite/types.ts';

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
  /** Folder holding `orrery.sqlite` when SQLite is used; created mode 0700 when missing. */
  dataPath: string;
  /** SQLite file name inside `dataPath` (default `orrery.sqlite`); created mode 0600 when missing. */
  sqliteFile?: string;
  /** SQLite driver; default: the first usable for the running Node (better-sqlite3, then node:sqlite). */
  sqliteDriver?: SqliteDriverName;
  /** Pool size for PostgreSQL (default 10). */
  pgPoolMax?: number;
  /**
   * PostgreSQL only: false opens sessions with `synchronous_commit = off` — a commit returns before its
   * WAL reaches the disk (about 2 ms less per write here), and a crash of PostgreSQL or of its machine
   * within about 0.6 s may lose the last commits, never consistency. Only for data that may be lost that
   * way (debug sessions, src/services.ts). Default true.
   */
  synchronousCommit?: boolean;
}

const INT8_OID = 20;

/**
 * Open the database named by `options`. SQLite runs in WAL mode with foreign keys on and a 5 s busy
 * timeout; PostgreSQL `int8` values are parsed as JS numbers (all our integers are < 2^53).
 * @throws Error when no SQLite driver is usable in the running Node, or the file cannot be opened.
 */
export function openStore(options: OpenStoreOptions): Store {
  let closed = false;
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.pgPoolMax ?? 10,
      connectionTimeoutMillis: 5000,
      ...(options.synchronousCommit === false ? { options: '-c synchronous_commit=off' } : {}),
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
  const driver = chooseSqliteDriver(options.sqliteDriver);
  ensurePrivateDir(options.dataPath);
  const file = path.join(options.dataPath, options.sqliteFile ?? 'orrery.sqlite');
  // Created here rather than by SQLite, which would use 0644 less the umask for it and its -wal/-shm.
  createPrivateFile(file);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: openSqlite(file, driver) }) });
  return makeStore(db, 'sqlite', async () => {
    if (!closed) {
      closed = true;
      await db.destroy();
    }
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

/** SQLite's extended result codes for a unique or primary-key violation (sqlite.org/rescode.html). */
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

/**
 * True when `error` is a unique-constraint violation: PostgreSQL's SQLSTATE `23505`, better-sqlite3's
 * string `code`, or node:sqlite's numeric extended code in `errcode` (its `code` is `ERR_SQLITE_ERROR`).
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; errcode?: unknown } | null | undefined;
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e?.errcode === SQLITE_CONSTRAINT_UNIQUE ||
    e?.errcode === SQLITE_CONSTRAINT_PRIMARYKEY
  );
}
