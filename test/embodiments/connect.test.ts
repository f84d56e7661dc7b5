/**
 * An agent in the shared space (issue 12 item 2 "Done when"): a real `orrery connect` process whose model
 * is an Orrery agent, reached through the OpenAI-compatible Responses API —
 * `--openai-base-url <orrery>/v1 --openai-model <agentId>` with the owner's access token as the key —
 * answers a trigger with the agent's answer (its `echo` model says the prompt back).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../helpers/client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { linkedUser, type LinkedUser } from '../runtime/helpers.ts';
import { importFixture } from '../agents/api-helpers.ts';
import { agent, endpoint } from '../agents/agent-builder.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('orrery connect with an agent as its model (/v1/responses)', () => {
  let s: TestServer;
  let owner: LinkedUser;
  let alice: Client;
  let child: ChildProcess | undefined;

  before(async () => {
    s = await startTestServer({ RUNTIME_SHARED_MIN_GAP_MS: '0' });
    owner = await linkedUser(s, 'agentbot');
    alice = new Client(s.url);
    await alice.register('alice');
  });
  after(async () => {
    child?.kill('SIGKILL');
    await s.close();
  });

  test('a trigger in the shared space is answered by the agent', async () => {
    const agentId = await importFixture(owner.web, JSON.stringify(agent([endpoint('EP', 'noop', [])], [], { behavior: 'You are the agent bot.' })));
    assert.equal((await owner.web.req('PATCH', `/api/agents/${agentId}`, { embodiments: { chat_model: 'echo' } })).status, 200);
    const login = await new Client(s.url).post('/api/auth/login', { username: 'agentbot', password: 'password-agentbot', issue: 'access_token' });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const stateFile = path.join(mkdtempSync(path.join(tmpdir(), 'orrery-connect-')), 'state.json');
    child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'test/connect/bot-process.ts'),
        '--base-url', s.url, '--token', owner.token, '--trigger-name', 'agentbot', '--state-file', stateFile,
        '--openai-base-url', `${s.url}/v1`, '--openai-model', agentId, '--openai-key', login.body.access_token as string],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OPENAI_API_KEY: '', OPENAI_BASE_URL: '', OPENAI_API: '' } },
    );
    const lines: string[] = [];
    child.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    child.stderr!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    await waitFor(() => lines.some((l) => /stream connected/.test(l)), { timeoutMs: 20_000, what: `the bot connected\n${lines.join('\n')}` });

    assert.equal((await alice.post('/api/runtime/shared', { content: '@agentbot what is up?' })).status, 200);
    const reply = await waitFor(
      async () => (await alice.get('/api/runtime/feed?limit=50')).body.messages.find((m: { username: string }) => m.username === 'agentbot'),
      { timeoutMs: 20_000, what: `the agent's reply\n${lines.join('\n')}` },
    );
    // The bot's prompt is `<sender>: <message>`; the agent's echo model says it back, and the bot
    // addresses its reply to the sender.
    assert.equal(reply.content, 'alice: alice: @agentbot what is up?');
  });
});
