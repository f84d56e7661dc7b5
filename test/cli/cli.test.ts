import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, TEST_DB } from '../helpers/server.ts';
import { Client } from '../helpers/client.ts';
import { waitFor } from '../helpers/wait.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startOrrery } from '../../src/main.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')];

/** Environment for a child `orrery` on the dialect under test (PostgreSQL: a fresh database). */
async function childEnv(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_PATH: mkdtempSync(path.join(tmpdir(), 'orrery-cli-')),
    LOG_LEVEL: 'info',
    NODE_ENV: 'test',
    ...extra,
  };
  delete env.DATABASE_URL;
  if (TEST_DB === 'postgres') {
    const database = await createTestDatabase();
    createdDatabases.push(database);
    env.DATABASE_URL = database.url;
  }
  return env;
}

const createdDatabases: Array<{ drop(): Promise<void> }> = [];
after(async () => {
  for (const database of createdDatabases) await database.drop();
});

function run(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [...CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 });
}

function waitForLine(child: ChildProcess, re: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${re}; got:\n${buf}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => re.test(l));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
}

describe('orrery CLI', () => {
  test('--help lists the subcommands; --version prints the version', async () => {
    const env = await childEnv();
    const help = run(['--help'], env);
    assert.equal(help.status, 0);
    for (const sub of ['start', 'migrate', 'admin']) assert.match(help.stdout, new RegExp(`\\b${sub}\\b`));
    const version = run(['--version'], env);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  test('a bad config value exits 1 with one line naming the variable', async () => {
    const r = run(['start'], await childEnv({ PORT: 'abc' }));
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), 'orrery: PORT must be an integer 1-65535, got "abc"');
    const mode = run(['start', '--mode', 'warp'], await childEnv());
    assert.equal(mode.status, 1);
    assert.match(mode.stderr, /SERVER_MODE must be/);
    const prod = run(['start'], await childEnv({ NODE_ENV: 'production' }));
    assert.equal(prod.status, 1);
    assert.equal(prod.stderr.trim(), 'orrery: SESSION_SECRET is required when NODE_ENV=production');
  });

  test('migrate is idempotent; admin create-user makes an admin who can log in', async () => {
    const env = await childEnv();
    const first = run(['migrate'], env);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /applied \d+ migration/);
    const second = run(['migrate'], env);
    assert.equal(second.status, 0);
    assert.match(second.stdout, /up to date/);
    const created = run(['admin', 'create-user', 'root', '--password', 'password-root', '--admin'], env);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /created @root:localhost \(admin\)/);
    const dup = run(['admin', 'create-user', 'root', '--password', 'password-root'], env);
    assert.equal(dup.status, 1);
    assert.match(dup.stderr, /username taken/);
    const list = run(['admin', 'list-users'], env);
    assert.match(list.stdout, /@root:localhost admin/);
  });

  test('bots register: a registration and its commands in one step, idempotent; bad input exits 1 with one line', async () => {
    const env = await childEnv();
    assert.equal(run(['admin', 'create-user', 'alice', '--password', 'password-alice'], env).status, 0);
    const first = run(['bots', 'register', 'alice', '--command', '!echo=echo', '--command', '/weather (\\w+)/i=help'], env);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^registration [0-9a-f-]{36} for @alice:localhost: created; webhook secret [0-9a-f]{64}$/m);
    assert.match(first.stdout, /^command [0-9a-f-]{36} !echo → echo: added$/m);
    assert.match(first.stdout, /^command [0-9a-f-]{36} \/weather \(\\w\+\)\/i → help: added$/m);
    const again = run(['bots', 'register', 'alice', '--command', '!echo=echo'], env);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /for @alice:localhost: already there/);
    assert.match(again.stdout, /!echo → echo: already there/);
    const global = run(['bots', 'register', 'alice', '--global'], env);
    assert.equal(global.status, 1);
    assert.match(global.stderr.trim(), /^orrery: .*admin/);
    const bad = run(['bots', 'register', 'alice', '--command', '!echo=rm'], env);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr.trim(), /^orrery: "!echo=rm" is not <trigger>=<command>/);
    const nobody = run(['bots', 'register', 'nobody', '--command', '!echo=echo'], env);
    assert.equal(nobody.status, 1);
    assert.equal(nobody.stderr.trim().split('\n').length, 1);
  });

  test('agent run: a .smyth skill answered in-process with no server; bad input exits 1 with a clear line', () => {
    const env = { ...process.env, NODE_ENV: 'test' };
    const fixtures = path.join(ROOT, '../shared/smyth');
    const pipe = run(['agent', 'run', path.join(fixtures, 'linear-utility.smyth'), '--skill', 'pipe', '--input', 'message=hello world', '--trace'], env);
    assert.equal(pipe.status, 0, pipe.stderr);
    assert.deepEqual(JSON.parse(pipe.stdout), { result: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9' });
    assert.match(pipe.stderr, /^wave 2 FEncDec C1 /m);
    const say = run(['agent', 'run', path.join(fixtures, 'sre-echo-LLMPrompt.smyth'), '--skill', '/api/say', '--body', '{"message":"Rose"}'], env);
    assert.deepEqual(JSON.parse(say.stdout), { result: 'Saying : Rose' });
    const nope = run(['agent', 'run', path.join(fixtures, 'functions-components.smyth'), '--skill', 'nope'], env);
    assert.equal(nope.status, 1);
    assert.deepEqual(JSON.parse(nope.stdout), { error: 'Endpoint POST /api/nope Not Found' });
    const badBody = run(['agent', 'run', path.join(fixtures, 'linear-utility.smyth'), '--skill', 'pipe', '--body', '{nope'], env);
    assert.equal(badBody.status, 1);
    assert.match(badBody.stderr, /^orrery: --body is not JSON/m);
    const missing = run(['agent', 'run', '/nonexistent.smyth', '--skill', 'pipe'], env);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^orrery: cannot read \/nonexistent.smyth/m);
  });

  test('agent import, list, deploy, export: a round trip on the database', async () => {
    const env = await childEnv();
    assert.equal(run(['admin', 'create-user', 'carol', '--password', 'password-carol'], env).status, 0);
    const file = path.join(ROOT, '../shared/smyth/linear-utility.smyth');
    const imported = run(['agent', 'import', file, '--user', 'carol'], env);
    assert.equal(imported.status, 0, imported.stderr);
    const id = /^agent (a[a-z0-9]+) "bench-linear-utility" owned by @carol:localhost$/m.exec(imported.stdout)?.[1];
    assert.ok(id, imported.stdout);
    assert.match(imported.stdout, /^ {2}POST \/api\/pipe$/m);
    assert.match(run(['agent', 'list', '--user', 'carol'], env).stdout, new RegExp(`^${id}\tbench-linear-utility\t@carol:localhost\towner$`, 'm'));
    assert.match(run(['agent', 'deploy', id], env).stdout, new RegExp(`deployed ${id} version 1.0`));
    assert.match(run(['agent', 'deploy', id, '1.2'], env).stdout, /version 1\.2/);
    const again = run(['agent', 'deploy', id, '1.2'], env);
    assert.equal(again.status, 1);
    const exported = run(['agent', 'export', id, '1.0'], env);
    assert.equal(exported.status, 0, exported.stderr);
    assert.deepEqual(JSON.parse(exported.stdout), JSON.parse(readFileSync(file, 'utf8')));
    const unknown = run(['agent', 'export', 'anothernonexistent'], env);
    assert.equal(unknown.status, 1);
    assert.equal(unknown.stderr.trim().split('\n').length, 1);
  });

  test('an account made by `admin create-user` can post at once (regression: the CLI assembled its own services and never joined it to the shared space: 403 ORR_ROOMS_NOT_JOINED)', async () => {
    const env = await childEnv({ PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    const created = run(['admin', 'create-user', 'bob', '--password', 'password-bob'], env);
    assert.equal(created.status, 0, created.stderr);
    // The server on the same data path (and database), as `orrery start` would run it.
    const server = await startOrrery(loadConfig(env));
    try {
      const bob = new Client(server.url);
      const login = await bob.post('/api/auth/login', { username: 'bob', password: 'password-bob' });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      assert.equal(typeof login.body.csrf_token, 'string', 'the session comes with its CSRF token');
      const posted = await bob.post('/api/runtime/shared', { content: 'hi' });
      assert.equal(posted.status, 200, JSON.stringify(posted.body));
      assert.equal(posted.body.ok, true);
    } finally {
      await server.stop();
    }
  });

  test('SIGTERM: stops accepting, finishes the in-flight request, closes the database, exits 0', async () => {
    const env = await childEnv({ PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1' });
    const child = spawn(process.execPath, [...CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const listening = JSON.parse(await waitForLine(child, /orrery listening/));
    const port = Number(listening.port);
    const stats = async () => (await fetch(`http://127.0.0.1:${listening.admin_port}/stats`)).json();

    // An in-flight request: headers and half of the body sent, the rest after SIGTERM.
    const body = JSON.stringify({ username: 'nobody', password: 'whatever-password' });
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n` +
        body.slice(0, 10),
    );
    let response = '';
    socket.on('data', (d) => (response += d.toString()));
    // In flight: the server has the request's head and waits for the rest of its body.
    await waitFor(async () => (await stats()).requests_in_flight === 1, { what: 'the request to be in flight' });

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const logs: string[] = [];
    child.stdout!.on('data', (d: Buffer) => logs.push(d.toString()));
    child.kill('SIGTERM');
    // New connections are refused (soon after the signal) while the old request is still open.
    const refused = () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(false);
        });
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
      });
    await waitFor(refused, { timeoutMs: 10_000, intervalMs: 50, what: 'the listener to close after SIGTERM' });
    assert.equal(response, '', 'the in-flight request is still waiting for its body');
    socket.write(body.slice(10));
    const code = await exited;
    assert.match(response, /^HTTP\/1\.1 401/, 'the in-flight request got its answer');
    assert.equal(code, 0);
    assert.match(logs.join(''), /shutdown complete/);
  });
});
