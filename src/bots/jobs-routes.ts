/**
 * `GET /api/bots/jobs` (docs/api.md, docs/bot-runner.md "UI"): the caller's recent bot jobs for the
 * Bots page, on the platform API (web session, `orr_` token or API JWT; platform error bodies), not
 * on the original's bot endpoints. Schemas and status codes only; the reading is src/bots/jobs.ts.
 *
 * | method | path | who |
 * |---|---|---|
 * | GET | /api/bots/jobs?limit= | user: jobs their own events triggered; an admin: everyone's |
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BOT_JOBS_DEFAULT_LIMIT, BOT_JOBS_MAX_LIMIT, type BotJobs, type BotJobView } from './jobs.ts';

/** Options of {@link botJobsRoutes}. */
export interface BotJobsRoutesOptions {
  jobs: BotJobs;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** JSON shape of one bot job (times ISO 8601, `duration_ms` from start to finish). */
export const BotJobBody = z.object({
  id: z.string().describe('queue job id (decimal digits)'),
  state: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
  command: z.string(),
  bot_id: z.string().describe('the registration that matched; empty for POST /_run-command'),
  command_id: z.string(),
  sender: z.string(),
  room_id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  args: z.string().describe('what the command saw of the trigger'),
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  created_at: z.string().describe('queued at, ISO 8601'),
  started_at: z.string().nullable().describe('start of the latest attempt'),
  finished_at: z.string().nullable(),
  duration_ms: z.number().int().nullable().describe('finished_at − started_at'),
  ok: z.boolean().nullable().describe('whether the command answered a success (completed jobs)'),
  result: z.string().nullable().describe("the command's answer text (completed jobs)"),
  error: z.string().nullable().describe('the last error, or the cancel reason'),
});

/** A {@link BotJobView} as JSON. */
export function botJobJson(j: BotJobView): z.infer<typeof BotJobBody> {
  return {
    id: j.id,
    state: j.state,
    command: j.command,
    bot_id: j.botId,
    command_id: j.commandId,
    sender: j.sender,
    room_id: j.roomId,
    event_id: j.eventId,
    event_type: j.eventType,
    args: j.args,
    attempts: j.attempts,
    max_attempts: j.maxAttempts,
    created_at: iso(j.createdAt)!,
    started_at: iso(j.startedAt),
    finished_at: iso(j.finishedAt),
    duration_ms: j.durationMs,
    ok: j.ok,
    result: j.result,
    error: j.error,
  };
}

/** Registers `GET /jobs` (expects prefix `/api/bots`). */
export async function botJobsRoutes(app: FastifyInstance, opts: BotJobsRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/jobs',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['bots'],
        summary: 'Recent bot jobs your events and /_run-command calls made (admins: everyone’s), newest first',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(BOT_JOBS_MAX_LIMIT).default(BOT_JOBS_DEFAULT_LIMIT).describe(`1-${BOT_JOBS_MAX_LIMIT}`),
        }),
        response: { 200: z.object({ jobs: z.array(BotJobBody) }) },
      },
    },
    async (request) => ({ jobs: (await opts.jobs.recent(request.principal!.user, { limit: request.query.limit })).map(botJobJson) }),
  );
}
