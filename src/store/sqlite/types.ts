/**
 * The SQLite driver port: what the store needs from an embedded SQLite binding, so Node's built-in
 * `node:sqlite` and the `better-sqlite3` addon sit behind the one Kysely `SqliteDialect`
 * (docs/decisions/0001-sqlite-driver.md says which runs where, and why).
 */
import type { SqliteDatabase } from 'kysely';

/** The drivers Orrery knows, by the module name each loads. */
export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

/**
 * An open SQLite file in the shape Kysely's `SqliteDialect` drives (better-sqlite3's):
 * `prepare(sql)` → a statement with `reader`, `all(params[])`, `run(params[])`, `iterate(params[])`,
 * and `close()`, plus `exec` for pragmas. Rows are plain objects; integers come back as JS numbers
 * (every integer Orrery stores is below 2^53).
 */
export interface SqliteHandle extends SqliteDatabase {
  /** Run one or more statements that return nothing (pragmas, DDL). @throws the driver's error. */
  exec(sql: string): void;
}

/** One way to open SQLite; each implementation lives in `<name>/driver.ts` beside this file. */
export interface SqliteDriver {
  name: SqliteDriverName;
  /**
   * Why this driver cannot be used in the running Node, or `undefined` when it can. Loads nothing
   * that would break the process: a missing optional package or a flag-gated builtin is a reason.
   */
  unavailableReason(): string | undefined;
  /**
   * Open (creating if absent) the database file at `file`.
   * @throws Error when the driver is unavailable or SQLite cannot open the file.
   */
  open(file: string): SqliteHandle;
}
