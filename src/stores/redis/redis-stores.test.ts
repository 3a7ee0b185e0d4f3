import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import type { JSONRPCMessage } from '../../protocol/types.js';
import type { SessionState } from '../types.js';
import { deleteKeys, freePort, keysWithoutTtl, requireRedis, sleep, testPrefix, waitFor, REDIS_URL } from '../../../test/scale-out/helpers.js';
import { connectRedisStores, type RedisStores } from './index.js';

const note = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: n } });
const dataOf = (m: JSONRPCMessage): unknown => (m as { params?: { data?: unknown } }).params?.data;

function state(id: string): SessionState {
  return { id, protocolVersion: '2025-11-25', clientCapabilities: { sampling: {} }, clientInfo: { name: 'c', version: '1' }, initialized: true, logLevel: 'info', subscriptions: ['test://x'], createdAt: 1 };
}

describe('Redis stores', { concurrency: false }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  let a: RedisStores;
  let b: RedisStores;

  before(async () => {
    admin = await requireRedis();
    a = await connectRedisStores({ url: REDIS_URL, prefix, heartbeatMs: 200, events: { maxEventsPerStream: 10, ttlMs: 60_000 } });
    b = await connectRedisStores({ url: REDIS_URL, prefix, heartbeatMs: 200 });
  });

  after(async () => {
    await a?.close();
    await b?.close();
    if (admin) {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  it('session store: a session written on one node is read on another, with an idle TTL that touch refreshes', async () => {
    await a.sessionStore.set(state('s1'), 60_000);
    assert.deepEqual(await b.sessionStore.get('s1'), state('s1'));
    const ttl = await admin.pttl(`${prefix}s:s1`);
    assert.ok(ttl > 50_000 && ttl <= 60_000, `ttl ${ttl}`);
    await admin.pexpire(`${prefix}s:s1`, 5000);
    assert.equal(await b.sessionStore.touch('s1', 60_000), true);
    assert.ok((await admin.pttl(`${prefix}s:s1`)) > 50_000);
    assert.equal(await b.sessionStore.touch('nope', 1000), false);
    await b.sessionStore.delete('s1');
    assert.equal(await a.sessionStore.get('s1'), undefined);
  });

  it('session store: Redis expires an idle session by itself', async () => {
    await a.sessionStore.set(state('s2'), 60);
    await sleep(150);
    assert.equal(await b.sessionStore.get('s2'), undefined);
  });

  it('session store: lists a resource\'s subscribers on every node, following subscribe, unsubscribe, delete and expiry', async () => {
    const sub = (id: string, subscriptions: string[], initialized = true): SessionState => ({ ...state(id), subscriptions, initialized });
    await a.sessionStore.set(sub('i1', ['test://doc', 'test://other']), 60_000);
    await a.sessionStore.set(sub('i2', ['test://doc']), 60_000);
    await a.sessionStore.set(sub('i3', [], false), 60_000);
    assert.deepEqual((await b.sessionStore.subscriberIds('test://doc')).sort(), ['i1', 'i2']);
    assert.deepEqual((await b.sessionStore.initializedIds()).filter((id) => id.startsWith('i')).sort(), ['i1', 'i2'], 'only initialized sessions get list_changed');
    // Unsubscribed on another node: the stored state, not the caller's memory, says what to remove.
    await b.sessionStore.set(sub('i1', ['test://other']), 60_000);
    assert.deepEqual(await a.sessionStore.subscriberIds('test://doc'), ['i2']);
    assert.deepEqual(await a.sessionStore.subscriberIds('test://other'), ['i1']);
    await b.sessionStore.delete('i2');
    assert.deepEqual(await a.sessionStore.subscriberIds('test://doc'), []);
    // A session that expires is dropped from the index when it is next read.
    await a.sessionStore.set(sub('i4', ['test://other'], true), 50);
    await sleep(120);
    assert.deepEqual(await b.sessionStore.subscriberIds('test://other'), ['i1']);
    assert.equal(await admin.sismember(`${prefix}su:test://other`, 'i4'), 0, 'the expired id was removed from the index');
    // touch keeps the indexes alive as long as their sessions.
    await admin.pexpire(`${prefix}su:test://other`, 1000);
    assert.equal(await a.sessionStore.touch('i1', 60_000), true);
    assert.ok((await admin.pttl(`${prefix}su:test://other`)) > 50_000, 'touch extended the index TTL');
    await a.sessionStore.delete('i1');
    await a.sessionStore.delete('i3');
  });

  it('event store: ids name their stream; replay returns only that stream after the id, skipping priming markers', async () => {
    const es = a.eventStore;
    const prime = await es.append('sess/n1.0', undefined);
    assert.equal(prime, 'sess/n1.0#0-0', 'a per-POST stream is primed without I/O');
    assert.equal(await admin.exists(es.key('sess/n1.0')), 0);
    const e1 = await es.append('sess/n1.0', note(1));
    await es.append('sess/n1.1', note(99));
    const e2 = await es.append('sess/n1.0', note(2));
    assert.equal(es.streamIdOf(e1), 'sess/n1.0');
    assert.equal(es.streamIdOf('sess/n1.0#abc'), undefined);
    assert.equal(es.streamIdOf('no-hash'), undefined);
    const seen: [string, unknown][] = [];
    assert.equal(await b.eventStore.replayAfter(prime, (id, m) => void seen.push([id, dataOf(m)])), 'sess/n1.0');
    assert.deepEqual(seen, [
      [e1, 1],
      [e2, 2],
    ]);
    seen.length = 0;
    await b.eventStore.replayAfter(e1, (id, m) => void seen.push([id, dataOf(m)]));
    assert.deepEqual(seen, [[e2, 2]]);
    assert.equal(await b.eventStore.replayAfter('sess/gone#1-1', () => {}), undefined, 'unknown stream');
    // The shared GET stream stores a real marker, so resuming from it skips what came before.
    await es.append('sess/_', note(0));
    const marker = await es.append('sess/_', undefined);
    assert.notEqual(marker, 'sess/_#0-0');
    const e3 = await es.append('sess/_', note(3));
    seen.length = 0;
    await b.eventStore.replayAfter(marker, (id, m) => void seen.push([id, dataOf(m)]));
    assert.deepEqual(seen, [[e3, 3]]);
  });

  it('event store: streams are bounded (MAXLEN ~) and expire (PEXPIRE on every append)', async () => {
    for (let i = 0; i < 400; i++) await a.eventStore.append('sess/big', note(i));
    const len = await admin.xlen(a.eventStore.key('sess/big'));
    assert.ok(len >= 10 && len < 400, `xlen ${len}`);
    const ttl = await admin.pttl(a.eventStore.key('sess/big'));
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`);
  });

  it('event store: follow replays, then delivers appends made by another node, once each and in order', async () => {
    const got: number[] = [];
    const first = await b.eventStore.append('f1/_', note(1));
    await b.eventStore.append('f1/_', note(2));
    const f = await a.eventStore.follow('f1/_', first, (_id, m) => void got.push(dataOf(m) as number));
    assert.equal(f.found, true);
    assert.deepEqual(got, [2], 'replayed after the cursor');
    // Appends racing with nothing in particular, from the other node.
    await Promise.all([3, 4, 5, 6].map((n) => b.eventStore.append('f1/_', note(n))));
    await waitFor('live events', () => got.length === 5);
    assert.deepEqual(got, [2, 3, 4, 5, 6]);
    f.stop();
    await b.eventStore.append('f1/_', note(7));
    // A barrier: another stream followed on the same subscriber connection, appended after 7.
    // Pub/sub keeps order per connection, so 7 would have arrived before 8 does.
    const barrier: number[] = [];
    const g = await a.eventStore.follow('f1b/_', 'f1b/_#0-0', (_id, m) => void barrier.push(dataOf(m) as number));
    await b.eventStore.append('f1b/_', note(8));
    await waitFor('the barrier event', () => barrier.length === 1);
    g.stop();
    assert.deepEqual(got, [2, 3, 4, 5, 6], 'nothing after stop()');
  });

  it('event store: follow starting while another node appends misses nothing and repeats nothing', async () => {
    let n = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) await b.eventStore.append('f2/_', note(++n));
    })();
    await sleep(20);
    const got: number[] = [];
    const f = await a.eventStore.follow('f2/_', 'f2/_#0-0', (_id, m) => void got.push(dataOf(m) as number));
    await sleep(50);
    writing = false;
    await writer;
    // maxEventsPerStream on `a` does not bound b's appends; all of them are still stored.
    await waitFor('all events', () => got.length >= n);
    f.stop();
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => i + 1));
  });

  it('event store: a follower whose subscriber connection is killed catches up from the stream after reconnecting', async () => {
    const got: number[] = [];
    const start = await b.eventStore.append('f3/_', note(0));
    const f = await a.eventStore.follow('f3/_', start, (_id, m) => void got.push(dataOf(m) as number));
    const line = String(await admin.call('CLIENT', 'LIST')).split('\n').find((l) => l.includes(`name=erlmcp:${a.nodeId}:sub`));
    const id = /\bid=(\d+)/.exec(line ?? '')?.[1];
    assert.ok(id, 'subscriber connection listed');
    await admin.call('CLIENT', 'KILL', 'ID', id);
    for (let i = 1; i <= 5; i++) await b.eventStore.append('f3/_', note(i));
    await waitFor('catch-up after reconnect', () => got.length === 5, 10_000);
    await b.eventStore.append('f3/_', note(6));
    await waitFor('live again', () => got.length === 6);
    assert.deepEqual(got, [1, 2, 3, 4, 5, 6]);
    f.stop();
  });

  it('event store: a final event gives its stream a short TTL in the same script call (no delete command)', async () => {
    const es = a.eventStore;
    await es.append('sess/fin', note(1));
    assert.ok((await admin.pttl(es.key('sess/fin'))) > 30_000, 'full TTL while the request runs');
    await es.append('sess/fin', note(2), { json: JSON.stringify(note(2)), final: true });
    const ttl = await admin.pttl(es.key('sess/fin'));
    assert.ok(ttl > 0 && ttl <= 30_000, `ttl after the final event: ${ttl}`);
    const seen: unknown[] = [];
    await b.eventStore.replayAfter('sess/fin#0-0', (_id, m) => void seen.push(dataOf(m)));
    assert.deepEqual(seen, [1, 2], 'still resumable meanwhile');
  });

  it('event store: follow waits for the sink of each replayed event, then flags live ones', async () => {
    for (let i = 1; i <= 3; i++) await b.eventStore.append('f4/_', note(i));
    const got: [number, boolean][] = [];
    let release: () => void = () => {};
    const following = a.eventStore.follow('f4/_', 'f4/_#0-0', (_id, m, replayed) => {
      got.push([dataOf(m) as number, replayed]);
      if (got.length === 1) return new Promise<void>((r) => (release = r));
      return undefined;
    });
    await waitFor('the first replayed event', () => got.length >= 1);
    // A round trip on a's command connection: a read issued without waiting for the sink would be answered first.
    await a.sessionStore.get('no-such-session');
    assert.deepEqual(got, [[1, true]], 'the next replayed event waits for the sink');
    release();
    const f = await following;
    await b.eventStore.append('f4/_', note(4));
    await waitFor('live event', () => got.length === 4);
    assert.deepEqual(got, [
      [1, true],
      [2, true],
      [3, true],
      [4, false],
    ]);
    f.stop();
  });

  it('bus: a message published on one node reaches subscribers on another until they unsubscribe', async () => {
    const got: unknown[] = [];
    const unsubscribe = await a.bus.subscribe('chan', (m) => got.push(m));
    await b.bus.publish('chan', { hello: 1 });
    await waitFor('bus message', () => got.length === 1);
    assert.deepEqual(got, [{ hello: 1 }]);
    await unsubscribe();
    await b.bus.publish('chan', { hello: 2 });
    // A barrier on another channel, published after: pub/sub keeps order per connection.
    const barrier: unknown[] = [];
    const stopBarrier = await a.bus.subscribe('chan-barrier', (m) => barrier.push(m));
    await b.bus.publish('chan-barrier', { after: 2 });
    await waitFor('the barrier message', () => barrier.length === 1);
    await stopBarrier();
    assert.equal(got.length, 1);
  });

  it('nodes: ids are random per process, alive while heartbeating, dead once closed', async () => {
    assert.notEqual(a.nodeId, b.nodeId);
    assert.match(a.nodeId, /^[0-9a-f]{12}$/);
    const c = await connectRedisStores({ url: REDIS_URL, prefix, heartbeatMs: 100 });
    assert.equal(await a.bus.isNodeAlive(c.nodeId), true);
    const ttl = await admin.pttl(`${prefix}n:${c.nodeId}`);
    assert.ok(ttl > 0 && ttl <= 300, `heartbeat ttl ${ttl}`);
    await c.close();
    assert.equal(await a.bus.isNodeAlive(c.nodeId), false);
  });

  it('uses exactly two connections per node, however many streams it follows', async () => {
    const follows = await Promise.all(Array.from({ length: 20 }, (_, i) => a.eventStore.follow(`many${i}/_`, `many${i}/_#0-0`, () => {})));
    const list = String(await admin.call('CLIENT', 'LIST'));
    const mine = list.split('\n').filter((l) => l.includes(`name=erlmcp:${a.nodeId}:`));
    assert.equal(mine.length, 2, list);
    for (const f of follows) f.stop();
  });

  it('leaves no key without a TTL', async () => {
    assert.deepEqual(await keysWithoutTtl(admin, prefix), []);
  });

  it('fails fast with a clear error when Redis is unreachable', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await assert.rejects(connectRedisStores({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 }), /Redis at redis:\/\/127\.0\.0\.1:\d+ is not reachable/);
    // Fails rather than retrying forever; the bound is loose (only "not stuck in retries").
    assert.ok(Date.now() - t0 < 20_000);
  });
});
