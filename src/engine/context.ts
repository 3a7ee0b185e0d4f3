/**
 * What a request handler sees: its id, an AbortSignal that fires on `notifications/cancelled`
 * or connection loss, the progress token, and ways to send messages *related* to this request
 * (so Streamable HTTP puts them on this request's SSE stream).
 */
import type { MessageExtra } from '../protocol/transport.js';
import type { JSONRPCRequest, Meta, ProgressToken, RequestId, Result } from '../protocol/types.js';
import type { RequestOptions } from './outbound.js';

export interface RequestContext {
  readonly id: RequestId;
  readonly method: string;
  /** Aborted when the peer cancels the request or the connection closes. Created on first use. */
  readonly signal: AbortSignal;
  readonly meta: Meta | undefined;
  readonly progressToken: ProgressToken | undefined;
  readonly extra: MessageExtra | undefined;
  /** Sends a notification tied to this request. */
  notify(method: string, params?: Record<string, unknown>): Promise<void>;
  /** Sends a request to the peer tied to this request; aborts with it. */
  request<R = Result>(method: string, params?: Record<string, unknown>, options?: RequestOptions): Promise<R>;
  /** Reports progress when the caller asked for it (it sent a progressToken); no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /**
   * Aborts `signal` without cancelling the request: a time limit fired, the handler should stop,
   * and the request is still answered (with the error the limit chose).
   */
  abort(reason: unknown): void;
}

interface Sender {
  notify(method: string, params?: Record<string, unknown>, options?: { relatedRequestId?: RequestId }): Promise<void>;
  request<R>(method: string, params?: Record<string, unknown>, options?: RequestOptions): Promise<R>;
}

export class InboundRequest implements RequestContext {
  readonly id: RequestId;
  readonly method: string;
  readonly extra: MessageExtra | undefined;
  cancelled = false;
  private controller: AbortController | undefined;
  private cancelReason: string | undefined;

  constructor(
    private readonly sender: Sender,
    private readonly message: JSONRPCRequest,
    extra: MessageExtra | undefined,
  ) {
    this.id = message.id;
    this.method = message.method;
    this.extra = extra;
  }

  get meta(): Meta | undefined {
    return this.message.params?._meta as Meta | undefined;
  }

  get progressToken(): ProgressToken | undefined {
    return (this.message.params?._meta as { progressToken?: ProgressToken } | undefined)?.progressToken;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(this.cancelReason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.controller === undefined) {
      this.controller = new AbortController();
    }
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  cancel(reason: string): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.cancelReason = reason;
    this.controller?.abort(reason);
  }

  notify(method: string, params?: Record<string, unknown>): Promise<void> {
    return this.sender.notify(method, params, { relatedRequestId: this.id });
  }

  request<R = Result>(method: string, params?: Record<string, unknown>, options?: RequestOptions): Promise<R> {
    return this.sender.request<R>(method, params, { signal: this.signal, ...options, relatedRequestId: this.id });
  }

  progress(progress: number, total?: number, message?: string): Promise<void> {
    const token = this.progressToken;
    if (token === undefined) return Promise.resolve();
    const params: Record<string, unknown> = { progressToken: token, progress };
    if (total !== undefined) params.total = total;
    if (message !== undefined) params.message = message;
    return this.notify('notifications/progress', params);
  }
}
