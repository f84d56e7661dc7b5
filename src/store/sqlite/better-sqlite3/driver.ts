/**
 * SQLite through the `better-sqlite3` addon: the driver on Node 20 (which has no `node:sqlite`) and
 * on Node 22 (where `node:sqlite` still prints an ExperimentalWarning). An optional dependency, loaded
 * only when chosen (docs/decisions/0001-sqlite-driver.md).
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDriver, SqliteHandle } from '../types.ts';

const require = createRequire(import.meta.url);

/**
 * First Node major on which better-sqlite3 12 is not used: on Node 24 its `Statement` destructor
 * aborts the process with `Assertion failed: (env) != nullptr` — at exit, and also when a garbage
 * collection frees a statement (`orrery start` died so before listening). WiseLibs/better-sqlite3#1515,
 * closed without a fix in 12.x. Node 23 is untested and outside `engines`; node:sqlite serves it.
 */
const FIRST_UNSUPPORTED_NODE_MAJOR = 23;

/** The addon's `Database` class, or why it cannot be used. */
type Loaded = { Database: typeof BetterSqlite3; reason?: undefined } | { Database?: undefined; reason: string };
let loaded: Loaded | undefined;

/** Load the addon once; a missing package or a failed native build becomes a reason, not a crash. */
function load(): Loaded {
  if (loaded) return loaded;
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= FIRST_UNSUPPORTED_NODE_MAJOR) {
    loaded = { reason: `better-sqlite3 12 aborts Node ${major} when a statement is freed (better-sqlite3#1515)` };
    return loaded;
  }
  try {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    // The native binding loads on first open; open one in memory so a failed build shows here.
    new Database(':memory:').close();
    loaded = { Database };
  } catch (error) {
    loaded = { reason: `better-sqlite3 is not installed or did not build: ${(error as Error).message.split('\n')[0]}` };
  }
  return loaded;
}

/** `better-sqlite3` as a {@link SqliteDriver}; its handle already has the shape Kysely drives. */
export const betterSqlite3Driver: SqliteDriver = {
  name: 'better-sqlite3',
  unavailableReason: () => load().reason,
  open(file): SqliteHandle {
    const { Database, reason } = load();
    if (!Database) throw new Error(reason);
    const database = new Database(file);
    return {
      prepare: (sql) => database.prepare(sql),
      exec: (sql) => void database.exec(sql),
      close: () => void database.close(),
    };
  },
};
