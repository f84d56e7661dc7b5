/**
 * Loading configuration: environment variables, overridden by CLI flags, validated once at boot into
 * one typed {@link Config}. Errors are {@link ConfigError}s whose message is the one line the process
 * prints before exiting 1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  envSchema,
  SERVER_MODES,
  SERVER_NAME_RE,
  type EnvInput,
  type RegistrationPolicy,
  type ServerMode,
} from './options.ts';
import { createPrivateFile, ensurePrivateDir } from '../lib/private-files.ts';

/** The validated configuration every module receives. Units are in the names. */
export interface Config {
  port: number;
  adminPort: number;
  host: string;
  /** Public origin without trailing slash, e.g. `http://localhost:5053`. */
  baseUrl: string;
  /** `BASE_URL` when set; otherwise links are built from each request's own origin. */
  publicOrigin: string | undefined;
  dataPath: string;
  /** `undefined` selects the embedded SQLite database under {@link Config.dataPath}. */
  databaseUrl: string | undefined;
  serverModes: ServerMode[];
  serverName: string;
  sessionSecret: string;
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
  logLevel: string;
  corsOrigins: string[];
  /** ADMIN_TOKEN: bearer required on the admin port when set. */
  adminToken: string | undefined;
  rateLimit: { max: number; windowMs: number; allowLoopback: boolean };
  login: { maxFailures: number; lockoutMs: number };
  maxBodyBytes: number;
  sessionTtlS: number;
  jwtTtlS: number;
  shutdownTimeoutMs: number;
  agentDomains: { default: string; prod: string };
  registration: { policy: RegistrationPolicy; token: string | undefined; maxPerAddress: number; windowMs: number };
  runtime: {
    tokenIdleMs: number;
    presenceWindowMs: number;
    heartbeatIntervalS: number;
    sharedMinGapMs: number;
    sharedMaxPerMinute: number;
    sharedAccountMaxPerMinute: number;
    sharedDuplicateWindowMs: number;
    /** See RUNTIME_STREAM_MAX_BACKLOG_BYTES. */
    streamMaxBacklogBytes: number;
    /** See RUNTIME_STREAM_MAX_PER_CREDENTIAL. */
    streamMaxPerCredential: number;
    bootstrapKey: string | undefined;
    allowDirectTokenIssue: boolean;
  };
  bots: {
    /** See BOT_JWT_TTL_S. */
    jwtTtlS: number;
    /** See BOT_WEBHOOK_TIMEOUT_MS. */
    webhookTimeoutMs: number;
    /** See BOT_WEBHOOK_ALLOW_PRIVATE. */
    webhookAllowPrivate: boolean;
  };
  queue: {
    /** See QUEUE_WORKERS. */
    workers: boolean;
    /** See QUEUE_CONCURRENCY, QUEUE_LEASE_MS, QUEUE_POLL_MS, QUEUE_RETENTION_MS. */
    concurrency: number;
    leaseMs: number;
    pollIntervalMs: number;
    retentionMs: number;
  };
  agents: {
    /** See AGENT_RUN_TIMEOUT_MS. */
    runTimeoutMs: number;
    /** See AGENT_HTTP_TIMEOUT_MS. */
    httpTimeoutMs: number;
    /** See AGENT_HTTP_ALLOW_PRIVATE. */
    httpAllowPrivate: boolean;
    /** See OPENAI_BASE_URL and OPENAI_API_KEY. */
    openaiBaseUrl: string | undefined;
    openaiApiKey: string | undefined;
  };
  embodiments: {
    /** See CHAT_DEFAULT_MODEL (resolved: never empty). */
    chatDefaultModel: string;
    /** See CHAT_MAX_TOOL_ROUNDS. */
    chatMaxToolRounds: number;
    /** See ALEXA_VERIFY_SIGNATURE (resolved against NODE_ENV). */
    alexaVerifySignature: boolean;
  };
  debugger: {
    /** See DEBUG_SESSION_TTL_MS. */
    sessionTtlMs: number;
    /** See DEBUG_CLOSED_TTL_MS. */
    closedTtlMs: number;
    /** See DEBUG_LIVE_HOLD_MS. */
    liveHoldMs: number;
  };
  /** See SYNC_WAKE_MAX_DELAY_MS. */
  syncWakeMaxDelayMs: number;
}

/** A configuration problem; `message` is a single line naming the variable and the reason. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** CLI flags that override environment variables (same names, kebab-case on the command line). */
export type ConfigOverrides = Partial<Record<keyof EnvInput, string | undefined>>;

const SECRET_FILE = 'session-secret';

/**
 * Validate `env` (plus `overrides`, which win) into a {@link Config}.
 * @throws {ConfigError} on the first invalid variable, e.g. `PORT must be an integer 1-65535, got "abc"`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = overrides[key as keyof EnvInput] ?? env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'config');
    throw new ConfigError(issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`);
  }
  const e = parsed.data;

  const serverModes = parseModes(e.SERVER_MODE);
  if (!SERVER_NAME_RE.test(e.SERVER_NAME)) {
    throw new ConfigError(`SERVER_NAME must be a hostname with an optional port, got ${JSON.stringify(e.SERVER_NAME)}`);
  }
  if (e.REGISTRATION_POLICY === 'token' && !e.REGISTRATION_TOKEN) {
    throw new ConfigError('REGISTRATION_TOKEN is required when REGISTRATION_POLICY=token');
  }
  const isProduction = e.NODE_ENV === 'production';
  const dataPath = path.resolve(e.DATA_PATH);
  const sessionSecret = resolveSessionSecret(e.SESSION_SECRET, isProduction, dataPath);

  return {
    port: e.PORT,
    adminPort: e.ADMIN_PORT,
    host: e.HOST,
    baseUrl: e.BASE_URL ?? `http://localhost:${e.PORT}`,
    publicOrigin: e.BASE_URL,
    dataPath,
    databaseUrl: e.DATABASE_URL,
    serverModes,
    serverName: e.SERVER_NAME,
    sessionSecret,
    nodeEnv: e.NODE_ENV,
    isProduction,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS.split(',').map((s) => s.trim().replace(/\/+$/, '')).filter(Boolean),
    adminToken: e.ADMIN_TOKEN || undefined,
    rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW_MS, allowLoopback: e.RATE_LIMIT_ALLOW_LOOPBACK },
    login: { maxFailures: e.LOGIN_MAX_FAILURES, lockoutMs: e.LOGIN_LOCKOUT_MS },
    maxBodyBytes: e.MAX_BODY_BYTES,
    sessionTtlS: e.SESSION_TTL_S,
    jwtTtlS: e.JWT_TTL_S,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    agentDomains: { default: e.DEFAULT_AGENT_DOMAIN, prod: e.PROD_AGENT_DOMAIN },
    registration: {
      policy: e.REGISTRATION_POLICY,
      token: e.REGISTRATION_TOKEN,
      maxPerAddress: e.REGISTRATION_MAX_PER_ADDRESS,
      windowMs: e.REGISTRATION_WINDOW_MS,
    },
    runtime: {
      tokenIdleMs: e.RUNTIME_TOKEN_IDLE_MS,
      presenceWindowMs: e.RUNTIME_PRESENCE_WINDOW_MS,
      heartbeatIntervalS: e.RUNTIME_HEARTBEAT_INTERVAL_S,
      sharedMinGapMs: e.RUNTIME_SHARED_MIN_GAP_MS,
      sharedMaxPerMinute: e.RUNTIME_SHARED_MAX_PER_MINUTE,
      sharedAccountMaxPerMinute: e.RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE,
      sharedDuplicateWindowMs: e.RUNTIME_SHARED_DUPLICATE_WINDOW_MS,
      streamMaxBacklogBytes: e.RUNTIME_STREAM_MAX_BACKLOG_BYTES,
      streamMaxPerCredential: e.RUNTIME_STREAM_MAX_PER_CREDENTIAL,
      bootstrapKey: e.RUNTIME_BOOTSTRAP_KEY || undefined,
      allowDirectTokenIssue: e.RUNTIME_ALLOW_DIRECT_TOKEN_ISSUE,
    },
    bots: {
      jwtTtlS: e.BOT_JWT_TTL_S,
      webhookTimeoutMs: e.BOT_WEBHOOK_TIMEOUT_MS,
      webhookAllowPrivate: e.BOT_WEBHOOK_ALLOW_PRIVATE,
    },
    queue: {
      workers: e.QUEUE_WORKERS,
      concurrency: e.QUEUE_CONCURRENCY,
      leaseMs: e.QUEUE_LEASE_MS,
      pollIntervalMs: e.QUEUE_POLL_MS,
      retentionMs: e.QUEUE_RETENTION_MS,
    },
    agents: {
      runTimeoutMs: e.AGENT_RUN_TIMEOUT_MS,
      httpTimeoutMs: e.AGENT_HTTP_TIMEOUT_MS,
      httpAllowPrivate: e.AGENT_HTTP_ALLOW_PRIVATE,
      openaiBaseUrl: e.OPENAI_BASE_URL || undefined,
      openaiApiKey: e.OPENAI_API_KEY || undefined,
    },
    embodiments: {
      chatDefaultModel: e.CHAT_DEFAULT_MODEL?.trim() || (e.OPENAI_BASE_URL || e.OPENAI_API_KEY ? 'gpt-4o-mini' : 'echo'),
      chatMaxToolRounds: e.CHAT_MAX_TOOL_ROUNDS,
      alexaVerifySignature: e.ALEXA_VERIFY_SIGNATURE === 'auto' ? isProduction : e.ALEXA_VERIFY_SIGNATURE === 'true',
    },
    debugger: { sessionTtlMs: e.DEBUG_SESSION_TTL_MS, closedTtlMs: e.DEBUG_CLOSED_TTL_MS, liveHoldMs: e.DEBUG_LIVE_HOLD_MS },
    syncWakeMaxDelayMs: e.SYNC_WAKE_MAX_DELAY_MS,
  };
}

function parseModes(raw: string): ServerMode[] {
  const modes = raw.split(',').map((m) => m.trim().toLowerCase()).filter(Boolean);
  const bad = modes.find((m) => !(SERVER_MODES as readonly string[]).includes(m));
  if (modes.length === 0 || bad !== undefined) {
    throw new ConfigError(
      `SERVER_MODE must be ${SERVER_MODES.join(', ')} or a comma list of them, got ${JSON.stringify(raw)}`,
    );
  }
  return [...new Set(modes)] as ServerMode[];
}

/**
 * Production demands an explicit secret; development generates one once and keeps it under
 * `DATA_PATH`, so sessions survive restarts without any setup. The file is mode 0600 and a folder
 * created for it 0700, whatever the umask: whoever reads it can forge any session.
 */
function resolveSessionSecret(given: string | undefined, isProduction: boolean, dataPath: string): string {
  if (given !== undefined) {
    if (given.length < 32) throw new ConfigError(`SESSION_SECRET must be at least 32 characters, got ${given.length}`);
    return given;
  }
  if (isProduction) throw new ConfigError('SESSION_SECRET is required when NODE_ENV=production');
  const file = path.join(dataPath, SECRET_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  ensurePrivateDir(dataPath);
  const secret = randomBytes(32).toString('hex');
  // Created 0600 before the secret is written, so it is never readable by others, not even briefly.
  createPrivateFile(file);
  writeFileSync(file, secret + '\n');
  return secret;
}
