/**
 * Orrery for the runtime benchmarks, in its own process: SQLite (or BENCH_DATABASE_URL), limits out
 * of the way, and seeded accounts. Prints one JSON line: `{url, human, botToken, heartbeatTokens}`
 * (tokens for BENCH_BOTS simulated bots, one user each), then runs until killed. With BENCH_SEED=0 it
 * seeds nothing and prints `{url}` (a second instance on a database another one seeded).
 */
import { benchConfig } from './lib.ts';
import { startOrrery } from '../src/main.ts';

const BOTS = Number(process.env.BENCH_BOTS ?? 0);

const config = benchConfig({
  RUNTIME_SHARED_MIN_GAP_MS: '0',
  RUNTIME_SHARED_MAX_PER_MINUTE: '1000000',
  RUNTIME_SHARED_ACCOUNT_MAX_PER_MINUTE: '1000000',
  RUNTIME_SHARED_DUPLICATE_WINDOW_MS: '0',
  ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
});
const running = await startOrrery(config);
const { accounts, runtime } = running.orrery.services;
process.on('SIGTERM', () => void running.stop().then(() => process.exit(0)));
if (process.env.BENCH_SEED === '0') {
  console.log(JSON.stringify({ url: running.url }));
  await new Promise(() => undefined);
}

async function runtimeToken(username: string): Promise<string> {
  const user = await accounts.createUser({ username, password: `password-${username}` });
  const invite = await runtime.createInvite(running.url, user.userId, 10);
  return (await runtime.claimInvite(running.url, user, invite.code, 'bench')).token;
}

const human = await accounts.createUser({ username: 'human', password: 'password-human' });
const humanToken = (await accounts.createAccessToken(human.userId, { label: 'bench' })).token;
const botToken = await runtimeToken('botowner');
// Event-stream readers each hold their own access token (BENCH_READER_TOKENS of them), as 1000 real
// clients would: a credential may hold only RUNTIME_STREAM_MAX_PER_CREDENTIAL streams.
const readerTokens: string[] = [];
for (let i = 0; i < Number(process.env.BENCH_READER_TOKENS ?? 0); i++) {
  readerTokens.push((await accounts.createAccessToken(human.userId, { label: `reader ${i}` })).token);
}
const heartbeatTokens: string[] = [];
for (let i = 0; i < BOTS; i += 16) {
  heartbeatTokens.push(...(await Promise.all(Array.from({ length: Math.min(16, BOTS - i) }, (_, k) => runtimeToken(`hb${i + k}`)))));
}

console.log(JSON.stringify({ url: running.url, human: humanToken, botToken, heartbeatTokens, readerTokens }));
