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

  it('drops whole streams once their newest event is past the TTL', async () => {
    const store = new MemoryEventStore({ ttlMs: 1000 });
    await store.append('s1/a', note(1));
    await store.append('s1/b', note(2));
    store.sweep(Date.now() + 2000);
    assert.equal(store.streamCount, 0);
    await store.close();
  });
});
