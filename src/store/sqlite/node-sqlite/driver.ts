/**
 * SQLite through Node's built-in `node:sqlite` (`DatabaseSync`), adapted to the better-sqlite3 shape
 * Kysely's `SqliteDialect` drives. Used on Node 24 and later, where better-sqlite3 12 aborts the
 * process at exit (docs/decisions/0001-sqlite-driver.md).
 */
import type { SqliteStatement } from 'kysely';
import type { SqliteDriver, SqliteHandle } from '../types.ts';

// The subset of `node:sqlite` used here. Typed by hand because @types/node stays at the oldest
// supported Node (20), which has no `node:sqlite`; keeping it there stops code from using newer APIs.
type Row = Record<string, unknown>;
interface StatementSync {
  all(...parameters: unknown[]): Row[];
  run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...parameters: unknown[]): IterableIterator<Row>;
  /** Result columns; empty for statements that return no rows (Node 22.16+, 23.11+). */
  columns(): unknown[];
}
interface DatabaseSync {
  prepare(sql: string): StatementSync;
  exec(sql: string): void;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (file: string) => DatabaseSync;
  StatementSync: { prototype: Partial<StatementSync> };
}

/**
 * The module when the running Node offers it without flags: `process.getBuiltinModule` answers
 * `undefined` on Node 20 (no `node:sqlite`) and on 22.5–22.12 (behind `--experimental-sqlite`).
 */
function load(): NodeSqliteModule | undefined {
  return process.getBuiltinModule?.('node:sqlite') as NodeSqliteModule | undefined;
}

// node:sqlite rows have a null prototype; better-sqlite3's and the rest of the code's are plain objects
// (`deepStrictEqual` and anything checking `Object.prototype` methods tell them apart).
const plain = (row: Row): Row => ({ ...row });

function adapt(statement: StatementSync): SqliteStatement {
  return {
    // Kysely uses `reader` to choose between `all` (rows) and `run` (changes, last rowid).
    reader: statement.columns().length > 0,
    // Kysely passes parameters as one array (better-sqlite3 accepts that); node:sqlite wants them spread.
    all: (parameters) => statement.all(...parameters).map(plain),
    run: (parameters) => statement.run(...parameters),
    *iterate(parameters) {
      for (const row of statement.iterate(...parameters)) yield plain(row);
    },
  };
}

/** `node:sqlite` as a {@link SqliteDriver}. Numbers are read as JS numbers (node:sqlite's default). */
export const nodeSqliteDriver: SqliteDriver = {
  name: 'node:sqlite',
  unavailableReason() {
    const sqlite = load();
    if (!sqlite) {
      return `node:sqlite is not available without flags in Node ${process.versions.node} (it is from 22.13; Orrery uses it from 22.16)`;
    }
    if (typeof sqlite.StatementSync.prototype.columns !== 'function') {
      return `node:sqlite in Node ${process.versions.node} lacks StatementSync#columns (Node 22.16+)`;
    }
    return undefined;
  },
  open(file): SqliteHandle {
    const reason = this.unavailableReason();
    if (reason) throw new Error(reason);
    const database = new (load()!.DatabaseSync)(file);
    return {
      prepare: (sql) => adapt(database.prepare(sql)),
      exec: (sql) => database.exec(sql),
      close: () => database.close(),
    };
  },
};
