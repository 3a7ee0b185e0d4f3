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
  /** Settles when the last backpressured batch drained; later batches wait behind it. */
  private tail: Promise<void> | undefined;
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
    const tail = this.tail;
    if (tail === undefined) this.writeBatch(b);
    else tail.then(() => this.writeBatch(b), b.reject);
  };

  private writeBatch(b: Batch): void {
    const s = this.stream;
    if (s.destroyed || s.writableEnded) return b.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'Stream is closed'));
    if (s.write(b.data)) return b.resolve();
    const waiting = new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        s.off('drain', onDrain);
        s.off('error', onError);
        s.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onError = (e: Error): void => done(new ErlmcpError('ERR_TRANSPORT', `Write failed: ${e.message}`, { cause: e }));
      const onClose = (): void => done(new ErlmcpError('ERR_CONNECTION_CLOSED', 'Stream closed before drain'));
      s.on('drain', onDrain);
      s.on('error', onError);
      s.on('close', onClose);
    });
    this.tail = waiting;
    const clear = (): void => {
      if (this.tail === waiting) this.tail = undefined;
    };
    waiting.then(clear, clear);
    waiting.then(b.resolve, b.reject);
  }
}
