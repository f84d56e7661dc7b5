/**
 * `scripts/runtime-service.mjs`, the seed's entry point, run as users run it: `node
 * scripts/runtime-service.mjs …` with the original's flags, from the build in dist/, against a real
 * server and a fake OpenAI-compatible model behind a gateway-style path.
 *
 * The script loads dist/src/connect/main.js. When that build is missing or older than the bot's
 * sources, this test builds just the bot (src/connect/main.ts and what it imports) with the
 * `build:server` compiler options, so it never runs stale code and never rebuilds the whole server.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../helpers/client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { linkedUser } from '../runtime/helpers.ts';
import { defaultStateFile } from '../../src/connect/state.ts';
import { sharedMatching, startFakeModel, waitForCursorPast, type FakeModel } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = path.join(ROOT, 'scripts/runtime-service.mjs');
const BUILT = path.join(ROOT, 'dist/src/connect/main.js');

/** Newest modification time of the bot's sources (src/connect, src/llm; tests excluded), ms. */
function newestSourceMs(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(path.join(ROOT, 'src/connect'));
  walk(path.join(ROOT, 'src/llm'));
  return newest;
}

const fresh = () => existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestSourceMs();

/** Build the bot into dist/ when needed; the reason it could not, or `null` when the build is fresh. */
function ensureBotBuilt(): string | null {
  if (fresh()) return null;
  const dir = mkdtempSync(path.join(tmpdir(), 'orrery-build-'));
  const config = path.join(dir, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.build.json'),
      compilerOptions: { typeRoots: [path.join(ROOT, 'node_modules/@types')] },
      files: [path.join(ROOT, 'src/connect/main.ts')],
      include: [],
    }),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: ROOT, encoding: 'utf8' });
  return fresh() ? null : `could not build the bot into dist/ (tsc exit ${r.status}): ${r.stdout}${r.stderr}`;
}

interface Service {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];
process.once('exit', () => started.forEach((c) => c.kill('SIGKILL')));

function runService(script: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Service {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OPENAI_API_KEY: '', KOZMOS_BASE_URL: '', ...options.env },
  });
  started.push(child);
  const lines: string[] = [];
  child.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  child.stderr!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  return { child, lines, exited: new Promise((resolve) => child.once('close', (code) => resolve(code))) };
}

const waitForLine = (service: Service, re: RegExp, timeoutMs = 20_000) =>
  waitFor(() => service.lines.find((l) => re.test(l)), { timeoutMs, what: `${re}\n${service.lines.join('\n')}` });

describe('scripts/runtime-service.mjs (the seed entry point, from dist/)', () => {
  let s: TestServer;
  let model: FakeModel;
  let alice: Client;
  let buildProblem: string | null = null;
  before(async () => {
    buildProblem = ensureBotBuilt();
    s = await startTestServer({ RUNTIME_SHARED_MIN_GAP_MS: '0' });
    model = await startFakeModel();
    alice = new Client(s.url);
    await alice.register('alice');
  });
  after(async () => {
    started.forEach((c) => c.kill('SIGKILL'));
    await model.close();
    await s.close();
  });

  test("the manual's command line: heartbeat, a reply through the model at <base>/v1/responses, state in the state directory, SIGTERM clears presence", async (t: TestContext) => {
    if (buildProblem) return t.skip(buildProblem);
    const owner = await linkedUser(s, 'svc');
    const stateDir = mkdtempSync(path.join(tmpdir(), 'orrery-state-'));
    const workDir = mkdtempSync(path.join(tmpdir(), 'orrery-cwd-'));
    // The original protocol (--stream false: it polls the feed), with a gateway-style model base URL.
    const service = runService(
      SCRIPT,
      ['--base-url', s.url, '--token', owner.token, '--username', 'svc', '--trigger-name', 'svc', '--openai-key', 'sk-test',
        '--openai-model', 'gpt-4.1-mini', '--openai-base-url', `${model.url}/openai`, '--heartbeat-seconds', '25', '--poll-seconds', '2', '--stream', 'false'],
      { cwd: workDir, env: { ORRERY_STATE_DIR: stateDir } },
    );
    await waitForLine(service, /^\[[\d :-]+\] runtime start user=svc trigger=svc$/);
    await waitForLine(service, /^\[[\d :-]+\] model=gpt-4\.1-mini heartbeat=25s poll=2s replyAll=false$/);
    await waitForLine(service, /mode=poll /);
    await waitFor(async () => (await alice.get('/api/runtime/presence')).body.users.some((u: { username: string }) => u.username === 'svc'), { what: 'presence' });

    await alice.post('/api/runtime/shared', { content: 'svc, are you there?' });
    await waitForLine(service, /replied to alice/);
    const [reply] = await sharedMatching(alice, /^alice: model:/);
    assert.equal(reply!.content, 'alice: model: alice: svc, are you there?');
    assert.deepEqual(model.paths, ['/openai/v1/responses'], 'the same URL the original bot called');

    const stateFile = defaultStateFile(owner.token, { ORRERY_STATE_DIR: stateDir });
    await waitForCursorPast(stateFile, reply!.id);
    assert.deepEqual(readdirSync(workDir), [], 'nothing written into the working directory');

    service.child.kill('SIGTERM');
    assert.equal(await service.exited, 0);
    assert.ok(service.lines.some((l) => /SIGTERM received, clearing presence\.\.\./.test(l)));
    assert.ok(service.lines.some((l) => /presence cleared/.test(l)));
    assert.ok(!(await alice.get('/api/runtime/presence')).body.users.some((u: { username: string }) => u.username === 'svc'));
  });

  test('without a build it says how to make one and exits 1', async () => {
    // A copy of the script in a folder with no dist/ beside it.
    const dir = mkdtempSync(path.join(tmpdir(), 'orrery-nobuild-'));
    mkdirSync(path.join(dir, 'scripts'));
    copyFileSync(SCRIPT, path.join(dir, 'scripts/runtime-service.mjs'));
    const service = runService(path.join(dir, 'scripts/runtime-service.mjs'), ['--base-url', s.url, '--token', 'kzrt_x'], { cwd: dir });
    assert.equal(await service.exited, 1);
    assert.match(service.lines.join('\n'), /fatal: Orrery is not built; run `npm ci` \(or `npm run build`\)/);
  });

  test('a missing required arg: the original fatal line, exit 1', async (t: TestContext) => {
    if (buildProblem) return t.skip(buildProblem);
    const service = runService(SCRIPT, ['--token', 'kzrt_x'], { cwd: tmpdir() });
    assert.equal(await service.exited, 1);
    assert.match(service.lines.join('\n'), /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] fatal: missing required arg: base-url/);
  });
});
