/**
 * Dev tool: run a `.smyth` agent on SmythOS's own engine (SRE, the devDependency `@smythos/sre`) and
 * print what it answers, to check a semantic question against the original before porting it.
 *
 *   npx tsx scripts/sre-run.ts <file.smyth> <METHOD> <path> [json] [--fast]
 *
 * `json` is the body for POST/PUT/PATCH and the query for GET/DELETE (default `{}`); `--fast` skips
 * SRE's 100 ms ready-poll and its between-wave sleep (answers are the same, only quicker). Prints
 * `AgentProcess.run`'s result, `{status?, data}`, as JSON on stdout, and SRE's load time and the
 * run's time in ms on stderr. Exit code 1 when SRE cannot be loaded, 2 on bad usage.
 * SRE runs offline in a throwaway directory (test/helpers/sre-oracle.ts). */
import { readFileSync } from 'node:fs';
import { runOnSre, sreUnavailable } from '../test/helpers/sre-oracle.ts';

const args = process.argv.slice(2);
const fast = args.includes('--fast');
const [file, method, endpointPath, json] = args.filter((a) => a !== '--fast');

if (!file || !method || !endpointPath) {
  process.stderr.write('usage: npx tsx scripts/sre-run.ts <file.smyth> <METHOD> <path> [json-body-or-query] [--fast]\n');
  process.exit(2);
}
let input: unknown;
try {
  input = JSON.parse(json ?? '{}');
} catch (error) {
  process.stderr.write(`the input is not JSON: ${(error as Error).message}\n`);
  process.exit(2);
}
const verb = method.toUpperCase();
const inQuery = verb === 'GET' || verb === 'DELETE' || verb === 'HEAD';
const loadStarted = performance.now();
const unavailable = await sreUnavailable();
if (unavailable) {
  process.stderr.write(`${unavailable}\n`);
  process.exit(1);
}
const started = performance.now();
const result = await runOnSre(readFileSync(file, 'utf8'), {
  method: verb,
  path: endpointPath,
  ...(inQuery ? { query: input as Record<string, unknown> } : { body: input }),
}, { fast });
process.stderr.write(`SRE loaded in ${(started - loadStarted).toFixed(0)} ms, answered in ${(performance.now() - started).toFixed(1)} ms${fast ? ' (fast)' : ''}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
