import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryEventStore } from '../../stores/memory-event-store.js';
import { FinishedStreams } from './finished-streams.js';

/** A MemoryEventStore whose deletions the test can await, one by one. */
function recordingStore(): { store: MemoryEventStore; deleted: string[]; next: () => Promise<string> } {
  const store = new MemoryEventStore();
  const deleted: string[] = [];
  let waiter: ((id: string) => void) | undefined;
  const inner = store.deleteStream.bind(store);
  store.deleteStream = async (id: string) => {
    deleted.push(id);
    await inner(id);
    waiter?.(id);
  };
  return { store, deleted, next: () => new Promise((r) => (waiter = r)) };
}

describe('FinishedStreams', () => {
  it('keeps a finished stream resumable until its grace has passed, then deletes its events', async () => {
    const { store, deleted, next } = recordingStore();
    const stream = 's1/n.1';
    const first = await store.append(stream, { jsonrpc: '2.0', id: 1, result: {} });
    const finished = new FinishedStreams(store, (e) => assert.fail(e), 50, 10);
    const gone = next();
    finished.add(stream);
    assert.deepEqual(deleted, [], 'still there right after the stream ended');
    assert.notEqual(await store.replayAfter(`${stream}#0`, () => {}), undefined, 'a client resuming now finds it');
    // The retention timer is unref'd (it never holds a process open): a guard keeps this test alive.
    const guard = setTimeout(() => assert.fail('the finished stream was never deleted'), 120_000);
    assert.equal(await gone, stream);
    clearTimeout(guard);
    assert.equal(await store.replayAfter(first, () => {}), undefined, 'deleted after the grace');
    assert.equal(finished.size, 0);
  });

  it('holds at most maxStreams: at the limit nothing goes early, one past it the oldest goes', async () => {
    const { store, deleted } = recordingStore();
    const finished = new FinishedStreams(store, (e) => assert.fail(e), 60_000, 3);
    for (const id of ['a/1', 'b/1', 'c/1']) finished.add(id);
    assert.equal(finished.size, 3);
    assert.deepEqual(deleted, []);
    finished.add('d/1');
    assert.equal(finished.size, 3);
    assert.deepEqual(deleted, ['a/1']);
    finished.close();
    assert.deepEqual(deleted.sort(), ['a/1', 'b/1', 'c/1', 'd/1']);
    assert.equal(finished.size, 0);
  });
});
