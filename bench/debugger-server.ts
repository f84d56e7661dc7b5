/**
 * The server the debugger bench drives (bench/debugger.ts): Orrery in its own process on a temp
 * SQLite (or `BENCH_DATABASE_URL`), one owner with an access token, the 5-wave `linear-utility.smyth`
 * and a one-wave agent (an APIEndpoint alone). Prints one JSON line with the URL, the ids and the token.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { benchConfig } from './lib.ts';
import { startOrrery } from '../src/main.ts';
import { agent, endpoint } from '../test/agents/agent-builder.ts';

const text = readFileSync(path.resolve(import.meta.dirname, '../../shared/smyth/linear-utility.smyth'), 'utf8');
// Ten monitors on one access token: above the default number of open streams per credential.
const config = benchConfig({ RUNTIME_STREAM_MAX_PER_CREDENTIAL: '100', ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}) });
const orrery = await startOrrery(config);
const { accounts, agents } = orrery.orrery.services;
const owner = await accounts.createUser({ username: 'bench', password: 'bench-password' });
const caller = { userId: owner.userId, isAdmin: false };
const linear = (await agents.create(caller, text)).agent.id;
const oneWave = (await agents.create(caller, JSON.stringify(agent([endpoint('EP', 'pipe', ['message'])], [])))).agent.id;
const login = await fetch(`${orrery.url}/api/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'bench', password: 'bench-password', issue: 'access_token' }),
});
const token = ((await login.json()) as { access_token: string }).access_token;

console.log(JSON.stringify({ orrery: orrery.url, linear, oneWave, token, dataPath: config.dataPath }));
process.on('SIGTERM', () => {
  void orrery.stop().then(() => process.exit(0));
});
