/**
 * The machinery of the Matrix SDK contract suite (sdk-contract.test.ts): scenarios checked against a
 * committed expected-failures list, and what it takes to run the real SDKs inside a test process —
 * matrix-js-sdk made quiet and unable to hold the process open, matrix-bot-sdk loaded without its
 * native crypto module.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import type { TestContext } from 'node:test';
import { MatrixError } from 'matrix-js-sdk';
import { logger as jsSdkLogger, type Logger } from 'matrix-js-sdk/lib/logger.js';
import type * as BotSdk from 'matrix-bot-sdk';

/** A scenario: a name (the key of the expected-failures list), its prerequisites and its body. */
export interface Scenario {
  name: string;
  /** Scenarios that must have passed; otherwise this one fails as "blocked" without running. */
  needs: string[];
  run(): Promise<void>;
}

/** What a scenario came to. */
export type ScenarioResult = { status: 'pass' } | { status: 'fail'; error: string };

/** One entry of the expected-failures file: a scenario name and why it fails. */
interface ExpectedFailure {
  scenario: string;
  reason: string;
}

/**
 * Runs scenarios against the expected-failures list in `expectedFailuresFile` (a JSON array of
 * `{scenario, reason}`; MCP SDK's expected-failures.yaml is the model). An unlisted failure fails its
 * test; a listed failure is reported as `todo` with its reason; a listed scenario that passes fails
 * its test (a stale entry), as does an entry naming no scenario ({@link checkList}).
 */
export function createContractRunner(expectedFailuresFile: string) {
  const expected = new Map((JSON.parse(readFileSync(expectedFailuresFile, 'utf8')) as ExpectedFailure[]).map((e) => [e.scenario, e.reason]));
  const results = new Map<string, ScenarioResult>();
  const listName = expectedFailuresFile.split('/').pop();

  return {
    results,

    /** Run `scenario` (unless a prerequisite failed), record its result and judge it against the list. */
    async run(t: TestContext, scenario: Scenario): Promise<void> {
      const blocker = scenario.needs.find((need) => results.get(need)?.status !== 'pass');
      let error: unknown;
      if (blocker) error = new Error(`blocked: needs "${blocker}", which failed`);
      else {
        try {
          await scenario.run();
        } catch (e) {
          error = e;
        }
      }
      results.set(scenario.name, error ? { status: 'fail', error: describeError(error) } : { status: 'pass' });
      const reason = expected.get(scenario.name);
      if (error && reason === undefined) throw error;
      if (error) {
        t.todo(`expected failure (${reason}): ${describeError(error)}`);
        return;
      }
      if (reason !== undefined) assert.fail(`"${scenario.name}" passes now: remove its stale entry from ${listName} ("${reason}")`);
    },

    /** Every entry of the list names one of `scenarios` and gives a reason. */
    checkList(scenarios: Scenario[]): void {
      const names = new Set(scenarios.map((sc) => sc.name));
      for (const [name, reason] of expected) {
        assert.ok(names.has(name), `${listName} names an unknown scenario: "${name}"`);
        assert.ok(reason.trim(), `"${name}" needs a reason in ${listName}`);
      }
    },

    /** Merge the results of `dialect` (and the SDK versions) into the JSON file `resultsFile`. */
    record(resultsFile: string, dialect: string, scenarios: Scenario[], sdks: Record<string, string>): void {
      const previous = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown>) : {};
      const record = {
        ...previous,
        sdks,
        [dialect]: Object.fromEntries(scenarios.map((sc) => [sc.name, results.get(sc.name) ?? { status: 'fail', error: 'not run' }])),
      };
      writeFileSync(resultsFile, `${JSON.stringify(record, null, 2)}\n`);
    },
  };
}

/** The version of an installed package, read from its package.json. */
export function installedVersion(name: string): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve(name);
  const root = main.slice(0, main.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length);
  return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
}

/**
 * Silence matrix-js-sdk and return a silent {@link Logger} to hand each client. It logs through
 * loglevel at debug level and its sync loop is chatty. The module logger (a loglevel logger, typed
 * without `setLevel`) goes silent; child loggers are made at debug level with their parent's
 * methodFactory, so the root's becomes a no-op too.
 */
export function quietJsSdk(): Logger {
  const root = jsSdkLogger as unknown as { setLevel(level: 'silent'): void; methodFactory: () => () => void; rebuild(): void };
  root.setLevel('silent');
  root.methodFactory = () => () => undefined;
  root.rebuild();
  const silent: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    getChild: () => silent,
  };
  return silent;
}

/**
 * matrix-js-sdk bounds each /sync with `timeoutSignal(timeout + 80 s)`, a plain `setTimeout` that
 * stopClient's abort never clears: after the suite the process would idle ~90 s before it exits.
 * Until the returned restore is called, timers of 80 s or more are unref'd (they still fire; they
 * just keep nothing alive).
 */
export function unrefLongTimers(): () => void {
  const real = globalThis.setTimeout;
  globalThis.setTimeout = Object.assign((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = real(callback, ms, ...args);
    if ((ms ?? 0) >= 80_000) timer.unref();
    return timer;
  }, real) as typeof setTimeout;
  return () => {
    globalThis.setTimeout = real;
  };
}

/**
 * matrix-bot-sdk, loaded without its crypto. Its index requires `@matrix-org/matrix-sdk-crypto-nodejs`,
 * whose native library a postinstall script downloads from outside the npm registry (not run here:
 * package.json `allowScripts`, and no network), so loading it plainly throws "Cannot find module
 * '@matrix-org/matrix-sdk-crypto-nodejs-linux-x64-gnu'". These flows use no encryption: the module is
 * replaced by an empty one first, and anything that did use crypto would throw.
 */
export function loadBotSdk(): typeof BotSdk {
  const require = createRequire(import.meta.url);
  const fromBotSdk = createRequire(require.resolve('matrix-bot-sdk'));
  const cryptoPath = fromBotSdk.resolve('@matrix-org/matrix-sdk-crypto-nodejs');
  if (!require.cache[cryptoPath]) {
    const stub = new Module(cryptoPath);
    stub.filename = cryptoPath;
    stub.loaded = true;
    stub.exports = {};
    require.cache[cryptoPath] = stub;
  }
  return require('matrix-bot-sdk') as typeof BotSdk;
}

/** A one-line description of an SDK error: errcode, HTTP status, message and URL where there are. */
export function describeError(error: unknown): string {
  if (error instanceof MatrixError) return `${error.errcode ?? 'no errcode'} (HTTP ${error.httpStatus}): ${error.data?.error ?? error.message}${error.url ? ` [${error.url}]` : ''}`;
  if (error instanceof Error) {
    const status = (error as { httpStatus?: number }).httpStatus;
    return `${status ? `HTTP ${status}: ` : ''}${error.message}`;
  }
  return String(error);
}
