#!/usr/bin/env node
// Runs the whole suite with Node's test runner: unit tests beside the code (src/**/*.test.ts) and
// integration tests (test/**/*.test.ts), once on SQLite and once on PostgreSQL, then the browser tests.
// PostgreSQL: ORRERY_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). When it is not
// reachable the PostgreSQL run is skipped with a notice, unless ORRERY_REQUIRE_POSTGRES=1 (CI).
// Browser tests need Chromium (CHROMIUM_PATH or /usr/bin/chromium); skipped with a notice unless
// ORRERY_REQUIRE_BROWSER=1. Extra arguments filter test files by substring.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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
function run(label, files, env) {
  if (!files.length) return;
  console.log(`\n=== ${label}: ${files.length} file(s) ===`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=120000', ...files],
    { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  process.stdout.write(r.stdout);
  const count = (k) => Number(new RegExp(`^ℹ ${k} (\\d+)`, 'm').exec(r.stdout)?.[1] ?? 0);
  totals.pass += count('pass');
  totals.fail += count('fail') + count('cancelled') + (r.status !== 0 && count('fail') === 0 ? 1 : 0);
  totals.skipped += count('skipped');
}

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

run('sqlite', unitAndIntegration, { ORRERY_TEST_DB: 'sqlite' });

const pgUrl = process.env.ORRERY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
if (await postgresReachable(pgUrl)) {
  run('postgres', unitAndIntegration.filter((f) => f.startsWith('test/')), { ORRERY_TEST_DB: 'postgres', ORRERY_TEST_DATABASE_URL: pgUrl });
} else if (process.env.ORRERY_REQUIRE_POSTGRES === '1') {
  console.log(`PostgreSQL required but not reachable at ${pgUrl}`);
  totals.fail += 1;
} else {
  console.log(`notice: PostgreSQL not reachable at ${pgUrl}; PostgreSQL tests skipped`);
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(chromium)) run('browser', browser, { CHROMIUM_PATH: chromium });
else if (process.env.ORRERY_REQUIRE_BROWSER === '1' && browser.length) {
  console.log(`Chromium required but not found at ${chromium}`);
  totals.fail += 1;
} else if (browser.length) console.log(`notice: Chromium not found at ${chromium}; browser tests skipped`);

console.log(`\n${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(totals.fail ? 1 : 0);
