/**
 * SmythOS's own engine (SRE, `@smythos/sre` 1.7.42, MIT, a devDependency) as an oracle for
 * differential tests and as the benchmark's peer: the same `.smyth` agent and request go to SRE
 * in-process, and its answer is returned untouched, so a test can compare it with Orrery's.
 *
 * SRE is initialized once per process, lazily (test files that never call {@link runOnSre} do not
 * pay its ~1.5 s import), fully offline and in a throwaway directory:
 * - every connector that touches files is pointed into a fresh `mkdtemp` folder (removed at exit),
 *   and `SMYTH_PATH` names that folder, so nothing reaches `~/.smyth`, `./.smyth` or
 *   `~/smythos-data`; the vault is a JSON file there holding an empty `echo` key, because without
 *   one SRE's JSONFileVault stops to ask for keys on the terminal;
 * - the models come from SRE's built-in list (no watched models folder), the scheduler runs no
 *   jobs, NKV is in RAM;
 * - `LOG_LEVEL=none` while SRE loads (its logger reads it once; SRE's own default is `none` too,
 *   but Orrery's `LOG_LEVEL` would otherwise switch its winston logger on), and any variable SRE's
 *   `dotenv` import adds from a `.env` in the working directory is removed again.
 *
 * Two costs of SRE's normal path are artificial (research/smythos-bench.md) and can be skipped
 * without changing any answer:
 * - `AgentProcess.run` first awaits `ready()`, which polls every 100 ms for the agent even though
 *   an agent given as data is built synchronously: every call costs ≥ 100 ms.
 *   {@link SreRunOptions.skipReadyPoll} hands `run` an already settled ready promise instead.
 * - after every wave `Agent.process` sleeps `floor(cpu load % / 100 × 50)` ms, with the machine's
 *   load sampled every 5 s (`OSResourceMonitor`). {@link SreRunOptions.zeroWaveSleep} makes the
 *   monitor report a load of 0 while such a run is in flight; the monitor is process-wide, so a
 *   normal run overlapping a zero-sleep one sleeps 0 too (timing only, never the answer).
 * `fast: true` is both: SRE's best case in the bench's terms.
 *
 * Side effects on the calling process, all SRE's own: SIGINT/SIGTERM handlers that exit with 0
 * after SRE's shutdown, a `beforeExit` hook, and a 5 s unref'd CPU sampling timer.
 * Source of the behaviours: SRE 1.7.42 `Core/AgentProcess.helper.ts`, `AgentManager/Agent.class.ts`,
 * `AgentManager/OSResourceMonitor.ts`, `helpers/Log.helper.ts`, `helpers/Sysconfig.helper.ts`,
 * `Security/Vault.service/connectors/JSONFileVault.class.ts`, and its tests' `tests/utils/sre.ts`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** One request to an agent, as SRE's `AgentProcess.run` takes it. */
export interface SreRequest {
  /** HTTP method, upper case (`POST`, `GET`, …): SRE matches endpoints by it. */
  method: string;
  /** `/api/<endpoint>`, optionally `/v<version>/api/<endpoint>` (SRE answers 404 to other shapes). */
  path: string;
  /** Request body (POST inputs). */
  body?: unknown;
  /** Query string values (GET inputs). */
  query?: Record<string, unknown>;
  /** Request headers; SRE lower-cases nothing here, so give lower-case names. */
  headers?: Record<string, string>;
}

/** How to run: SRE's normal path by default. */
export interface SreRunOptions {
  /** Both shortcuts below: SRE's best case (research/smythos-bench.md). Default false. */
  fast?: boolean;
  /** Skip `AgentProcess.ready()`'s 100 ms poll. Default false (unless `fast`). */
  skipReadyPoll?: boolean;
  /** Report a CPU load of 0 to SRE's between-wave sleep while this run is in flight. Default false (unless `fast`). */
  zeroWaveSleep?: boolean;
}

/** What SRE's `AgentProcess.run` resolves with, untouched: `data` is the agent's answer (or `{error}`). */
export interface SreAnswer {
  /** Set by SRE only for a path that is not `/api/…` (404). */
  status?: number;
  data: unknown;
}

/** The part of SRE's exports this helper uses (its own typings are `any` here anyway). */
interface SreModule {
  SRE: { init(config: Record<string, unknown>): unknown; ready(): Promise<unknown> };
  AgentProcess: { load(agent: unknown): SreProcess };
  OSResourceMonitor: object;
}
interface SreProcess {
  agent?: unknown;
  run(request: SreRequest): Promise<SreAnswer>;
}

let loading: Promise<SreModule> | undefined;
/** Runs in flight with {@link SreRunOptions.zeroWaveSleep}: the patched monitor reports load 0 while > 0. */
let zeroSleepRuns = 0;

/**
 * Run `agent` on SmythOS's engine and return exactly what `AgentProcess.load(agent).run(request)`
 * returns. `agent` is a `.smyth` document (bare `{components, connections, …}` or `{data, version}`)
 * as an object or JSON text; it and the request are deep-copied first, so SRE never touches the caller's.
 * @throws Error when `@smythos/sre` cannot be loaded (see {@link sreUnavailable}), or what SRE throws
 *   (SRE turns an agent's own failures into `data: {error}` rather than throwing).
 */
export async function runOnSre(agent: unknown, request: SreRequest, options: SreRunOptions = {}): Promise<SreAnswer> {
  const sre = await loadSre();
  const data: unknown = typeof agent === 'string' ? JSON.parse(agent) : structuredClone(agent);
  const skipPoll = options.fast === true || options.skipReadyPoll === true;
  const zeroSleep = options.fast === true || options.zeroWaveSleep === true;
  const proc = sre.AgentProcess.load(data);
  // An agent given as data is built synchronously in the constructor; `ready()` only polls for it.
  if (skipPoll && proc.agent) (proc as unknown as { _loadPromise: Promise<boolean> })._loadPromise = Promise.resolve(true);
  if (zeroSleep) zeroSleepRuns++;
  try {
    // Copied: differential tests hand the same objects to Orrery, and nothing promises that SRE's
    // components leave what they receive as it was.
    return await proc.run(structuredClone(request));
  } finally {
    if (zeroSleep) zeroSleepRuns--;
  }
}

/**
 * Why SRE cannot run here, or `undefined` when it can (it is then loaded and initialized). For
 * test files that skip themselves with a clear message instead of failing on a missing package.
 */
export async function sreUnavailable(): Promise<string | undefined> {
  try {
    await loadSre();
    return undefined;
  } catch (error) {
    return `SmythOS's engine (@smythos/sre) cannot be loaded: ${(error as Error).message}`;
  }
}

/** Import and initialize SRE once per process (see the module header for the configuration). */
function loadSre(): Promise<SreModule> {
  loading ??= initSre();
  // A failed load is not cached as success, but is not retried either: the reason stays the same.
  return loading;
}

async function initSre(): Promise<SreModule> {
  const dir = mkdtempSync(path.join(tmpdir(), 'orrery-sre-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const sub of ['storage', 'scheduler']) mkdirSync(path.join(dir, sub));
  const vault = path.join(dir, 'vault.json');
  writeFileSync(vault, JSON.stringify({ default: { echo: '' } }));

  const envBefore = new Set(Object.keys(process.env));
  const logLevel = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'none';
  process.env.SMYTH_PATH = dir;
  let sre: SreModule;
  try {
    sre = (await import('@smythos/sre')) as unknown as SreModule;
  } finally {
    if (logLevel === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = logLevel;
    // What SRE's dotenv added from a .env file must not leak into the tests' environment.
    for (const key of Object.keys(process.env)) if (!envBefore.has(key) && key !== 'SMYTH_PATH') delete process.env[key];
  }

  sre.SRE.init({
    Vault: { Connector: 'JSONFileVault', Settings: { file: vault, shared: 'default' } },
    Cache: { Connector: 'RAM' },
    Storage: { Connector: 'LocalStorage', Settings: { folder: path.join(dir, 'storage') } },
    NKV: { Connector: 'RAM' },
    ModelsProvider: { Connector: 'JSONModelsProvider', Settings: { models: {}, mode: 'merge' } },
    Scheduler: { Connector: 'LocalScheduler', Settings: { folder: path.join(dir, 'scheduler'), runJobs: false, persistExecutionHistory: false } },
  });
  await sre.SRE.ready();

  const monitor = sre.OSResourceMonitor;
  const real = Object.getOwnPropertyDescriptor(monitor, 'cpu')?.get;
  if (!real) throw new Error('OSResourceMonitor.cpu is not a getter any more: check the zeroWaveSleep patch against this SRE version');
  Object.defineProperty(monitor, 'cpu', {
    configurable: true,
    get: () => {
      const cpu = real.call(monitor) as Record<string, number>;
      return zeroSleepRuns > 0 ? { ...cpu, load: 0 } : cpu;
    },
  });
  return sre;
}
