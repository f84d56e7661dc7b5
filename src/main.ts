/**
 * Process entry for `orrery start`: open the database, migrate, build the app, start the queue's
 * workers (QUEUE_WORKERS), listen on `PORT` and the admin server on 127.0.0.1:`ADMIN_PORT`, and shut down gracefully on SIGINT/SIGTERM
 * (stop accepting, finish in-flight requests within `SHUTDOWN_TIMEOUT_MS`, close the database, exit 0).
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/load.ts';
import { openStore, type Store } from './store/database.ts';
import { migrateToLatest } from './store/migrate.ts';
import { createApp, type OrreryApp } from './app.ts';
import { ADMIN_HOST, createAdminServer } from './server/admin.ts';
import { createListenerControl } from './server/listener.ts';
import type { Clock } from './lib/clock.ts';

/** How often a stopping server checks whether only idle connections are left, ms. */
const IDLE_SWEEP_MS = 25;

/** A running Orrery: its URLs and a graceful stop. */
export interface RunningOrrery {
  url: string;
  adminUrl: string;
  orrery: OrreryApp;
  admin: FastifyInstance;
  /** Stop accepting, drain within the timeout, close the database. Idempotent. */
  stop(): Promise<void>;
}

/** Options for {@link startOrrery} beyond the config (tests pass a clock or an open store). */
export interface StartOptions {
  store?: Store;
  clock?: Clock;
  logStream?: NodeJS.WritableStream;
}

/** Start the server and the admin server. */
export async function startOrrery(config: Config, options: StartOptions = {}): Promise<RunningOrrery> {
  const startedAtMs = Date.now();
  const store =
    options.store ?? openStore({ databaseUrl: config.databaseUrl, dataPath: config.dataPath });
  const migrated = await migrateToLatest(store);
  const orrery = await createApp({ config, store, ...(options.clock ? { clock: options.clock } : {}), ...(options.logStream ? { logStream: options.logStream } : {}) });
  const { app } = orrery;
  // Workers run inside the server by default (DESIGN §5); QUEUE_WORKERS=false leaves jobs to `orrery worker`.
  if (config.queue.workers) await orrery.services.queue.start();
  const listener = createListenerControl(app);
  await app.listen({ port: config.port, host: config.host });
  const port = (app.server.address() as AddressInfo).port;

  const admin = createAdminServer({ listener, metrics: orrery.metrics, startedAtMs, logLevel: config.logLevel, adminToken: config.adminToken });
  await admin.listen({ port: config.adminPort, host: ADMIN_HOST });
  const adminPort = (admin.server.address() as AddressInfo).port;

  app.log.info(
    {
      port,
      admin_port: adminPort,
      database: store.dialect,
      migrations_applied: migrated.applied,
      modes: config.serverModes,
      modules: orrery.modules,
      queue_workers: config.queue.workers,
    },
    `orrery listening on http://localhost:${port} (admin on http://${ADMIN_HOST}:${adminPort})`,
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      app.log.info({ timeout_ms: config.shutdownTimeoutMs }, 'shutting down: draining in-flight requests');
      await admin.close();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs);
      });
      // A drained (disabled) listener is already closed; Fastify then reports "not running", which is fine.
      const closed = app.close().then(
        () => 'drained' as const,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ERR_SERVER_NOT_RUNNING') return 'drained' as const;
          throw error;
        },
      );
      // Once no request is in flight, what is left are idle connections, including ones that never
      // sent a request (a fetch's spare connection, a browser's preconnect), which Fastify's one-time
      // idle sweep does not see and which would otherwise hold the stop for SHUTDOWN_TIMEOUT_MS.
      const sweep = setInterval(() => {
        if (listener.activeRequests() === 0) app.server.closeAllConnections();
      }, IDLE_SWEEP_MS);
      const outcome = await Promise.race([closed, timedOut]);
      clearTimeout(timer);
      clearInterval(sweep);
      if (outcome === 'timeout') {
        app.log.warn('shutdown timeout reached; closing remaining connections');
        app.server.closeAllConnections();
      }
      await store.close();
      app.log.info({ outcome }, 'shutdown complete');
    })());

  return { url: `http://127.0.0.1:${port}`, adminUrl: `http://${ADMIN_HOST}:${adminPort}`, orrery, admin, stop };
}

/** Stop `running` on the first SIGINT or SIGTERM, then exit 0 (1 if stopping failed). */
export function exitOnSignals(running: RunningOrrery): void {
  const onSignal = (signal: NodeJS.Signals) => {
    running.orrery.app.log.info({ signal }, `${signal} received`);
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        running.orrery.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
