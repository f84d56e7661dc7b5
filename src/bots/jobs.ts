/**
 * Recent bot jobs (docs/bot-runner.md "UI"): the queue's bot jobs ({@link BOT_JOB_TYPES}: `bot-command`,
 * a trigger's, and `bot-run-command`, `POST /_run-command`'s) as the Bots page shows them — those
 * whose trigger the caller sent (an admin: everyone's), newest first, with what ran, where, when
 * (queued → started → finished) and how it ended. Built over the {@link Queue} interface only: it
 * reads jobs, never the queue's tables. Knows nothing of HTTP.
 */
import type { User } from '../accounts/types.ts';
import type { Job, JobState, Queue } from '../queue/types.ts';
import type { CommandJob, CommandResult } from './commands.ts';
import { BOT_JOB_TYPES } from './service.ts';

/** Default page of {@link BotJobs.recent}. */
export const BOT_JOBS_DEFAULT_LIMIT = 20;
/** Largest `limit` of {@link BotJobs.recent}. */
export const BOT_JOBS_MAX_LIMIT = 100;
/**
 * How many jobs of each bot job type one call reads at most while looking for the caller's (newest
 * first): bounds the work of a user whose jobs are rare among everyone's. Older ones are not shown.
 */
export const BOT_JOBS_SCAN_MAX = 5_000;
/** Page size of the scan (the queue's largest `list` page). */
const SCAN_PAGE = 500;

/** One bot job as the Bots page shows it. Times are ms since the epoch. */
export interface BotJobView {
  /** The queue's job id (decimal digits). */
  id: string;
  state: JobState;
  /** The command string that ran (`echo`, `agent:…`, a webhook URL). */
  command: string;
  /** The registration and command that matched (empty for `POST /_run-command`). */
  botId: string;
  commandId: string;
  /** The trigger's sender, room (empty for `POST /_run-command`), event id and type. */
  sender: string;
  roomId: string;
  eventId: string;
  eventType: string;
  /** What the command saw of the trigger (see docs/bot-runner.md "Filters"). */
  args: string;
  attempts: number;
  maxAttempts: number;
  /** Queued at (enqueue), started at (the latest attempt), finished at; null until they happen. */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** `finishedAt − startedAt` once finished after a start, else null (ms). */
  durationMs: number | null;
  /** Whether the command answered a success (`ok`), when it completed; null otherwise. */
  ok: boolean | null;
  /** The command's answer text when completed (a success or a failure a retry cannot fix); else null. */
  result: string | null;
  /** The last attempt's error (failed, or waiting to retry) or the cancel reason; else null. */
  error: string | null;
}

/** Options of {@link BotJobs.recent}. */
export interface RecentBotJobsQuery {
  /** How many jobs, 1-{@link BOT_JOBS_MAX_LIMIT} (default {@link BOT_JOBS_DEFAULT_LIMIT}). */
  limit?: number;
}

/** What {@link createBotJobs} needs. */
export interface BotJobsDeps {
  /** The durable queue the bot command jobs run on. */
  queue: Pick<Queue, 'list'>;
}

/** The payload of a `bot-command` job, read defensively (a job row is data, not a promise). */
function payloadOf(job: Job): Partial<CommandJob> {
  const p = job.payload;
  return p !== null && typeof p === 'object' ? (p as Partial<CommandJob>) : {};
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A bot job as {@link BotJobView}. */
export function botJobView(job: Job): BotJobView {
  const p = payloadOf(job);
  const event = p.event && typeof p.event === 'object' ? p.event : undefined;
  const result = job.state === 'completed' && job.result !== null && typeof job.result === 'object' ? (job.result as Partial<CommandResult>) : undefined;
  return {
    id: job.id,
    state: job.state,
    command: str(p.command),
    botId: str(p.botId),
    commandId: str(p.commandId),
    sender: str(event?.sender),
    roomId: str(event?.room_id),
    eventId: str(event?.event_id),
    eventType: str(event?.type),
    args: str(p.args),
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    durationMs: job.startedAt !== null && job.finishedAt !== null ? Math.max(0, job.finishedAt - job.startedAt) : null,
    ok: result ? result.ok === true : null,
    result: result && typeof result.text === 'string' ? result.text : null,
    error: job.error,
  };
}

/** Ids are decimal digits: newer is larger. */
const newestFirst = (a: Job, b: Job) => (a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) * -1;

/** Builds the recent-bot-jobs reader. */
export function createBotJobs(deps: BotJobsDeps) {
  const { queue } = deps;

  /** The newest `limit` jobs of `type` that `keep` accepts, reading at most {@link BOT_JOBS_SCAN_MAX}. */
  async function scan(type: string, limit: number, keep: (job: Job) => boolean): Promise<Job[]> {
    const out: Job[] = [];
    let beforeId: string | undefined;
    for (let scanned = 0; scanned < BOT_JOBS_SCAN_MAX && out.length < limit; ) {
      const page = await queue.list({ type, limit: SCAN_PAGE, ...(beforeId ? { beforeId } : {}) });
      for (const job of page) {
        if (keep(job)) out.push(job);
        if (out.length === limit) break;
      }
      scanned += page.length;
      if (page.length < SCAN_PAGE) break;
      beforeId = page[page.length - 1]!.id;
    }
    return out;
  }

  return {
    /**
     * The newest bot jobs whose trigger `user` sent (an admin: everyone's), newest first. Reads at
     * most {@link BOT_JOBS_SCAN_MAX} jobs per type, so a user's jobs older than that many of everyone's
     * are not found. `limit` is clamped to 1-{@link BOT_JOBS_MAX_LIMIT}.
     */
    async recent(user: User, query: RecentBotJobsQuery = {}): Promise<BotJobView[]> {
      const limit = Math.min(BOT_JOBS_MAX_LIMIT, Math.max(1, Math.trunc(query.limit ?? BOT_JOBS_DEFAULT_LIMIT)));
      const perType = await Promise.all(
        BOT_JOB_TYPES.map((type) =>
          user.isAdmin ? queue.list({ type, limit }) : scan(type, limit, (job) => payloadOf(job).event?.sender === user.userId),
        ),
      );
      return perType.flat().sort(newestFirst).slice(0, limit).map(botJobView);
    },
  };
}

/** The recent-bot-jobs reader's API. */
export type BotJobs = ReturnType<typeof createBotJobs>;
