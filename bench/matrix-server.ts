/**
 * Orrery for the Matrix benchmarks, in its own process: SQLite (or BENCH_DATABASE_URL), open
 * registration, rate limits out of the way (the loopback exemption, REGISTRATION_MAX_PER_ADDRESS
 * from the parent). Seeds nothing: the bench registers its users over HTTP. Prints one JSON line
 * `{url, dataPath}`, then runs until killed.
 */
import { benchConfig } from './lib.ts';
import { startOrrery } from '../src/main.ts';

const config = benchConfig({
  RATE_LIMIT_ALLOW_LOOPBACK: process.env.RATE_LIMIT_ALLOW_LOOPBACK ?? 'true',
  REGISTRATION_MAX_PER_ADDRESS: process.env.REGISTRATION_MAX_PER_ADDRESS ?? '1000000',
  REGISTRATION_POLICY: 'open',
  ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
});
const running = await startOrrery(config);
process.on('SIGTERM', () => void running.stop().then(() => process.exit(0)));
console.log(JSON.stringify({ url: running.url, dataPath: config.dataPath }));
