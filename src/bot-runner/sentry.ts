/**
 * Error reporting of the bot runner to Sentry (SENTRY_DSN, SENTRY_ENVIRONMENT), through the
 * official SDK, as the original runner reports its failures (research/boxel-bot-runner.md §3.1).
 * No tracing or profiling: only errors.
 */
import * as Sentry from '@sentry/node';

/** A started Sentry client. */
export interface SentryReporter {
  /** Report an error (sent in the background). */
  capture(error: unknown): void;
  /** Send what is pending (at most 2000 ms), then stop. */
  close(): Promise<void>;
}

/** Start reporting to `dsn` tagged with `environment`. */
export async function startSentry(dsn: string, environment: string): Promise<SentryReporter> {
  Sentry.init({ dsn, environment, tracesSampleRate: 0, defaultIntegrations: false, integrations: [] });
  return {
    capture: (error) => void Sentry.captureException(error),
    close: async () => {
      await Sentry.close(2000);
    },
  };
}
