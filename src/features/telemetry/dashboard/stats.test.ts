/**
 * Merging the figures of several workers (what the supervisor does under --cluster): counts add
 * up, and p50/p99 come from the union of the workers' duration windows, so one slow worker shows
 * in the cluster's p99 instead of being averaged away.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeParts, type StatsPart } from './stats.js';

const part = (over: Partial<StatsPart>): StatsPart => ({
  at: 0,
  sessions: 0,
  sessionsOpenedByTransport: {},
  requests: 0,
  errors: 0,
  inFlight: 0,
  methods: [],
  tools: [],
  recentErrors: [],
  nodes: undefined,
  ...over,
});

describe('dashboard figures merged across workers', () => {
  it('sums counts and takes quantiles over the union of the windows', () => {
    const fast = Array.from({ length: 98 }, () => 1);
    const slow = [500, 600];
    const s = mergeParts([
      part({ sessions: 1, requests: 98, inFlight: 2, sessionsOpenedByTransport: { http: 1 }, tools: [{ name: 'echo', count: 98, errors: 0, window: fast }], recentErrors: [{ at: 5, method: 'tools/call', target: 'echo', type: 'tool_error', message: 'a' }] }),
      part({ sessions: 2, requests: 2, errors: 1, sessionsOpenedByTransport: { http: 1, ws: 1 }, tools: [{ name: 'echo', count: 2, errors: 1, window: slow }], recentErrors: [{ at: 9, method: 'tools/call', target: 'echo', type: '-32603', message: 'b' }], nodes: 3 }),
    ]);
    assert.equal(s.sessions, 3);
    assert.equal(s.requests, 100);
    assert.equal(s.errors, 1);
    assert.equal(s.inFlight, 2);
    assert.deepEqual(s.sessionsOpenedByTransport, { http: 2, ws: 1 });
    assert.deepEqual(s.tools, [{ name: 'echo', count: 100, errors: 1, p50: 1, p99: 500 }]);
    assert.deepEqual(
      s.recentErrors.map((e) => e.message),
      ['b', 'a'],
    );
    assert.equal(s.nodes, 3);
    assert.equal(s.workers, 2);
  });

  it('one process: its own figures, no worker count', () => {
    const s = mergeParts([part({ requests: 4, methods: [{ name: 'ping', count: 4, errors: 0, window: [2, 4, 1, 3] }] })]);
    assert.deepEqual(s.methods, [{ name: 'ping', count: 4, errors: 0, p50: 2, p99: 4 }]);
    assert.equal(s.workers, undefined);
  });
});
