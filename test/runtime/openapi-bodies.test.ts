/**
 * Regression (issue 7 item 17): eight runtime routes took `z.record(z.unknown())` and converted by
 * hand, so `/openapi.json` described none of their bodies. Every runtime route that reads a body now
 * declares its fields, and the original's errors survive (a wrong type reads as absent).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/server.ts';

/** Runtime routes that take a body, and the fields the original read from it. */
const BODIES: Record<string, string[]> = {
  '/api/runtime/invite/create': ['ttlMinutes'],
  '/api/runtime/invite/claim': ['code', 'label'],
  '/api/runtime/shared': ['content'],
  '/api/runtime/token': ['label'],
  '/api/runtime/token/rotate': ['token', 'label'],
  '/api/runtime/token/revoke': ['token', 'tokenHash', 'revokeAllForUser', 'userId', 'username'],
};

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

test('/openapi.json documents every field of every runtime request body', async () => {
  const spec = (await t.client().get('/openapi.json')).body;
  for (const [path, fields] of Object.entries(BODIES)) {
    const schema = spec.paths[path]?.post?.requestBody?.content?.['application/json']?.schema;
    assert.ok(schema, `${path} has a request body schema`);
    const object = (schema.anyOf ?? [schema]).find((s: { type?: string }) => s.type === 'object');
    assert.deepEqual(Object.keys(object?.properties ?? {}).sort(), [...fields].sort(), `${path} fields`);
    for (const field of fields) assert.ok(object.properties[field].type || object.properties[field].anyOf, `${path}.${field} has a type`);
  }
});
