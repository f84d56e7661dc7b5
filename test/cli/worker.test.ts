/**
 * `orrery worker` and QUEUE_WORKERS: a server started with QUEUE_WORKERS=false runs no jobs; a
 * separate `orrery worker` process on its database runs them; SIGTERM ends the worker with 0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { botUser } from '../bots/helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')];

describe('orrery worker', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ QUEUE_WORKERS: 'false', QUEUE_POLL_MS: '50', QUEUE_LEASE_MS: '2000' });
  });
  after(async () => server?.close());

  test('jobs wait while no worker runs, and a separate worker process runs them; SIGTERM exits 0', async () => {
    const alice = await botUser(server, 'alice');
    const pending = alice.api.post('/_run-command', { data: { type: 'run-command', attributes: { command: 'echo', body: 'from the worker' } } });
    // No worker: the job stays queued.
    await waitFor(async () => (await server.orrery.services.queue.counts()).queued === 1, { what: 'the queued job' });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      DATA_PATH: server.dataPath,
      SESSION_SECRET: 'test-secret-test-secret-test-secret-1234',
      LOG_LEVEL: 'info',
      QUEUE_POLL_MS: '50',
      QUEUE_LEASE_MS: '2000',
    };
    delete env.DATABASE_URL;
    if (server.config.databaseUrl) env.DATABASE_URL = server.config.databaseUrl;
    const worker = spawn(process.execPath, [...CLI, 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    try {
      const res = await pending;
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.data.attributes.cardResultString, 'from the worker');
    } finally {
      worker.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});
