/**
 * The servers under test, in their own process so the load generator does not share their event
 * loop: a bare Fastify route (the ceiling) and a full Orrery on SQLite. Prints one JSON line with
 * their URLs, then runs until killed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { loadConfig } from '../src/config/load.ts';
import { startOrrery } from '../src/main.ts';

const bare = Fastify({ logger: false });
bare.get('/noop', async () => ({ ok: true }));
await bare.listen({ port: 0, host: '127.0.0.1' });

const config = loadConfig({
  DATA_PATH: mkdtempSync(path.join(tmpdir(), 'orrery-bench-')),
  PORT: '0',
  ADMIN_PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  NODE_ENV: 'production',
  SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-00',
  RATE_LIMIT_MAX: '100000000',
});
const orrery = await startOrrery(config);
await orrery.orrery.services.accounts.createUser({ username: 'bench', password: 'bench-password' });

console.log(
  JSON.stringify({ bare: `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`, orrery: orrery.url, dataPath: config.dataPath }),
);
process.on('SIGTERM', () => {
  void Promise.all([orrery.stop(), bare.close()]).then(() => process.exit(0));
});
