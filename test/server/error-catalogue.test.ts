import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CATALOGUE } from '../../src/server/error-catalogue.ts';
import { STATUS_OF_KIND } from '../../src/server/errors.ts';

test('docs/errors.md lists every error code with its status, and no stale ones', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const codes = new Set<string>();
  for (const catalogue of Object.values(ERROR_CATALOGUE)) {
    for (const spec of Object.values(catalogue)) {
      codes.add(spec.code);
      const row = doc.split('\n').find((l) => l.includes(`\`${spec.code}\``));
      assert.ok(row, `${spec.code} is documented`);
      assert.ok(row.includes(`| ${STATUS_OF_KIND[spec.kind]} |`), `${spec.code} row names its status`);
    }
  }
  const documented = [...doc.matchAll(/`(ORR_[A-Z_]+)`/g)].map((m) => m[1]!);
  for (const code of documented) assert.ok(codes.has(code), `${code} in docs/errors.md is not in the catalogue`);
});
