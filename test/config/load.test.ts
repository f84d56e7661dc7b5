import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { OPTION_DOCS, envSchema } from '../../src/config/options.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'orrery-config-'));

test('defaults: port 5053, admin 5054, SQLite under ./data, runtime mode, server name localhost', () => {
  const c = loadConfig({ DATA_PATH: tmp() });
  assert.equal(c.port, 5053);
  assert.equal(c.adminPort, 5054);
  assert.equal(c.databaseUrl, undefined);
  assert.deepEqual(c.serverModes, ['runtime']);
  assert.equal(c.serverName, 'localhost');
  assert.equal(c.baseUrl, 'http://localhost:5053');
  assert.equal(c.registration.policy, 'open');
});

test('each invalid value is one line naming the variable and the reason', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /^PORT must be an integer 1-65535, got "abc"$/],
    [{ ADMIN_PORT: '70000' }, /^ADMIN_PORT must be an integer 1-65535, got "70000"$/],
    [{ SERVER_MODE: 'turbo' }, /^SERVER_MODE must be runtime, agent, debugger, embodiment or a comma list of them, got "turbo"$/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must be a postgres: or postgresql: URL/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
    [{ RATE_LIMIT_MAX: '0' }, /^RATE_LIMIT_MAX must be an integer 1-/],
    [{ REGISTRATION_POLICY: 'token' }, /^REGISTRATION_TOKEN is required when REGISTRATION_POLICY=token$/],
    [{ SESSION_SECRET: 'short' }, /^SESSION_SECRET must be at least 32 characters/],
    [{ NODE_ENV: 'production' }, /^SESSION_SECRET is required when NODE_ENV=production$/],
    [{ SERVER_NAME: 'bad name!' }, /^SERVER_NAME must be a hostname/],
    [{ RATE_LIMIT_ALLOW_LOOPBACK: 'maybe' }, /^RATE_LIMIT_ALLOW_LOOPBACK must be true or false/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig({ DATA_PATH: tmp(), ...env }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, message);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  }
});

test('CLI overrides win over the environment', () => {
  const c = loadConfig({ DATA_PATH: tmp(), PORT: '6000' }, { PORT: '6001', SERVER_MODE: 'agent, debugger' });
  assert.equal(c.port, 6001);
  assert.deepEqual(c.serverModes, ['agent', 'debugger']);
});

test('development generates a session secret once and keeps it under DATA_PATH', () => {
  const dir = tmp();
  const a = loadConfig({ DATA_PATH: dir });
  const b = loadConfig({ DATA_PATH: dir });
  assert.equal(a.sessionSecret, b.sessionSecret);
  assert.equal(readFileSync(path.join(dir, 'session-secret'), 'utf8').trim(), a.sessionSecret);
});

test('every option is documented in OPTION_DOCS and in the README table', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const key of Object.keys(envSchema.shape)) {
    assert.ok(OPTION_DOCS[key as keyof typeof OPTION_DOCS], `${key} has a doc line`);
    assert.ok(readme.includes(`\`${key}\``), `${key} is in the README configuration table`);
  }
});
