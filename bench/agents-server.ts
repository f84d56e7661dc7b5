/**
 * The server under test of the agents HTTP bench (bench/agents-http.ts), in its own process: Orrery
 * on SQLite (or DATABASE_URL) with the shared `linear-utility.smyth` imported and public, plus a bare
 * Fastify route answering the same JSON (the ceiling) and SmythOS's engine behind a Fastify route (the
 * peer). Prints one JSON line, then runs until killed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { benchConfig } from './lib.ts';
import { startOrrery } from '../src/main.ts';
import { runOnSre } from '../test/helpers/sre-oracle.ts';

const text = readFileSync(path.resolve(import.meta.dirname, '../../shared/smyth/linear-utility.smyth'), 'utf8');

const bare = Fastify({ logger: false });
bare.post('/api/pipe', async () => ({ result: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9' }));
// SmythOS's engine behind HTTP the way its runtime server calls it: AgentProcess.load(agent).run(request)
// per request, on its normal path (the 100 ms ready-poll and the load-scaled sleep between waves).
bare.post('/sre/api/pipe', async (request, reply) => {
  const answer = await runOnSre(text, { method: 'POST', path: '/api/pipe', body: request.body, headers: {} });
  return reply.status(answer.status ?? 200).send(answer.data);
});
await bare.listen({ port: 0, host: '127.0.0.1' });

const config = benchConfig(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {});
const orrery = await startOrrery(config);
const { accounts, agents } = orrery.orrery.services;
const owner = await accounts.createUser({ username: 'bench', password: 'bench-password' });
const caller = { userId: owner.userId, isAdmin: false };
const { agent } = await agents.create(caller, text);
await agents.patch(caller, agent.id, { skillAccess: 'public' });

console.log(
  JSON.stringify({ bare: `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`, orrery: orrery.url, agentId: agent.id, dataPath: config.dataPath }),
);
process.on('SIGTERM', () => {
  void Promise.all([orrery.stop(), bare.close()]).then(() => process.exit(0));
});
