#!/usr/bin/env node
// Runs the whole suite with Node's test runner: unit tests beside the code (src/**/*.test.ts) and
// integration tests (test/**/*.test.ts), once on SQLite and once on PostgreSQL, then the browser tests.
// PostgreSQL: ORRERY_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). When it is not
// reachable the PostgreSQL run is skipped with a notice, unless ORRERY_REQUIRE_POSTGRES=1 (CI).
// Browser tests need Chromium (CHROMIUM_PATH or /usr/bin/chromium); skipped with a notice unless
// ORRERY_REQUIRE_BROWSER=1. Extra arguments filter test files by substring.
// Skips show in the closing line: tests skipped or todo, the tests inside a skipped `describe` (listed
// without running, test/helpers/list-tests.mjs), and every test of a pass that could not run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const filters = process.argv.slice(2);

function find(dir, re, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) find(p, re, out);
    else if (re.test(name)) out.push(path.relative(root, p));
  }
  return out.sort();
}
const pick = (files) => (filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files);

const unitAndIntegration = pick([...find(path.join(root, 'src'), /\.test\.ts$/), ...find(path.join(root, 'test'), /(?<!\.browser)\.test\.ts$/)]);
const browser = pick(find(path.join(root, 'test'), /\.browser\.test\.ts$/));

const totals = { pass: 0, fail: 0, skipped: 0 };
const reporter = path.join(root, 'test/helpers/count-reporter.mjs');
const lister = path.join(root, 'test/helpers/list-tests.mjs');
const nodeTest = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-concurrency=2'];

/** `ℹ <key> N` of the spec reporter's summary. */
const summary = (stdout, key) => Number(new RegExp(`^ℹ ${key} (\\d+)`, 'm').exec(stdout)?.[1] ?? 0);

/** Tests `files` declare, counted in list mode (test/helpers/list-tests.mjs: nothing runs), per file. */
function listTests(files, env) {
  if (!files.length) return new Map();
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'orrery-list-')), 'counts.json');
  const r = spawnSync(process.execPath, ['--import', lister, ...nodeTest, `--test-reporter=${reporter}`, `--test-reporter-destination=${out}`, ...files], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const counts = readCounts(out);
  if (r.status !== 0) console.log(`notice: listing the tests of ${files.join(', ')} failed; the skipped count may be short\n${r.stdout}${r.stderr}`);
  return counts;
}

/** The count reporter's output as a map of repository-relative file → { tests, skippedSuites }. */
function readCounts(file) {
  const counts = new Map();
  if (!existsSync(file)) return counts;
  for (const [f, c] of Object.entries(JSON.parse(readFileSync(file, 'utf8')).files)) counts.set(path.relative(root, f), c);
  rmSync(path.dirname(file), { recursive: true, force: true });
  return counts;
}

/**
 * Run `files`, add the summary to the totals and return the tests declared per file. A skipped
 * `describe` is reported without its tests, so files with one are listed to count those as skipped.
 */
function run(label, files, env) {
  if (!files.length) return new Map();
  console.log(`\n=== ${label}: ${files.length} file(s) ===`);
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'orrery-run-')), 'counts.json');
  const r = spawnSync(
    process.execPath,
    [...nodeTest, `--test-reporter=${reporter}`, `--test-reporter-destination=${out}`, '--test-timeout=120000', ...files],
    { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  process.stdout.write(r.stdout);
  const ran = readCounts(out);
  const listed = listTests([...ran].filter(([, c]) => c.skippedSuites > 0).map(([f]) => f), env);
  let hidden = 0;
  for (const [f, c] of listed) {
    const missing = Math.max(0, c.tests - (ran.get(f)?.tests ?? 0));
    hidden += missing;
    ran.set(f, { tests: (ran.get(f)?.tests ?? 0) + missing, skippedSuites: 0 });
  }
  if (hidden) console.log(`notice: ${hidden} test(s) in skipped suites counted as skipped`);
  totals.pass += summary(r.stdout, 'pass');
  totals.fail += summary(r.stdout, 'fail') + summary(r.stdout, 'cancelled') + (r.status !== 0 && summary(r.stdout, 'fail') === 0 ? 1 : 0);
  totals.skipped += summary(r.stdout, 'skipped') + summary(r.stdout, 'todo') + hidden;
  return ran;
}

/** A pass that cannot run: every test it would have run counts as skipped. */
function skipPass(label, notice, tests) {
  console.log(`notice: ${notice}; ${tests} ${label} test(s) skipped`);
  totals.skipped += tests;
}
const sum = (counts) => [...counts.values()].reduce((n, c) => n + c.tests, 0);

async function postgresReachable(url) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

if (!existsSync(path.join(root, 'dist/web/index.html')) && browser.length) {
  console.log('building the web UI for the browser tests…');
  spawnSync('npm', ['run', 'build:web'], { cwd: root, stdio: 'inherit' });
}

const sqlite = run('sqlite', unitAndIntegration, { ORRERY_TEST_DB: 'sqlite' });

// The PostgreSQL pass runs the integration tests again; the SQLite pass has counted what they declare.
const integration = unitAndIntegration.filter((f) => f.startsWith('test/'));
const pgUrl = process.env.ORRERY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
if (await postgresReachable(pgUrl)) {
  run('postgres', integration, { ORRERY_TEST_DB: 'postgres', ORRERY_TEST_DATABASE_URL: pgUrl });
} else {
  const tests = integration.reduce((n, f) => n + (sqlite.get(f)?.tests ?? 0), 0);
  if (process.env.ORRERY_REQUIRE_POSTGRES === '1') {
    console.log(`PostgreSQL required but not reachable at ${pgUrl}`);
    totals.fail += 1;
  }
  skipPass('PostgreSQL', `PostgreSQL not reachable at ${pgUrl}`, tests);
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(chromium)) run('browser', browser, { CHROMIUM_PATH: chromium });
else if (browser.length) {
  if (process.env.ORRERY_REQUIRE_BROWSER === '1') {
    console.log(`Chromium required but not found at ${chromium}`);
    totals.fail += 1;
  }
  skipPass('browser', `Chromium not found at ${chromium}`, sum(listTests(browser, {})));
}

console.log(`\n${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(totals.fail ? 1 : 0);
