/**
 * The bot runner (seed 002; research/boxel-bot-runner.md §3; docs/bot-runner.md): a Matrix user
 * that joins the rooms it is invited to and turns their events into durable jobs. It follows the
 * homeserver at MATRIX_URL with matrix-js-sdk's HTTP client, so it works against Orrery or any
 * homeserver; it reads registrations and enqueues jobs through the bots service, on the database
 * it shares with Orrery (as the original shares the realm server's), never over Orrery's HTTP API.
 *
 * Where the original loses work, this one does not (research §9):
 * - its sync position is kept in its own account data (`org.orrery.bot_runner`), so the events and
 *   invites that arrived while it was down are handled after a restart;
 * - every job is keyed by the event and the command, so an event seen twice (a restart's overlap,
 *   several replicas following the same rooms) still runs once;
 * - its own events are ignored, and an event before the bot's invite into a room is history, not a trigger.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, Method, type IRequestOpts, type MatrixClient } from 'matrix-js-sdk';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';
import type { BotMatch } from '../bots/match.ts';
import type { MatrixEvent } from '../bots/types.ts';

/** Account data type holding the runner's sync position (`{ next_batch }`). */
export const POSITION_ACCOUNT_DATA = 'org.orrery.bot_runner';
/** Long-poll of each sync, ms. */
export const SYNC_TIMEOUT_MS = 30_000;
/** Timeline events per room per sync (a restart after a busy downtime reads this many per room). */
export const SYNC_TIMELINE_LIMIT = 100;
/** Content key of a reply naming the job it answers (how a re-run finds its earlier answer). */
export const JOB_KEY = 'org.orrery.job_id';
/** Recent messages a re-run looks through for its earlier answer. */
const REPLY_SCAN_LIMIT = 100;
/** Most events read back for one room's gap in one sync (a `limited` timeline). */
const GAP_MAX_EVENTS = 1000;
/** Least time between two saves of the position, ms. */
const SAVE_EVERY_MS = 2000;
/** First wait after a failed sync, ms; doubles up to {@link SYNC_RETRY_MAX_MS}. */
const SYNC_RETRY_MS = 500;
const SYNC_RETRY_MAX_MS = 30_000;

/** The log the runner writes to (pino-shaped). */
export interface RunnerLog {
  trace?(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What the runner needs. */
export interface BotRunnerDeps {
  /** Homeserver base URL (MATRIX_URL). */
  matrixUrl: string;
  /** Localpart or full user id (BOT_RUNNER_USERNAME). */
  username: string;
  password: string;
  bots: {
    matchesFor(event: MatrixEvent, botUserId: string): Promise<BotMatch[]>;
    enqueueMatches(event: MatrixEvent, matches: readonly BotMatch[]): Promise<Array<{ id: string; deduped: boolean }>>;
  };
  log: RunnerLog;
  /** Reports an unexpected error (Sentry, when configured). */
  report?(error: unknown): void;
}

/** The login failed: the runner cannot start (the CLI exits 1 with this one line). */
export class BotRunnerLoginError extends Error {
  constructor(url: string, cause: unknown) {
    super(`Bot runner could not login to Matrix at ${url}. Check credentials and server availability.`, { cause });
    this.name = 'BotRunnerLoginError';
  }
}

interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline?: { events?: RawEvent[]; limited?: boolean; prev_batch?: string } }>;
    invite?: Record<string, unknown>;
  };
}

interface RawEvent {
  event_id: string;
  type: string;
  sender: string;
  content?: Record<string, unknown>;
  origin_server_ts?: number;
  state_key?: string;
}

/** Counts of what one runner did (for logs and tests). */
export interface RunnerStats {
  syncs: number;
  events: number;
  enqueued: number;
  deduped: number;
  joined: number;
}

/**
 * Build the runner. `start()` logs in (or throws {@link BotRunnerLoginError}) and begins following;
 * `stop()` ends the long-poll, lets the enqueues in flight finish, saves the position and resolves.
 */
export function createBotRunner(deps: BotRunnerDeps) {
  const { log } = deps;
  const stats: RunnerStats = { syncs: 0, events: 0, enqueued: 0, deduped: 0, joined: 0 };
  const stopping = new AbortController();
  let client: MatrixClient | undefined;
  let userId = '';
  let loop: Promise<void> | undefined;

  // matrix-js-sdk's own chatter (every request) at trace; its warnings and errors as ours.
  const sdkLogger: Logger = {
    trace: (...a: unknown[]) => log.trace?.({ sdk: a.map(String).join(' ') }),
    debug: (...a: unknown[]) => log.trace?.({ sdk: a.map(String).join(' ') }),
    info: (...a: unknown[]) => log.trace?.({ sdk: a.map(String).join(' ') }),
    warn: (...a: unknown[]) => log.warn({ sdk: a.map(String).join(' ') }, 'matrix-js-sdk'),
    error: (...a: unknown[]) => log.error({ sdk: a.map(String).join(' ') }, 'matrix-js-sdk'),
    getChild: () => sdkLogger,
  };

  const report = (error: unknown, what: string, extra: object = {}) => {
    log.error({ ...extra, err: error instanceof Error ? error.message : String(error) }, what);
    deps.report?.(error);
  };

  async function login(): Promise<void> {
    const anonymous = createClient({ baseUrl: deps.matrixUrl, logger: sdkLogger });
    try {
      const res = await anonymous.loginRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: deps.username }, password: deps.password, initial_device_display_name: 'orrery bot-runner' });
      userId = res.user_id;
      client = createClient({ baseUrl: deps.matrixUrl, accessToken: res.access_token, userId: res.user_id, deviceId: res.device_id, logger: sdkLogger });
    } catch (error) {
      throw new BotRunnerLoginError(deps.matrixUrl, error);
    }
  }

  // Aborted by stop(), except the last save of the position (`abortable: false`).
  const request = <T>(method: Method, path: string, query?: Record<string, string>, body?: object, opts: { localTimeoutMs?: number; abortable?: boolean } = {}) =>
    client!.http.authedRequest<T>(method, path, query, body as never, {
      ...(opts.abortable === false ? {} : { abortSignal: stopping.signal }),
      localTimeoutMs: opts.localTimeoutMs ?? 15_000,
    } as IRequestOpts);

  async function savedPosition(): Promise<string | undefined> {
    try {
      const data = await request<{ next_batch?: unknown }>(Method.Get, `/user/${encodeURIComponent(userId)}/account_data/${POSITION_ACCOUNT_DATA}`);
      return typeof data.next_batch === 'string' ? data.next_batch : undefined;
    } catch (error) {
      if ((error as { errcode?: string }).errcode === 'M_NOT_FOUND') return undefined;
      throw error;
    }
  }

  async function savePosition(next_batch: string): Promise<void> {
    await request(Method.Put, `/user/${encodeURIComponent(userId)}/account_data/${POSITION_ACCOUNT_DATA}`, undefined, { next_batch }, { abortable: false });
  }

  /**
   * Join a room the bot was invited to. A refusal (4xx: the invite was withdrawn, the room is gone)
   * is reported and skipped; anything else (the homeserver is down, a 5xx) throws, so the sync
   * answer is handled again rather than the invite lost (it is listed only once).
   */
  async function join(room_id: string): Promise<void> {
    try {
      // Not abortable: a stop waits for it rather than moving the position past an invite not joined.
      await request(Method.Post, `/join/${encodeURIComponent(room_id)}`, undefined, {}, { abortable: false });
      stats.joined++;
      log.info({ room_id }, 'joined a room it was invited to');
    } catch (error) {
      const status = (error as { httpStatus?: number }).httpStatus;
      if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
        report(error, 'could not join a room it was invited to', { room_id });
        return;
      }
      throw error;
    }
  }

  /**
   * The events of a joined room's timeline that are triggers to consider: those after the bot's
   * invite into the room when the invite is in it (a room the bot just joined comes with its recent
   * history, which was not addressed to it), never the bot's own, never membership changes. Only
   * the invite cuts: a join also follows a profile change, which must not hide the triggers before it.
   */
  function candidates(events: RawEvent[]): RawEvent[] {
    let from = 0;
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.type === 'm.room.member' && e.state_key === userId && e.content?.membership === 'invite') {
        from = i + 1;
        break;
      }
    }
    return events.slice(from).filter((e) => e.sender !== userId && e.type !== 'm.room.member');
  }

  /**
   * A room's events the sync left out (`limited`: more than the timeline limit arrived since
   * `since`), oldest first, read back through `/messages` down to `since`; at most
   * {@link GAP_MAX_EVENTS}, the newest of them, beyond which the older are reported and skipped.
   */
  async function gap(room_id: string, prev_batch: string, since: string): Promise<RawEvent[]> {
    const out: RawEvent[] = [];
    let from = prev_batch;
    while (out.length < GAP_MAX_EVENTS) {
      const page = await request<{ chunk?: RawEvent[]; end?: string }>(Method.Get, `/rooms/${encodeURIComponent(room_id)}/messages`, { dir: 'b', from, to: since, limit: '100' }, undefined, { abortable: false });
      const chunk = page.chunk ?? [];
      out.push(...chunk);
      if (chunk.length === 0 || !page.end || page.end === from) return out.reverse();
      from = page.end;
    }
    report(new Error(`more than ${GAP_MAX_EVENTS} events in ${room_id} since the last sync; the older ones are skipped`), 'gap too long');
    return out.reverse();
  }

  async function handle(room_id: string, raw: RawEvent): Promise<void> {
    const event: MatrixEvent = {
      event_id: raw.event_id,
      room_id,
      type: raw.type,
      sender: raw.sender,
      content: raw.content ?? {},
      ...(raw.origin_server_ts !== undefined ? { origin_server_ts: raw.origin_server_ts } : {}),
      ...(raw.state_key !== undefined ? { state_key: raw.state_key } : {}),
    };
    stats.events++;
    const matches = await deps.bots.matchesFor(event, userId);
    if (matches.length === 0) return;
    const jobs = await deps.bots.enqueueMatches(event, matches);
    for (const job of jobs) {
      if (job.deduped) stats.deduped++;
      else stats.enqueued++;
    }
    log.debug({ room_id, event_id: event.event_id, jobs: jobs.map((j) => j.id) }, 'enqueued');
  }

  /**
   * Handle one sync answer; `history`: the first sync of a runner with no saved position (its
   * timelines are the past). Throws when something could not be done for a reason that may pass
   * (the database or the homeserver unavailable): the caller then handles the same answer again
   * instead of moving past it (the keyed enqueues make the repeat harmless).
   */
  async function handleSync(res: SyncResponse, since: string | undefined, history: boolean): Promise<boolean> {
    let acted = false;
    for (const room_id of Object.keys(res.rooms?.invite ?? {})) {
      await join(room_id);
      acted = true;
    }
    if (history) return acted;
    for (const [room_id, room] of Object.entries(res.rooms?.join ?? {})) {
      const timeline = room.timeline?.events ?? [];
      const joinedNow = timeline.some((e) => e.type === 'm.room.member' && e.state_key === userId && e.content?.membership === 'invite');
      const missed = room.timeline?.limited && room.timeline.prev_batch && since && !joinedNow ? await gap(room_id, room.timeline.prev_batch, since) : [];
      for (const raw of [...candidates(missed), ...candidates(timeline)]) {
        acted = true;
        await handle(room_id, raw);
      }
    }
    return acted;
  }

  async function follow(): Promise<void> {
    let since = await savedPosition();
    let history = since === undefined;
    const filter = JSON.stringify({ room: { timeline: { limit: SYNC_TIMELINE_LIMIT } }, presence: { not_types: ['*'] } });
    let retryMs = SYNC_RETRY_MS;
    let savedAt = 0;
    let unsaved: string | undefined;
    const backOff = async () => {
      await sleep(retryMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      retryMs = Math.min(retryMs * 2, SYNC_RETRY_MAX_MS);
    };
    log.info({ user_id: userId, since: since ?? null }, since ? 'catching up from the saved position' : 'first start: history before now is not processed');
    while (!stopping.signal.aborted) {
      let res: SyncResponse;
      try {
        res = await request<SyncResponse>(Method.Get, '/sync', { ...(since ? { since } : {}), timeout: String(history ? 0 : SYNC_TIMEOUT_MS), filter }, undefined, { localTimeoutMs: SYNC_TIMEOUT_MS + 15_000 });
      } catch (error) {
        if (stopping.signal.aborted) break;
        const e = error as { httpStatus?: number; errcode?: string };
        if (e.httpStatus === 401) {
          // Logged out (a password change, a revocation): log in again, or stop if that fails.
          log.warn({ errcode: e.errcode }, 'the access token was refused; logging in again');
          await login();
          continue;
        }
        if (since && e.httpStatus === 400 && e.errcode === 'M_INVALID_PARAM') {
          report(error, 'the saved position is not valid on this homeserver; starting over (history before now is not processed)');
          since = undefined;
          history = true;
          continue;
        }
        report(error, 'sync failed; retrying', { retry_ms: retryMs });
        await backOff();
        continue;
      }
      stats.syncs++;
      let acted: boolean;
      try {
        acted = await handleSync(res, since, history);
      } catch (error) {
        // Nothing is lost: the same answer comes again from the same `since`.
        report(error, 'could not handle a sync answer; retrying it', { retry_ms: retryMs });
        if (stopping.signal.aborted) break;
        await backOff();
        continue;
      }
      retryMs = SYNC_RETRY_MS;
      if (acted || history) unsaved = res.next_batch;
      // Saved at most every SAVE_EVERY_MS (each save wakes the runner's own long-poll) and at stop;
      // a restart from an older position finds its jobs already enqueued.
      if (unsaved && (history || Date.now() - savedAt >= SAVE_EVERY_MS)) {
        await savePosition(unsaved).then(
          () => {
            savedAt = Date.now();
            unsaved = undefined;
          },
          (error: unknown) => report(error, 'could not save the sync position'),
        );
      }
      since = res.next_batch;
      history = false;
    }
    if (unsaved) await savePosition(unsaved).catch((error: unknown) => report(error, 'could not save the sync position at stop'));
  }

  /** Has this runner already answered job `jobId` in `room_id` (a re-run after a worker died mid-job)? */
  async function answered(room_id: string, jobId: string): Promise<boolean> {
    const page = await request<{ chunk?: RawEvent[] }>(Method.Get, `/rooms/${encodeURIComponent(room_id)}/messages`, { dir: 'b', limit: String(REPLY_SCAN_LIMIT) }, undefined, { abortable: false });
    return (page.chunk ?? []).some((e) => e.sender === userId && e.content?.[JOB_KEY] === jobId);
  }

  return {
    /**
     * Post a command's result into the trigger's room: an `m.notice` in reply to the trigger (an
     * error as a short notice). A retried job first looks for its own earlier answer, so a worker
     * that died after answering does not answer twice.
     */
    async postReply(job: { event: MatrixEvent }, result: { ok: boolean; text: string }, context: { id: string; attempt: number; signal?: AbortSignal }): Promise<void> {
      const { room_id, event_id } = job.event;
      if (context.attempt > 1 && (await answered(room_id, context.id))) return;
      // Cancelled, timed out or taken over by another worker meanwhile: that attempt no longer answers.
      context.signal?.throwIfAborted();
      const body = result.ok ? result.text || '(no output)' : `⚠️ ${result.text}`;
      await request(Method.Put, `/rooms/${encodeURIComponent(room_id)}/send/m.room.message/${encodeURIComponent(`job-${context.id}`)}`, undefined, {
        msgtype: 'm.notice',
        body,
        'm.relates_to': { 'm.in_reply_to': { event_id } },
        [JOB_KEY]: context.id,
      }, { abortable: false });
    },

    /** Log in and start following; resolves once logged in. @throws BotRunnerLoginError */
    async start(): Promise<{ userId: string }> {
      await login();
      loop = follow().catch((error) => {
        if (!stopping.signal.aborted) report(error, 'bot runner stopped on an error');
        throw error;
      });
      loop.catch(() => undefined);
      return { userId };
    },
    /** Stop syncing, let the enqueues in flight finish, then resolve. */
    async stop(): Promise<void> {
      stopping.abort();
      await loop?.catch(() => undefined);
    },
    /** Resolves (or rejects) when the runner stops following. */
    done: () => loop ?? Promise.resolve(),
    stats,
    get userId() {
      return userId;
    },
  };
}

/** A bot runner. */
export type BotRunner = ReturnType<typeof createBotRunner>;
