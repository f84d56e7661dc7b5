/**
 * What the server accepts before a route sees it, the same on both databases.
 * - Issue 7 item 7: NUL bytes (`{"label":"a\u0000b"}`) gave 500 with a stack trace on PostgreSQL and
 *   were stored on SQLite; now a clear 400 on both, and no 500 carries a stack outside `NODE_ENV=test`.
 * - Item 11: PowerShell's `Invoke-RestMethod -Method Post` without a body sends
 *   `Content-Type: application/x-www-form-urlencoded` and nothing; `POST /api/runtime/presence`
 *   answered 415, so the original `runtime-heartbeat.ps1` failed. The original runtime API also
 *   parsed JSON sent as `text/plain` or with no content type.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { createApp } from '../../src/app.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { freshStore, startTestServer, type TestServer } from '../helpers/server.ts';
import { linkedUser, type LinkedUser } from '../runtime/helpers.ts';

/** A raw request with exactly these headers and body (no client defaults). */
async function raw(s: TestServer, method: string, url: string, headers: Record<string, string>, body?: string) {
  const res = await fetch(s.url + url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: json, text };
}

describe('text PostgreSQL refuses, and bodies of every content type', () => {
  let s: TestServer;
  let u: LinkedUser;
  before(async () => {
    s = await startTestServer({ RUNTIME_SHARED_MIN_GAP_MS: '0' });
    u = await linkedUser(s, 'typist');
  });
  after(() => s.close());

  test('NUL in a body field, a nested key, a query or a path answers 400 ORR_NUL_IN_TEXT, and nothing is stored', async () => {
    const cases: Array<[string, string, unknown, 'web' | 'bot']> = [
      ['POST', '/api/auth/tokens', { label: 'a\u0000b' }, 'web'],
      ['POST', '/api/runtime/invite/claim', { code: 'kzinv_x', label: 'a\u0000b' }, 'web'],
      ['POST', '/api/runtime/shared', { content: 'hello\u0000world' }, 'bot'],
      ['POST', '/api/runtime/shared', { content: 'fine', ['k\u0000']: 1 }, 'bot'],
      ['GET', '/api/runtime/feed?after=s1%00', undefined, 'bot'],
      ['POST', '/api/auth/register', { username: 'nul\u0000user', password: 'password-nul' }, 'web'],
    ];
    for (const [method, url, body, who] of cases) {
      const r = await u[who].req(method, url, body);
      assert.equal(r.status, 400, `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'ORR_NUL_IN_TEXT');
      assert.equal(r.body.stack, undefined);
    }
    const feed = await u.bot.get('/api/runtime/feed');
    assert.ok(!feed.body.messages.some((m: { content: string }) => m.content.includes('world')));
  });

  test('a NUL request without credentials is still a 401 first', async () => {
    const r = await raw(s, 'POST', '/api/auth/tokens', { 'content-type': 'application/json' }, JSON.stringify({ label: 'a\u0000b' }));
    assert.equal(r.status, 401);
  });

  test('PowerShell heartbeats: an empty form-encoded body (and an empty body of any type) is no body', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/json', 'application/octet-stream']) {
      const r = await raw(s, 'POST', '/api/runtime/presence', { authorization: `Bearer ${u.token}`, 'content-type': type }, '');
      assert.equal(r.status, 200, `${type}: ${r.status} ${r.text}`);
    }
    const none = await raw(s, 'POST', '/api/runtime/presence', { authorization: `Bearer ${u.token}` });
    assert.equal(none.status, 200);
    // Outside the runtime routes too (body-less routes).
    const web = await u.web.req('POST', '/api/auth/logout', '', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(web.status, 200);
  });

  test('runtime routes read JSON sent as text/plain or with no content type, as the original did', async () => {
    const asText = await raw(s, 'POST', '/api/runtime/shared', { authorization: `Bearer ${u.token}`, 'content-type': 'text/plain' }, JSON.stringify({ content: 'sent as text' }));
    assert.equal(asText.status, 200, asText.text);
    const untyped = await fetch(`${s.url}/api/runtime/shared`, {
      method: 'POST',
      headers: { authorization: `Bearer ${u.token}` },
      body: new Blob([JSON.stringify({ content: 'sent untyped' })]), // a Blob with no type sends no content-type
    });
    assert.equal(untyped.status, 200, await untyped.text());
    const bad = await raw(s, 'POST', '/api/runtime/shared', { authorization: `Bearer ${u.token}`, 'content-type': 'text/plain' }, '{not json');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid json body');
  });

  test('elsewhere, a non-empty body of a type no route reads is 415', async () => {
    const r = await raw(s, 'POST', '/api/auth/login', { 'content-type': 'application/x-www-form-urlencoded' }, 'username=a&password=b');
    assert.equal(r.status, 415);
    assert.equal(r.body.code, 'ORR_UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('a crash never shows its stack outside NODE_ENV=test', () => {
  for (const [nodeEnv, shows] of [['development', false], ['production', false], ['test', true]] as const) {
    test(`NODE_ENV=${nodeEnv}: ${shows ? 'stack' : 'no stack'}`, async () => {
      const dataPath = mkdtempSync(path.join(tmpdir(), 'orrery-crash-'));
      const db = await freshStore(dataPath);
      try {
        await migrateToLatest(db.store);
        const config = loadConfig({
          NODE_ENV: nodeEnv,
          DATA_PATH: dataPath,
          LOG_LEVEL: 'silent',
          SESSION_SECRET: 'test-secret-test-secret-test-secret-1234',
          ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
        });
        const { app } = await createApp({ config, store: db.store });
        app.get('/crash', async () => {
          throw new Error('secret internals at /srv/orrery/src/whatever.ts');
        });
        const r = await app.inject({ method: 'GET', url: '/crash' });
        assert.equal(r.statusCode, 500);
        const body = r.json();
        assert.equal(body.code, 'ORR_INTERNAL');
        assert.ok(body.correlation_id);
        assert.equal('stack' in body, shows);
        assert.equal(r.body.includes('secret internals'), shows);
        await app.close();
      } finally {
        await db.drop();
        rmSync(dataPath, { recursive: true, force: true });
      }
    });
  }
});
