import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { BackpressureWriter } from './writer.js';

/** A Writable with a tiny buffer whose writes complete only when `release()` is called. */
function slowStream() {
  const chunks: string[] = [];
  const pending: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark: 8,
    decodeStrings: false,
    write(chunk: string, _enc, cb) {
      chunks.push(String(chunk));
      pending.push(() => cb());
    },
  });
  const release = (): void => {
    for (const cb of pending.splice(0)) cb();
  };
  return { stream, chunks, release };
}

describe('BackpressureWriter', () => {
  it('keeps order and waits for drain with one set of listeners, however many batches queue behind a full stream', async () => {
    const { stream, chunks, release } = slowStream();
    const w = new BackpressureWriter(stream);
    const settled: number[] = [];
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      writes.push(w.write(`message-${i}\n`).then(() => void settled.push(i)));
      // A new tick per write: 30 batches, not one coalesced write.
      await new Promise((r) => setImmediate(r));
      assert.ok(stream.listenerCount('drain') <= 1, `drain listeners: ${stream.listenerCount('drain')}`);
    }
    assert.ok(settled.length < 30, 'writes behind a full stream wait');
    let most = 0;
    while (settled.length < 30) {
      release();
      await new Promise((r) => setImmediate(r));
      most = Math.max(most, stream.listenerCount('drain'));
    }
    assert.ok(most <= 1, `at most one drain listener while draining the queue, saw ${most}`);
    await Promise.all(writes);
    assert.deepEqual(chunks.join('').split('\n').filter(Boolean), Array.from({ length: 30 }, (_, i) => `message-${i}`));
    assert.deepEqual(settled, [...settled].sort((a, b) => a - b), 'promises settle in write order');
  });

  it('rejects every queued write when the stream closes before draining', async () => {
    const { stream } = slowStream();
    const w = new BackpressureWriter(stream);
    const first = w.write('x'.repeat(64));
    await new Promise((r) => setImmediate(r));
    const second = w.write('y');
    await new Promise((r) => setImmediate(r));
    stream.destroy();
    await assert.rejects(first, { code: 'ERR_CONNECTION_CLOSED' });
    await assert.rejects(second, { code: 'ERR_CONNECTION_CLOSED' });
  });
});
