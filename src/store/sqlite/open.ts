/**
 * Opening the embedded SQLite database: choose a driver for the running Node, apply the pragmas every
 * connection needs, and cache prepared statements. The result is what Kysely's `SqliteDialect` takes.
 */
import { betterSqlite3Driver } from './better-sqlite3/driver.ts';
import { nodeSqliteDriver } from './node-sqlite/driver.ts';
import type { SqliteDriver, SqliteDriverName, SqliteHandle } from './types.ts';

/**
 * Every driver, in order of preference: better-sqlite3 where it works (Node 20 and 22: proven here,
 * and no ExperimentalWarning), then node:sqlite (Node 22.16+ and 24+).
 */
export const SQLITE_DRIVERS: readonly SqliteDriver[] = [betterSqlite3Driver, nodeSqliteDriver];

/** The drivers usable in the running Node, in order of preference (the contract test runs each). */
export function usableSqliteDrivers(): SqliteDriver[] {
  return SQLITE_DRIVERS.filter((driver) => driver.unavailableReason() === undefined);
}

/**
 * The driver named `name`, or the first usable one.
 * @throws Error listing each driver's reason when none can be used, or when `name` cannot.
 */
export function chooseSqliteDriver(name?: SqliteDriverName): SqliteDriver {
  const candidates = name ? SQLITE_DRIVERS.filter((driver) => driver.name === name) : SQLITE_DRIVERS;
  const reasons: string[] = [];
  for (const driver of candidates) {
    const reason = driver.unavailableReason();
    if (reason === undefined) return driver;
    reasons.push(reason);
  }
  throw new Error(
    `no usable SQLite driver in Node ${process.versions.node}: ${reasons.join('; ')}. ` +
      'Use Node 20.19+ or 22.13+ with better-sqlite3 installed (npm ci builds it), Node 22.16+ or 24+ (built-in node:sqlite), ' +
      'or set DATABASE_URL for PostgreSQL.',
  );
}

/**
 * Open `file` with `driver` (default: {@link chooseSqliteDriver}) in WAL mode with foreign keys on,
 * a 5000 ms busy timeout and `synchronous = NORMAL` (durable across a process crash; a power cut may
 * lose the last commits, never corrupt), with prepared statements cached and transactions begun
 * `immediate` (safe with several processes on one file).
 * @throws Error when no driver is usable or SQLite cannot open the file.
 */
export function openSqlite(file: string, driver: SqliteDriver = chooseSqliteDriver()): SqliteHandle {
  const handle = driver.open(file);
  handle.exec('pragma journal_mode = WAL');
  handle.exec('pragma foreign_keys = ON');
  handle.exec('pragma busy_timeout = 5000');
  handle.exec('pragma synchronous = NORMAL');
  return withStatementCache(handle);
}

/** Prepared statements kept per SQL text (batched `IN (…)` queries add one text per batch size). */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * Make `prepare` reuse statements (LRU by SQL text). Safe because both drivers run each statement to
 * completion synchronously and Kysely does not stream here. Preparing was ~9% of CPU on the heartbeat
 * path (docs/PERFORMANCE.md).
 */
function withStatementCache(handle: SqliteHandle): SqliteHandle {
  const cache = new Map<string, ReturnType<SqliteHandle['prepare']>>();
  return {
    prepare(text) {
      // Kysely opens every transaction with a plain (deferred) `begin`. With a second process on
      // the file (`orrery bot-runner`, `orrery worker`), a deferred transaction that read before
      // another process committed cannot then write: SQLITE_BUSY_SNAPSHOT at once, no retry. Taking
      // the write lock at `begin` makes it wait its turn (busy_timeout) instead.
      const source = text === 'begin' ? 'begin immediate' : text;
      let statement = cache.get(source);
      if (statement) {
        cache.delete(source);
      } else {
        statement = handle.prepare(source);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(source, statement);
      return statement;
    },
    exec: (sql) => handle.exec(sql),
    close() {
      cache.clear();
      handle.close();
    },
  };
}
