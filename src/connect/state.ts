/**
 * The bot's durable state: the feed cursor and the ids it has handled, so a restart neither answers
 * twice nor misses what arrived while it was down. Written atomically (temp file + rename), by
 * default into a per-user state directory rather than wherever the bot was started.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** What is kept between runs. */
export interface BotState {
  /** Feed cursor after the last handled message (compound `<created_at>|<id>` or ISO). */
  cursor: string | null;
  /** Ids of handled messages, oldest first, at most {@link MAX_HANDLED}. */
  handled: number[];
}

/** How many handled ids are remembered (the original kept 1200 in memory). */
export const MAX_HANDLED = 1200;

/**
 * Where Orrery keeps per-user state: `$ORRERY_STATE_DIR`, else `$XDG_STATE_HOME/orrery`, else
 * `~/.local/state/orrery` (XDG Base Directory spec; a relative `XDG_STATE_HOME` is ignored, as the
 * spec asks). Not created here.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (env.ORRERY_STATE_DIR) return path.resolve(env.ORRERY_STATE_DIR);
  const xdg = env.XDG_STATE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'state'), 'orrery');
}

/** First 12 hex digits of sha256(token): names a token's state file without revealing the token. */
function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}

/** Default state file of the bot running with `token`: `<stateDir>/connect-<sha256(token)[:12]>.json`. */
export function defaultStateFile(token: string, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return path.join(stateDir(env, home), `connect-${tokenHash(token)}.json`);
}

/**
 * Where earlier versions kept the state: `.orrery-connect-<hash>.json` in the working directory
 * (read once when the default file does not exist yet, so an upgrade neither re-answers nor misses).
 */
export function legacyStateFile(token: string, cwd: string = process.cwd()): string {
  return path.join(cwd, `.orrery-connect-${tokenHash(token)}.json`);
}

/** Read the state file; an absent or unreadable file is a fresh start. */
export function loadState(file: string): BotState {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<BotState>;
    return { cursor: typeof data.cursor === 'string' ? data.cursor : null, handled: Array.isArray(data.handled) ? data.handled.filter((x) => typeof x === 'number') : [] };
  } catch {
    return { cursor: null, handled: [] };
  }
}

/** Write the state file atomically. */
export function saveState(file: string, state: BotState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ cursor: state.cursor, handled: state.handled.slice(-MAX_HANDLED) }));
  renameSync(tmp, file);
}
