/**
 * Async branches as durable queue jobs (issue 10 §3; DESIGN §5): the Async component enqueues an
 * `agent-async` job and answers `<componentId>-<queue job id>` at once; any worker runs the branch (a
 * fork of the agent starting at the Async component, through {@link AsyncJobsDeps.runFork}); Await
 * waits on the queue's outcome, so a branch survives the process that started it and Await works
 * from any instance. SmythOS keeps both in one process's memory.
 */
import type { AsyncBranch, AsyncBranches, AsyncJobState } from './engine/types.ts';
import type { Queue } from '../queue/types.ts';

/** The queue job type of Async branches. */
export const AGENT_ASYNC_JOB = 'agent-async';

/** What the queue-backed port needs. */
export interface AsyncJobsDeps {
  queue: Queue;
  /** Runs `branch` to its end in this process (the runner); its answer is the job's result. */
  runFork(branch: AsyncBranch, jobId: string, signal: AbortSignal): Promise<unknown>;
  /** A branch's budget, ms (the run timeout). */
  timeoutMs: number;
}

/** The queue job id inside a `<componentId>-<id>` job id, or undefined when it has none. */
export function queueIdOf(jobId: string): string | undefined {
  return /-(\d{1,18})$/.exec(jobId)?.[1];
}

/** Registers the worker handler and returns the port for runs. */
export function createQueuedAsyncBranches(deps: AsyncJobsDeps): AsyncBranches {
  const { queue } = deps;
  queue.work<AsyncBranch, unknown>(AGENT_ASYNC_JOB, (branch, job) => deps.runFork(branch, `${branch.componentId}-${job.id}`, job.signal));

  /**
   * The queue job behind `jobId` when it is an Async branch of agent `agentId` started at the
   * component the id names; undefined otherwise (ids are sequential: another agent's, or a bot
   * command's, job must look unknown).
   */
  async function ownJob(agentId: string, jobId: string) {
    const id = queueIdOf(jobId);
    if (!id) return undefined;
    const job = await queue.get(id);
    const branch = job?.payload as AsyncBranch | undefined;
    if (!job || job.type !== AGENT_ASYNC_JOB || branch?.agentId !== agentId || jobId !== `${branch.componentId}-${id}`) return undefined;
    return job;
  }

  async function stateOf(agentId: string, jobId: string): Promise<AsyncJobState> {
    const job = await ownJob(agentId, jobId);
    if (!job) return { output: undefined, status: 'unknown_job' };
    if (job.state === 'completed') return { output: job.result, status: 'done' };
    if (job.state === 'failed' || job.state === 'cancelled') return { output: undefined, status: 'failed' };
    return { output: undefined, status: 'pending' };
  }

  return {
    async start(branch) {
      // One attempt: a branch is not idempotent (it may call out), as in SmythOS where it runs once.
      const { id } = await queue.enqueue({ type: AGENT_ASYNC_JOB, payload: branch, maxAttempts: 1, timeoutMs: deps.timeoutMs });
      return `${branch.componentId}-${id}`;
    },
    async wait(agentId, jobIds, count, maxTimeMs, signal) {
      const owned = await Promise.all(jobIds.map((jobId) => ownJob(agentId, jobId)));
      const waits = owned.map((job) => (job ? queue.wait(job.id, { timeoutMs: maxTimeMs, signal }).then(() => true, () => false) : Promise.resolve(true)));
      await new Promise<void>((resolve) => {
        let ended = 0;
        if (count <= 0 || waits.length === 0) return resolve();
        const timer = setTimeout(resolve, maxTimeMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        signal.addEventListener('abort', done, { once: true });
        for (const w of waits) void w.then(() => ++ended >= Math.min(count, waits.length) && done());
      });
      const states = await Promise.all(jobIds.map((jobId) => stateOf(agentId, jobId)));
      return Object.fromEntries(jobIds.map((jobId, i) => [jobId, states[i]!]));
    },
  };
}
