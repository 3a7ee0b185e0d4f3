/**
 * Ordered writes with backpressure for one Writable (a process's stdout or a child's stdin).
 * A write that the stream accepts resolves at once; when write() returns false the stream's
 * buffer is full, so that send — and every later one, to keep ordering — waits for 'drain'
 * instead of piling more data into memory.
 */
import type { Writable } from 'node:stream';
import { ErlmcpError } from '../../protocol/errors.js';

/** Shared settled promise: lets write() tell "accepted at once" from "has to wait". */
const ACCEPTED = Promise.resolve();

export class BackpressureWriter {
  /** Settles when the last backpressured write drained; later writes queue behind it. */
  private tail: Promise<void> | undefined;

  constructor(private readonly stream: Writable) {}

  write(data: string): Promise<void> {
    const p = this.tail === undefined ? this.writeNow(data) : this.tail.then(() => this.writeNow(data));
    // Only a write that has to wait becomes the new tail; the chain keeps sends in order.
    if (p !== ACCEPTED) this.track(p);
    return p;
  }

  private writeNow(data: string): Promise<void> {
    const s = this.stream;
    if (s.destroyed || s.writableEnded) return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'Stream is closed'));
    if (s.write(data)) return ACCEPTED;
    const p = new Promise<void>((resolve, reject) => {
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
    return p;
  }

  private track(p: Promise<void>): void {
    this.tail = p;
    const clear = (): void => {
      if (this.tail === p) this.tail = undefined;
    };
    p.then(clear, clear);
  }
}
