/**
 * The bot endpoints' request bodies, read as the original read them (research §1.2-§1.7): the raw
 * text is parsed here (the request's content type is not enforced), then the JSON:API shape is
 * checked field by field in the original's order, with its messages. Pure: no I/O.
 */
import { DomainError } from '../lib/errors.ts';
import { BotErrors } from './errors.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a uuid in its canonical text form (any version, as the original's check). */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

const shape = (reason: string) => new DomainError(BotErrors.invalidJsonApi, { message: `Request body is not valid JSON-API - ${reason}` });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parse a raw body as JSON (empty counts as invalid, as `JSON.parse('')` did).
 * @throws DomainError invalidJsonApi `Request body is not valid JSON-API - invalid JSON`
 */
export function parseBody(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new DomainError(BotErrors.invalidJsonApi);
  }
}

/** `data` of a body whose `data.type` must be `type`, with `attributes` an object. */
function dataOf(body: unknown, type: string): { data: Record<string, unknown>; attributes: Record<string, unknown> } {
  if (!isObject(body) || !isObject(body.data)) throw shape('data must be an object');
  if (body.data.type !== type) throw shape(`data.type must be '${type}'`);
  if (!isObject(body.data.attributes)) throw shape('data.attributes must be an object');
  return { data: body.data, attributes: body.data.attributes };
}

/** `POST /_bot-registration`: the trimmed username and the `global` flag (Orrery's, default false). */
export function readRegistrationBody(raw: unknown): { username: string; global: boolean } {
  const { attributes } = dataOf(parseBody(raw), 'bot-registration');
  if (typeof attributes.username !== 'string') throw shape('data.attributes.username must be a string');
  if (attributes.global !== undefined && typeof attributes.global !== 'boolean') throw shape('data.attributes.global must be a boolean');
  const username = attributes.username.trim();
  if (!username) throw new DomainError(BotErrors.usernameRequired);
  return { username, global: attributes.global === true };
}

/**
 * `DELETE /_bot-registration` and `DELETE /_bot-commands`: the trimmed `data.id`. Orrery also checks
 * `data.type` when it is given, and the id's uuid form on both (docs/bot-runner.md "Decisions").
 */
export function readDeleteBody(raw: unknown, type: 'bot-registration' | 'bot-command'): string {
  const body = parseBody(raw);
  const errors = type === 'bot-registration'
    ? { required: BotErrors.registrationIdRequired, notUuid: BotErrors.registrationIdNotUuid }
    : { required: BotErrors.commandIdRequired, notUuid: BotErrors.commandIdNotUuid };
  const data = isObject(body) && isObject(body.data) ? body.data : undefined;
  if (data?.type !== undefined && data.type !== type) throw shape(`data.type must be '${type}'`);
  const id = typeof data?.id === 'string' ? data.id.trim() : '';
  if (!id) throw new DomainError(errors.required);
  if (!isUuid(id)) throw new DomainError(errors.notUuid);
  return id;
}

/** `POST /_bot-commands`: `botId` (a uuid), the trimmed `command` and the `filter` object, in the original's order. */
export function readCommandBody(raw: unknown): { botId: string; command: string; filter: unknown } {
  const { attributes } = dataOf(parseBody(raw), 'bot-command');
  if (typeof attributes.botId !== 'string') throw shape('data.attributes.botId must be a string');
  if (typeof attributes.command !== 'string') throw shape('data.attributes.command must be a string');
  if (!('filter' in attributes)) throw shape('data.attributes.filter is required');
  if (attributes.filter !== null && !isObject(attributes.filter)) throw shape('data.attributes.filter must be an object or null');
  const botId = attributes.botId.trim();
  if (!botId) throw new DomainError(BotErrors.botIdRequired);
  if (!isUuid(botId)) throw new DomainError(BotErrors.botIdNotUuid);
  if (attributes.filter === null) throw new DomainError(BotErrors.filterRequired);
  const command = attributes.command.trim();
  if (!command) throw new DomainError(BotErrors.commandRequired);
  return { botId, command, filter: attributes.filter };
}

/** `GET /_bot-commands?botId=`: the trimmed id, undefined when absent or blank. */
export function readBotIdQuery(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const botId = value.trim();
  if (!botId) return undefined;
  if (!isUuid(botId)) throw new DomainError(BotErrors.botIdNotUuid);
  return botId;
}

/** What `POST /_run-command` runs: a command, for a trigger built from the body. */
export interface RunCommandInput {
  command: string;
  /** The registration whose webhook secret signs a webhook call (required for `http(s)://` commands). */
  botId: string | undefined;
  /** A room to attribute the trigger to (optional: the synchronous twin posts nothing). */
  roomId: string | undefined;
  /** The trigger: an `m.room.message` when `body` is given, else the original's bot trigger with `commandInput`. */
  eventType: string;
  content: Record<string, unknown>;
  /** The text the command sees (match.ts `args`). */
  args: string;
}

/**
 * `POST /_run-command`: `{data:{type:"run-command", attributes:{command, botId?, roomId?, commandInput?, body?}}}`.
 * The original's `realmURL` is accepted and ignored (Orrery has no realms).
 */
export function readRunCommandBody(raw: unknown): RunCommandInput {
  const { attributes } = dataOf(parseBody(raw), 'run-command');
  if (typeof attributes.command !== 'string') throw shape('data.attributes.command must be a string');
  const command = attributes.command.trim();
  if (!command) throw new DomainError(BotErrors.commandRequired);
  let botId: string | undefined;
  if (attributes.botId !== undefined) {
    if (typeof attributes.botId !== 'string' || !attributes.botId.trim()) throw new DomainError(BotErrors.botIdRequired);
    botId = attributes.botId.trim();
    if (!isUuid(botId)) throw new DomainError(BotErrors.botIdNotUuid);
  }
  if (attributes.roomId !== undefined && typeof attributes.roomId !== 'string') throw shape('data.attributes.roomId must be a string');
  if (attributes.body !== undefined && typeof attributes.body !== 'string') throw shape('data.attributes.body must be a string');
  const input = attributes.commandInput ?? {};
  if (!isObject(input)) throw shape('data.attributes.commandInput must be an object');
  const roomId = attributes.roomId as string | undefined;
  if (typeof attributes.body === 'string') {
    return { command, botId, roomId, eventType: 'm.room.message', content: { msgtype: 'm.text', body: attributes.body }, args: attributes.body };
  }
  return { command, botId, roomId, eventType: 'app.boxel.bot-trigger', content: { type: 'run-command', input }, args: JSON.stringify(input) };
}
