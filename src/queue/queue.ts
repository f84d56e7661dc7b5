/**
 * createQueue: the durable job queue over Orrery's store, its adapter chosen by the store's dialect —
 * embedded on SQLite, Graphile Worker on PostgreSQL (docs/decisions/0002-queue-library.md).
 */
import { systemClock, type Clock } from '../lib/clock.ts';
import type { Store } from '../store/database.ts';
import { createEngineQueue, type QueueLog } from './engine.ts';
import { createEmbeddedDriver } from './embedded/adapter.ts';
import { createPostgresDriver } from './postgres/adapter.ts';
import { resolveQueueOptions } from './options.ts';
import type { Queue, QueueOptions } from './types.ts';

/** What {@link createQueue} needs. */
export interface QueueDeps {
  /** The open store; its tables must be migrated (000006-queue). */
  store: Store;
  /** PostgreSQL only: the connection string, for Graphile Worker's own pool and the LISTEN connection. */
  databaseUrl?: string | undefined;
  clock?: Clock;
  log?: QueueLog;
  options?: QueueOptions;
}

const silentLog: QueueLog = { warn: () => undefined };

/**
 * Build the queue for `store`. Nothing runs until `start()`; `enqueue`, reads and `wait` work at once.
 * @throws Error for invalid options, or a PostgreSQL store without `databaseUrl`.
 */
export function createQueue(deps: QueueDeps): Queue {
  const options = resolveQueueOptions(deps.options);
  const base = { db: deps.store.db, clock: deps.clock ?? systemClock, options, log: deps.log ?? silentLog };
  if (deps.store.dialect === 'postgres') {
    const databaseUrl = deps.databaseUrl;
    if (!databaseUrl) throw new Error('createQueue: the PostgreSQL adapter needs databaseUrl');
    return createEngineQueue(base, (engine) => createPostgresDriver(engine, { databaseUrl }));
  }
  return createEngineQueue(base, createEmbeddedDriver);
}
