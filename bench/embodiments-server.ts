/**
 * The server the embodiments bench drives (bench/embodiments.ts): Orrery in its own process on a temp
 * SQLite (or `BENCH_DATABASE_URL`), one owner with an access token, and one agent whose skill `shout`
 * answers its input (APIEndpoint → APIOutput) and whose chat model is the offline `echo`. Prints one
 * JSON line with the URL, the agent id and the token.
 */
import { benchConfig } from './lib.ts';
import { startOrrery } from '../src/main.ts';
import { agent, endpoint } from '../test/agents/agent-builder.ts';

const config = benchConfig(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {});
const orrery = await startOrrery(config);
const { accounts, agents } = orrery.orrery.services;
const owner = await accounts.createUser({ username: 'bench', password: 'bench-password' });
const caller = { userId: owner.userId, isAdmin: false };
const document = agent(
  [
    { ...endpoint('EP', 'shout', ['text']), data: { endpoint: 'shout', method: 'POST', description: 'Shout the text back', ai_exposed: true } },
    { id: 'OUT', name: 'APIOutput', data: { format: 'minimal' }, inputs: ['said'], outputs: ['Output!'] },
  ],
  [['EP', 'body.text', 'OUT', 'said']],
);
const agentId = (await agents.create(caller, JSON.stringify(document))).agent.id;
await agents.patch(caller, agentId, { embodiments: { chatModel: 'echo' } });
const login = await fetch(`${orrery.url}/api/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'bench', password: 'bench-password', issue: 'access_token' }),
});
const token = ((await login.json()) as { access_token: string }).access_token;

console.log(JSON.stringify({ orrery: orrery.url, agentId, token, dataPath: config.dataPath }));
process.on('SIGTERM', () => {
  void orrery.stop().then(() => process.exit(0));
});
