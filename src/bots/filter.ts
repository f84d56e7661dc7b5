/**
 * The filter grammar and the command syntax, checked when a command is registered (docs/bot-runner.md
 * "Filters" and "Commands"). Pure: no I/O.
 *
 * ```
 * filter  = { "type": "matrix-event", "event_type": <string>, …trigger }      extra keys are kept
 * trigger, by event_type:
 *   "app.boxel.bot-trigger"  content_type: <string> (required; = content.type, exact)   the original's
 *   "m.room.message"         exactly one of
 *                              prefix:  <1-64 chars, no spaces>   body starts with it, then a space or the end
 *                              mention: true | "@user:server"     the bot runner (true) or that user is mentioned
 *                              regex:   <≤ 200 chars>, flags?: subset of "imsu"   tested on the body
 *                            msgtype?: <string>   (= content.msgtype, exact; without it `m.notice` never matches)
 *   any other type           content_type?: <string>   (= content.type, exact, when given)
 * ```
 */
import vm from 'node:vm';
import { DomainError } from '../lib/errors.ts';
import { BotErrors } from './errors.ts';
import type { CommandSpec } from './types.ts';

/** The original's only event type (research §4.1). */
export const BOT_TRIGGER_EVENT_TYPE = 'app.boxel.bot-trigger';
/** Longest regex source accepted. */
export const REGEX_MAX_LENGTH = 200;
/** Regex flags accepted (no `g`/`y`: a match is a test, without state). */
const REGEX_FLAGS = /^[imsu]*$/;
/** Longest a regex may run on one body before it counts as no match, ms (match.ts too). */
export const REGEX_TIME_BOX_MS = 50;

const USER_ID_RE = /^@[^:\s]+:\S+$/;
const AGENT_RE = /^agent:([A-Za-z0-9][A-Za-z0-9_.-]{0,127})(?:@([A-Za-z0-9][A-Za-z0-9_.+-]{0,63}))?\/([A-Za-z0-9][A-Za-z0-9_.-]{0,127})$/;

const invalid = (message: string) => new DomainError(BotErrors.invalidFilter, { message });

/** One regex run under a time box (vm's watchdog interrupts a runaway backtrack). */
const regexContext = vm.createContext({ re: /(?:)/, s: '' });
const regexScript = new vm.Script('re.test(s)');
/**
 * `re.test(body)` stopped after {@link REGEX_TIME_BOX_MS}.
 * @returns true/false, or `'timeout'` when it ran too long
 */
export function testRegexBoxed(re: RegExp, body: string, timeoutMs = REGEX_TIME_BOX_MS): boolean | 'timeout' {
  regexContext.re = re;
  regexContext.s = body;
  try {
    return regexScript.runInContext(regexContext, { timeout: timeoutMs }) === true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'timeout';
    throw error;
  } finally {
    regexContext.s = '';
  }
}

/**
 * A quantifier (`*`, `+`, `{n,}`, `{n,m}` with m > 1) applied to a group that itself holds one, or
 * a back-reference: the shapes that backtrack exponentially (`(a+)+`, `(\w*)*$`, `(a|a)*` aside).
 */
export function unsafeRegexReason(source: string): string | undefined {
  if (/\\[1-9]|\\k</.test(source)) return 'back-references are not allowed';
  const stack: boolean[] = []; // per open group: does it contain a quantifier?
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (c === ')') {
      const hadQuantifier = stack.pop() ?? false;
      const next = source.slice(i + 1);
      const quantified = /^(?:[*+]|\{\d*,\d*\}|\{\d+,?\}|\?)/.exec(next);
      const repeats = quantified && quantified[0] !== '?' && !/^\{[01]\}$|^\{0?,1\}$/.test(quantified[0]);
      if (repeats && hadQuantifier) return 'nested quantifiers are not allowed';
      if (stack.length) stack[stack.length - 1] = stack[stack.length - 1]! || hadQuantifier || Boolean(repeats);
    } else if ((c === '*' || c === '+' || c === '{') && stack.length) stack[stack.length - 1] = true;
  }
  return undefined;
}

/** Probe bodies built from the pattern's own characters: long runs that make a backtracker explode. */
function probes(source: string): string[] {
  const chars = [...new Set(source.replace(/\\./g, '').replace(/[^A-Za-z0-9 _-]/g, ''))].slice(0, 8);
  return ['a', ' ', '0', ...chars].map((c) => c.repeat(2048) + '\u2603');
}

/**
 * Compile a filter's regex, or throw why not: too long, bad flags, invalid, unsafe shape, or slow on
 * a probe body.
 * @throws DomainError invalidFilter (400) naming the reason
 */
export function compileFilterRegex(source: unknown, flags: unknown, options: { probe?: boolean } = {}): RegExp {
  if (typeof source !== 'string' || !source) throw invalid('filter.regex must be a non-empty string');
  if (source.length > REGEX_MAX_LENGTH) throw invalid(`filter.regex must be at most ${REGEX_MAX_LENGTH} characters`);
  if (flags !== undefined && (typeof flags !== 'string' || !REGEX_FLAGS.test(flags))) throw invalid('filter.flags must be made of i, m, s, u');
  let re: RegExp;
  try {
    re = new RegExp(source, (flags as string | undefined) ?? '');
  } catch {
    throw invalid('filter.regex is not a valid regular expression');
  }
  const reason = unsafeRegexReason(source);
  if (reason) throw invalid(`filter.regex is unsafe: ${reason}`);
  if (options.probe === false) return re;
  for (const body of probes(source)) {
    if (testRegexBoxed(re, body) === 'timeout') throw invalid('filter.regex is unsafe: it backtracks catastrophically');
  }
  return re;
}

/**
 * Check a filter against the grammar above (the original's messages for its own fields).
 * @param options.probe run a regex on probe bodies (default true; false when re-reading a stored filter)
 * @throws DomainError invalidFilter (400) with the first problem, e.g. `filter.type must be 'matrix-event'`
 */
export function validateFilter(filter: unknown, options: { probe?: boolean } = {}): void {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) throw invalid('filter must be an object');
  const f = filter as Record<string, unknown>;
  if (f.type !== 'matrix-event') throw invalid("filter.type must be 'matrix-event'");
  if (typeof f.event_type !== 'string' || !f.event_type.trim()) throw invalid('filter.event_type must be a non-empty string');
  if (f.event_type.length > 255) throw invalid('filter.event_type must be at most 255 characters');
  if (f.content_type !== undefined && typeof f.content_type !== 'string') throw invalid('filter.content_type must be a string');
  if (f.event_type === BOT_TRIGGER_EVENT_TYPE) {
    if (typeof f.content_type !== 'string') throw invalid('filter.content_type must be a string');
    return;
  }
  if (f.event_type !== 'm.room.message') {
    for (const key of ['prefix', 'mention', 'regex', 'msgtype'] as const) {
      if (f[key] !== undefined) throw invalid(`filter.${key} applies to m.room.message only`);
    }
    return;
  }
  if (f.msgtype !== undefined && typeof f.msgtype !== 'string') throw invalid('filter.msgtype must be a string');
  const triggers = (['prefix', 'mention', 'regex'] as const).filter((k) => f[k] !== undefined);
  if (triggers.length !== 1) throw invalid('a filter on m.room.message needs exactly one of prefix, mention, regex');
  if (f.prefix !== undefined && (typeof f.prefix !== 'string' || !/^\S{1,64}$/.test(f.prefix))) {
    throw invalid('filter.prefix must be 1-64 characters without spaces');
  }
  if (f.mention !== undefined && f.mention !== true && !(typeof f.mention === 'string' && USER_ID_RE.test(f.mention))) {
    throw invalid('filter.mention must be true (the bot runner) or a Matrix user id');
  }
  if (f.regex !== undefined) compileFilterRegex(f.regex, f.flags, options);
  else if (f.flags !== undefined) throw invalid('filter.flags needs filter.regex');
}

/** True for hosts that name this machine or a private network literally (no DNS: commands.ts resolves). */
export function isPrivateHostLiteral(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return isPrivateAddress(h);
}

/** True for loopback, private, link-local, unique-local, CGNAT and unspecified IPv4/IPv6 addresses. */
export function isPrivateAddress(address: string): boolean {
  const a = address.toLowerCase();
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [x, y] = [Number(v4[1]), Number(v4[2])];
    return x === 0 || x === 10 || x === 127 || (x === 100 && y >= 64 && y <= 127) || (x === 169 && y === 254) || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || x >= 224;
  }
  if (!a.includes(':')) return false;
  return a === '::' || a === '::1' || /^f[cd]/.test(a) || /^fe[89ab]/.test(a) || a.startsWith('ff');
}

/**
 * Parse a `command` (already trimmed).
 * @param options.allowPrivateWebhooks BOT_WEBHOOK_ALLOW_PRIVATE
 * @throws DomainError invalidCommand (400) naming what is wrong
 */
export function parseCommand(command: string, options: { allowPrivateWebhooks: boolean }): CommandSpec {
  if (command === 'echo') return { kind: 'echo' };
  if (command === 'help') return { kind: 'help' };
  if (command.startsWith('agent:')) {
    const m = AGENT_RE.exec(command);
    if (!m) throw new DomainError(BotErrors.invalidCommand, { message: 'command must be agent:<agentId>[@version]/<skill> (letters, digits, _ . -)' });
    return { kind: 'agent', agentId: m[1]!, version: m[2], skill: m[3]! };
  }
  if (/^https?:\/\//i.test(command)) {
    let url: URL;
    try {
      url = new URL(command);
    } catch {
      throw new DomainError(BotErrors.invalidCommand, { message: 'command is not a valid URL' });
    }
    if (url.username || url.password) throw new DomainError(BotErrors.invalidCommand, { message: 'command URL must not carry credentials' });
    if (!options.allowPrivateWebhooks && isPrivateHostLiteral(url.hostname)) {
      throw new DomainError(BotErrors.invalidCommand, { message: 'command URL must not target a private or loopback address' });
    }
    return { kind: 'webhook', url: url.toString() };
  }
  throw new DomainError(BotErrors.invalidCommand);
}
