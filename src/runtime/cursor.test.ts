import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compoundCursor, parseCursor, streamCursor } from './cursor.ts';

test('compound, legacy ISO and stream cursors parse; junk does not', () => {
  assert.deepEqual(parseCursor('2026-02-21T22:01:02.123Z|42'), { kind: 'stream', after: 42 });
  assert.deepEqual(parseCursor('2026-02-21T22:01:02.123+00:00|7'), { kind: 'stream', after: 7 });
  assert.deepEqual(parseCursor('2026-02-21T22:01:02.000Z'), { kind: 'time', afterTs: Date.parse('2026-02-21T22:01:02.000Z') });
  assert.deepEqual(parseCursor('s1234'), { kind: 'stream', after: 1234 });
  for (const bad of ['', 'abc', 'nonsense|1', '2026-02-21T22:01:02Z|x', "2026-01-01|1) or (1=1", 's', 's-1', '12345']) {
    assert.equal(parseCursor(bad), null, bad);
  }
});

test('cursors render in the original and the opaque forms', () => {
  assert.equal(compoundCursor(Date.parse('2026-02-21T22:01:02.123Z'), 9), '2026-02-21T22:01:02.123Z|9');
  assert.equal(streamCursor(9), 's9');
});
