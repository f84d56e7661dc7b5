/**
 * `orrery worker`: the job queue's workers alone (DESIGN §3, §5), for scaling jobs apart from the
 * HTTP server (run `orrery start` with QUEUE_WORKERS=false then). It runs the job types the
 * server's modules register (e.g. `/_run-command`'s); triggered bot commands are worked by
 * `orrery bot-runner`, which answers them in their rooms. SIGINT/SIGTERM: take no more jobs, let
 * those running finish (up to the queue's stop timeout), exit 0.
 */
import { Command } from 'commander';
import { configFromFlags, withConfigFlags } from './config-flags.ts';

/** Builds the `worker` subcommand. */
export function workerCommand(): Command {
  return withConfigFlags(new Command('worker'))
    .description('run the job queue workers without the HTTP server')
    .action(async (flags: Record<string, string | undefined>) => {
      const config = configFromFlags(flags);
      const [{ openStore }, { migrateToLatest }, { createServices }, { default: pino }] = await Promise.all([
        import('../store/database.ts'),
        import('../store/migrate.ts'),
        import('../services.ts'),
        import('pino'),
      ]);
      const log = pino({ level: config.logLevel });
      const store = openStore({ databaseUrl: config.databaseUrl, dataPath: config.dataPath });
      try {
        await migrateToLatest(store);
        const assembled = await createServices({ config, store, log: log as never });
        await assembled.services.queue.start();
        log.info({ database: store.dialect, concurrency: config.queue.concurrency }, 'orrery worker started');
        const stop = (signal: string) => {
          log.info({ signal }, 'stopping: no new jobs; finishing those running');
          void assembled
            .close()
            .then(() => store.close())
            .then(
              () => process.exit(0),
              (error: unknown) => {
                log.error({ err: (error as Error).message }, 'shutdown failed');
                process.exit(1);
              },
            );
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      } catch (error) {
        process.stderr.write(`orrery worker: could not start: ${(error as Error).message}\n`);
        await store.close().catch(() => undefined);
        process.exit(1);
      }
    });
}
