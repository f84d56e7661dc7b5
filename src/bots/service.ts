/**
 * Bots: registrations and commands (research/boxel-bot-runner.md §1-§2; docs/bot-runner.md), the
 * bot endpoints' JWT exchange, and what the bot runner and the command executor read: the
 * registrations an event's sender and the global ones hold, and each registration's webhook secret.
 * Knows nothing of HTTP: callers pass plain values and get {@link DomainError}s.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Config } from '../config/load.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { hmac } from '../lib/secrets.ts';
import type { User } from '../accounts/types.ts';
import type { JobCounts, Queue } from '../queue/types.ts';
import { createCommandExecutor, type CommandJob, type CommandResult } from './commands.ts';
import { BotErrors } from './errors.ts';
import { parseCommand, validateFilter } from './filter.ts';
import type { RunCommandInput } from './jsonapi.ts';
import { matchEvent, type BotMatch } from './match.ts';
import type { BotsStore, CommandRow, RegistrationRow } from './store.ts';
import type { BotCommand, BotRegistration, MatrixEvent, RegistrationWithCommands } from './types.ts';

/**
 * The queue job type of a matched command; its payload is a {@link CommandJob}, its result a
 * {@link CommandResult}. Worked by `orrery bot-runner` processes only: they hold the Matrix client
 * that posts the answer into the room (src/cli/bot-runner.ts).
 */
export const BOT_COMMAND_JOB = 'bot-command';
/** The queue job type of `POST /_run-command` (no room to answer in): worked by the server's workers. */
export const RUN_COMMAND_JOB = 'bot-run-command';
/** Both job types of the bots module (what a user's job list and cancel look at). */
export const BOT_JOB_TYPES: readonly string[] = [BOT_COMMAND_JOB, RUN_COMMAND_JOB];
/** Priority of bot command jobs (the original's user-initiated tier). */
export const BOT_COMMAND_PRIORITY = 10;
/** Longest `POST /_run-command` waits for its job, ms (the original's RUN_COMMAND_JOB_TIMEOUT_SEC). */
export const RUN_COMMAND_WAIT_MS = 60_000;

/** What the bots service needs. */
export interface BotsDeps {
  store: BotsStore;
  clock: Clock;
  config: Pick<Config, 'sessionSecret' | 'bots'>;
  /** Issues a bot JWT (accounts). */
  issueBotJwt(userId: string): Promise<{ token: string; expiresAt: number }>;
  /** The durable queue: bot command jobs run through it (the bots service registers their handler). */
  queue: Queue;
  /**
   * The user an OpenID token was issued to (matrix's `/openid/userinfo`).
   * @throws anything when the token is unknown or expired
   */
  openidUserinfo(token: string): Promise<{ sub: string }>;
  /**
   * Runs an agent skill as `userId` (the agent runner); `agent:` commands answer `agent not found`
   * without it.
   */
  runAgentSkill?(call: { agentId: string; version: string | undefined; skill: string; userId: string; body: Record<string, unknown> }): Promise<{ status: number; body: unknown; refused?: string }>;
}

/** A new registration, with its webhook secret (shown once). */
export interface NewRegistration extends BotRegistration {
  /** Key of the `X-Orrery-Signature` HMAC on this registration's webhook calls (hex). */
  webhookSecret: string;
}

function toRegistration(row: RegistrationRow): BotRegistration {
  return { id: row.id, username: row.username, global: row.is_global === 1, createdAt: row.created_at };
}

function toCommand(row: CommandRow): BotCommand {
  let filter: Record<string, unknown> = {};
  try {
    filter = JSON.parse(row.command_filter) as Record<string, unknown>;
  } catch {
    /* a row written by hand: it matches nothing */
  }
  return { id: row.id, botId: row.bot_id, command: row.command, filter, createdAt: row.created_at };
}

/** JSON with object keys sorted, so two spellings of one filter compare equal. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Builds the bots service. */
export function createBotsService(deps: BotsDeps) {
  const { store, clock, config } = deps;

  /** The caller, or 404 `user is not found` (the original's second check, before the body is read). */
  function requireUser(user: User | null): User {
    if (!user) throw new DomainError(BotErrors.userNotFound);
    return user;
  }

  /** The registration `id` when `user` owns it. @throws DomainError registrationNotFound, registrationForbidden */
  async function ownedRegistration(user: User, id: string): Promise<RegistrationRow> {
    const row = await store.findRegistration(id);
    if (!row) throw new DomainError(BotErrors.registrationNotFound);
    if (row.username !== user.userId) throw new DomainError(BotErrors.registrationForbidden);
    return row;
  }

  /** See the service's `webhookSecret`. */
  function webhookSecret(registrationId: string): string {
    return Buffer.from(hmac(config.sessionSecret, `orrery-bot-webhook-v1:${registrationId}`), 'base64url').toString('hex');
  }

  /** Attach each registration's commands, oldest first. */
  async function withCommands(rows: RegistrationRow[]): Promise<RegistrationWithCommands[]> {
    const commands = await store.listCommandsOfRegistrations(rows.map((r) => r.id));
    return rows.map((r) => ({ ...toRegistration(r), commands: commands.filter((c) => c.bot_id === r.id).map(toCommand) }));
  }

  /**
   * What the matcher needs for an event from `sender`: their registrations and the global ones,
   * each with its commands (read per event, so changes apply at once, as the original).
   */
  async function registrationsForEvent(sender: string): Promise<{ own: RegistrationWithCommands[]; global: RegistrationWithCommands[] }> {
    const [own, global] = await Promise.all([store.listRegistrationsOf(sender), store.listGlobalRegistrations()]);
    return { own: await withCommands(own), global: await withCommands(global) };
  }

  /** The commands that apply to `sender`, global registrations first (for `help`). */
  async function applicableCommands(sender: string): Promise<Array<{ command: string; filter: Record<string, unknown>; global: boolean }>> {
    const { own, global } = await registrationsForEvent(sender);
    const seen = new Set<string>();
    return [...global, ...own].flatMap((r) =>
      seen.has(r.id) ? [] : (seen.add(r.id), r.commands.map((c) => ({ command: c.command, filter: c.filter, global: r.global }))),
    );
  }

  const executor = createCommandExecutor({
    clock,
    commandsFor: applicableCommands,
    webhookSecret,
    webhookTimeoutMs: config.bots.webhookTimeoutMs,
    allowPrivateWebhooks: config.bots.webhookAllowPrivate,
    ...(deps.runAgentSkill
      ? {
          runAgentSkill: async (call: { agentId: string; version: string | undefined; skill: string; botId: string; sender: string; body: Record<string, unknown> }) => {
            // A registered command runs as its registration's user; `/_run-command` without one as its caller.
            const userId = call.botId ? (await store.findRegistration(call.botId))?.username : call.sender;
            if (!userId) return { status: 404, body: { error: `${call.agentId} not found` }, refused: 'no_agent' };
            return deps.runAgentSkill!({ agentId: call.agentId, version: call.version, skill: call.skill, userId, body: call.body });
          },
        }
      : {}),
  });

  deps.queue.work<CommandJob, CommandResult>(RUN_COMMAND_JOB, (job) => executor.run(job));

  /** The payload of the job that runs `match` for `event`. */
  function jobOf(event: MatrixEvent, match: BotMatch): CommandJob {
    return { event, command: match.command.command, botId: match.registration.id, commandId: match.command.id, args: match.args };
  }

  return {
    requireUser,

    /**
     * A bot JWT for the user an OpenID token names (`POST /_server-session`).
     * @throws DomainError sessionBadToken (401) for an unknown or expired token
     */
    async sessionFromOpenId(accessToken: string): Promise<{ token: string; expiresAt: number }> {
      let sub: string;
      try {
        ({ sub } = await deps.openidUserinfo(accessToken));
      } catch {
        throw new DomainError(BotErrors.sessionBadToken);
      }
      return deps.issueBotJwt(sub);
    },

    /** A bot JWT for a signed-in user (`POST /_server-session` with the web session). */
    sessionFor: (user: User) => deps.issueBotJwt(user.userId),

    /**
     * Register `username` (it must be the caller's own id) as a bot; `global` for admins only.
     * Duplicates are allowed, as the original (research §1.2; the matcher runs a command once per event).
     * @throws DomainError usernameMismatch, globalAdminOnly (403)
     */
    async register(user: User, input: { username: string; global: boolean }): Promise<NewRegistration> {
      if (input.username !== user.userId) throw new DomainError(BotErrors.usernameMismatch);
      if (input.global && !user.isAdmin) throw new DomainError(BotErrors.globalAdminOnly);
      const row: RegistrationRow = { id: randomUUID(), username: input.username, is_global: input.global ? 1 : 0, created_at: clock.now() };
      await store.insertRegistration(row);
      return { ...toRegistration(row), webhookSecret: webhookSecret(row.id) };
    },

    /** The caller's registrations, oldest first. */
    async listRegistrations(user: User): Promise<BotRegistration[]> {
      return (await store.listRegistrationsOf(user.userId)).map(toRegistration);
    },

    /**
     * Remove a registration and its commands. An unknown id is not an error (idempotent, as the original).
     * @throws DomainError registrationForbidden (403) for another user's
     */
    async unregister(user: User, id: string): Promise<void> {
      const row = await store.findRegistration(id);
      if (!row) return;
      if (row.username !== user.userId) throw new DomainError(BotErrors.registrationForbidden);
      await store.deleteRegistration(id);
    },

    /**
     * Add a command to one of the caller's registrations: the filter's grammar, then the command's
     * syntax, then the registration (404/403), then no identical command already (409).
     * @throws DomainError invalidFilter, invalidCommand (400), registrationNotFound (404), registrationForbidden (403), commandExists (409)
     */
    async addCommand(user: User, input: { botId: string; command: string; filter: unknown }): Promise<BotCommand> {
      validateFilter(input.filter);
      parseCommand(input.command, { allowPrivateWebhooks: config.bots.webhookAllowPrivate });
      await ownedRegistration(user, input.botId);
      const commandFilter = JSON.stringify(input.filter);
      const row: CommandRow = {
        id: randomUUID(),
        bot_id: input.botId,
        command: input.command,
        command_filter: commandFilter,
        command_key: createHash('sha256').update(`${input.command}\n${canonicalJson(input.filter)}`).digest('hex'),
        created_at: clock.now(),
      };
      if (!(await store.insertCommand(row))) throw new DomainError(BotErrors.commandExists);
      return toCommand(row);
    },

    /** The caller's commands, oldest first, optionally of one registration (another user's: none). */
    async listCommands(user: User, botId?: string): Promise<BotCommand[]> {
      return (await store.listCommandsOf(user.userId, botId)).map(toCommand);
    },

    /** @throws DomainError commandNotFound (404), commandForbidden (403) */
    async removeCommand(user: User, id: string): Promise<void> {
      const row = await store.findCommandWithOwner(id);
      if (!row) throw new DomainError(BotErrors.commandNotFound);
      if (row.username !== user.userId) throw new DomainError(BotErrors.commandForbidden);
      await store.deleteCommand(id);
    },

    /**
     * What the matcher needs for an event from `sender`: their registrations and the global ones,
     * each with its commands (read per event, so changes apply at once, as the original).
     */
    registrationsForEvent,

    applicableCommands,

    /**
     * The matches of `event` (match.ts) over the sender's and the global registrations, read now.
     * @param botUserId the bot runner's own user id (its events match nothing; `mention: true` names it)
     */
    async matchesFor(event: MatrixEvent, botUserId: string): Promise<BotMatch[]> {
      const { own, global } = await registrationsForEvent(event.sender);
      return matchEvent(event, { botUserId, own, global });
    },

    /**
     * Enqueue one job per match, keyed by the match (`bot:<event_id>:<command digest>`), so however
     * often the event is seen (a restart's catch-up, several bot-runner replicas) each runs once; one
     * group per room, so a room's answers come in trigger order.
     */
    async enqueueMatches(event: MatrixEvent, matches: readonly BotMatch[]): Promise<Array<{ id: string; deduped: boolean }>> {
      const out = [];
      for (const match of matches) {
        out.push(await deps.queue.enqueue({ type: BOT_COMMAND_JOB, payload: jobOf(event, match), key: match.key, group: `room:${event.room_id}`, priority: BOT_COMMAND_PRIORITY }));
      }
      return out;
    },

    /**
     * `POST /_run-command`: run `input.command` now as `user` through the queue (one attempt) and
     * answer its result in the original's RunCommandResponse shape.
     * @throws DomainError invalidCommand, webhookNeedsBot (400), registrationNotFound (404),
     *   registrationForbidden (403), runCommandFailed (500) when the job fails, is cancelled or outlasts the wait
     */
    async runNow(user: User, input: RunCommandInput): Promise<{ jobId: string; status: 'ready' | 'error'; cardResultString: string | null; error: string | null }> {
      const spec = parseCommand(input.command, { allowPrivateWebhooks: config.bots.webhookAllowPrivate });
      if (spec.kind === 'webhook' && !input.botId) throw new DomainError(BotErrors.webhookNeedsBot);
      if (input.botId) await ownedRegistration(user, input.botId);
      const now = clock.now();
      const job: CommandJob = {
        event: { event_id: `$run-${randomUUID()}`, room_id: input.roomId ?? '', type: input.eventType, sender: user.userId, content: input.content, origin_server_ts: now },
        command: input.command,
        botId: input.botId ?? '',
        commandId: '',
        args: input.args,
      };
      const { id } = await deps.queue.enqueue({ type: RUN_COMMAND_JOB, payload: job, maxAttempts: 1, timeoutMs: config.bots.webhookTimeoutMs + 5_000, priority: BOT_COMMAND_PRIORITY });
      const outcome = await deps.queue.wait<CommandResult>(id, { timeoutMs: RUN_COMMAND_WAIT_MS }).catch(() => undefined);
      if (outcome?.state !== 'completed') throw new DomainError(BotErrors.runCommandFailed);
      const { ok, text } = outcome.result;
      return { jobId: id, status: ok ? 'ready' : 'error', cardResultString: ok ? text : null, error: ok ? null : text };
    },

    /** `GET /_queue-status`: jobs not finished (`pending`, the original's unfulfilled count) and counts by state. */
    async queueStatus(): Promise<{ pending: number; counts: JobCounts }> {
      const counts = await deps.queue.counts();
      return { pending: counts.queued + counts.running, counts };
    },

    /**
     * Cancel a queued or running job: an admin any, a user the jobs triggered by their own events.
     * @throws DomainError jobNotFound (404), jobForbidden (403), jobFinished (409)
     */
    async cancelJob(user: User, jobId: string): Promise<void> {
      const job = /^\d+$/.test(jobId) ? await deps.queue.get(jobId) : undefined;
      if (!job) throw new DomainError(BotErrors.jobNotFound);
      const sender = (job.payload as Partial<CommandJob> | null)?.event?.sender;
      if (!user.isAdmin && (!BOT_JOB_TYPES.includes(job.type) || sender !== user.userId)) throw new DomainError(BotErrors.jobForbidden);
      if (!(await deps.queue.cancel(jobId, `cancelled by ${user.userId}`))) throw new DomainError(BotErrors.jobFinished);
    },

    /**
     * Run one matched command for one event (a queue job's payload): the text to post back.
     * @throws Error when a webhook fails (the queue retries); see commands.ts
     */
    runCommand: (job: CommandJob): Promise<CommandResult> => executor.run(job),

    /**
     * The key of a registration's webhook signatures: HMAC of the server secret and the registration
     * id, so it is never stored, shown once at registration, and the same on every instance.
     */
    webhookSecret,
  };
}

/** The bots service API. */
export type BotsService = ReturnType<typeof createBotsService>;
export type { BotCommand, BotMatch, BotRegistration, CommandJob, CommandResult, MatrixEvent, RegistrationWithCommands };
