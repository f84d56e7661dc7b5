/**
 * Async and Await (research/smythos.md §2.5 and §13, SRE `Async`/`Await`). Async starts the branch
 * wired to its outputs in the background and answers `{JobID}` at once; only the `JobID` branch goes
 * on in the run. In the branch (a fork starting at the Async component) it passes its inputs on under
 * their own names. Await waits, up to `max_time` seconds, until `jobs_count` of the jobs it is given
 * have ended, and answers `Results: {<jobId>: {output, status}}`. Branches run through the engine's
 * Async port: durable queue jobs in the server, in-process otherwise. Unlike SmythOS there is no
 * polling: Await wakes when a job ends.
 */
import { z } from 'zod';
import type { ComponentType } from '../engine/component.ts';

/** The Async component type (no configuration of its own; SmythOS's `forked` flag is ignored). */
export const asyncComponent: ComponentType = {
  name: 'Async',
  configSchema: z.looseObject({}),
  doc:
    'Starts the components wired to its outputs as a background job and answers `JobID` at once; the run goes on along the `JobID` branch only. Inside the job, its inputs come out of the outputs of the same names. Pair it with Await to collect results.',
  async process(input, component, context) {
    const run = context.run;
    if (!run) throw new Error('Async needs the engine');
    if (run.asyncMode && run.jobId?.startsWith(`${component.id}-`)) return { JobID: run.jobId, ...input };
    const declared = new Set(component.inputs.map((i) => i.name));
    const branchInput: Record<string, unknown> = {};
    for (const key in input) if (declared.has(key)) branchInput[key] = input[key];
    return { JobID: await run.startAsync(component.id, branchInput) };
  },
};

const awaitConfig = z.looseObject({
  jobs_count: z.coerce.number().min(1).max(100).optional(),
  max_time: z.coerce.number().min(1).max(21_600).optional(),
});

/** The Await component type. */
export const awaitComponent: ComponentType = {
  name: 'Await',
  doc:
    'Waits for Async jobs (`Jobs`: one id or a list) until `jobs_count` of them (1-100, default 1) have ended or `max_time` seconds (1-21600, default 1) have passed, then answers `Results` with each job’s `{output, status}` (`done`, `failed`, `pending` or `unknown_job`).',
  configSchema: awaitConfig,
  async process(input, component, context) {
    const run = context.run;
    if (!run) throw new Error('Await needs the engine');
    const count = parseInt(String(component.data.jobs_count || 1), 10);
    const maxTimeS = parseInt(String(component.data.max_time || 1), 10);
    const jobs = (Array.isArray(input.Jobs) ? input.Jobs : [input.Jobs]).map(String);
    const Results = await run.awaitAsync(jobs, count, maxTimeS * 1000);
    return { Results, _error: null };
  },
};
