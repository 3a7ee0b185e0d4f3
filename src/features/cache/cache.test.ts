import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErlmcpError } from '../../protocol/errors.js';
import type { Result } from '../../protocol/types.js';
import { until } from '../../../test/helpers/pair.js';
import { MemoryBus } from '../../stores/memory-bus.js';
import { McpCache } from './cache.js';
import { CACHE_DEFAULTS } from './options.js';

const READ_ONLY = { readOnlyHint: true, idempotentHint: true };
const read = (uri: string) => ({ method: 'resources/read', params: { uri } });
const call = (name: string, args: Record<string, unknown>, identity?: string) => ({ method: 'tools/call', params: { name, arguments: args }, identity });
const text = (t: string): Result => ({ contents: [{ uri: 'r://x', text: t }] });

/** A load that counts its runs and answers `result` (a fresh copy each run). */
function counted(result: Result = text('v')): { runs: () => number; load: () => Promise<Result> } {
  let n = 0;
  return { runs: () => n, load: async () => (n++, structuredClone(result)) };
}

/** A load held until released: for requests that must overlap. */
function gated(result: Result = text('v')) {
  let n = 0;
  let release!: (r?: Result) => void;
  let fail!: (e: Error) => void;
  const gate = new Promise<Result | undefined>((res, rej) => {
    release = res;
    fail = rej;
  });
  return { runs: () => n, release, fail, load: async () => (n++, (await gate) ?? result) };
}

function toolCache(options: ConstructorParameters<typeof McpCache>[0] = {}): McpCache {
  const c = new McpCache({ tools: { t: true }, ...options });
  c.learnTool('t', READ_ONLY);
  return c;
}

describe('McpCache (L1)', () => {
  it('serves a repeated resources/read and an opted-in tool call (same arguments in any key order) from L1', async () => {
    const c = toolCache();
    const r = counted();
    assert.deepEqual(await c.fetch(read('r://a'), r.load), text('v'));
    assert.deepEqual(await c.fetch(read('r://a'), r.load), text('v'));
    assert.equal(r.runs(), 1);
    const t = counted({ content: [{ type: 'text', text: 'sunny' }] });
    await c.fetch(call('t', { city: 'Oslo', days: 2 }), t.load);
    const hit = await c.fetch(call('t', { days: 2, city: 'Oslo' }), t.load);
    assert.deepEqual(hit, { content: [{ type: 'text', text: 'sunny' }] });
    await c.fetch(call('t', { city: 'Rome', days: 2 }), t.load);
    assert.equal(t.runs(), 2);
    const s = c.stats();
    assert.equal(s.hits, 2);
    assert.equal(s.l1Hits, 2);
    assert.equal(s.misses, 3);
    assert.equal(s.entries, 3);
    assert.ok(s.bytes > 0);
  });

  it('a hit is a frozen copy: the handler may change the object it returned', async () => {
    const c = new McpCache();
    const mine = text('before');
    await c.fetch(read('r://a'), async () => mine);
    (mine.contents as { text: string }[])[0]!.text = 'after';
    const hit = await c.fetch(read('r://a'), async () => text('never'));
    assert.deepEqual(hit, text('before'));
    assert.ok(Object.isFrozen(hit));
  });

  it('bypasses what it does not cover: other methods, tools not opted in or not annotated, MRTR retries, task-augmented calls', async () => {
    const c = new McpCache({ tools: { t: true, plain: true } });
    c.learnTool('t', READ_ONLY);
    c.learnTool('plain', { readOnlyHint: true });
    const r = counted();
    const reqs = [
      { method: 'prompts/get', params: { name: 'p' } },
      call('other', {}),
      call('plain', {}),
      { method: 'resources/read', params: { uri: 'r://a', requestState: 'abc' } },
      { method: 'resources/read', params: { uri: 'r://a', inputResponses: {} } },
      { method: 'tools/call', params: { name: 't', arguments: {}, task: {} } },
    ];
    for (const req of [...reqs, ...reqs]) await c.fetch(req, r.load);
    assert.equal(r.runs(), 12);
    assert.equal(c.stats().bypassed, 12);
    assert.equal(c.stats().entries, 0);
  });

  it('does not cache error results, input_required rounds, task results or a ttlMs of 0', async () => {
    const c = toolCache();
    const results: Result[] = [
      { content: [], isError: true },
      { resultType: 'input_required', inputRequests: {} },
      { task: { taskId: 'x' } },
      { contents: [], ttlMs: 0 },
    ];
    for (const [i, result] of results.entries()) {
      const r = counted(result);
      await c.fetch(call('t', { i }), r.load);
      await c.fetch(call('t', { i }), r.load);
      assert.equal(r.runs(), 2, JSON.stringify(result));
    }
    assert.equal(c.stats().uncacheable, 8);
  });

  it('single flight: concurrent identical misses run the handler once and all get its result', async () => {
    const c = new McpCache();
    const g = gated();
    const all = Array.from({ length: 20 }, () => c.fetch(read('r://a'), g.load));
    g.release();
    const results = await Promise.all(all);
    assert.equal(g.runs(), 1);
    for (const r of results) assert.deepEqual(r, text('v'));
    assert.equal(c.stats().coalesced, 19);
    assert.equal(c.stats().misses, 1);
  });

  it('single flight: an error reaches every waiter and is not cached', async () => {
    const c = new McpCache();
    const g = gated();
    const all = Array.from({ length: 10 }, () => c.fetch(read('r://a'), g.load));
    g.fail(new Error('upstream down'));
    const settled = await Promise.allSettled(all);
    assert.equal(g.runs(), 1);
    for (const s of settled) assert.equal(s.status === 'rejected' && (s.reason as Error).message, 'upstream down');
    const r = counted();
    assert.deepEqual(await c.fetch(read('r://a'), r.load), text('v'));
    assert.equal(r.runs(), 1);
    assert.equal(c.stats().entries, 1);
  });

  it('single flight: when the request running the load is cancelled, a waiting request runs it instead of failing', async () => {
    const c = new McpCache();
    const leader = new AbortController();
    let runs = 0;
    const load = (signal: AbortSignal | undefined) => () =>
      new Promise<Result>((resolve, reject) => {
        runs++;
        if (runs > 1) return resolve(text('second'));
        signal?.addEventListener('abort', () => reject(new Error('cancelled')));
      });
    const first = c.fetch({ ...read('r://a'), signal: leader.signal }, load(leader.signal));
    const waiter = c.fetch({ ...read('r://a'), signal: new AbortController().signal }, load(undefined));
    leader.abort();
    await assert.rejects(first, /cancelled/);
    assert.deepEqual(await waiter, text('second'));
    assert.equal(runs, 2);
  });

  it("scope 'caller' keeps callers apart; 'shared' serves every caller", async () => {
    const c = new McpCache({ tools: { mine: { scope: 'caller' }, ours: { scope: 'shared' } } });
    c.learnTool('mine', READ_ONLY);
    c.learnTool('ours', READ_ONLY);
    const mine = counted();
    await c.fetch(call('mine', {}, 'jwt:alice'), mine.load);
    await c.fetch(call('mine', {}, 'jwt:bob'), mine.load);
    await c.fetch(call('mine', {}, 'jwt:alice'), mine.load);
    assert.equal(mine.runs(), 2);
    const ours = counted();
    await c.fetch(call('ours', {}, 'jwt:alice'), ours.load);
    await c.fetch(call('ours', {}, 'jwt:bob'), ours.load);
    assert.equal(ours.runs(), 1);
  });

  it("an upstream result marked cacheScope 'private' stays with its caller under a shared policy, even when callers overlap", async () => {
    const c = new McpCache({ scope: 'shared' });
    const priv = { contents: [{ uri: 'r://p', text: 'alice only' }], cacheScope: 'private', ttlMs: 60_000 };
    const g = gated(priv);
    const alice = c.fetch({ ...read('r://p'), identity: 'jwt:alice' }, g.load);
    const bobOwn = counted({ contents: [{ uri: 'r://p', text: 'bob only' }], cacheScope: 'private', ttlMs: 60_000 });
    const bob = c.fetch({ ...read('r://p'), identity: 'jwt:bob' }, bobOwn.load);
    g.release();
    assert.equal(((await alice).contents as { text: string }[])[0]!.text, 'alice only');
    assert.equal(((await bob).contents as { text: string }[])[0]!.text, 'bob only');
    assert.equal(bobOwn.runs(), 1);
    const again = counted();
    assert.equal(((await c.fetch({ ...read('r://p'), identity: 'jwt:alice' }, again.load)).contents as { text: string }[])[0]!.text, 'alice only');
    assert.equal(((await c.fetch({ ...read('r://p'), identity: 'jwt:bob' }, again.load)).contents as { text: string }[])[0]!.text, 'bob only');
    assert.equal(again.runs(), 0);
  });

  it('invalidation: resources/updated drops that URI, list_changed drops its class only', async () => {
    const c = toolCache();
    const r = counted();
    for (const u of ['r://a', 'r://b']) await c.fetch(read(u), r.load);
    await c.fetch(call('t', {}), r.load);
    await c.handleNotification('notifications/resources/updated', { uri: 'r://a' });
    await c.fetch(read('r://a'), r.load);
    await c.fetch(read('r://b'), r.load);
    assert.equal(r.runs(), 4);
    await c.handleNotification('notifications/tools/list_changed', undefined);
    await c.fetch(call('t', {}), r.load);
    await c.fetch(read('r://b'), r.load);
    assert.equal(r.runs(), 5);
    await c.handleNotification('notifications/resources/list_changed', undefined);
    await c.fetch(read('r://a'), r.load);
    await c.fetch(read('r://b'), r.load);
    await c.fetch(call('t', {}), r.load);
    assert.equal(r.runs(), 7);
    assert.equal(c.stats().invalidations, 3);
  });

  it('a load in flight when its entry is invalidated is answered but not cached, and later callers do not join it', async () => {
    const c = new McpCache();
    const g = gated(text('old'));
    const first = c.fetch(read('r://a'), g.load);
    await c.invalidate('resources', 'r://a');
    const fresh = counted(text('new'));
    assert.deepEqual(await c.fetch(read('r://a'), fresh.load), text('new'));
    g.release();
    assert.deepEqual(await first, text('old'));
    assert.deepEqual(await c.fetch(read('r://a'), fresh.load), text('new'));
    assert.equal(fresh.runs(), 1);
  });
});

describe('McpCache bounds', () => {
  it(`maxEntries (default ${CACHE_DEFAULTS.maxEntries}): at the limit every entry stays; one past it evicts the least recent`, async () => {
    assert.equal(new McpCache().maxEntries, CACHE_DEFAULTS.maxEntries);
    const c = new McpCache({ maxEntries: 3 });
    const r = counted();
    for (const u of ['r://1', 'r://2', 'r://3']) await c.fetch(read(u), r.load);
    assert.equal(c.stats().entries, 3);
    assert.equal(c.stats().evictions, 0);
    await c.fetch(read('r://4'), r.load);
    assert.equal(c.stats().entries, 3);
    assert.equal(c.stats().evictions, 1);
    await c.fetch(read('r://1'), r.load);
    assert.equal(r.runs(), 5, 'r://1 was evicted');
  });

  it(`maxBytes (default ${CACHE_DEFAULTS.maxBytes}): entries up to the byte bound stay; one byte less evicts`, async () => {
    assert.equal(new McpCache().maxBytes, CACHE_DEFAULTS.maxBytes);
    const probe = new McpCache();
    await probe.fetch(read('r://1'), counted().load);
    const size = probe.stats().bytes;
    const fill = async (maxBytes: number) => {
      const c = new McpCache({ maxBytes });
      for (const u of ['r://1', 'r://2', 'r://3']) await c.fetch(read(u), counted().load);
      return c.stats();
    };
    const at = await fill(3 * size);
    assert.deepEqual([at.entries, at.evictions, at.bytes], [3, 0, 3 * size]);
    const past = await fill(3 * size - 1);
    assert.deepEqual([past.entries, past.evictions, past.bytes], [2, 1, 2 * size]);
  });

  it(`maxEntryBytes (default ${CACHE_DEFAULTS.maxEntryBytes}): a result of exactly that size is cached, one byte more is served uncached`, async () => {
    assert.equal(new McpCache().maxEntryBytes, CACHE_DEFAULTS.maxEntryBytes);
    const sized = (n: number): Result => {
      const base = JSON.stringify(text('')).length;
      return text('x'.repeat(n - base));
    };
    const c = new McpCache({ maxEntryBytes: 200 });
    const at = counted(sized(200));
    await c.fetch(read('r://at'), at.load);
    await c.fetch(read('r://at'), at.load);
    assert.equal(at.runs(), 1);
    const past = counted(sized(201));
    await c.fetch(read('r://past'), past.load);
    assert.equal((await c.fetch(read('r://past'), past.load)).contents !== undefined, true);
    assert.equal(past.runs(), 2);
    assert.equal(c.stats().uncacheable, 2);
  });

  it(`ttlMs (default ${CACHE_DEFAULTS.ttlMs}): an entry is served up to its TTL and not one millisecond past it`, async () => {
    let now = 1_000;
    const clock = { now: () => now };
    const c = new McpCache({ ttlMs: 500, clock });
    const r = counted();
    await c.fetch(read('r://a'), r.load);
    now += 500;
    await c.fetch(read('r://a'), r.load);
    assert.equal(r.runs(), 1);
    now += 1;
    await c.fetch(read('r://a'), r.load);
    assert.equal(r.runs(), 2);
  });

  it("per-kind policies: resources and each tool have their own ttlMs; resources: false turns resource caching off", async () => {
    let now = 1_000;
    const c = new McpCache({ ttlMs: 1000, resources: { ttlMs: 100 }, tools: { t: { ttlMs: 200 } }, clock: { now: () => now } });
    c.learnTool('t', READ_ONLY);
    const r = counted();
    await c.fetch(read('r://a'), r.load);
    await c.fetch(call('t', {}), r.load);
    now += 101;
    await c.fetch(read('r://a'), r.load);
    await c.fetch(call('t', {}), r.load);
    assert.equal(r.runs(), 3, 'the resource expired at 100 ms, the tool result lives 200 ms');
    const shared = new McpCache({ scope: 'caller', resources: { scope: 'shared' } });
    const s = counted();
    await shared.fetch({ ...read('r://a'), identity: 'jwt:alice' }, s.load);
    await shared.fetch({ ...read('r://a'), identity: 'jwt:bob' }, s.load);
    assert.equal(s.runs(), 1, 'resources.scope overrides the default scope');
    const off = new McpCache({ resources: false });
    const o = counted();
    await off.fetch(read('r://a'), o.load);
    await off.fetch(read('r://a'), o.load);
    assert.equal(o.runs(), 2);
  });

  it("an upstream's ttlMs bounds the entry's life below the policy's", async () => {
    let now = 1_000;
    const c = new McpCache({ ttlMs: 10_000, clock: { now: () => now } });
    const r = counted({ contents: [], ttlMs: 300, cacheScope: 'public' });
    await c.fetch(read('r://a'), r.load);
    now += 300;
    await c.fetch(read('r://a'), r.load);
    assert.equal(r.runs(), 1);
    now += 1;
    await c.fetch(read('r://a'), r.load);
    assert.equal(r.runs(), 2);
  });

  it('refuses bad options and tools that may not be cached, naming the tool', () => {
    for (const o of [{ maxEntries: 0 }, { maxBytes: -1 }, { maxEntryBytes: Number.NaN }, { ttlMs: 0 }, { scope: 'everyone' as never }, { tools: { t: { ttlMs: -5 } } }]) {
      assert.throws(() => new McpCache(o), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_INVALID_ARGUMENT', JSON.stringify(o));
    }
    const c = new McpCache({ tools: { write: true, half: true, ghost: true } });
    assert.throws(() => c.learnTool('write', { destructiveHint: true }, { strict: true }), /tool "write" cannot be cached: it is not annotated readOnlyHint: true and idempotentHint: true/);
    assert.throws(() => c.learnTool('half', { readOnlyHint: true }, { strict: true }), /tool "half" cannot be cached: it is not annotated idempotentHint: true/);
    assert.throws(() => c.learnTool('ghost', undefined, { strict: true, known: false }), /tool "ghost" cannot be cached: no such tool is registered/);
  });
});

describe('McpCache bus', () => {
  it('bus: an invalidation on one cache drops the same entry on every cache on the bus; a relayed one (localOnly) is not sent again', async () => {
    const bus = new MemoryBus();
    const a = new McpCache({ bus });
    const b = new McpCache({ bus });
    await Promise.all([a.ready, b.ready]);
    const sent: unknown[] = [];
    await bus.subscribe('cache:invalidate', (m) => sent.push(m));
    const r = counted();
    await a.fetch(read('r://a'), r.load);
    await b.fetch(read('r://a'), r.load);
    await b.fetch(read('r://b'), r.load);
    assert.equal(r.runs(), 3, 'L1 only: each node loads once');
    await a.handleNotification('notifications/resources/updated', { uri: 'r://a' });
    await until(() => b.stats().invalidations === 1, undefined, "b's invalidation");
    await b.fetch(read('r://a'), r.load);
    await b.fetch(read('r://b'), r.load);
    assert.equal(r.runs(), 4, 'b dropped r://a only');
    assert.equal(sent.length, 1);
    await b.handleNotification('notifications/resources/updated', { uri: 'r://b' }, { localOnly: true });
    await b.fetch(read('r://b'), r.load);
    assert.equal(r.runs(), 5);
    // A publish resolves after the MemoryBus queued its delivery: one sent here would be in `sent` already.
    await a.fetch(read('r://a'), r.load);
    assert.equal(sent.length, 1, 'a relayed invalidation is not published again');
    await Promise.all([a.close(), b.close()]);
  });
});
