/**
 * Data at rest (issue 7, item 6): what the server creates under `DATA_PATH` is its user's alone —
 * folders 0700, the database with its -wal/-shm and the session-secret file 0600 — whatever the umask.
 * Runs under umask 0, where anything left to the defaults comes out world-readable (or writable).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { openStore } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { SQLITE_DRIVERS } from '../../src/store/sqlite/open.ts';

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

let root: string;
let umask: number;
before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'orrery-at-rest-'));
  umask = process.umask(0);
});
after(() => {
  process.umask(umask);
  rmSync(root, { recursive: true, force: true });
});

test('the session-secret file is 0600 and the DATA_PATH created for it 0700, parents included', () => {
  const dataPath = path.join(root, 'secret', 'nested', 'data');
  const config = loadConfig({ DATA_PATH: dataPath });
  assert.equal(config.dataPath, dataPath);
  assert.equal(mode(path.join(dataPath, 'session-secret')), '600');
  assert.equal(mode(dataPath), '700');
  assert.equal(mode(path.join(root, 'secret', 'nested')), '700');
  assert.equal(mode(path.join(root, 'secret')), '700');
  assert.equal(loadConfig({ DATA_PATH: dataPath }).sessionSecret, config.sessionSecret, 'read back, not regenerated');
});

for (const driver of SQLITE_DRIVERS) {
  const reason = driver.unavailableReason();
  test(`SQLite through ${driver.name}: DATA_PATH 0700; orrery.sqlite, -wal and -shm 0600`, { skip: reason ?? false }, async () => {
    const dataPath = path.join(root, driver.name.replace(/\W/g, '-'), 'data');
    const store = openStore({ dataPath, sqliteDriver: driver.name });
    try {
      await migrateToLatest(store);
      // Open for writing, so the write-ahead log and its shared-memory index exist.
      const file = path.join(dataPath, 'orrery.sqlite');
      assert.deepEqual(
        { dir: mode(dataPath), db: mode(file), wal: mode(`${file}-wal`), shm: mode(`${file}-shm`) },
        { dir: '700', db: '600', wal: '600', shm: '600' },
      );
    } finally {
      await store.close();
    }
  });
}

test('a DATA_PATH the operator made keeps its mode; the files the server creates in it are still 0600', async () => {
  const dataPath = path.join(root, 'operator');
  mkdirSync(dataPath);
  chmodSync(dataPath, 0o750);
  loadConfig({ DATA_PATH: dataPath });
  const store = openStore({ dataPath });
  try {
    await migrateToLatest(store);
  } finally {
    await store.close();
  }
  assert.equal(mode(dataPath), '750');
  assert.equal(mode(path.join(dataPath, 'session-secret')), '600');
  assert.equal(mode(path.join(dataPath, 'orrery.sqlite')), '600');
});
