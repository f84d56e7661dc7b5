/**
 * `orrery connect` / `scripts/runtime-service.mjs` options, with the original bot's flags, env vars,
 * defaults, minimums and error messages (docs/runtime-connect.md, "The bot"). A flag wins over its
 * env var, the env var over the default.
 */
import type { Command } from 'commander';
import { defaultStateFile } from './state.ts';

/** The bot's resolved options. Units are in the names. */
export interface ConnectOptions {
  baseUrl: string;
  token: string;
  username: string;
  triggerName: string;
  openaiKey: string;
  openaiModel: string;
  openaiBaseUrl: string;
  systemPrompt: string;
  heartbeatSeconds: number;
  pollSeconds: number;
  feedLimit: number;
  lookbackSeconds: number;
  replyAll: boolean;
  triggerRegex: string;
  /** `true`/`false` forces; `undefined` uses the stream when the server's spec offers it. */
  stream: boolean | undefined;
  /** `responses` (the original) or `chat`. */
  openaiApi: 'responses' | 'chat';
  /**
   * Where the cursor and handled ids persist: `--state-file` / `KOZMOS_STATE_FILE`, else
   * `connect-<sha256(token)[:12]>.json` in the state directory (`ORRERY_STATE_DIR`, else
   * `$XDG_STATE_HOME/orrery`, else `~/.local/state/orrery`).
   */
  stateFile: string;
  /**
   * Answer the owner's own web posts too (default `false`: never answer its own account, as the
   * original). Needs a server offering `exclude=own_bots`, so the bot still never hears any bot of
   * its account, itself included.
   */
  answerOwner: boolean;
}

/** A missing required option (`fatal: missing required arg: <name>`). */
export class MissingArgError extends Error {
  constructor(name: string) {
    super(`missing required arg: ${name}`);
  }
}

const DEFAULT_PROMPT = 'You are a calm runtime user in Kozmos. Reply concise, warm, and non-toxic.';

/** Adds every flag to `command` (values optional, so bare flags work as in the original). */
export function addConnectFlags(command: Command): Command {
  return command
    .option('--base-url <url>', 'Orrery (or Kozmos) origin [KOZMOS_BASE_URL] (required)')
    .option('--token <kzrt>', 'runtime token [KOZMOS_RUNTIME_TOKEN] (required)')
    .option('--username <name>', 'your username, for self-filtering [KOZMOS_RUNTIME_USERNAME]')
    .option('--trigger-name <name>', 'name that triggers a reply (default: --username, else "runtime")')
    .option('--openai-key <key>', 'model API key [OPENAI_API_KEY] (required unless the model is echo)')
    .option('--openai-model <model>', 'model [OPENAI_MODEL] (default gpt-4.1-mini; "echo" = offline demo model)')
    .option('--model <model>', 'alias of --openai-model')
    .option('--openai-base-url <url>', 'OpenAI-compatible base URL [OPENAI_BASE_URL] (default https://api.openai.com)')
    .option('--openai-api <api>', 'responses | chat [OPENAI_API] (default responses)')
    .option('--system-prompt <text>', 'system prompt [KOZMOS_SYSTEM_PROMPT]')
    .option('--heartbeat-seconds <n>', 'heartbeat interval, min 10 [KOZMOS_HEARTBEAT_SECONDS] (default 25)')
    .option('--poll-seconds <n>', 'poll interval without the stream, min 2 [KOZMOS_POLL_SECONDS] (default 5)')
    .option('--feed-limit <n>', 'messages per feed page, 1..100 [KOZMOS_FEED_LIMIT] (default 40)')
    .option('--lookback-seconds <n>', 'first start reads this far back, min 10 [KOZMOS_LOOKBACK_SECONDS] (default 120)')
    .option('--reply-all [bool]', 'reply to every message [KOZMOS_REPLY_ALL]')
    .option('--trigger-regex <re>', 'replaces the default trigger [KOZMOS_TRIGGER_REGEX]')
    .option('--stream [bool]', 'use the server-sent event stream (default: when the server offers it)')
    .option('--state-file <path>', 'where the cursor and answered ids are kept [KOZMOS_STATE_FILE] (default: connect-<hash>.json in $ORRERY_STATE_DIR, $XDG_STATE_HOME/orrery or ~/.local/state/orrery)')
    .option('--answer-owner [bool]', "also answer your own web posts (never your bots') [KOZMOS_ANSWER_OWNER] (default false)")
    .allowUnknownOption(true)
    .allowExcessArguments(true);
}

type Raw = Record<string, string | boolean | undefined>;

function pick(flags: Raw, key: string, env: NodeJS.ProcessEnv, envName?: string): string | boolean | undefined {
  const flag = flags[key];
  if (flag !== undefined) return flag;
  return envName ? env[envName] : undefined;
}

/** `floor(value)` when numeric, else `fallback`; then at least `min` (and at most `max`). */
function number(value: unknown, fallback: number, min: number, max = Infinity): number {
  const n = Math.floor(Number(value));
  const v = value === undefined || value === true || !Number.isFinite(n) ? fallback : n;
  return Math.min(max, Math.max(min, v));
}

const truthy = (v: unknown) => v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');

/**
 * Resolve options from parsed flags (commander's camelCase keys) and the environment (`home`: the
 * home directory for the default state file, default `os.homedir()`).
 * @throws MissingArgError for base-url, token, or openai-key (unless the model is echo)
 */
export function resolveConnectOptions(flags: Raw, env: NodeJS.ProcessEnv = process.env, home?: string): ConnectOptions {
  const str = (key: string, envName?: string) => {
    const v = pick(flags, key, env, envName);
    return typeof v === 'string' ? v.trim() : '';
  };
  const baseUrl = str('baseUrl', 'KOZMOS_BASE_URL').replace(/\/+$/, '');
  if (!baseUrl) throw new MissingArgError('base-url');
  const token = str('token', 'KOZMOS_RUNTIME_TOKEN');
  if (!token) throw new MissingArgError('token');
  const openaiModel = str('model') || str('openaiModel', 'OPENAI_MODEL') || 'gpt-4.1-mini';
  const openaiKey = str('openaiKey', 'OPENAI_API_KEY');
  if (!openaiKey && openaiModel !== 'echo') throw new MissingArgError('openai-key');
  const username = str('username', 'KOZMOS_RUNTIME_USERNAME');
  const streamRaw = pick(flags, 'stream', env, 'KOZMOS_STREAM');
  const api = str('openaiApi', 'OPENAI_API');
  return {
    baseUrl,
    token,
    username,
    triggerName: str('triggerName') || username || 'runtime',
    openaiKey,
    openaiModel,
    openaiBaseUrl: str('openaiBaseUrl', 'OPENAI_BASE_URL') || 'https://api.openai.com',
    systemPrompt: str('systemPrompt', 'KOZMOS_SYSTEM_PROMPT') || DEFAULT_PROMPT,
    heartbeatSeconds: number(pick(flags, 'heartbeatSeconds', env, 'KOZMOS_HEARTBEAT_SECONDS'), 25, 10),
    pollSeconds: number(pick(flags, 'pollSeconds', env, 'KOZMOS_POLL_SECONDS'), 5, 2),
    feedLimit: number(pick(flags, 'feedLimit', env, 'KOZMOS_FEED_LIMIT'), 40, 1, 100),
    lookbackSeconds: number(pick(flags, 'lookbackSeconds', env, 'KOZMOS_LOOKBACK_SECONDS'), 120, 10),
    replyAll: truthy(pick(flags, 'replyAll', env, 'KOZMOS_REPLY_ALL')),
    triggerRegex: str('triggerRegex', 'KOZMOS_TRIGGER_REGEX'),
    stream: streamRaw === undefined ? undefined : truthy(streamRaw),
    openaiApi: api === 'chat' ? 'chat' : 'responses',
    stateFile: str('stateFile', 'KOZMOS_STATE_FILE') || defaultStateFile(token, env, home),
    answerOwner: truthy(pick(flags, 'answerOwner', env, 'KOZMOS_ANSWER_OWNER')),
  };
}

/**
 * The trigger: `--trigger-regex` (case-insensitive) when given, else the original's words, the name,
 * `@name`, `ai` or `bot`, as whole words. Deliberate difference from the original, which counted only
 * whitespace as a word boundary (`alice?`, `(alice)` and `hey alice,` got no reply): here a word is
 * bounded by anything that is not a Unicode letter or digit, so punctuation counts and `malice` or
 * `robot` still do not trigger.
 * @throws SyntaxError when `--trigger-regex` is not a valid regular expression
 */
export function triggerRegexOf(options: Pick<ConnectOptions, 'triggerRegex' | 'triggerName'>): RegExp {
  if (options.triggerRegex) return new RegExp(options.triggerRegex, 'i');
  const name = options.triggerName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:@?${name}|ai|bot)(?![\\p{L}\\p{N}])`, 'iu');
}
