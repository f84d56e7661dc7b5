/**
 * `orrery bot-runner`: the bot runner process (seed 002; docs/bot-runner.md). It opens Orrery's
 * database (DATABASE_URL, or the embedded one under DATA_PATH) for the bot registrations and the
 * queue, creates its own account there (an admin) on first start, logs in to MATRIX_URL, follows
 * its rooms and works the `bot-command` jobs, answering each in the room through the homeserver.
 * SIGINT/SIGTERM: stop syncing, finish the enqueues and jobs in flight, exit 0. A failed login
 * exits 1 with one line naming the URL.
 */
import { Command } from 'commander';
import { DomainError } from '../lib/errors.ts';
import { configFromFlags, withConfigFlags } from './config-flags.ts';

/** How long a stopping runner lets its jobs in flight finish, ms. */
const STOP_DEADLINE_MS = 10_000;

/** Builds the `bot-runner` subcommand. */
export function botRunnerCommand(): Command {
  return withConfigFlags(new Command('bot-runner'))
    .description('run the bot runner: a Matrix user that turns room events into jobs (MATRIX_URL, BOT_RUNNER_USERNAME, BOT_RUNNER_PASSWORD, LOG_LEVELS, SENTRY_DSN)')
    .action(async (flags: Record<string, string | undefined>) => {
      const { botRunnerOptions, BotRunnerOptionsError, categoryLoggers } = await import('../bot-runner/options.ts');
      let options;
      try {
        options = botRunnerOptions(process.env);
      } catch (error) {
        if (error instanceof BotRunnerOptionsError) {
          process.stderr.write(`orrery bot-runner: ${error.message}\n`);
          process.exit(1);
        }
        throw error;
      }
      const config = configFromFlags(flags);
      const loggerOf = categoryLoggers(options.logLevels);
      const log = loggerOf('bot-runner');
      const [{ openStore }, { migrateToLatest }, { createServices }, { createBotRunner, BotRunnerLoginError }, { BOT_COMMAND_JOB }, { startSentry }] = await Promise.all([
        import('../store/database.ts'),
        import('../store/migrate.ts'),
        import('../services.ts'),
        import('../bot-runner/runner.ts'),
        import('../bots/service.ts'),
        import('../bot-runner/sentry.ts'),
      ]);
      const sentry = options.sentryDsn ? await startSentry(options.sentryDsn, options.sentryEnvironment) : undefined;

      const store = openStore({ databaseUrl: config.databaseUrl, dataPath: config.dataPath });
      await migrateToLatest(store);
      const assembled = await createServices({ config, store, log: loggerOf('orrery') as never });
      const { accounts, bots, queue } = assembled.services;
      const closeAll = async () => {
        await assembled.close();
        await store.close();
        await sentry?.close();
      };

      // A valid Matrix user with admin rights in Orrery, created on first start when missing here.
      const existing = await accounts.getUser(options.username).catch((error: unknown) => {
        if (error instanceof DomainError && error.code === 'ORR_AUTH_USER_NOT_FOUND') return undefined;
        throw error;
      });
      if (!existing) {
        const created = await accounts.createUser({ username: options.username, password: options.password, isAdmin: true });
        log.info({ user_id: created.userId }, 'created the bot runner account (admin)');
        if (options.password === 'password') {
          log.warn({ user_id: created.userId }, 'the bot runner account (an admin) has the development password "password": set BOT_RUNNER_PASSWORD anywhere others can reach this server');
        }
      } else if (!existing.isAdmin) {
        log.warn({ user_id: existing.userId }, 'the bot runner account exists but is not an admin: its own registrations cannot be global');
      }

      const runner = createBotRunner({
        matrixUrl: options.matrixUrl,
        username: options.username,
        password: options.password,
        bots,
        log,
        ...(sentry ? { report: (error: unknown) => sentry.capture(error) } : {}),
      });
      try {
        await runner.start();
      } catch (error) {
        if (error instanceof BotRunnerLoginError) {
          sentry?.capture(error);
          process.stderr.write(`orrery bot-runner: ${error.message}\n`);
          await closeAll().catch(() => undefined);
          process.exit(1);
        }
        throw error;
      }
      log.info({ user_id: runner.userId, matrix_url: options.matrixUrl }, 'bot runner started');

      // This process answers the jobs it (and its replicas) enqueue: it holds the Matrix client.
      queue.work(BOT_COMMAND_JOB, async (job: Parameters<typeof bots.runCommand>[0], context) => {
        const result = await bots.runCommand(job);
        await runner.postReply(job, result, context);
        return result;
      });
      await queue.start();

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping: no more syncs; finishing what is in flight');
        try {
          await runner.stop();
          await queue.stop({ deadlineMs: STOP_DEADLINE_MS });
          await closeAll();
          process.exit(0);
        } catch (error) {
          log.error({ err: (error as Error).message }, 'shutdown failed');
          process.exit(1);
        }
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      runner.done().catch(async (error: unknown) => {
        if (stopping) return;
        process.stderr.write(`orrery bot-runner: stopped: ${(error as Error).message}\n`);
        await closeAll().catch(() => undefined);
        process.exit(1);
      });
    });
}
