/**
 * Two server nodes (two McpServer instances in this process, each with its own Redis connection)
 * sharing a real Redis as L2 and bus, under a key prefix of their own.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { deleteKeys, keysWithoutTtl, requireRedis, REDIS_URL, testPrefix } from '../../../test/scale-out/helpers.js';
import { until } from '../../../test/helpers/pair.js';
import { Client } from '../../client/client.js';
import { McpServer } from '../../server/server.js';
import { RedisConnection } from '../../stores/redis/connection.js';
import { InMemoryTransport } from '../../transports/memory.js';
import { McpCache } from './cache.js';
import { cache, type CacheMiddleware } from './server.js';

const READ_ONLY = { readOnlyHint: true, idempotentHint: true };
const textOf = (r: Record<string, unknown>): string => ((r.content ?? r.contents) as { text: string }[])[0]!.text;

describe('cache across two nodes (real Redis)', { concurrency: false }, () => {
  let prefix = testPrefix();
  const prefixes: string[] = [];
  let admin: Redis;
  let closers: (() => Promise<unknown>)[] = [];

  before(async () => {
    admin = await requireRedis();
  });
  beforeEach(() => {
    prefix = testPrefix();
    prefixes.push(prefix);
  });
  afterEach(async () => {
    for (const c of closers.reverse()) await c();
    closers = [];
  });
  after(async () => {
    for (const p of prefixes) await deleteKeys(admin, p);
    admin.disconnect();
  });

  /** The data both nodes serve (one source of truth, as a database would be). */
  const data = { doc: 'v1', forecast: 'sunny' };

  async function node(name: string, options: { namespace?: string; ttlMs?: number } = {}) {
    const conn = new RedisConnection({ url: REDIS_URL, prefix });
    await conn.waitUntilReady();
    const server = new McpServer({ name, version: '1' });
    const runs = { doc: 0, forecast: 0 };
    server.resource('r://doc', {}, (uri) => (runs.doc++, { contents: [{ uri, text: data.doc }] }));
    server.tool('forecast', { annotations: READ_ONLY }, () => (runs.forecast++, { content: [{ type: 'text', text: data.forecast }] }));
    const mw: CacheMiddleware = cache({ server, redis: conn, tools: { forecast: { scope: 'shared' } }, scope: 'shared', ...options });
    server.use(mw);
    await mw.cache.ready;
    const [ct, st] = InMemoryTransport.createLinkedPair({ structuredClone: true });
    await server.connect(st);
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(ct);
    closers.push(() => conn.close(), () => server.close(), () => client.close());
    return { server, client, runs, cache: mw.cache, conn };
  }

  it('L2 is shared; resources/updated raised on node A drops node B\'s L1 and L2 entry', async () => {
    data.doc = 'v1';
    const a = await node('a');
    const b = await node('b');
    assert.equal(textOf(await a.client.readResource('r://doc')), 'v1');
    assert.equal(textOf(await b.client.readResource('r://doc')), 'v1');
    assert.equal(textOf(await b.client.readResource('r://doc')), 'v1');
    assert.deepEqual([a.runs.doc, b.runs.doc], [1, 0], 'B was served from L2, then L1');
    assert.deepEqual([b.cache.stats().l2Hits, b.cache.stats().l1Hits], [1, 1]);

    data.doc = 'v2';
    await a.server.notifyResourceUpdated('r://doc');
    await until(() => b.cache.stats().invalidations === 1, undefined, "node B's invalidation");
    assert.equal(b.cache.stats().entries, 0, "node B's L1 is empty");
    assert.equal(textOf(await b.client.readResource('r://doc')), 'v2', 'not the old L2 entry either');
    assert.equal(b.runs.doc, 1);
    assert.equal(textOf(await a.client.readResource('r://doc')), 'v2');
    assert.equal(a.runs.doc, 1, "A is served what B stored in L2");
    assert.deepEqual(await keysWithoutTtl(admin, prefix), [], 'every key the cache wrote expires');
  });

  it('a tools list change on one node drops tool entries on the other', async () => {
    data.forecast = 'sunny';
    const a = await node('a');
    const b = await node('b');
    await a.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } });
    await b.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } });
    assert.deepEqual([a.runs.forecast, b.runs.forecast], [1, 0]);
    data.forecast = 'rain';
    a.server.tool('extra', {}, () => ({ content: [] }));
    await until(() => b.cache.stats().invalidations === 1, undefined, "node B's invalidation");
    assert.equal(textOf(await b.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } })), 'rain');
    assert.equal(b.runs.forecast, 1);
  });

  it('L2 entries expire with their TTL (an upstream ttlMs lowers it); namespaces keep caches apart', async () => {
    const a = await node('a', { ttlMs: 30_000 });
    await a.client.readResource('r://doc');
    const keys = await admin.keys(`${prefix}cache:v:*`);
    assert.equal(keys.length, 1);
    const ttl = await admin.pttl(keys[0]!);
    assert.ok(ttl > 0 && ttl <= 30_000, `pttl ${ttl}`);

    const other = await node('other', { namespace: 'elsewhere' });
    await other.client.readResource('r://doc');
    assert.equal(other.runs.doc, 1, 'another namespace does not see the entry');

    const conn = new RedisConnection({ url: REDIS_URL, prefix });
    await conn.waitUntilReady();
    closers.push(() => conn.close());
    const c = new McpCache({ redis: conn, namespace: 'hinted', ttlMs: 30_000 });
    closers.push(() => c.close());
    await c.fetch({ method: 'resources/read', params: { uri: 'r://h' } }, async () => ({ contents: [], ttlMs: 2_000 }));
    const [hinted] = await admin.keys(`${prefix}hinted:v:*`);
    const h = await admin.pttl(hinted!);
    assert.ok(h > 0 && h <= 2_000, `pttl ${h}`);
  });

  it('with Redis unreachable, calls are still served (from the handler and L1) and the failure is reported, not thrown', async () => {
    const down = new RedisConnection({ url: 'redis://127.0.0.1:1', prefix, redis: { retryStrategy: () => null } });
    down.onerror = () => {};
    closers.push(() => down.close());
    const errors: Error[] = [];
    const c = new McpCache({ redis: down, onerror: (e) => errors.push(e) });
    closers.push(() => c.close());
    let runs = 0;
    const load = async () => (runs++, { contents: [{ uri: 'r://x', text: 'ok' }] });
    assert.equal(textOf(await c.fetch({ method: 'resources/read', params: { uri: 'r://x' } }, load)), 'ok');
    assert.equal(textOf(await c.fetch({ method: 'resources/read', params: { uri: 'r://x' } }, load)), 'ok');
    assert.equal(runs, 1);
    await c.invalidate('resources', 'r://x');
    assert.ok(errors.length >= 1, 'the failed invalidation was reported');
    assert.equal(textOf(await c.fetch({ method: 'resources/read', params: { uri: 'r://x' } }, load)), 'ok');
    assert.equal(runs, 2);
  });
});
