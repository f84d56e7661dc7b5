/**
 * The bot's durable state: the feed cursor and the ids it has handled, so a restart neither answers
 * twice nor misses what arrived while it was down. Written atomically (temp file + rename).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
