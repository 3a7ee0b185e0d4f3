/**
 * Ordered, coalesced writes with backpressure for one Writable (a process's stdout, a child's
 * stdin, a socket).
 *
 * Coalescing: messages written in the same tick (e.g. 64 responses completing after one read)
 * are joined and handed to the stream once, on process.nextTick — one syscall instead of 64.
 * Everyone in that batch shares one promise, settled when the batch is accepted.
 *
 * Backpressure: when the stream's buffer is full (write() returns false) the batch's promise
 * waits for 'drain', and later batches queue behind it instead of piling data into memory.
 */
import type { Writable } from 'node:stream';
import { ErlmcpError } from '../../protocol/errors.js';

interface Batch {
  data: string;
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class BackpressureWriter {
  /** Batches waiting while the stream is full, in order. */
  private readonly queued: Batch[] = [];
  /** The stream's buffer is full: waiting for 'drain' (one set of listeners at a time). */
  private blocked = false;
  private batch: Batch | undefined;

  constructor(private readonly stream: Writable) {}

  write(data: string): Promise<void> {
    const s = this.stream;
    if (s.destroyed || s.writableEnded) return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'Stream is closed'));
    const b = this.batch;
    if (b) {
      b.data += data;
      return b.promise;
    }
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.batch = { data, promise, resolve, reject };
    process.nextTick(this.flush);
    return promise;
  }

  private readonly flush = (): void => {
    const b = this.batch;
    if (!b) return;
    this.batch = undefined;
    if (this.blocked) this.queued.push(b);
    else this.writeBatch(b);
  };

  private writeBatch(b: Batch): void {
    const s = this.stream;
    if (s.destroyed || s.writableEnded) return b.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'Stream is closed'));
    if (s.write(b.data)) return b.resolve();
    this.blocked = true;
    const done = (err?: Error): void => {
      s.off('drain', onDrain);
      s.off('error', onError);
      s.off('close', onClose);
      this.blocked = false;
      if (err) {
        b.reject(err);
        for (const q of this.queued.splice(0)) q.reject(err);
        return;
      }
      b.resolve();
      // Queued batches go out in order until the stream is full again.
      while (!this.blocked && this.queued.length > 0) this.writeBatch(this.queued.shift()!);
    };
    const onDrain = (): void => done();
    const onError = (e: Error): void => done(new ErlmcpError('ERR_TRANSPORT', `Write failed: ${e.message}`, { cause: e }));
    const onClose = (): void => done(new ErlmcpError('ERR_CONNECTION_CLOSED', 'Stream closed before drain'));
    s.on('drain', onDrain);
    s.on('error', onError);
    s.on('close', onClose);
  }
}
