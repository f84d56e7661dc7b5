/**
 * The servers under test, in their own process so the load generator does not share their event
 * loop: a bare Fastify route (the ceiling) and a full Orrery on SQLite. Prints one JSON line with
 * their URLs, then runs until killed.
 */
import Fastify from 'fastify';
import { benchConfig } from './lib.ts';
import { startOrrery } from '../src/main.ts';

const bare = Fastify({ logger: false });
bare.get('/noop', async () => ({ ok: true }));
await bare.listen({ port: 0, host: '127.0.0.1' });

const config = benchConfig();
const orrery = await startOrrery(config);
await orrery.orrery.services.accounts.createUser({ username: 'bench', password: 'bench-password' });

console.log(
  JSON.stringify({ bare: `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`, orrery: orrery.url, dataPath: config.dataPath }),
);
process.on('SIGTERM', () => {
  void Promise.all([orrery.stop(), bare.close()]).then(() => process.exit(0));
});
