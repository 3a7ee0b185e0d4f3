import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONRPCMessage } from '../protocol/types.js';
import { MemoryEventStore } from './memory-event-store.js';

const note = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: n } });

async function replay(store: MemoryEventStore, after: string): Promise<{ streamId: string | undefined; events: [string, JSONRPCMessage][] }> {
  const events: [string, JSONRPCMessage][] = [];
  const streamId = await store.replayAfter(after, (id, m) => void events.push([id, m]));
  return { streamId, events };
}

describe('MemoryEventStore', () => {
  it('replays only the named stream, after the given event, skipping priming markers', async () => {
    const store = new MemoryEventStore();
    const prime = await store.append('s1/a', undefined);
    const a1 = await store.append('s1/a', note(1));
    await store.append('s1/b', note(99));
    const a2 = await store.append('s1/a', note(2));
    assert.equal(store.streamIdOf(prime), 's1/a');
    const all = await replay(store, prime);
    assert.equal(all.streamId, 's1/a');
    assert.deepEqual(all.events, [
      [a1, note(1)],
      [a2, note(2)],
    ]);
    assert.deepEqual((await replay(store, a1)).events, [[a2, note(2)]]);
    await store.close();
  });

  it('answers undefined for unknown or malformed ids', async () => {
    const store = new MemoryEventStore();
    assert.equal(store.streamIdOf('no-hash'), undefined);
    assert.equal(store.streamIdOf('s/x#abc'), undefined);
    assert.equal((await replay(store, 's/unknown#1')).streamId, undefined);
    await store.close();
  });

  it('keeps at most maxEventsPerStream events and forgets a deleted session', async () => {
    const store = new MemoryEventStore({ maxEventsPerStream: 2 });
    const first = await store.append('s1/a', undefined);
    for (let i = 1; i <= 3; i++) await store.append('s1/a', note(i));
    await store.append('s2/a', note(7));
    assert.deepEqual(
      (await replay(store, first)).events.map(([, m]) => (m as unknown as { params: { data: number } }).params.data),
      [2, 3],
    );
    await store.deleteSession('s1');
    assert.equal(store.streamCount, 1);
    assert.equal((await replay(store, first)).streamId, undefined);
    await store.close();
  });

  it('bounds a stream by serialised bytes, dropping the oldest events first but always keeping the newest', async () => {
    const store = new MemoryEventStore({ maxBytesPerStream: 300 });
    const big = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `${n}:${'x'.repeat(100)}` } });
    const size = JSON.stringify(big(1)).length;
    for (let i = 1; i <= 5; i++) await store.append('s1/a', big(i));
    const kept = Math.floor(300 / size);
    assert.equal(store.streamBytes('s1/a'), kept * size);
    assert.deepEqual(
      (await replay(store, 's1/a#0')).events.map(([id]) => id),
      Array.from({ length: kept }, (_, i) => `s1/a#${5 - kept + 1 + i}`),
    );
    // The caller's serialisation is what is counted (it is not done twice).
    await store.append('s1/b', note(1), { json: 'x'.repeat(1000) });
    assert.equal(store.streamBytes('s1/b'), 1000, 'an event larger than the budget is still kept alone');
    await store.close();
  });

  it('primes without storing anything: the cursor is a sequence number', async () => {
    const store = new MemoryEventStore();
    assert.equal(await store.append('s1/a', undefined), 's1/a#0');
    assert.equal(store.streamCount, 0);
    await store.append('s1/a', note(1));
    const cursor = await store.append('s1/a', undefined);
    assert.equal(cursor, 's1/a#1');
    const e2 = await store.append('s1/a', note(2));
    assert.deepEqual((await replay(store, cursor)).events, [[e2, note(2)]]);
    await store.close();
  });

  it('forgets one stream on deleteStream, and replays all of a stream recreated under an old cursor', async () => {
    const store = new MemoryEventStore();
    for (let i = 1; i <= 3; i++) await store.append('s1/a', note(i));
    await store.append('s1/b', note(9));
    await store.deleteStream('s1/a');
    assert.equal(store.streamCount, 1);
    assert.equal((await replay(store, 's1/a#3')).streamId, undefined);
    const fresh = await store.append('s1/a', note(4));
    assert.deepEqual((await replay(store, 's1/a#3')).events, [[fresh, note(4)]], 'a cursor past the end is from an earlier life of the stream');
    await store.close();
  });

  it('waits for a replay sink that returns a promise before sending the next event', async () => {
    const store = new MemoryEventStore();
    for (let i = 1; i <= 3; i++) await store.append('s1/a', note(i));
    const got: number[] = [];
    let release: () => void = () => {};
    const done = store.replayAfter('s1/a#0', (_id, m) => {
      got.push((m as unknown as { params: { data: number } }).params.data);
      if (got.length === 1) return new Promise<void>((r) => (release = r));
      return undefined;
    });
    // One macrotask turn: a replay that did not wait would have sent every event by now.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, [1]);
    release();
    await done;
    assert.deepEqual(got, [1, 2, 3]);
    await store.close();
  });

  it('drops whole streams once their newest event is past the TTL', async () => {
    const store = new MemoryEventStore({ ttlMs: 1000 });
    await store.append('s1/a', note(1));
    await store.append('s1/b', note(2));
    store.sweep(Date.now() + 2000);
    assert.equal(store.streamCount, 0);
    await store.close();
  });
});
