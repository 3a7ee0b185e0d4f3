/**
 * One request waiting for its response: timeout (reset by progress if asked, bounded by a hard
 * maximum), caller cancellation through an AbortSignal, and progress callbacks.
 */
import { ErlmcpError } from '../protocol/errors.js';
import type { RequestId, Result } from '../protocol/types.js';
import { COARSE_MIN_MS } from './deadlines.js';

export interface Progress {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Timeout in ms without a response (default: the endpoint's, 60 s). */
  timeoutMs?: number;
  /** Each progress notification restarts the timeout (default true when onprogress is given). */
  resetTimeoutOnProgress?: boolean;
  /** Hard ceiling in ms however much progress arrives. */
  maxTotalTimeoutMs?: number;
  onprogress?: (progress: Progress) => void;
  /** The inbound request this one is nested in (set by RequestContext.request). */
  relatedRequestId?: RequestId;
}

export class Outbound {
  /** A near deadline's own timer … */
  private timer: NodeJS.Timeout | undefined;
  /** … or a far one, as a time (ms) the endpoint's sweep checks (deadlines.ts); Infinity when none. */
  deadline = Infinity;
  private readonly started = Date.now();
  private readonly timeoutMs: number;
  private abortListener: (() => void) | undefined;
  readonly relatedRequestId: RequestId | undefined;

  constructor(
    readonly id: RequestId,
    readonly method: string,
    private readonly resolve: (r: Result) => void,
    private readonly reject: (e: Error) => void,
    private readonly options: RequestOptions | undefined,
    defaultTimeoutMs: number,
    private readonly cancel: (reason: string) => void,
  ) {
    this.timeoutMs = options?.timeoutMs ?? defaultTimeoutMs;
    this.relatedRequestId = options?.relatedRequestId;
    this.arm(this.timeoutMs);
    const signal = options?.signal;
    if (signal) {
      if (signal.aborted) {
        queueMicrotask(() => this.abort(signal.reason));
      } else {
        this.abortListener = () => this.abort(signal.reason);
        signal.addEventListener('abort', this.abortListener, { once: true });
      }
    }
  }

  private arm(ms: number): void {
    const max = this.options?.maxTotalTimeoutMs;
    const left = Math.max(0, max === undefined ? ms : Math.min(ms, max - (Date.now() - this.started)));
    if (left >= COARSE_MIN_MS) this.deadline = Date.now() + left;
    else this.timer = setTimeout(() => this.expire(), left);
  }

  private disarm(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.deadline = Infinity;
  }

  /** @internal the deadline passed. */
  expire(): void {
    const msg = `Request ${this.method} timed out after ${Date.now() - this.started} ms`;
    this.cancel(msg);
    this.fail(new ErlmcpError('ERR_TIMEOUT', msg));
  }

  private abort(reason: unknown): void {
    const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'Request cancelled';
    this.cancel(text);
    this.fail(new ErlmcpError('ERR_CANCELLED', text, { cause: reason }));
  }

  progress(p: Progress): void {
    const opts = this.options;
    if (!opts?.onprogress) return;
    if (opts.resetTimeoutOnProgress ?? true) {
      this.disarm();
      this.arm(this.timeoutMs);
    }
    opts.onprogress(p);
  }

  private settle(): void {
    this.disarm();
    if (this.abortListener) this.options?.signal?.removeEventListener('abort', this.abortListener);
    this.abortListener = undefined;
  }

  succeed(result: Result): void {
    this.settle();
    this.resolve(result);
  }

  fail(error: Error): void {
    this.settle();
    this.reject(error);
  }
}
