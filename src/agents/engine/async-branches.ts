/**
 * Async branches run in this process (the {@link AsyncBranches} port's in-process side): for
 * `orrery agent run`, tests, and a server without queue workers. A job's outcome is kept for
 * `retentionMs` after it ends, then forgotten (Await then reports `unknown_job`, as SmythOS does for
 * an id it never saw).
 */
import { randomUUID } from 'node:crypto';
import type { AsyncBranches, AsyncJobState } from './types.ts';

interface Job {
  agentId: string;
  state: AsyncJobState;
  done: Promise<void>;
}

/** Builds an in-process port; `retentionMs` (default 1 h) bounds how long finished outcomes stay. */
export function createInProcessAsyncBranches(options: { retentionMs?: number } = {}): AsyncBranches {
  const jobs = new Map<string, Job>();
  const retentionMs = options.retentionMs ?? 3_600_000;
  return {
    async start(branch, execute) {
      const jobId = `${branch.componentId}-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const state: AsyncJobState = { output: undefined, status: 'pending' };
      const done = execute(jobId).then(
        (output) => {
          state.output = output;
          state.status = 'done';
        },
        () => {
          state.status = 'failed';
        },
      );
      jobs.set(jobId, { agentId: branch.agentId, state, done });
      void done.then(() => setTimeout(() => jobs.delete(jobId), retentionMs).unref());
      return jobId;
    },
    async wait(agentId, jobIds, count, maxTimeMs, signal) {
      const own = (id: string) => {
        const job = jobs.get(id);
        return job?.agentId === agentId ? job : undefined;
      };
      const pending = jobIds.map(own).filter((job): job is Job => job?.state.status === 'pending');
      const finishedAlready = jobIds.length - pending.length;
      if (pending.length > 0 && finishedAlready < count) {
        let settled = finishedAlready;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, maxTimeMs);
          const stop = () => {
            clearTimeout(timer);
            resolve();
          };
          signal.addEventListener('abort', stop, { once: true });
          for (const job of pending) {
            void job.done.then(() => {
              if (++settled >= count) stop();
            });
          }
        });
      }
      const out: Record<string, AsyncJobState> = {};
      for (const id of jobIds) {
        const job = own(id);
        out[id] = job ? { output: job.state.output, status: job.state.status } : { output: undefined, status: 'unknown_job' };
      }
      return out;
    },
  };
}
