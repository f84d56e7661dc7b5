/**
 * The bot runner's settings, from the seed's environment variables and defaults (seed 002 "How to
 * Run Locally"; research/boxel-bot-runner.md §6), and its per-category log levels.
 */
import pino, { type Logger } from 'pino';

/** The bot runner's settings. */
export interface BotRunnerOptions {
  /** MATRIX_URL: the homeserver (default `http://localhost:8008`; Orrery's own URL in the quick start). */
  matrixUrl: string;
  /** BOT_RUNNER_USERNAME: localpart or full user id (default `bot-runner`). */
  username: string;
  /** BOT_RUNNER_PASSWORD (default `password`, outside production only). */
  password: string;
  /** LOG_LEVELS, parsed: the default level and the categories' own. */
  logLevels: LogLevels;
  /** SENTRY_DSN: errors are reported there when set. */
  sentryDsn?: string;
  /** SENTRY_ENVIRONMENT (default `development`). */
  sentryEnvironment: string;
}

/** The settings are unusable: the CLI prints the message and exits 1. */
export class BotRunnerOptionsError extends Error {
  override name = 'BotRunnerOptionsError';
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** LOG_LEVELS parsed: `*=info,bot-runner=debug,queue=debug` → default `info`, two categories at `debug`. */
export interface LogLevels {
  default: string;
  categories: Map<string, string>;
}

/**
 * Parse LOG_LEVELS (`<category|*>=<level>` pairs, comma separated; default `*=info`).
 * @throws BotRunnerOptionsError naming the bad pair
 */
export function parseLogLevels(raw: string | undefined): LogLevels {
  const out: LogLevels = { default: 'info', categories: new Map() };
  for (const pair of (raw ?? '*=info').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [category, level] = pair.split('=').map((p) => p.trim());
    if (!category || !level || !LEVELS.has(level)) throw new BotRunnerOptionsError(`LOG_LEVELS: "${pair}" is not <category>=<level> with a level among ${[...LEVELS].join(', ')}`);
    if (category === '*') out.default = level;
    else out.categories.set(category, level);
  }
  return out;
}

/**
 * The settings from `env`.
 * @throws BotRunnerOptionsError when MATRIX_URL is not an http(s) URL, LOG_LEVELS is malformed, or
 *   in production BOT_RUNNER_PASSWORD is unset or left at the development default
 */
export function botRunnerOptions(env: NodeJS.ProcessEnv): BotRunnerOptions {
  const matrixUrl = (env.MATRIX_URL ?? 'http://localhost:8008').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(matrixUrl);
  } catch {
    throw new BotRunnerOptionsError(`MATRIX_URL is not a URL: ${matrixUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BotRunnerOptionsError(`MATRIX_URL must be http(s): ${matrixUrl}`);
  const production = env.NODE_ENV === 'production';
  const password = env.BOT_RUNNER_PASSWORD ?? (production ? undefined : 'password');
  if (!password) throw new BotRunnerOptionsError('BOT_RUNNER_PASSWORD is required in production');
  if (production && password === 'password') throw new BotRunnerOptionsError('BOT_RUNNER_PASSWORD must not be the development default "password" in production');
  return {
    matrixUrl,
    username: env.BOT_RUNNER_USERNAME || 'bot-runner',
    password,
    logLevels: parseLogLevels(env.LOG_LEVELS),
    ...(env.SENTRY_DSN ? { sentryDsn: env.SENTRY_DSN } : {}),
    sentryEnvironment: env.SENTRY_ENVIRONMENT || 'development',
  };
}

/** A logger per category at its LOG_LEVELS level (the others at the default), one JSON line per entry. */
export function categoryLoggers(levels: LogLevels, destination?: NodeJS.WritableStream): (category: string) => Logger {
  const root = pino({ level: 'trace', base: { pid: process.pid } }, destination ?? process.stdout);
  const cache = new Map<string, Logger>();
  return (category) => {
    let logger = cache.get(category);
    if (!logger) {
      logger = root.child({ category }, { level: levels.categories.get(category) ?? levels.default });
      cache.set(category, logger);
    }
    return logger;
  };
}
