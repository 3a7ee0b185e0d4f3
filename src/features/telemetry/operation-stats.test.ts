/**
 * The request aggregate that Prometheus and the OTel metric producer read: bucket edges, outcomes,
 * calls in flight, and the bounds on failure kinds and call shapes (at the limit and one past it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '../../client/client.js';
import { McpError } from '../../protocol/errors.js';
import { McpServer } from '../../server/server.js';
import { InMemoryTransport } from '../../transports/memory.js';
import { DURATION_BUCKETS, OTHER } from './conventions.js';
import { DurationSeries, operationStats } from './operation-stats.js';

const shape = { method: 'tools/call', tool: 'echo', prompt: undefined, protocolVersion: undefined, net: undefined };

async function connected(server: McpServer): Promise<Client> {
  const client = new Client({ name: 'c', version: '1' });
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  await client.connect(ct);
  return client;
}

describe('operation stats', () => {
  it('counts a duration equal to a bound in that bucket and one just past it in the next', () => {
    const s = new DurationSeries(shape, undefined);
    s.observe(0.01);
    s.observe(0.010001);
    s.observe(1000);
    assert.equal(s.counts[0], 1);
    assert.equal(s.counts[1], 1);
    assert.equal(s.counts[DURATION_BUCKETS.length], 1, 'above every bound');
    assert.equal(s.count, 3);
    assert.ok(Math.abs(s.sum - 1000.020001) < 1e-9);
  });

  it('keeps the smallest and largest duration since the series began', () => {
    const s = new DurationSeries(shape, undefined);
    assert.equal(s.min, Infinity);
    assert.equal(s.max, -Infinity);
    for (const v of [0.003, 0.5, 0.01]) s.observe(v);
    assert.equal(s.min, 0.003);
    assert.equal(s.max, 0.5);
  });

  it('keeps successes, tool errors and failures apart, and counts calls in flight', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    server.tool('echo', {}, () => ({ content: [] }));
    server.tool('sad', {}, () => ({ content: [], isError: true }));
    server.tool('slow', {}, async () => {
      entered();
      await gate;
      return { content: [] };
    });
    const stats = operationStats(server);
    // A refusal from a later middleware (a tool's own throw becomes an isError result instead).
    server.use((call, next) => {
      if (call.target === 'bad') throw new McpError(-32602, 'no');
      return next();
    });
    server.tool('bad', {}, () => ({ content: [] }));
    assert.equal(operationStats(server), stats, 'one aggregate per server');
    const client = await connected(server);
    await client.callTool({ name: 'echo' });
    await client.callTool({ name: 'echo' });
    await client.callTool({ name: 'sad' });
    await client.callTool({ name: 'bad' }).catch(() => {});
    await client.callTool({ name: 'nope' }).catch(() => {});
    const slow = client.callTool({ name: 'slow' });
    await inside;
    assert.equal(stats.inFlight().get('tools/call'), 1);
    release();
    await slow;
    assert.equal(stats.inFlight().get('tools/call'), 0);
    const find = (tool: string, outcome: string) => stats.series().find((s) => s.shape.tool === tool && (s.failure?.outcome ?? 'ok') === outcome);
    assert.equal(find('echo', 'ok')?.count, 2);
    assert.equal(find('sad', 'tool_error')?.failure?.errorType, 'tool_error');
    assert.equal(find('bad', 'caller_error')?.failure?.statusCode, '-32602');
    // An unknown tool is labelled _OTHER (bounded), never by the name the client sent.
    assert.ok(stats.series().some((s) => s.shape.tool === OTHER));
    assert.ok(!stats.series().some((s) => s.shape.tool === 'nope'));
    await client.close();
    await server.close();
  });

  it('keeps 32 failure kinds per shape; the 33rd is counted as _OTHER', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    let code = 0;
    server.tool('fail', {}, () => ({ content: [] }));
    const stats = operationStats(server);
    server.use((call, next) => {
      if (call.method !== 'tools/call') return next();
      const e = new Error('x') as Error & { code: string };
      e.code = `E${code++}`;
      throw e;
    });
    const client = await connected(server);
    for (let i = 0; i < 32; i++) await client.callTool({ name: 'fail' }).catch(() => {});
    const kinds = () => stats.series().filter((s) => s.failure !== undefined).map((s) => s.failure!.errorType);
    assert.equal(kinds().length, 32);
    assert.ok(!kinds().includes(OTHER));
    await client.callTool({ name: 'fail' }).catch(() => {});
    await client.callTool({ name: 'fail' }).catch(() => {});
    assert.equal(kinds().length, 33);
    assert.equal(stats.series().find((s) => s.failure?.errorType === OTHER)?.count, 2);
    await client.close();
    await server.close();
  });

  it('keeps 1024 call shapes; past them new shapes share one _OTHER shape', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    // Each registered tool is a shape of its own (its name is a bounded label).
    for (let i = 0; i < 1100; i++) server.tool(`t${i}`, {}, () => ({ content: [] }));
    const stats = operationStats(server);
    const client = await connected(server);
    const shapes = () => new Set(stats.series().map((s) => s.shape)).size;
    // initialize is the first shape.
    for (let i = 0; i < 1023; i++) await client.callTool({ name: `t${i}` });
    assert.equal(shapes(), 1024);
    await client.callTool({ name: 't1023' });
    await client.callTool({ name: 't1024' });
    assert.equal(shapes(), 1025, 'one more: the _OTHER shape');
    const other = stats.series().filter((s) => s.shape.method === OTHER);
    assert.equal(other.reduce((n, s) => n + s.count, 0), 2);
    assert.ok(!stats.series().some((s) => s.shape.tool === 't1023'));
    await client.close();
    await server.close();
  });
});
