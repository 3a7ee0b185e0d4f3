import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { until } from '../../../test/helpers/pair.js';
import { poolServer } from '../../../test/pool/fixtures/pool-server.js';
import { ErlmcpError, ErrorCode, McpError } from '../../protocol/errors.js';
import type { JSONRPCMessage } from '../../protocol/types.js';
import type { McpServer } from '../../server/server.js';
import { InMemoryTransport } from '../../transports/memory.js';
import { Client } from '../client.js';
import { ClientPool } from './pool.js';
import { POOL_DEFAULTS, type PoolOptions } from './options.js';

const pools: ClientPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

interface Upstream {
  server: McpServer;
  /** Every client the factory made, in order. */
  clients: Client[];
  /** tools/call requests each client sent. */
  calls: Map<Client, number>;
  /** Client transports: `dropPings` makes that session's pings go unanswered. */
  transports: InMemoryTransport[];
  dropPings: Set<InMemoryTransport>;
  connect: () => Promise<Client>;
}

/** Our server, reached over in-memory pairs: one new pair per session the pool opens. */
function upstream(server = poolServer()): Upstream {
  const u: Upstream = {
    server,
    clients: [],
    calls: new Map(),
    transports: [],
    dropPings: new Set(),
    connect: async () => {
      const [ct, st] = InMemoryTransport.createLinkedPair();
      const send = ct.send.bind(ct);
      ct.send = (m: JSONRPCMessage) => ((m as { method?: string }).method === 'ping' && u.dropPings.has(ct) ? Promise.resolve() : send(m));
      await server.connect(st);
      const c = new Client({ name: 'pool-test', version: '1.0.0' });
      c.use((call, next) => {
        if (call.method === 'tools/call') u.calls.set(c, (u.calls.get(c) ?? 0) + 1);
        return next();
      });
      await c.connect(ct);
      u.clients.push(c);
      u.transports.push(ct);
      return c;
    },
  };
  return u;
}

function pool(u: Upstream, options: PoolOptions = {}): ClientPool {
  const p = new ClientPool(u.connect, { healthCheckIntervalMs: 0, ...options });
  pools.push(p);
  return p;
}

const hold = (p: ClientPool) => p.callTool({ name: 'hold' });
const release = (p: ClientPool) => p.callTool({ name: 'release' });

describe('ClientPool: sessions', () => {
  it('sends each call to the least busy session', async () => {
    const u = upstream();
    const p = pool(u, { maxSessions: 2, minSessions: 2 });
    await p.start();
    assert.equal(u.clients.length, 2);
    const held = hold(p);
    await until(() => p.stats().inFlight === 1 && [...u.calls.values()].reduce((a, b) => a + b, 0) === 1);
    const busy = u.clients.find((c) => u.calls.get(c) === 1)!;
    const idle = u.clients.find((c) => c !== busy)!;
    // Three quick calls while one session holds a call: all go to the idle one.
    for (let i = 0; i < 3; i++) await p.callTool({ name: 'echo', arguments: { text: String(i) } });
    assert.equal(u.calls.get(busy), 1);
    assert.equal(u.calls.get(idle), 3);
    await release(p);
    await held;
  });

  it('spreads a burst of calls made in one tick over the sessions: a server capping calls per session refuses none', async () => {
    const server = poolServer();
    server.configureLimits({ maxInFlightPerSession: 4 });
    const u = upstream(server);
    // 4 sessions × 4 = 16 slots; 16 callers at once, each held until released.
    const p = pool(u, { maxSessions: 4, minSessions: 4, maxInFlight: 16 });
    await p.start();
    const held = Array.from({ length: 16 }, () => hold(p));
    await until(() => [...u.calls.values()].reduce((a, b) => a + b, 0) === 16);
    assert.deepEqual([...u.calls.values()], [4, 4, 4, 4]);
    // Every pool slot is held: released from a session of its own.
    await (await u.connect()).callTool({ name: 'release' });
    const results = await Promise.all(held);
    assert.ok(results.every((r) => r.isError !== true && (r.content[0] as { text: string }).text === 'released'));
  });

  it('opens sessions up to maxSessions (at the limit) and no more (one past it)', async () => {
    const u = upstream();
    const p = pool(u, { maxSessions: 2 });
    const a = [hold(p), hold(p)];
    await until(() => p.stats().inFlight === 2 && u.clients.length === 2);
    const third = hold(p);
    await until(() => p.stats().inFlight === 3);
    await until(() => [...u.calls.values()].reduce((x, y) => x + y, 0) === 3);
    assert.equal(u.clients.length, 2, 'a third busy call shares a session');
    assert.equal(p.stats().sessions, 2);
    await release(p);
    await Promise.all([...a, third]);
  });

  it(`defaults to ${POOL_DEFAULTS.maxSessions} sessions per upstream`, async () => {
    const u = upstream();
    const p = pool(u);
    const n = POOL_DEFAULTS.maxSessions + 1;
    const held = Array.from({ length: n }, () => hold(p));
    await until(() => [...u.calls.values()].reduce((x, y) => x + y, 0) === n);
    assert.equal(u.clients.length, POOL_DEFAULTS.maxSessions);
    await release(p);
    await Promise.all(held);
  });
});

describe('ClientPool: in-flight cap and queue', () => {
  it('runs maxInFlight calls, queues the next up to maxQueue and refuses one past it with ERR_LIMIT', async () => {
    const u = upstream();
    const p = pool(u, { maxInFlight: 2, maxQueue: 1 });
    const running = [hold(p), hold(p)];
    await until(() => [...u.calls.values()].reduce((x, y) => x + y, 0) === 2);
    const queued = p.callTool({ name: 'echo', arguments: { text: 'queued' } });
    assert.equal(p.stats().queued, 1);
    const rejected = once(p, 'rejected');
    await assert.rejects(p.callTool({ name: 'echo', arguments: { text: 'x' } }), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_LIMIT' && e.data?.limit === 'maxQueue' && /queue is full/.test(e.message));
    assert.deepEqual((await rejected)[0], { reason: 'queue-full', method: 'tools/call' });
    // release is a third call: it waits in the queue behind "queued" too, so free a slot first.
    const releasing = release(p).catch((e: unknown) => e);
    assert.ok((await releasing) instanceof ErlmcpError, 'the queue was full for release as well');
    // Let the held calls go from another pool on the same server.
    const other = pool(u);
    await release(other);
    await Promise.all(running);
    assert.deepEqual((await queued).content, [{ type: 'text', text: 'queued' }]);
    assert.equal(p.stats().inFlight, 0);
  });

  it('refuses a caller that waited queueTimeoutMs with ERR_LIMIT', async () => {
    const u = upstream();
    const p = pool(u, { maxInFlight: 1, queueTimeoutMs: 50 });
    const running = hold(p);
    await assert.rejects(p.callTool({ name: 'echo', arguments: { text: 'late' } }), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_LIMIT' && e.data?.limit === 'queueTimeoutMs');
    assert.equal(p.stats().queued, 0);
    await release(pool(u));
    await running;
  });

  it(`queues ${POOL_DEFAULTS.maxQueue} callers by default and refuses the next`, async () => {
    const u = upstream();
    const p = pool(u, { maxInFlight: 1 });
    const running = hold(p);
    await until(() => u.calls.size === 1);
    const queued = Array.from({ length: POOL_DEFAULTS.maxQueue }, () => p.call('ping'));
    assert.equal(p.stats().queued, POOL_DEFAULTS.maxQueue);
    await assert.rejects(p.call('ping'), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_LIMIT');
    await release(pool(u));
    await Promise.all([running, ...queued]);
  });
});

describe('ClientPool: default in-flight cap', () => {
  it(`runs ${POOL_DEFAULTS.maxInFlight} calls per upstream by default and queues the next`, async () => {
    const u = upstream();
    const p = pool(u, { maxSessions: 1 });
    const n = POOL_DEFAULTS.maxInFlight;
    const held = Array.from({ length: n }, () => hold(p));
    await until(() => [...u.calls.values()].reduce((x, y) => x + y, 0) === n);
    const next = p.call('ping');
    assert.equal(p.stats().queued, 1);
    assert.equal(p.stats().inFlight, n);
    await release(pool(u));
    await Promise.all([...held, next]);
  });
});

describe('ClientPool: health and replacement', () => {
  it('replaces a session whose ping goes unanswered past healthCheckTimeoutMs', async () => {
    const u = upstream();
    const p = pool(u, { minSessions: 2, healthCheckTimeoutMs: 50 });
    await p.start();
    u.dropPings.add(u.transports[0]!);
    const replaced = once(p, 'replaced');
    await p.checkHealth();
    assert.deepEqual((await replaced)[0], { upstream: 'default', reason: 'health' });
    assert.equal(u.clients.length, 3);
    assert.equal(p.stats().replacements, 1);
    assert.equal(p.stats().sessions, 2);
    assert.equal(u.clients[0]!.connected, false, 'the failed session was closed');
  });

  it('waits longer before each replacement of a session that died right after it opened (a crash loop)', async () => {
    const u = upstream();
    const p = pool(u);
    await p.start();
    const waits: number[] = [];
    for (let i = 0; i < 2; i++) {
      const ended = Date.now();
      const replaced = once(p, 'replaced');
      await u.transports.at(-1)!.close();
      await replaced;
      waits.push(Date.now() - ended);
    }
    // Lower bounds only: 100 ms, then 200 ms (a busy machine only makes them longer).
    assert.ok(waits[0]! >= 100 && waits[1]! >= 200, `waits ${waits.join(', ')} ms`);
    assert.equal(p.stats().sessions, 1);
  });

  it('keeps sessions that answer their ping', async () => {
    const u = upstream();
    const p = pool(u, { minSessions: 2 });
    await p.start();
    await p.checkHealth();
    assert.equal(p.stats().replacements, 0);
    assert.equal(u.clients.length, 2);
  });

  it('pings on the interval by itself', async () => {
    const u = upstream();
    const p = pool(u, { healthCheckIntervalMs: 20, healthCheckTimeoutMs: 50 });
    await p.start();
    u.dropPings.add(u.transports[0]!);
    // The pool's timer is unref'd and in-memory pairs hold no handle: keep this process up.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      await once(p, 'replaced');
    } finally {
      clearInterval(keepAlive);
    }
    assert.equal(p.stats().sessions, 1);
  });

  it('replaces a session whose connection closed; an unsafe call in flight fails, a safe one is sent again once', async () => {
    const u = upstream();
    // hold is not annotated; this pool declares it safe when asked to ("hold-safe").
    const p = pool(u, { retry: { initialDelayMs: 1 }, isSafeToRepeat: (_m, params) => (params?.arguments as { safe?: boolean } | undefined)?.safe });
    const unsafe = hold(p);
    await until(() => u.calls.size === 1);
    const replaced = once(p, 'replaced');
    await u.transports[0]!.close();
    await assert.rejects(unsafe, (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CONNECTION_CLOSED');
    assert.deepEqual((await replaced)[0], { upstream: 'default', reason: 'closed' });
    await until(() => p.stats().sessions === 1);

    const retried: unknown[] = [];
    p.on('retry', (e) => retried.push(e));
    const safe = p.callTool({ name: 'hold', arguments: { safe: true } });
    await until(() => u.calls.get(u.clients[1]!) === 1);
    await u.transports[1]!.close();
    await until(() => u.calls.get(u.clients[2]!) === 1, undefined, 'the retry on the fresh session');
    await release(pool(u));
    assert.deepEqual((await safe).content, [{ type: 'text', text: 'released' }]);
    assert.equal(retried.length, 1);
    assert.equal(p.stats().replacements, 2);
  });

  it('learns from tools/list which tools are safe to repeat (readOnlyHint + idempotentHint)', async () => {
    const u = upstream();
    const p = pool(u, { retry: { initialDelayMs: 1 } });
    const retried: unknown[] = [];
    p.on('retry', (e) => retried.push(e));
    // Before tools/list the pool knows nothing of echo: a failure is not retried.
    u.server.use((call, next) => (call.method === 'tools/call' && failNext.n-- > 0 ? Promise.reject(new McpError(ErrorCode.InternalError, 'flaky')) : next()));
    const failNext = { n: 1 };
    await assert.rejects(p.callTool({ name: 'echo', arguments: { text: 'a' } }), (e: unknown) => e instanceof McpError && e.code === ErrorCode.InternalError);
    assert.equal(retried.length, 0);
    await p.listTools();
    failNext.n = 1;
    const r = await p.callTool({ name: 'echo', arguments: { text: 'b' } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'b' }]);
    assert.equal(retried.length, 1);
    // pid has no annotations: never retried.
    failNext.n = 1;
    await assert.rejects(p.callTool({ name: 'pid' }), (e: unknown) => e instanceof McpError);
    assert.equal(retried.length, 1);
  });
});
