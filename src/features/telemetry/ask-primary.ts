/**
 * The worker side of a question to the node:cluster primary over IPC: send `{ type: ask, id }`,
 * wait for `{ type: answer, id, … }`. The Prometheus aggregate (cluster-metrics.ts) and the
 * merged dashboard (dashboard/cluster.ts) both ask this way.
 */
import { ErlmcpError } from '../../protocol/errors.js';

export interface AskOptions<T> {
  ask: string;
  answer: string;
  /** What is asked for, in error messages ("the aggregate", "the dashboard"). */
  what: string;
  timeoutMs: number;
  /** The value an answer carries; undefined when the primary answered with an `error`. */
  value(m: Record<string, unknown>): T | undefined;
}

export class PrimaryAsk<T> {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(v: T): void; reject(e: Error): void; timer: NodeJS.Timeout }>();

  constructor(private readonly o: AskOptions<T>) {}

  /** Settles the request `m` answers; false when `m` is not one of our answers. */
  settle(m: unknown): boolean {
    const a = m as Record<string, unknown> | null;
    if (a?.type !== this.o.answer || typeof a.id !== 'number') return false;
    const w = this.waiting.get(a.id);
    if (!w) return true;
    this.waiting.delete(a.id);
    clearTimeout(w.timer);
    const v = this.o.value(a);
    if (v !== undefined) w.resolve(v);
    else w.reject(new ErlmcpError('ERR_TRANSPORT', `cluster aggregation of ${this.o.what} failed: ${typeof a.error === 'string' ? a.error : 'no answer'}`));
    return true;
  }

  request(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ErlmcpError('ERR_TIMEOUT', `the primary did not answer with ${this.o.what} within ${this.o.timeoutMs} ms`));
      }, this.o.timeoutMs);
      timer.unref();
      this.waiting.set(id, { resolve, reject, timer });
      process.send!({ type: this.o.ask, id });
    });
  }
}
