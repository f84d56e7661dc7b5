/**
 * Orrery's options: every setting, its environment variable, default and unit, in one schema.
 *
 * The schema is the single source of truth: `load.ts` reads it, and `OPTION_DOCS` below and the
 * README's configuration table describe it (a test keeps the three in step). Invalid values fail at
 * boot with one line naming the variable; nothing falls back silently (CONVENTIONS "Options and errors").
 */
import { z } from 'zod';

/** Server modes of the Runtime Server seed (001): `runtime` loads every module. */
export const SERVER_MODES = ['runtime', 'agent', 'debugger', 'embodiment'] as const;
/** One server mode; see {@link SERVER_MODES}. */
export type ServerMode = (typeof SERVER_MODES)[number];

/** Who may create an account: anyone, nobody but admins, or holders of `REGISTRATION_TOKEN`. */
export const REGISTRATION_POLICIES = ['open', 'closed', 'token'] as const;
/** One registration policy; see {@link REGISTRATION_POLICIES}. */
export type RegistrationPolicy = (typeof REGISTRATION_POLICIES)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = (name: string) =>
  z.string().transform((raw, ctx) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 0 || n > 65535) {
      ctx.addIssue({ code: 'custom', message: `${name} must be an integer 1-65535, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return n;
  });

const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string().transform((raw, ctx) => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `${name} must be an integer ${min}-${max}, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return n;
  });

const bool = (name: string) =>
  z.string().transform((raw, ctx) => {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
    ctx.addIssue({ code: 'custom', message: `${name} must be true or false, got ${JSON.stringify(raw)}` });
    return z.NEVER;
  });

const oneOf = <T extends readonly [string, ...string[]]>(name: string, values: T) =>
  z.string().transform((raw, ctx) => {
    const v = raw.trim().toLowerCase();
    if ((values as readonly string[]).includes(v)) return v as T[number];
    ctx.addIssue({ code: 'custom', message: `${name} must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}` });
    return z.NEVER;
  });

const url = (name: string, protocols: string[]) =>
  z.string().transform((raw, ctx) => {
    try {
      const u = new URL(raw);
      if (protocols.includes(u.protocol)) return raw.replace(/\/+$/, '');
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: `${name} must be a ${protocols.join(' or ')} URL, got ${JSON.stringify(raw)}` });
    return z.NEVER;
  });

/** Matrix server name grammar (spec appendix "Server Name"): hostname or IP literal, optional port. */
const SERVER_NAME_RE = /^(?:[A-Za-z0-9.-]{1,255}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * Environment variables Orrery reads, each with its default (as the raw string a user would set).
 * Keys are the variable names; `OPTION_DOCS` gives each a meaning.
 */
export const envSchema = z.object({
  PORT: port('PORT').prefault('5053'),
  ADMIN_PORT: port('ADMIN_PORT').prefault('5054'),
  HOST: z.string().min(1).prefault('0.0.0.0'),
  BASE_URL: url('BASE_URL', ['http:', 'https:']).optional(),
  DATA_PATH: z.string().min(1).prefault('./data'),
  DATABASE_URL: url('DATABASE_URL', ['postgres:', 'postgresql:']).optional(),
  SERVER_MODE: z.string().prefault('runtime'),
  SERVER_NAME: z.string().prefault('localhost'),
  SESSION_SECRET: z.string().optional(),
  NODE_ENV: oneOf('NODE_ENV', ['development', 'production', 'test'] as const).prefault('development'),
  LOG_LEVEL: oneOf('LOG_LEVEL', LOG_LEVELS).prefault('info'),
  CORS_ORIGINS: z.string().prefault(''),
  ADMIN_TOKEN: z.string().optional(),
  RATE_LIMIT_MAX: int('RATE_LIMIT_MAX', 1).prefault('600'),
  RATE_LIMIT_WINDOW_MS: int('RATE_LIMIT_WINDOW_MS', 100).prefault('60000'),
  RATE_LIMIT_ALLOW_LOOPBACK: bool('RATE_LIMIT_ALLOW_LOOPBACK').prefault('false'),
  LOGIN_MAX_FAILURES: int('LOGIN_MAX_FAILURES', 1).prefault('5'),
  LOGIN_LOCKOUT_MS: int('LOGIN_LOCKOUT_MS', 100).prefault('60000'),
  MAX_BODY_BYTES: int('MAX_BODY_BYTES', 1024).prefault('1048576'),
  SESSION_TTL_S: int('SESSION_TTL_S', 60).prefault('2592000'),
  JWT_TTL_S: int('JWT_TTL_S', 60).prefault('3600'),
  SHUTDOWN_TIMEOUT_MS: int('SHUTDOWN_TIMEOUT_MS', 0).prefault('10000'),
  DEFAULT_AGENT_DOMAIN: z.string().prefault('localagent.localhost'),
  PROD_AGENT_DOMAIN: z.string().prefault(''),
  REGISTRATION_POLICY: oneOf('REGISTRATION_POLICY', REGISTRATION_POLICIES).prefault('open'),
  REGISTRATION_TOKEN: z.string().optional(),
  REGISTRATION_MAX_PER_ADDRESS: int('REGISTRATION_MAX_PER_ADDRESS', 1).prefault('10'),
  REGISTRATION_WINDOW_MS: int('REGISTRATION_WINDOW_MS', 1000).prefault('3600000'),
  RUNTIME_TOKEN_IDLE_MS: int('RUNTIME_TOKEN_IDLE_MS', 1000).prefault('1800000'),
  RUNTIME_PRESENCE_WINDOW_MS: int('RUNTIME_PRESENCE_WINDOW_MS', 1000).prefault('60000'),
  RUNTIME_HEARTBEAT_INTERVAL_S: int('RUNTIME_HEARTBEAT_INTERVAL_S', 1).prefault('25'),
  RUNTIME_SHARED_MIN_GAP_MS: int('RUNTIME_SHARED_MIN_GAP_MS', 0).prefault('1500'),
  RUNTIME_SHARED_MAX_PER_MINUTE: int('RUNTIME_SHARED_MAX_PER_MINUTE', 1).prefault('20'),
  RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE: int('RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE', 1).prefault('40'),
  RUNTIME_SHARED_DUPLICATE_WINDOW_MS: int('RUNTIME_SHARED_DUPLICATE_WINDOW_MS', 0).prefault('120000'),
  RUNTIME_STREAM_MAX_BACKLOG_BYTES: int('RUNTIME_STREAM_MAX_BACKLOG_BYTES', 4096).prefault('1048576'),
  RUNTIME_STREAM_MAX_PER_CREDENTIAL: int('RUNTIME_STREAM_MAX_PER_CREDENTIAL', 1).prefault('8'),
  RUNTIME_BOOTSTRAP_KEY: z.string().optional(),
  RUNTIME_ALLOW_DIRECT_TOKEN_ISSUE: bool('RUNTIME_ALLOW_DIRECT_TOKEN_ISSUE').prefault('false'),
  BOT_JWT_TTL_S: int('BOT_JWT_TTL_S', 60).prefault('86400'),
  BOT_WEBHOOK_TIMEOUT_MS: int('BOT_WEBHOOK_TIMEOUT_MS', 100, 600_000).prefault('10000'),
  BOT_WEBHOOK_ALLOW_PRIVATE: bool('BOT_WEBHOOK_ALLOW_PRIVATE').prefault('false'),
  QUEUE_WORKERS: bool('QUEUE_WORKERS').prefault('true'),
  QUEUE_CONCURRENCY: int('QUEUE_CONCURRENCY', 1, 1000).prefault('10'),
  QUEUE_LEASE_MS: int('QUEUE_LEASE_MS', 1000).prefault('30000'),
  QUEUE_POLL_MS: int('QUEUE_POLL_MS', 10).prefault('1000'),
  QUEUE_RETENTION_MS: int('QUEUE_RETENTION_MS', 0).prefault(String(7 * 24 * 3600_000)),
  SYNC_WAKE_MAX_DELAY_MS: int('SYNC_WAKE_MAX_DELAY_MS', 0, 5000).prefault('250'),
  AGENT_RUN_TIMEOUT_MS: int('AGENT_RUN_TIMEOUT_MS', 100, 21_600_000).prefault('120000'),
  AGENT_HTTP_TIMEOUT_MS: int('AGENT_HTTP_TIMEOUT_MS', 100, 600_000).prefault('30000'),
  DEBUG_SESSION_TTL_MS: int('DEBUG_SESSION_TTL_MS', 600_000, 86_400_000).prefault('3600000'),
  DEBUG_CLOSED_TTL_MS: int('DEBUG_CLOSED_TTL_MS', 1_000, 86_400_000).prefault('300000'),
  DEBUG_LIVE_HOLD_MS: int('DEBUG_LIVE_HOLD_MS', 100, 86_400_000).prefault('3600000'),
  AGENT_HTTP_ALLOW_PRIVATE: bool('AGENT_HTTP_ALLOW_PRIVATE').prefault('false'),
  OPENAI_BASE_URL: z.string().optional(),
  OPENAI_API_KEY: z.string().optional(),
  CHAT_DEFAULT_MODEL: z.string().optional(),
  CHAT_MAX_TOOL_ROUNDS: int('CHAT_MAX_TOOL_ROUNDS', 1, 50).prefault('8'),
  ALEXA_VERIFY_SIGNATURE: z.enum(['auto', 'true', 'false'], { error: 'must be auto, true or false' }).prefault('auto'),
});

/** Raw environment input accepted by {@link envSchema}. */
export type EnvInput = z.input<typeof envSchema>;

/** One line of documentation per option; kept beside the schema so docs cannot drift (tested). */
export const OPTION_DOCS: Record<keyof EnvInput, string> = {
  PORT: 'Main HTTP port (API, UI).',
  ADMIN_PORT: 'Admin port (stats, drain, Prometheus metrics), always bound to 127.0.0.1.',
  HOST: 'Interface the main port binds to.',
  BASE_URL: 'Public origin used in links (invites, spec, OpenAPI servers). Unset: each request\'s own origin (OpenAPI: `http://localhost:<PORT>`).',
  DATA_PATH: 'Folder for the embedded SQLite database and the generated development secret.',
  DATABASE_URL: 'Unset: embedded SQLite under DATA_PATH. `postgres://…`: PostgreSQL.',
  SERVER_MODE: 'Modules to load: `runtime` (all), `agent`, `debugger`, `embodiment`, or a comma list.',
  SERVER_NAME: 'Matrix server name used in user, room and event ids (`@alice:<SERVER_NAME>`).',
  SESSION_SECRET: 'Secret for session CSRF tokens and JWTs (≥ 32 chars). Required in production; generated and persisted under DATA_PATH in development.',
  NODE_ENV: '`development`, `production` or `test`. Production: Secure cookies, strict CORS, no stack traces.',
  LOG_LEVEL: 'pino log level: fatal, error, warn, info, debug, trace, silent.',
  CORS_ORIGINS: 'Comma list of other origins allowed to call the API with credentials (every mode). `BASE_URL` is allowed too (the server\'s own pages need no CORS); development also allows `localhost` origins on `PORT` (the Vite dev server). No other origin is ever reflected.',
  ADMIN_TOKEN: 'When set, every admin-port request must carry `Authorization: Bearer <ADMIN_TOKEN>` (unset: loopback callers only, browser-originated requests refused either way).',
  RATE_LIMIT_MAX: 'Requests per window per client (authenticated principal, else IP).',
  RATE_LIMIT_WINDOW_MS: 'Rate-limit window, milliseconds.',
  RATE_LIMIT_ALLOW_LOOPBACK: 'Exempt 127.0.0.1/::1 from rate limits.',
  LOGIN_MAX_FAILURES: 'Failed logins per username before its logins are throttled (per client address: 10× this).',
  LOGIN_LOCKOUT_MS: 'How long a throttled login stays locked, milliseconds.',
  MAX_BODY_BYTES: 'Largest accepted request body, bytes.',
  SESSION_TTL_S: 'Web session lifetime, seconds.',
  JWT_TTL_S: 'Lifetime of JWTs issued to API clients, seconds.',
  SHUTDOWN_TIMEOUT_MS: 'Longest wait for in-flight requests on SIGINT/SIGTERM, milliseconds.',
  DEFAULT_AGENT_DOMAIN: 'Domain under which development agents are addressed.',
  PROD_AGENT_DOMAIN: 'Domain under which production agents are addressed (empty: none).',
  REGISTRATION_POLICY: '`open` (anyone), `closed` (admins create users), `token` (needs REGISTRATION_TOKEN).',
  REGISTRATION_TOKEN: 'Shared registration token when REGISTRATION_POLICY=token.',
  REGISTRATION_MAX_PER_ADDRESS: 'Self-service registration attempts one client address may make per REGISTRATION_WINDOW_MS (429 beyond; per instance).',
  REGISTRATION_WINDOW_MS: 'Window of REGISTRATION_MAX_PER_ADDRESS, milliseconds.',
  RUNTIME_TOKEN_IDLE_MS: 'A runtime token without a presence call for this long expires (401 `token expired`), milliseconds.',
  RUNTIME_PRESENCE_WINDOW_MS: 'A user is present while seen within this window, milliseconds (everywhere: list, stream, spec).',
  RUNTIME_HEARTBEAT_INTERVAL_S: 'Heartbeat interval advertised to bots by `/api/runtime/spec`, seconds.',
  RUNTIME_SHARED_MIN_GAP_MS: 'Cooldown between two shared posts of one token (or of the account from the web), milliseconds (0 disables).',
  RUNTIME_SHARED_MAX_PER_MINUTE: 'Shared posts per runtime token (and per account from the web) in any 60 s.',
  RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE: 'Shared posts per account in any 60 s, all its tokens and the web together.',
  RUNTIME_SHARED_DUPLICATE_WINDOW_MS: 'The same text (case and spacing ignored) is refused (409) within this window, milliseconds (0 disables).',
  RUNTIME_STREAM_MAX_BACKLOG_BYTES: 'An event stream whose reader leaves this much unread in the server\'s socket buffer is closed (it resumes with `Last-Event-ID`), bytes.',
  RUNTIME_STREAM_MAX_PER_CREDENTIAL: 'Event streams and long-polls one credential (runtime token, access token, session) may hold open at once; one more answers 429.',
  RUNTIME_BOOTSTRAP_KEY: 'Key for `x-kozmos-bootstrap-key` on admin token rotate/revoke (unset: only admin sessions; 503 for the header).',
  RUNTIME_ALLOW_DIRECT_TOKEN_ISSUE: 'Allow `POST /api/runtime/token` (direct issue without an invite).',
  BOT_JWT_TTL_S: 'Lifetime of the bot endpoints\' JWTs (`POST /_server-session`), seconds (the original\'s 24 h).',
  BOT_WEBHOOK_TIMEOUT_MS: 'Longest wait for an `http(s)://` bot command\'s webhook to answer, milliseconds.',
  BOT_WEBHOOK_ALLOW_PRIVATE: 'Let `http(s)://` bot commands reach loopback, private and link-local addresses (refused by default).',
  QUEUE_WORKERS: 'Run the job queue\'s workers inside `orrery start` (`false`: only `orrery worker` processes run jobs).',
  QUEUE_CONCURRENCY: 'Jobs of one type a process runs at once.',
  QUEUE_LEASE_MS: 'A running job\'s lease, milliseconds: a worker that stops renewing it (it died) loses the job to another after this long. At least twice `QUEUE_POLL_MS`.',
  QUEUE_POLL_MS: 'How often workers look for jobs enqueued by other processes and renew their leases, milliseconds (jobs enqueued in the same process start at once).',
  QUEUE_RETENTION_MS: 'Finished jobs (completed, failed, cancelled) are deleted this long after they finish, milliseconds (default 7 days).',
  AGENT_RUN_TIMEOUT_MS: 'Longest an agent skill call may run before it is stopped and answered 504, milliseconds.',
  AGENT_HTTP_TIMEOUT_MS: 'Default timeout of an agent\'s outbound HTTP request (APICall) when the component sets none, milliseconds.',
  DEBUG_SESSION_TTL_MS: 'How long an open debug session survives without a step, milliseconds (at least 10 minutes).',
  DEBUG_CLOSED_TTL_MS: 'How long a finished or stopped debug session stays readable, milliseconds.',
  DEBUG_LIVE_HOLD_MS: 'How long live debug holds a plain skill call before answering 408 Debug Session Expired, milliseconds.',
  AGENT_HTTP_ALLOW_PRIVATE: 'Let agents\' outbound HTTP (APICall) reach loopback, private and link-local addresses (refused by default).',
  OPENAI_BASE_URL: 'OpenAI-compatible API base URL for agents\' models other than the offline `Echo` (e.g. https://api.openai.com/v1); unset: only `Echo` answers.',
  OPENAI_API_KEY: 'API key sent to OPENAI_BASE_URL. A secret: prefer a file-mounted environment.',
  CHAT_DEFAULT_MODEL: 'Model of agents\' conversations (OpenAI-compatible API, chat page, Alexa) when the agent names none; default `gpt-4o-mini` when OPENAI_BASE_URL or OPENAI_API_KEY is set, else the offline `echo`.',
  CHAT_MAX_TOOL_ROUNDS: 'Most model turns one conversation answer may take calling skills as tools before it must answer.',
  ALEXA_VERIFY_SIGNATURE: 'Check Alexa requests\' signature and timestamp as Amazon requires: `auto` (on when NODE_ENV=production), `true` or `false` (local testing only).',
  SYNC_WAKE_MAX_DELAY_MS: 'Longest a woken Matrix `/sync` long-poll is held while the server is busy, so that a room in full flow is answered in fewer, fuller batches, milliseconds (0: never held; an idle server answers at once).',
};

export { SERVER_NAME_RE };
