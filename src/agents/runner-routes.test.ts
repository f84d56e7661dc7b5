/** The smart router's decision from headers alone (research/smythos.md §4, §12 item 3), in priority order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { debugHeadersOf, routeByHeaders } from './runner-routes.ts';

test('routeByHeaders: X-FORCE-AGENT-RUNNER, then any debug header (even empty), then X-FORCE-DEBUGGER, then X-ROUTING-MODE', () => {
  assert.equal(routeByHeaders({}).target, 'agent-runner');
  for (const h of ['x-debug-run', 'x-debug-read', 'x-debug-inj', 'x-debug-stop', 'x-debug-skip', 'x-monitor-id']) {
    assert.equal(routeByHeaders({ [h]: '' }).target, 'debugger', h);
    assert.equal(routeByHeaders({ [h]: '', 'x-force-agent-runner': '' }).target, 'agent-runner', `${h} under X-FORCE-AGENT-RUNNER`);
  }
  assert.equal(routeByHeaders({ 'x-force-debugger': '' }).target, 'debugger');
  assert.equal(routeByHeaders({ 'x-routing-mode': 'agent-runner', 'x-force-debugger': '' }).target, 'debugger', 'X-FORCE-DEBUGGER before X-ROUTING-MODE');
  assert.equal(routeByHeaders({ 'x-routing-mode': 'debugger' }).target, 'debugger');
  assert.equal(routeByHeaders({ 'x-routing-mode': 'agent-runner' }).target, 'agent-runner');
  assert.match(routeByHeaders({ 'x-debug-read': 'x' }).reason, /X-DEBUG-READ/);
});

test('debugHeadersOf: absent is undefined, empty is "", monitor ids split and trimmed', () => {
  assert.deepEqual(debugHeadersOf({ 'x-debug-run': '', 'x-monitor-id': ' a, b ,,c ' }), { run: '', read: undefined, inject: undefined, stop: undefined, skip: undefined, monitorIds: ['a', 'b', 'c'] });
});
