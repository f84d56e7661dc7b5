/**
 * The bot endpoints (research/boxel-bot-runner.md §1; docs/bot-runner.md "Endpoints"): the
 * original realm server's paths, JSON:API bodies, status codes and error strings, so its clients
 * (`register-bot.sh`, `setup-submission-bot`) work unchanged.
 *
 * | method | path | who |
 * |---|---|---|
 * | POST | /_server-session | anyone with an OpenID token (`{"access_token"}`), or a web session (+ CSRF) |
 * | POST | /_bot-registration | bot JWT |
 * | GET | /_bot-registrations | bot JWT |
 * | DELETE | /_bot-registration | bot JWT |
 * | POST, GET, DELETE | /_bot-commands | bot JWT |
 * | POST | /_run-command | bot JWT: run a command now, answer its result (the synchronous twin) |
 * | GET | /_queue-status | admin (session, access token or API JWT) |
 * | DELETE | /_job?job_id= | bot JWT: cancel a job (an admin any, a user those their events triggered) |
 *
 * Errors are the original's `{"errors":["<message>"]}` (strings, not JSON:API error objects) in
 * `application/vnd.api+json`, with its status texts; successes are pretty-printed JSON:API.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../lib/errors.ts';
import { toErrorView } from '../server/errors.ts';
import { BotErrors } from './errors.ts';
import { readBotIdQuery, readCommandBody, readDeleteBody, readRegistrationBody, readRunCommandBody } from './jsonapi.ts';
import type { BotsService } from './service.ts';
import type { BotCommand, BotRegistration } from './types.ts';

/** Options of {@link botsRoutes}. */
export interface BotsRoutesOptions {
  bots: BotsService;
}

/** The JSON:API media type of every answer. */
export const JSON_API = 'application/vnd.api+json';
/** The original's status texts (its `middleware/index.ts`). */
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized Request',
  403: 'Forbidden Request',
  404: 'Not Found',
  500: 'System Error',
};

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  reply.raw.statusMessage = STATUS_TEXT[status] ?? STATUS_CODES[status] ?? '';
  return reply.code(status).type(JSON_API).send(body === undefined ? '' : JSON.stringify(body, null, 2));
}

const iso = (ms: number) => new Date(ms).toISOString();
function registrationResource(r: BotRegistration, extra: Record<string, unknown> = {}) {
  return { type: 'bot-registration', id: r.id, attributes: { username: r.username, createdAt: iso(r.createdAt), ...(r.global ? { global: true } : {}), ...extra } };
}
function commandResource(c: BotCommand) {
  return { type: 'bot-command', id: c.id, attributes: { botId: c.botId, command: c.command, filter: c.filter, createdAt: iso(c.createdAt) } };
}

/** Registers the bot endpoints (no prefix: they live at the root, as the original's). */
export async function botsRoutes(app: FastifyInstance, opts: BotsRoutesOptions): Promise<void> {
  const { bots } = opts;
  const tags = ['bots'];
  const jwt = { auth: 'bot_jwt' as const };

  // The original read every body as text and parsed it itself, whatever its content type; parsing
  // happens in the handler, after the 401 and the 404 `user is not found`.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, String(body)));

  app.setErrorHandler(function botsErrorHandler(error, request, reply) {
    const view = toErrorView(error);
    if (!view) {
      request.log.error({ err: error }, 'bot endpoint failed');
      return send(reply, 500, { errors: ['System Error'] });
    }
    if (view.status === 429 && typeof view.details.retry_after_ms === 'number') reply.header('retry-after', String(Math.max(1, Math.ceil(view.details.retry_after_ms / 1000))));
    return send(reply, view.status, { errors: [view.message] });
  });

  /** The caller of a `bot_jwt` route: 404 `user is not found` when the token's user has no account. */
  const caller = (request: FastifyRequest) => bots.requireUser(request.principal?.via === 'bot_jwt' ? request.principal.user : null);

  app.post('/_server-session', { schema: { tags, summary: 'Exchange a Matrix OpenID token (or a web session) for a bot JWT' } }, async (request, reply) => {
    const raw = typeof request.body === 'string' ? request.body.trim() : '';
    let body: unknown = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        throw new DomainError(BotErrors.sessionBadJson);
      }
    }
    const accessToken = typeof body === 'object' && body !== null ? (body as { access_token?: unknown }).access_token : undefined;
    let issued: { token: string };
    if (typeof accessToken === 'string' && accessToken) issued = await bots.sessionFromOpenId(accessToken);
    else if (request.principal?.via === 'session') issued = await bots.sessionFor(request.principal.user);
    else throw new DomainError(BotErrors.sessionMissingToken);
    reply.header('authorization', issued.token).header('access-control-expose-headers', 'Authorization');
    reply.raw.statusMessage = STATUS_CODES[201]!;
    return reply.code(201).type('application/json').send('');
  });

  app.post('/_bot-registration', { config: jwt, schema: { tags, summary: 'Register your Matrix user as a bot' } }, async (request, reply) => {
    const user = caller(request);
    const created = await bots.register(user, readRegistrationBody(request.body ?? ''));
    return send(reply, 201, { data: registrationResource(created, { webhookSecret: created.webhookSecret }) });
  });

  app.get('/_bot-registrations', { config: jwt, schema: { tags, summary: 'Your bot registrations, oldest first' } }, async (request, reply) => {
    const user = caller(request);
    return send(reply, 200, { data: (await bots.listRegistrations(user)).map((r) => registrationResource(r)) });
  });

  app.delete('/_bot-registration', { config: jwt, schema: { tags, summary: 'Remove one of your bot registrations and its commands' } }, async (request, reply) => {
    const user = caller(request);
    await bots.unregister(user, readDeleteBody(request.body ?? '', 'bot-registration'));
    return send(reply, 204, undefined);
  });

  app.post('/_bot-commands', { config: jwt, schema: { tags, summary: 'Add a command to one of your bot registrations' } }, async (request, reply) => {
    const user = caller(request);
    const created = await bots.addCommand(user, readCommandBody(request.body ?? ''));
    return send(reply, 201, { data: commandResource(created) });
  });

  app.get('/_bot-commands', { config: jwt, schema: { tags, summary: 'Your bot commands, oldest first (?botId= one registration)' } }, async (request, reply) => {
    const user = caller(request);
    const botId = readBotIdQuery((request.query as Record<string, unknown> | undefined)?.botId);
    return send(reply, 200, { data: (await bots.listCommands(user, botId)).map(commandResource) });
  });

  app.delete('/_bot-commands', { config: jwt, schema: { tags, summary: 'Remove one of your bot commands' } }, async (request, reply) => {
    const user = caller(request);
    await bots.removeCommand(user, readDeleteBody(request.body ?? '', 'bot-command'));
    return send(reply, 204, undefined);
  });

  await botQueueRoutes(app, opts);
}

/** The queue's endpoints: the synchronous twin, the status, cancel (registered with {@link botsRoutes}). */
export async function botQueueRoutes(app: FastifyInstance, opts: BotsRoutesOptions): Promise<void> {
  const { bots } = opts;
  const tags = ['bots'];
  const caller = (request: FastifyRequest) => bots.requireUser(request.principal?.via === 'bot_jwt' ? request.principal.user : null);

  app.post('/_run-command', { config: { auth: 'bot_jwt' }, schema: { tags, summary: 'Run a command now as yourself and answer its result' } }, async (request, reply) => {
    const user = caller(request);
    const result = await bots.runNow(user, readRunCommandBody(request.body ?? ''));
    return send(reply, 201, { data: { type: 'run-command-result', id: result.jobId, attributes: { status: result.status, cardResultString: result.cardResultString, error: result.error } } });
  });

  app.get('/_queue-status', { config: { auth: 'admin' }, schema: { tags, summary: 'Jobs pending (queued or running) and counts by state' } }, async (_request, reply) => {
    const { pending, counts } = await bots.queueStatus();
    return send(reply, 200, { data: { type: 'queue-status', id: 'queue-status', attributes: { pending, counts } } });
  });

  app.delete('/_job', { config: { auth: 'bot_jwt' }, schema: { tags, summary: 'Cancel a queued or running job (?job_id=)' } }, async (request, reply) => {
    const user = caller(request);
    const raw = (request.query as Record<string, unknown> | undefined)?.job_id;
    const jobId = typeof raw === 'string' ? raw.trim() : '';
    if (!jobId) throw new DomainError(BotErrors.jobIdRequired);
    await bots.cancelJob(user, jobId);
    return send(reply, 204, undefined);
  });
}
