/**
 * The Redis audit chain's keys share one hash slot, so it runs on a Redis Cluster: against a
 * private redis-server in cluster mode (one node holding every slot, which still refuses a
 * script whose keys span slots), a chain is appended and verifies. Against the shared Redis: a
 * chain written under the untagged key layout of earlier versions is read by verify as it is,
 * and renamed by the first writer that starts, which continues it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { deleteKeys, REDIS_URL, requireRedis, startPrivateRedis, testPrefix, waitFor, type PrivateRedis } from '../../../test/scale-out/helpers.js';
import type { AuditRecord } from './record.js';
import { auditKeys, legacyAuditKeys, RedisChain, redisChainLines, verifyRedisChain } from './redis-chain.js';

const entry = (method: string) => ({ time: new Date().toISOString(), subject: 'u', method, outcome: 'ok' as const });

async function methods(redis: Redis, p: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of redisChainLines(redis, p)) out.push((JSON.parse(r.line) as AuditRecord).method);
  return out;
}

describe('audit chain keys in one hash slot', { timeout: 120_000 }, () => {
  let cluster: PrivateRedis;
  let node: Redis;
  before(async () => {
    cluster = await startPrivateRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] });
    node = await requireRedis(cluster.url);
    await node.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await waitFor('cluster state ok', async () => String(await node.call('CLUSTER', 'INFO')).includes('cluster_state:ok'));
  });
  after(async () => {
    node?.disconnect();
    await cluster?.dispose();
  });

  it('appends and verifies on a Redis Cluster node, which refuses the untagged layout', async () => {
    const legacy = legacyAuditKeys('erlmcp:');
    // The cluster checks slots: the old layout's two-key script is refused there.
    await assert.rejects(node.eval("return redis.call('GET', KEYS[2])", 2, legacy.stream, legacy.head), /CROSSSLOT/);
    const errors: Error[] = [];
    const chain = new RedisChain(cluster.url, { onerror: (e) => errors.push(e) });
    for (let i = 0; i < 5; i++) chain.append(entry(`m${i}`));
    await chain.close();
    assert.deepEqual(errors, []);
    const v = await verifyRedisChain(node);
    assert.ok(v.ok && v.records === 5, JSON.stringify(v));
    const keys = auditKeys();
    assert.deepEqual((await node.keys('*')).sort(), [keys.stream, keys.head].sort());
    assert.equal(await node.call('CLUSTER', 'KEYSLOT', keys.stream), await node.call('CLUSTER', 'KEYSLOT', keys.head));
  });
});

describe('audit chain written under the untagged layout', { timeout: 120_000 }, () => {
  let admin: Redis;
  const prefixes: string[] = [];
  before(async () => {
    admin = await requireRedis();
  });
  after(async () => {
    for (const p of prefixes) await deleteKeys(admin, p);
    admin.disconnect();
  });

  /** A chain of three records as earlier versions stored it (written, then moved to the old key names). */
  async function legacyChain(): Promise<string> {
    const p = testPrefix();
    prefixes.push(p);
    const chain = new RedisChain(REDIS_URL, { prefix: p });
    for (const m of ['a', 'b', 'c']) chain.append(entry(m));
    await chain.close();
    const [keys, legacy] = [auditKeys(p), legacyAuditKeys(p)];
    await admin.rename(keys.stream, legacy.stream);
    await admin.rename(keys.head, legacy.head);
    return p;
  }

  it('is verified where it is until a writer starts', async () => {
    const p = await legacyChain();
    const v = await verifyRedisChain(admin, p);
    assert.ok(v.ok && v.records === 3, JSON.stringify(v));
    assert.deepEqual(await methods(admin, p), ['a', 'b', 'c']);
  });

  it('is renamed by the first writer, which continues it; two writers starting at once rename it once', async () => {
    const p = await legacyChain();
    const errors: Error[] = [];
    const one = new RedisChain(REDIS_URL, { prefix: p, onerror: (e) => errors.push(e) });
    const two = new RedisChain(REDIS_URL, { prefix: p, onerror: (e) => errors.push(e) });
    one.append(entry('d'));
    two.append(entry('e'));
    await Promise.all([one.close(), two.close()]);
    assert.deepEqual(errors, []);
    const legacy = legacyAuditKeys(p);
    assert.equal(await admin.exists(legacy.stream, legacy.head), 0, 'the old keys are gone');
    const v = await verifyRedisChain(admin, p);
    assert.ok(v.ok && v.records === 5, JSON.stringify(v));
    assert.deepEqual((await methods(admin, p)).slice(0, 3), ['a', 'b', 'c']);
    assert.deepEqual((await methods(admin, p)).slice(3).sort(), ['d', 'e']);
  });
});
