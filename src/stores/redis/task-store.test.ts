/**
 * RedisTaskStore against a real Redis: two stores on separate connections stand for two nodes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { deleteKeys, keysWithoutTtl, requireRedis, testPrefix, waitFor, REDIS_URL } from '../../../test/scale-out/helpers.js';
import type { TaskOutcome } from '../types.js';
import { connectRedisStores, RedisTaskStore, type RedisStores } from './index.js';

describe('RedisTaskStore', { concurrency: false, timeout: 120_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  let a: RedisStores;
  let b: RedisStores;

  before(async () => {
    admin = await requireRedis();
    a = await connectRedisStores({ url: REDIS_URL, prefix });
    b = await connectRedisStores({ url: REDIS_URL, prefix });
  });

  after(async () => {
    await a?.close();
    await b?.close();
    if (admin) {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  it('shows a task created on one node to its owner on another node, and to nobody else', async () => {
    const t = await a.taskStore.create('s1', 60_000, 500);
    assert.equal(t.status, 'working');
    assert.deepEqual(await b.taskStore.get('s1', t.taskId), t);
    assert.equal(await b.taskStore.get('s2', t.taskId), undefined, 'another session cannot see it');
    assert.ok((await b.taskStore.list('s1')).some((x) => x.taskId === t.taskId));
    assert.deepEqual(await b.taskStore.list('s2'), []);
    const ttl = await admin.pttl(`${prefix}t:${t.taskId}`);
    assert.ok(ttl > 50_000 && ttl <= 60_000, `task key expires with the task's ttl (${ttl})`);
  });

  it('keeps an outcome with empty arrays and objects exactly as given', async () => {
    const t = await a.taskStore.create('s1', 60_000, undefined);
    const outcome: TaskOutcome = { result: { content: [], structuredContent: { items: [], meta: {} } } };
    const done = await b.taskStore.setStatus(t.taskId, 'completed', undefined, outcome);
    assert.equal(done?.status, 'completed');
    const r = await a.taskStore.waitForOutcome('s1', t.taskId);
    assert.deepEqual(r?.outcome, outcome);
    assert.equal(r?.task.ttl, 60_000);
  });

  it('never changes a terminal task: of a completion and a cancellation racing on two nodes, one wins', async () => {
    const t = await a.taskStore.create('s1', 60_000, undefined);
    const [done, cancelled] = await Promise.all([
      a.taskStore.setStatus(t.taskId, 'completed', undefined, { result: { content: [] } }),
      b.taskStore.setStatus(t.taskId, 'cancelled', 'Cancelled by request'),
    ]);
    assert.equal([done, cancelled].filter((x) => x !== undefined).length, 1);
    const final = await a.taskStore.get('s1', t.taskId);
    assert.equal(final?.status, done ? 'completed' : 'cancelled');
    assert.equal(await a.taskStore.setStatus(t.taskId, 'working'), undefined);
  });

  it('wakes a tasks/result waiting on one node when the task completes on another', { timeout: 120_000 }, async () => {
    // No re-check within the test's time: only the publish can wake this wait.
    const listening = new RedisTaskStore(a.connection, { recheckMs: 3_600_000 });
    try {
      const t = await a.taskStore.create('s1', 60_000, undefined);
      const waiting = listening.waitForOutcome('s1', t.taskId);
      await waitFor('the wait to subscribe', async () => (await admin.pubsub('NUMSUB', `${prefix}tc:${t.taskId}`))[1] === 1);
      await b.taskStore.setStatus(t.taskId, 'failed', 'boom', { error: { code: -32603, message: 'boom' } });
      const r = await waiting;
      assert.equal(r?.task.status, 'failed');
      assert.equal(r?.task.statusMessage, 'boom');
      assert.deepEqual(r?.outcome, { error: { code: -32603, message: 'boom' } });
    } finally {
      await listening.close();
    }
  });

  it('does not miss a completion that lands while the wait is still subscribing', { timeout: 120_000 }, async () => {
    const listening = new RedisTaskStore(a.connection, { recheckMs: 3_600_000 });
    try {
      for (let i = 0; i < 20; i++) {
        const t = await a.taskStore.create('s1', 60_000, undefined);
        const waiting = listening.waitForOutcome('s1', t.taskId);
        await b.taskStore.setStatus(t.taskId, 'completed', undefined, { result: { content: [] } });
        assert.equal((await waiting)?.task.status, 'completed');
      }
    } finally {
      await listening.close();
    }
  });

  it('ends a wait when its signal aborts, and when the task expires', async () => {
    const t = await a.taskStore.create('s1', 60_000, undefined);
    const ac = new AbortController();
    const waiting = b.taskStore.waitForOutcome('s1', t.taskId, ac.signal);
    ac.abort(new Error('client gave up'));
    await assert.rejects(waiting, /client gave up/);
    const short = await a.taskStore.create('s1', 300, undefined);
    assert.equal(await b.taskStore.waitForOutcome('s1', short.taskId), undefined);
    assert.equal(await b.taskStore.get('s1', short.taskId), undefined);
    assert.ok(!(await b.taskStore.list('s1')).some((x) => x.taskId === short.taskId), 'an expired task leaves the list');
  });

  it('tells the node running a task that another node cancelled it', async () => {
    const t = await a.taskStore.create('s1', 60_000, undefined);
    let cancelled = 0;
    const stop = a.taskStore.watchCancel(t.taskId, () => cancelled++);
    await waitFor('the watch to subscribe', async () => (await admin.pubsub('NUMSUB', `${prefix}tc:${t.taskId}`))[1] === 1);
    await b.taskStore.setStatus(t.taskId, 'cancelled', 'Cancelled by request');
    await waitFor('the cancel to reach the running node', () => cancelled > 0);
    await a.connection.cmd.ping();
    assert.equal(cancelled, 1, 'told once (publish and re-read do not both fire)');
    stop();
  });

  it('stops a handler whose task was cancelled before its node started listening', async () => {
    const t = await a.taskStore.create('s1', 60_000, undefined);
    await b.taskStore.setStatus(t.taskId, 'cancelled', 'Cancelled by request');
    let cancelled = 0;
    const stop = a.taskStore.watchCancel(t.taskId, () => cancelled++);
    await waitFor('the late cancel to be noticed', () => cancelled === 1);
    stop();
    const other = await a.taskStore.create('s1', 60_000, undefined);
    let wrongly = 0;
    const stopOther = a.taskStore.watchCancel(other.taskId, () => wrongly++);
    await b.taskStore.setStatus(other.taskId, 'completed', undefined, { result: { content: [] } });
    await waitFor('the watch to subscribe', async () => (await admin.pubsub('NUMSUB', `${prefix}tc:${other.taskId}`))[1] === 1);
    await a.connection.cmd.ping();
    stopOther();
    assert.equal(wrongly, 0, 'a completed task does not abort anything');
  });

  it('keeps a task without expiry for a bounded time, and leaves no key without a TTL', async () => {
    const t = await a.taskStore.create('s3', null, undefined);
    assert.equal((await b.taskStore.get('s3', t.taskId))?.ttl, null);
    assert.ok((await admin.pttl(`${prefix}t:${t.taskId}`)) > 23 * 3_600_000);
    assert.deepEqual(await keysWithoutTtl(admin, prefix), []);
  });
});
