/**
 * The gateway with the pool (client/pool: sessions, circuit breaker) and the two-level cache
 * (features/cache) per upstream, configured in the gateway config, in front of the official
 * server-everything and a hung stdio server.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Client } from '../../src/client/index.js';
import { McpError } from '../../src/protocol/errors.js';
import { Gateway } from '../../src/gateway/index.js';
import { InMemoryTransport } from '../../src/transports/memory.js';
import { until } from '../helpers/pair.js';
import { everythingStdio, memoryStdio, startedGateway } from './upstreams.js';

const HUNG = fileURLToPath(new URL('./fixtures/hung-server.js', import.meta.url));
const ASKING = fileURLToPath(new URL('./fixtures/asking-server.js', import.meta.url));

const started = (config: unknown) => startedGateway(config, 'pool-cache');

describe('gateway: pool, breaker and cache per upstream', () => {
  const open: Gateway[] = [];
  after(async () => {
    for (const g of open) await g.close();
  });

  it('serves an upstream through a pool of sessions', async () => {
    const { gateway, client } = await started({ upstreams: { ev: everythingStdio({ pool: { minSessions: 2, maxSessions: 2 } } as never) } });
    open.push(gateway);
    const h = gateway.upstream('ev')!.health();
    assert.equal(h.state, 'ready');
    assert.equal(h.pool?.sessions, 2);
    const calls = await Promise.all([1, 2, 3, 4].map((i) => client.callTool({ name: 'ev__echo', arguments: { message: `m${i}` } })));
    assert.deepEqual(calls.map((c) => c.content), [1, 2, 3, 4].map((i) => [{ type: 'text', text: `Echo: m${i}` }]));
    await client.close();
  });

  it("routes a stdio upstream's request to the one client with a call in flight on that pool session, while another client's call runs on the other", async () => {
    const sampling = (text: string) => () => ({ model: 'm', role: 'assistant' as const, content: { type: 'text' as const, text } });
    const { gateway, client: holder } = await started({ upstreams: { ask: { type: 'stdio', command: process.execPath, args: [ASKING], pool: { minSessions: 2, maxSessions: 2 } } } });
    open.push(gateway);
    const [a, b] = InMemoryTransport.createLinkedPair();
    await gateway.server.connect(a);
    const asker = new Client({ name: 'asker', version: '1' }, { sampling: sampling('for the asker') });
    await asker.connect(b);
    const controller = new AbortController();
    const held = holder.callTool({ name: 'ask__hold' }, { signal: controller.signal });
    await until(() => gateway.upstream('ask')!.health().inFlight === 1, 60_000, 'the held call');
    // The pool sends this call to the idle session: only the asker has a call in flight there.
    assert.deepEqual((await asker.callTool({ name: 'ask__ask' })).content, [{ type: 'text', text: JSON.stringify({ type: 'text', text: 'for the asker' }) }]);
    controller.abort('done');
    await assert.rejects(held);
    await asker.close();
    await holder.close();
  });

  it('opens the circuit of an upstream that keeps timing out; calls then fail fast', async () => {
    const { gateway, client } = await started({
      upstreams: {
        hung: {
          type: 'stdio',
          command: process.execPath,
          args: [HUNG],
          timeoutMs: 200,
          pool: { breaker: { minimumCalls: 2, failureRatio: 0.5, windowMs: 60_000, halfOpenAfterMs: 60_000 }, retry: { maxRetries: 0 } },
        },
      },
    });
    open.push(gateway);
    for (let i = 0; i < 2; i++) await assert.rejects(client.callTool({ name: 'hung__hang' }), (e: unknown) => e instanceof McpError && e.code === -32001);
    await assert.rejects(client.callTool({ name: 'hung__ok' }), (e: unknown) => e instanceof McpError && e.code === -32000 && /Circuit open/.test(e.message));
    assert.equal(gateway.health().status, 'down');
    await client.close();
  });

  it('answers a repeated read-only tool call from the cache until its ttl', async () => {
    const mem = memoryStdio();
    const { gateway, client } = await started({ upstreams: { mem: { ...mem, cache: { tools: { read_graph: { ttlMs: 600_000 } } } } } });
    open.push(gateway);
    const first = await client.callTool({ name: 'mem__read_graph', arguments: {} });
    // The graph changes behind the upstream's back: a cached answer does not see it.
    const file = mem.env.MEMORY_FILE_PATH;
    writeFileSync(file, `${JSON.stringify({ type: 'entity', name: 'Written behind the cache', entityType: 'note', observations: [] })}\n`);
    const second = await client.callTool({ name: 'mem__read_graph', arguments: {} });
    assert.deepEqual(second, first);
    const stats = gateway.upstream('mem')!.health().cache!;
    assert.deepEqual([stats.misses, stats.hits], [1, 1], JSON.stringify(stats));
    // A tool not opted in is never cached.
    assert.match(JSON.stringify(await client.callTool({ name: 'mem__search_nodes', arguments: { query: 'Written' } })), /Written behind the cache/);
    await client.close();
  });

  it('refuses to start a cache for a tool the upstream does not mark read-only and idempotent, naming it', async () => {
    const { gateway, client } = await started({ upstreams: { mem: { ...memoryStdio(), cache: { tools: { create_entities: true } } } } });
    open.push(gateway);
    const h = gateway.upstream('mem')!.health();
    assert.equal(h.state, 'down');
    assert.match(h.lastError ?? '', /tool "create_entities" cannot be cached/);
    await client.close();
  });
});
