import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { sleep } from '../../../test/helpers/pair.js';
import { poolServer } from '../../../test/pool/fixtures/pool-server.js';
import { ErlmcpError, ErrorCode, McpError } from '../../protocol/errors.js';
import type { McpServer } from '../../server/server.js';
import { InMemoryTransport } from '../../transports/memory.js';
import { Client } from '../client.js';
import { ClientPool } from './pool.js';
import { POOL_DEFAULTS, type PoolOptions } from './options.js';
import { isUpstreamFailure } from './resilience.js';

const pools: ClientPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

/**
 * An upstream whose tools/call fails or hangs as the test says: `mode` 'flaky' fails every
 * second call with -32603, 'down' fails all, 'hang' never answers, 'ok' serves.
 */
function upstream(): { server: McpServer; mode: { value: 'ok' | 'flaky' | 'down' | 'hang' }; connect: () => Promise<Client> } {
  const server = poolServer();
  const mode = { value: 'ok' as 'ok' | 'flaky' | 'down' | 'hang' };
  let n = 0;
  server.use((call, next) => {
    if (call.method !== 'tools/call') return next();
    const m = mode.value;
    if (m === 'down' || (m === 'flaky' && n++ % 2 === 0)) throw new McpError(ErrorCode.InternalError, 'upstream trouble');
    if (m === 'hang') return new Promise(() => {});
    return next();
  });
  const connect = async () => {
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    const c = new Client({ name: 'breaker-test', version: '1.0.0' });
    await c.connect(ct);
    return c;
  };
  return { server, mode, connect };
}

function pool(connect: () => Promise<Client>, options: PoolOptions, name = 'svc'): ClientPool {
  const p = new ClientPool([{ name, connect }], { healthCheckIntervalMs: 0, retry: { maxRetries: 0 }, ...options });
  pools.push(p);
  return p;
}

const echo = (p: ClientPool, text = 'x') => p.callTool({ name: 'echo', arguments: { text } });
const settle = (ps: Promise<unknown>[]) => Promise.allSettled(ps);
const isOpen = (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CIRCUIT_OPEN';

describe('circuit breaker', () => {
  it('opens once minimumCalls calls were made (at the limit), not one call before', async () => {
    const u = upstream();
    u.mode.value = 'down';
    const p = pool(u.connect, { breaker: { minimumCalls: 4, halfOpenAfterMs: 60_000 } });
    for (let i = 0; i < 3; i++) await assert.rejects(echo(p), (e: unknown) => e instanceof McpError);
    assert.equal(p.stats().upstreams[0]!.circuit, 'closed', '3 failed calls are too few to judge');
    const opened = once(p, 'circuit');
    await assert.rejects(echo(p), (e: unknown) => e instanceof McpError);
    assert.equal((await opened)[0].state, 'open');
  });

  it('opens against an upstream failing 50% of calls when failureRatio is below that, with a clear error', async () => {
    const u = upstream();
    u.mode.value = 'flaky';
    const p = pool(u.connect, { breaker: { failureRatio: 0.4, minimumCalls: 4, windowMs: 60_000, halfOpenAfterMs: 60_000 } });
    const opened = once(p, 'circuit');
    let served = 0;
    for (let i = 0; i < 100 && p.stats().upstreams[0]!.circuit === 'closed'; i++) {
      await echo(p).then(() => served++, () => {});
    }
    const [ev] = await opened;
    assert.equal(ev.state, 'open');
    assert.ok(served >= 1, 'the healthy half was served until the circuit opened');
    const before = Date.now();
    await assert.rejects(echo(p), (e: unknown) => {
      assert.ok(isOpen(e));
      const err = e as ErlmcpError;
      assert.equal(err.data?.upstream, 'svc');
      assert.equal(err.data?.retryAt, ev.retryAt);
      assert.ok((err.data?.retryAt as number) >= before + 50_000);
      assert.match(err.message, /Circuit open for upstream "svc"/);
      return true;
    });
  });

  it(`opens by default after ${POOL_DEFAULTS.breaker.minimumCalls} failed calls, not one before`, async () => {
    const u = upstream();
    u.mode.value = 'down';
    const p = new ClientPool(u.connect, { healthCheckIntervalMs: 0, retry: { maxRetries: 0 } });
    pools.push(p);
    for (let i = 0; i < POOL_DEFAULTS.breaker.minimumCalls - 1; i++) await assert.rejects(echo(p), (e: unknown) => e instanceof McpError);
    assert.equal(p.stats().upstreams[0]!.circuit, 'closed');
    await assert.rejects(echo(p), (e: unknown) => e instanceof McpError);
    assert.equal(p.stats().upstreams[0]!.circuit, 'open');
    const e = (await echo(p).catch((x: unknown) => x)) as ErlmcpError;
    assert.equal(e.code, 'ERR_CIRCUIT_OPEN');
    assert.ok((e.data!.retryAfterMs as number) <= POOL_DEFAULTS.breaker.halfOpenAfterMs);
  });

  it('stays closed below the failure ratio', async () => {
    const u = upstream();
    u.mode.value = 'flaky';
    const p = pool(u.connect, { breaker: { failureRatio: 0.6, minimumCalls: 4, windowMs: 60_000 } });
    for (let i = 0; i < 8; i++) await echo(p).catch(() => {});
    assert.equal(p.stats().upstreams[0]!.circuit, 'closed');
  });

  it('lets one probe through after halfOpenAfterMs and closes again when it succeeds', async () => {
    const u = upstream();
    u.mode.value = 'down';
    const p = pool(u.connect, { breaker: { minimumCalls: 2, halfOpenAfterMs: 100 } });
    await settle([echo(p), echo(p)]);
    assert.equal(p.stats().upstreams[0]!.circuit, 'open');
    await assert.rejects(echo(p), isOpen);
    u.mode.value = 'ok';
    // The cool-down is the thing under test: wait it out.
    const retryAt = ((await echo(p).catch((e: ErlmcpError) => e)) as ErlmcpError).data!.retryAt as number;
    await sleep(Math.max(0, retryAt - Date.now()) + 5);
    const states: string[] = [];
    p.on('circuit', (e) => states.push(e.state));
    assert.deepEqual((await echo(p, 'probe')).content, [{ type: 'text', text: 'probe' }]);
    assert.deepEqual(states, ['half-open', 'closed']);
    assert.equal(p.stats().upstreams[0]!.circuit, 'closed');
  });

  it('opens again when the half-open probe fails', async () => {
    const u = upstream();
    u.mode.value = 'down';
    const p = pool(u.connect, { breaker: { minimumCalls: 2, halfOpenAfterMs: 50 } });
    await settle([echo(p), echo(p)]);
    const first = ((await echo(p).catch((e: ErlmcpError) => e)) as ErlmcpError).data!.retryAt as number;
    await sleep(Math.max(0, first - Date.now()) + 5);
    await assert.rejects(echo(p), (e: unknown) => e instanceof McpError && e.code === ErrorCode.InternalError);
    await assert.rejects(echo(p), isOpen);
    assert.equal(p.stats().upstreams[0]!.circuit, 'open');
  });

  it('times out calls to a hanging upstream (callTimeoutMs), counts them as failures and recovers via half-open', async () => {
    const u = upstream();
    u.mode.value = 'hang';
    const p = pool(u.connect, { callTimeoutMs: 50, breaker: { minimumCalls: 2, halfOpenAfterMs: 50 } });
    const r = await settle([echo(p), echo(p)]);
    for (const x of r) assert.ok(x.status === 'rejected' && x.reason instanceof ErlmcpError && x.reason.code === 'ERR_TIMEOUT');
    assert.equal(p.stats().upstreams[0]!.circuit, 'open');
    assert.equal(p.stats().inFlight, 0, 'timed-out calls gave their slots back');
    u.mode.value = 'ok';
    const retryAt = ((await echo(p).catch((e: ErlmcpError) => e)) as ErlmcpError).data!.retryAt as number;
    await sleep(Math.max(0, retryAt - Date.now()) + 5);
    assert.deepEqual((await echo(p, 'back')).content, [{ type: 'text', text: 'back' }]);
    assert.equal(p.stats().upstreams[0]!.circuit, 'closed');
  });

  it('routes around an upstream whose circuit is open when there are several', async () => {
    const bad = upstream();
    const good = upstream();
    bad.mode.value = 'down';
    const p = new ClientPool(
      [
        { name: 'bad', connect: bad.connect },
        { name: 'good', connect: good.connect },
      ],
      { healthCheckIntervalMs: 0, retry: { maxRetries: 0 }, breaker: { minimumCalls: 2, halfOpenAfterMs: 60_000 } },
    );
    pools.push(p);
    await settle([1, 2].map(() => p.callTool({ name: 'echo', arguments: { text: 'x' } }, { upstream: 'bad' })));
    assert.equal(p.stats().upstreams.find((s) => s.name === 'bad')!.circuit, 'open');
    for (let i = 0; i < 5; i++) assert.deepEqual((await echo(p, String(i))).content, [{ type: 'text', text: String(i) }]);
    await assert.rejects(p.callTool({ name: 'echo', arguments: { text: 'x' } }, { upstream: 'bad' }), isOpen);
  });

  it('can be turned off', async () => {
    const u = upstream();
    u.mode.value = 'down';
    const p = pool(u.connect, { breaker: false });
    for (let i = 0; i < 20; i++) await assert.rejects(echo(p), (e: unknown) => e instanceof McpError);
    assert.equal(p.stats().upstreams[0]!.circuit, 'off');
  });
});

describe('retries', () => {
  /** An upstream whose echo fails `failures` times, then serves. */
  function failing(failures: number) {
    const u = upstream();
    let left = failures;
    u.server.use((call, next) => (call.method === 'tools/call' && left-- > 0 ? Promise.reject(new McpError(ErrorCode.InternalError, 'not yet')) : next()));
    return u;
  }

  it('retries a safe call maxRetries times (at the limit it succeeds, one past it fails)', async () => {
    const atLimit = pool(failing(2).connect, { breaker: false, retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 } });
    await atLimit.listTools();
    assert.deepEqual((await echo(atLimit, 'third time')).content, [{ type: 'text', text: 'third time' }]);

    const past = pool(failing(3).connect, { breaker: false, retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 } });
    await past.listTools();
    const attempts: number[] = [];
    past.on('retry', (e) => attempts.push(e.attempt));
    await assert.rejects(echo(past), (e: unknown) => e instanceof McpError && e.message === 'not yet');
    assert.deepEqual(attempts, [1, 2]);
  });

  it('retries twice by default', async () => {
    const p = new ClientPool(failing(2).connect, { healthCheckIntervalMs: 0, breaker: false, retry: { initialDelayMs: 1, maxDelayMs: 5 } });
    pools.push(p);
    await p.listTools();
    assert.deepEqual((await echo(p, 'ok')).content, [{ type: 'text', text: 'ok' }]);
  });

  it('never retries a call that is not safe to repeat, nor a caller error', async () => {
    const p = pool(failing(1).connect, { breaker: false, retry: { maxRetries: 3, initialDelayMs: 1 } });
    await p.listTools();
    await assert.rejects(p.callTool({ name: 'pid' }), (e: unknown) => e instanceof McpError && e.message === 'not yet');
    await assert.rejects(p.call('resources/read', { uri: 'nope://x' }), (e: unknown) => e instanceof McpError && !isUpstreamFailure(e));
  });
});
