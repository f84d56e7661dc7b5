/**
 * List mode for `node --test`: preloaded with `--import`, it turns every test into a skipped one and
 * every hook into a no-op, and runs the bodies of skipped suites so that their tests are declared.
 * The runner's `ℹ skipped N` is then the number of tests the files declare, found without starting a
 * server or a browser. scripts/test.mjs uses it to count the tests of a pass it cannot run (no
 * PostgreSQL, no Chromium) and the tests hidden in a skipped `describe` (Node counts none of those).
 * Subtests made inside a running test (`t.test`) are not declared, so they are not counted.
 *
 * Works on the named exports of `node:test` (`import { test } from 'node:test'`), which
 * `syncBuiltinESMExports` rebinds to the patched functions; the default export cannot be patched.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { LISTED } from './count-reporter.mjs';

const require = createRequire(import.meta.url);
const nodeTest = require('node:test');
const noop = () => undefined;
// The skip reason names the file: the runner would attribute the tests to this preload, their caller.
const reason = LISTED + process.argv[1];

/** `(name?, options?, fn?)` as node:test accepts them, split. */
function split(args) {
  const [first, second] = args;
  const name = typeof first === 'function' ? first.name : first;
  const options = typeof second === 'object' && second !== null ? second : {};
  const fn = args.find((a) => typeof a === 'function');
  return { name, options, fn };
}

/** A test function whose tests are declared but skipped. */
function listedTest(original) {
  const listed = (...args) => {
    const { name, options } = split(args);
    return original(name, { ...options, skip: reason, todo: false, only: false }, noop);
  };
  listed.skip = listed.todo = listed.only = listed;
  return listed;
}

/** A suite function that always runs its body, so that every test in it is declared. */
function listedSuite(original) {
  const listed = (...args) => {
    const { name, options, fn } = split(args);
    return original(name, { ...options, skip: false, todo: false, only: false }, fn ?? noop);
  };
  listed.skip = listed.todo = listed.only = listed;
  return listed;
}

nodeTest.test = listedTest(nodeTest.test);
nodeTest.it = listedTest(nodeTest.it);
nodeTest.describe = listedSuite(nodeTest.describe);
nodeTest.suite = listedSuite(nodeTest.suite);
nodeTest.before = nodeTest.after = nodeTest.beforeEach = nodeTest.afterEach = noop;
syncBuiltinESMExports();
