/**
 * The queue's admin API (docs/api.md "Queue"), for the Queue page: counts by state, a page of jobs,
 * retry and cancel — thin routes over the {@link Queue} interface (src/queue/types.ts), on the
 * platform API (admins only; platform error bodies).
 *
 * | method | path | who |
 * |---|---|---|
 * | GET | /api/admin/queue?state=&type=&before=&limit= | admin |
 * | POST | /api/admin/queue/jobs/:id/retry | admin: a failed or cancelled job runs again with fresh attempts |
 * | POST | /api/admin/queue/jobs/:id/cancel | admin: a queued or running job ends `cancelled` |
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError, type ErrorSpec } from '../lib/errors.ts';
import { JOB_STATES, type Job, type JobState, type Queue } from './types.ts';

/** Errors of the queue's admin API (docs/errors.md). */
export const QueueErrors = {
  jobNotFound: { code: 'ORR_QUEUE_JOB_NOT_FOUND', kind: 'not_found', message: 'job not found' },
  notRetryable: { code: 'ORR_QUEUE_JOB_NOT_RETRYABLE', kind: 'conflict', message: 'only a failed or cancelled job can be retried' },
  jobFinished: { code: 'ORR_QUEUE_JOB_FINISHED', kind: 'conflict', message: 'job has already finished' },
} as const satisfies Record<string, ErrorSpec>;

/** Options of {@link queueAdminRoutes}. */
export interface QueueAdminRoutesOptions {
  queue: Queue;
}

/** Largest page of `GET /api/admin/queue` (the queue's own `list` cap). */
export const QUEUE_PAGE_MAX = 500;

const States = z.enum(JOB_STATES as [JobState, ...JobState[]]);
/** Job ids are decimal digits; 18 at most keeps them inside PostgreSQL's bigint. */
const JobId = z.string().regex(/^\d{1,18}$/, 'must be a job id (decimal digits)');
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** JSON shape of a job on the admin API (times ISO 8601). */
export const AdminJobBody = z.object({
  id: z.string(),
  type: z.string(),
  state: States,
  key: z.string().nullable(),
  group: z.string().nullable(),
  priority: z.number().int(),
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  timeout_ms: z.number().int(),
  run_at: z.string().describe('when it may next start (after a failed attempt: the retry time)'),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  duration_ms: z.number().int().nullable().describe('finished_at − started_at'),
  payload: z.unknown(),
  result: z.unknown(),
  error: z.string().nullable(),
});

/** A {@link Job} as JSON. */
export function adminJobJson(job: Job): z.infer<typeof AdminJobBody> {
  return {
    id: job.id,
    type: job.type,
    state: job.state,
    key: job.key,
    group: job.group,
    priority: job.priority,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    timeout_ms: job.timeoutMs,
    run_at: iso(job.runAt)!,
    created_at: iso(job.createdAt)!,
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    duration_ms: job.startedAt !== null && job.finishedAt !== null ? Math.max(0, job.finishedAt - job.startedAt) : null,
    payload: job.payload,
    result: job.result,
    error: job.error,
  };
}

const Counts = z.object(Object.fromEntries(JOB_STATES.map((s) => [s, z.number().int()])) as Record<JobState, z.ZodNumber>);

/** Registers the queue's admin routes (expects prefix `/api/admin/queue`). */
export async function queueAdminRoutes(app: FastifyInstance, opts: QueueAdminRoutesOptions): Promise<void> {
  const { queue } = opts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['admin', 'queue'];
  const config = { auth: 'admin' as const };
  const JobReply = z.object({ job: AdminJobBody });

  /** The job, or 404. */
  async function existing(id: string): Promise<Job> {
    const job = await queue.get(id);
    if (!job) throw new DomainError(QueueErrors.jobNotFound);
    return job;
  }
  /** The job as it is now (it may have been pruned in between: 404). */
  const now = async (id: string) => ({ job: adminJobJson(await existing(id)) });
  const actor = (request: FastifyRequest) => request.principal!.user.userId;

  r.get(
    '/',
    {
      config,
      schema: {
        tags,
        summary: 'Jobs per state and a page of jobs, newest first',
        querystring: z.object({
          state: States.optional(),
          type: z.string().min(1).max(200).optional(),
          before: JobId.optional().describe('only jobs older than this id (the previous page’s next_before)'),
          limit: z.coerce.number().int().min(1).max(QUEUE_PAGE_MAX).default(50),
        }),
        response: { 200: z.object({ counts: Counts, jobs: z.array(AdminJobBody), next_before: z.string().nullable() }) },
      },
    },
    async (request) => {
      const { state, type, before, limit } = request.query;
      const [counts, jobs] = await Promise.all([
        queue.counts(),
        queue.list({ limit, ...(state ? { state } : {}), ...(type ? { type } : {}), ...(before ? { beforeId: before } : {}) }),
      ]);
      return { counts, jobs: jobs.map(adminJobJson), next_before: jobs.length === limit ? jobs[jobs.length - 1]!.id : null };
    },
  );

  r.post(
    '/jobs/:id/retry',
    {
      config,
      schema: {
        tags,
        summary: 'Queue a failed or cancelled job again with fresh attempts',
        params: z.object({ id: JobId }),
        response: { 200: JobReply },
      },
    },
    async (request) => {
      const { id } = request.params;
      await existing(id);
      if (!(await queue.retry(id))) throw new DomainError(QueueErrors.notRetryable);
      request.log.info({ job_id: id, by: actor(request) }, 'queue: job retried by an admin');
      return now(id);
    },
  );

  r.post(
    '/jobs/:id/cancel',
    {
      config,
      schema: {
        tags,
        summary: 'Cancel a queued or running job (a running handler is aborted)',
        params: z.object({ id: JobId }),
        response: { 200: JobReply },
      },
    },
    async (request) => {
      const { id } = request.params;
      await existing(id);
      if (!(await queue.cancel(id, `cancelled by ${actor(request)}`))) throw new DomainError(QueueErrors.jobFinished);
      return now(id);
    },
  );
}
