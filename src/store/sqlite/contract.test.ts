/**
 * One contract for every SQLite driver (sqlite/<name>/driver.ts): the same queries through the store,
 * on the real migrations, with the same answers. A driver the running Node cannot use is reported as
 * skipped with its reason (better-sqlite3 on Node 24, node:sqlite on Node 20), so each Node runs what
 * it has and the counts show what it did not; the last test checks both gave identical results.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { isUniqueViolation, openStore, type Store } from '../database.ts';
import { migrateToLatest } from '../migrate.ts';
import { chooseSqliteDriver, SQLITE_DRIVERS } from './open.ts';
import type { SqliteDriverName } from './types.ts';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** What each driver answered, by check name, for the cross-driver comparison. */
const answers = new Map<SqliteDriverName, Record<string, unknown>>();

const user = (localpart: string, createdAt = 1_700_000_000_000) => ({
  user_id: `@${localpart}:localhost`,
  localpart,
  password_hash: null,
  display_name: null,
  is_admin: 0,
  created_at: createdAt,
  sessions_revoked_at: null,
  deactivated_at: null,
});

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  assert.fail('expected the query to fail');
}

for (const driver of SQLITE_DRIVERS) {
  const reason = driver.unavailableReason();
  // Skipped test by test, not as a suite, so each one shows in the run's skipped count.
  const it = (name: string, fn: () => Promise<void>) => test(name, { skip: reason ?? false }, fn);
  describe(`SQLite driver ${driver.name}`, () => {
    let store: Store;
    const answer: Record<string, unknown> = {};
    answers.set(driver.name, answer);
    const open = async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'orrery-sqlite-'));
      dirs.push(dir);
      const opened = openStore({ dataPath: dir, sqliteDriver: driver.name });
      await migrateToLatest(opened);
      return opened;
    };
    after(() => store?.close());

    it('runs the migrations and applies the pragmas (WAL, foreign keys, 5000 ms busy timeout, synchronous NORMAL)', async () => {
      store = await open();
      const pragma = async (name: string) => (await sql.raw(`pragma ${name}`).execute(store.db)).rows[0];
      answer.pragmas = {
        journal_mode: await pragma('journal_mode'),
        foreign_keys: await pragma('foreign_keys'),
        busy_timeout: await pragma('busy_timeout'),
        synchronous: await pragma('synchronous'),
      };
      assert.deepEqual(answer.pragmas, {
        journal_mode: { journal_mode: 'wal' },
        foreign_keys: { foreign_keys: 1 },
        busy_timeout: { timeout: 5000 },
        synchronous: { synchronous: 1 },
      });
    });

    it('insert … returning gives plain-object rows; integers up to 2^53 - 1 come back as numbers', async () => {
      const rows = await store.db
        .insertInto('users')
        .values(user('alice', Number.MAX_SAFE_INTEGER))
        .returning(['user_id', 'created_at', 'is_admin', 'password_hash'])
        .execute();
      assert.deepStrictEqual(rows, [{ user_id: '@alice:localhost', created_at: Number.MAX_SAFE_INTEGER, is_admin: 0, password_hash: null }]);
      assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype);
      answer.returning = rows;
    });

    it('insert without returning reports the new rowid and the row count as bigints (Kysely)', async () => {
      await store.db.insertInto('users').values(user('bob')).execute();
      const result = await store.db
        .insertInto('access_tokens')
        .values({ token_hash: 'h1', user_id: '@bob:localhost', kind: 'api', label: 'a', created_at: 1, last_used_at: null, expires_at: null, revoked_at: null })
        .executeTakeFirstOrThrow();
      assert.equal(result.insertId, 1n);
      assert.equal(result.numInsertedOrUpdatedRows, 1n);
      const selected = await store.db.selectFrom('access_tokens').select(['token_id', 'label']).where('token_id', '=', Number(result.insertId)).execute();
      assert.deepStrictEqual(selected, [{ token_id: 1, label: 'a' }]);
      answer.insert = { insertId: result.insertId, rows: result.numInsertedOrUpdatedRows, selected };
    });

    it('update and delete report affected rows; limit and offset bind numbers; the statement cache keeps parameters apart', async () => {
      for (const name of ['carol', 'dave', 'erin']) await store.db.insertInto('users').values(user(name)).execute();
      const updated = await store.db.updateTable('users').set({ is_admin: 1 }).where('localpart', 'in', ['carol', 'dave']).executeTakeFirstOrThrow();
      assert.equal(updated.numUpdatedRows, 2n);
      const page = async (limit: number, offset: number) =>
        (await store.db.selectFrom('users').select('localpart').orderBy('localpart').limit(limit).offset(offset).execute()).map((r) => r.localpart);
      assert.deepEqual(await page(2, 0), ['alice', 'bob']);
      assert.deepEqual(await page(2, 2), ['carol', 'dave']);
      assert.deepEqual(await page(10, 4), ['erin']);
      const deleted = await store.db.deleteFrom('users').where('localpart', '=', 'erin').executeTakeFirstOrThrow();
      assert.equal(deleted.numDeletedRows, 1n);
      const count = await store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.deepStrictEqual(count, { n: 4 });
      answer.update = { updated: updated.numUpdatedRows, deleted: deleted.numDeletedRows, count };
    });

    it('a transaction commits as one; a throw inside rolls all of it back', async () => {
      await store.db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values(user('frank')).execute();
        await trx.insertInto('users').values(user('grace')).execute();
      });
      await assert.rejects(
        store.db.transaction().execute(async (trx) => {
          await trx.insertInto('users').values(user('heidi')).execute();
          throw new Error('abort');
        }),
        /abort/,
      );
      const names = (await store.db.selectFrom('users').select('localpart').where('localpart', 'in', ['frank', 'grace', 'heidi']).execute()).map((r) => r.localpart);
      assert.deepEqual(names.sort(), ['frank', 'grace']);
      answer.transaction = names.sort();
    });

    it('isUniqueViolation recognises unique and primary-key violations, and nothing else', async () => {
      const unique = await caught(() => store.db.insertInto('users').values({ ...user('alice'), user_id: '@other:localhost' }).execute());
      const primaryKey = await caught(() => store.db.insertInto('users').values({ ...user('zed'), user_id: '@alice:localhost' }).execute());
      const foreignKey = await caught(() =>
        store.db.insertInto('sessions').values({ session_hash: 's', user_id: '@nobody:localhost', created_at: 1, expires_at: 2, last_seen_at: 1, revoked_at: null, user_agent: null }).execute(),
      );
      const notNull = await caught(() => sql`insert into users (user_id, localpart, created_at) values ('@x:localhost', 'x', null)`.execute(store.db));
      assert.equal(isUniqueViolation(unique), true, String(unique));
      assert.equal(isUniqueViolation(primaryKey), true, String(primaryKey));
      assert.equal(isUniqueViolation(foreignKey), false, String(foreignKey));
      assert.equal(isUniqueViolation(notNull), false, String(notNull));
      assert.equal(isUniqueViolation(new Error('UNIQUE constraint failed')), false);
      assert.equal(isUniqueViolation(undefined), false);
      answer.errors = [unique, primaryKey, foreignKey, notNull].map((e) => (e as Error).message);
    });

    it('a transaction that read first still writes when another connection writes the file meanwhile (begin immediate: two processes)', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'orrery-sqlite-'));
      dirs.push(dir);
      const a = openStore({ dataPath: dir, sqliteDriver: driver.name });
      await migrateToLatest(a);
      const b = openStore({ dataPath: dir, sqliteDriver: driver.name });
      try {
        // The other connection does not wait (a real second process waits up to busy_timeout).
        await sql`pragma busy_timeout = 0`.execute(b.db);
        let other: unknown;
        await a.db.transaction().execute(async (trx) => {
          await trx.selectFrom('users').select('user_id').execute();
          // better-sqlite3 says SQLITE_BUSY, node:sqlite ERR_SQLITE_ERROR "database is locked".
          other = await b.db.insertInto('users').values(user('other')).execute().then(() => 'written', (error: Error) => (/busy|locked/i.test(`${(error as { code?: string }).code} ${error.message}`) ? 'busy' : error.message));
          await trx.insertInto('users').values(user('mine')).execute();
        });
        // Deferred `begin` let the other write in and then failed this one (SQLITE_BUSY_SNAPSHOT).
        assert.equal(other, 'busy');
        const rows = await a.db.selectFrom('users').select('localpart').where('localpart', 'in', ['mine', 'other']).execute();
        assert.deepEqual(rows.map((r) => r.localpart), ['mine']);
      } finally {
        await b.close();
        await a.close();
      }
    });

    it('close is idempotent and the file opens again with its data', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'orrery-sqlite-'));
      dirs.push(dir);
      const first = openStore({ dataPath: dir, sqliteDriver: driver.name });
      await migrateToLatest(first);
      await first.db.insertInto('users').values(user('ivan')).execute();
      await first.close();
      await first.close();
      const second = openStore({ dataPath: dir, sqliteDriver: driver.name });
      try {
        assert.deepEqual((await migrateToLatest(second)).applied, []);
        const row = await second.db.selectFrom('users').select('localpart').executeTakeFirstOrThrow();
        assert.deepStrictEqual(row, { localpart: 'ivan' });
        await second.ping();
      } finally {
        await second.close();
      }
    });
  });
}

test('every usable driver gave the same answers to the same queries', (t) => {
  const [first, ...rest] = [...answers.entries()].filter(([, answer]) => Object.keys(answer).length > 0);
  if (!first || rest.length === 0) {
    t.skip(`only ${first?.[0] ?? 'no driver'} is usable in Node ${process.versions.node}`);
    return;
  }
  for (const [name, answer] of rest) assert.deepStrictEqual(answer, first[1], `${name} differs from ${first[0]}`);
});

test('a driver the running Node cannot use fails at open with its reason and what to do', (t) => {
  const unusable = SQLITE_DRIVERS.filter((driver) => driver.unavailableReason() !== undefined);
  if (unusable.length === 0) t.skip(`every driver is usable in Node ${process.versions.node}`);
  for (const driver of unusable) {
    assert.throws(() => chooseSqliteDriver(driver.name), (error: Error) => {
      assert.ok(error.message.includes(driver.unavailableReason()!), error.message);
      assert.match(error.message, /DATABASE_URL/);
      return true;
    });
  }
});
