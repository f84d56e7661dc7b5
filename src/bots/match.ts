/**
 * The matcher: which commands one room event triggers (docs/bot-runner.md "Matching"). Pure: the
 * caller (the bot runner) loads the sender's registrations and the global ones, and enqueues one job
 * per match with the match's `key` as the queue's dedupe key.
 *
 * Rules, in order:
 * 1. Events the bot runner sent itself, state events, and edits (`m.replace`) trigger nothing; nor do
 *    `m.notice` messages unless a filter asks for that msgtype (the Matrix convention that bots do not
 *    answer notices, so two bots cannot answer each other forever).
 * 2. Global registrations first, then the sender's own (the original's order, research §3.3); a
 *    registration in both lists (an admin's global one) counts once.
 * 3. A registration created after the event does not see it (research §8 item 17).
 * 4. Per registration, its oldest command whose filter matches wins: at most one match per
 *    (registration, event), as the original (research §4.2).
 * 5. No double processing (research §9): across registrations, a command string already matched
 *    for this event is not matched again, so the sender's and the bot runner's registrations of the
 *    same command run it once.
 */
import { createHash } from 'node:crypto';
import { BOT_TRIGGER_EVENT_TYPE, parseCommand, testRegexBoxed, validateFilter } from './filter.ts';
import type { BotCommand, BotRegistration, CommandSpec, MatrixEvent, RegistrationWithCommands } from './types.ts';

/** Longest part of a message body a regex filter reads, characters. */
export const BODY_MAX_CHARS = 4096;

/** What the matcher is given beside the event. */
export interface MatchContext {
  /** The bot runner's own Matrix user id: its events are ignored, `mention: true` names it. */
  botUserId: string;
  /** The sender's own registrations, with their commands (oldest first). */
  own: readonly RegistrationWithCommands[];
  /** Global registrations, with their commands (oldest first). */
  global: readonly RegistrationWithCommands[];
}

/** One (event, command) to run. */
export interface BotMatch {
  registration: BotRegistration;
  command: BotCommand;
  spec: CommandSpec;
  /** What the trigger carries for the command: the body after the prefix or mention, the body for a regex, `content.input` as JSON for a bot trigger. */
  args: string;
  /** Queue dedupe key: `bot:<event_id>:<sha256(command) 16 hex>`, the same on every replica. */
  key: string;
}

const regexCache = new Map<string, RegExp | null>();
function regexOf(source: string, flags: string | undefined): RegExp | null {
  const id = `${flags ?? ''}/${source}`;
  let re = regexCache.get(id);
  if (re === undefined) {
    try {
      re = new RegExp(source, flags ?? '');
    } catch {
      re = null;
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(id, re);
  }
  return re;
}

/** The text a command sees when `filter` matches `event`, or undefined when it does not match. */
export function matchFilter(filter: Record<string, unknown>, event: MatrixEvent, botUserId: string): string | undefined {
  try {
    validateFilter(filter, { probe: false });
  } catch {
    return undefined; // a stored filter that no longer parses matches nothing
  }
  if (filter.event_type !== event.type) return undefined;
  const content = event.content ?? {};
  if (event.type === BOT_TRIGGER_EVENT_TYPE) {
    if (content.type !== filter.content_type) return undefined;
    const input = content.input;
    if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) return undefined;
    return input === undefined ? '' : JSON.stringify(input);
  }
  if (event.type !== 'm.room.message') {
    if (typeof filter.content_type === 'string' && content.type !== filter.content_type) return undefined;
    return JSON.stringify(content);
  }
  const body = content.body;
  if (typeof body !== 'string') return undefined;
  if (typeof filter.msgtype === 'string' ? content.msgtype !== filter.msgtype : content.msgtype === 'm.notice') return undefined;
  if (typeof filter.prefix === 'string') {
    const text = body.trimStart();
    if (text !== filter.prefix && !(text.startsWith(filter.prefix) && /\s/.test(text[filter.prefix.length] ?? ''))) return undefined;
    return text.slice(filter.prefix.length).trim();
  }
  if (filter.mention !== undefined) {
    const target = filter.mention === true ? botUserId : String(filter.mention);
    const mentions = (content['m.mentions'] as { user_ids?: unknown } | undefined)?.user_ids;
    const formatted = typeof content.formatted_body === 'string' ? content.formatted_body : '';
    const named =
      (Array.isArray(mentions) && mentions.includes(target)) || body.includes(target) || formatted.includes(`https://matrix.to/#/${target}`);
    if (!named) return undefined;
    return body.split(target).join('').replace(/^[\s:,]+/, '').trim();
  }
  if (typeof filter.regex === 'string') {
    const re = regexOf(filter.regex, typeof filter.flags === 'string' ? filter.flags : undefined);
    if (!re) return undefined;
    const text = body.slice(0, BODY_MAX_CHARS);
    return testRegexBoxed(re, text) === true ? text : undefined;
  }
  return undefined;
}

/** A short stable digest of a command string, for job keys. */
function commandDigest(command: string): string {
  return createHash('sha256').update(command).digest('hex').slice(0, 16);
}

/** Every command `event` triggers, by the rules above, in the order they should be enqueued. */
export function matchEvent(event: MatrixEvent, ctx: MatchContext): BotMatch[] {
  if (!event.event_id || !event.room_id || event.sender === ctx.botUserId || event.state_key !== undefined) return [];
  const relates = event.content?.['m.relates_to'] as { rel_type?: unknown } | undefined;
  if (relates?.rel_type === 'm.replace') return [];
  const seenRegistrations = new Set<string>();
  const seenCommands = new Set<string>();
  const out: BotMatch[] = [];
  for (const registration of [...ctx.global, ...ctx.own]) {
    if (seenRegistrations.has(registration.id)) continue;
    seenRegistrations.add(registration.id);
    if (!registration.global && registration.username !== event.sender) continue;
    if (event.origin_server_ts !== undefined && event.origin_server_ts < registration.createdAt) continue;
    for (const command of registration.commands) {
      const args = matchFilter(command.filter, event, ctx.botUserId);
      if (args === undefined) continue;
      let spec: CommandSpec;
      try {
        // Private targets were checked at registration; the executor checks resolved addresses again.
        spec = parseCommand(command.command, { allowPrivateWebhooks: true });
      } catch {
        continue;
      }
      if (!seenCommands.has(command.command)) {
        seenCommands.add(command.command);
        const reg: BotRegistration = { id: registration.id, username: registration.username, global: registration.global, createdAt: registration.createdAt };
        out.push({ registration: reg, command, spec, args, key: `bot:${event.event_id}:${commandDigest(command.command)}` });
      }
      break; // one match per (registration, event)
    }
  }
  return out;
}
