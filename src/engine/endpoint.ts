/**
 * The session engine: one JSON-RPC peer bound to one transport.
 * It correlates responses with requests, runs inbound requests with an AbortSignal, routes
 * progress, applies timeouts, and sends `notifications/cancelled` when a caller gives up
 * (basic/utilities/cancellation, basic/utilities/progress). It knows no MCP method semantics:
 * ServerSession and Client extend it and supply `dispatchRequest` / `dispatchNotification`.
 */
import { ErlmcpError, ErrorCode, McpError, limitError, toError } from '../protocol/errors.js';
import { classify, errorResponse, type Classified } from '../protocol/jsonrpc.js';
import type { MessageExtra, SendOptions, Transport } from '../protocol/transport.js';
import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResponse,
  ProgressNotificationParams,
  RequestId,
  Result,
} from '../protocol/types.js';
import { InboundRequest, type RequestContext } from './context.js';
import { watchDeadlines, type DeadlineSource } from './deadlines.js';
import { Outbound, type Progress, type RequestOptions } from './outbound.js';

export type { RequestContext, RequestOptions, Progress };

export interface EndpointOptions {
  /** Default per-request timeout in ms (reset by progress when asked). Default 60 000. */
  defaultTimeoutMs?: number;
  /** Prefix for outbound request ids, so ids stay unique across the nodes of a cluster. */
  idPrefix?: string;
  /** Inbound requests running at once; past it a request is answered -32000 at once. Default unlimited. */
  maxInFlight?: number;
  /** Outbound requests awaiting an answer; past it `request()` rejects with ERR_LIMIT. Default unlimited. */
  maxPending?: number;
}

/**
 * Sees (and may replace) every message this endpoint sends: responses, notifications and
 * requests. Telemetry uses it to observe traffic and to put trace context into `_meta`.
 * Returning undefined keeps the message as it is.
 */
export type OutboundHook = (message: JSONRPCMessage, relatedRequestId: RequestId | undefined) => JSONRPCMessage | undefined;

interface BatchReply {
  waiting: number;
  responses: JSONRPCMessage[];
}

export abstract class Endpoint implements DeadlineSource {
  protected transport: Transport | undefined;
  private nextId = 0;
  private readonly idPrefix: string | undefined;
  private readonly pending = new Map<RequestId, Outbound>();
  /** Registered with the process's deadline sweep (deadlines.ts). */
  private swept = false;
  private readonly inbound = new Map<RequestId, InboundRequest>();
  /** Request id → the batch whose array response it belongs to (2025-03-26 batches only). */
  private batches: Map<RequestId, BatchReply> | undefined;
  readonly defaultTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxPending: number;
  onerror?: (error: Error) => void;
  onclose?: () => void;

  constructor(options?: EndpointOptions) {
    this.defaultTimeoutMs = options?.defaultTimeoutMs ?? 60_000;
    this.idPrefix = options?.idPrefix;
    this.maxInFlight = options?.maxInFlight ?? Infinity;
    this.maxPending = options?.maxPending ?? Infinity;
  }

  /** A request answered with a limit error before any handler saw it; subclasses report it (nothing by default). */
  protected refusedRequest(_message: JSONRPCRequest, _extra: MessageExtra | undefined, _reason: string, _code: number): void {}

  /** The hook every outgoing message passes through; subclasses supply it (none by default). */
  protected get outboundHook(): OutboundHook | undefined {
    return undefined;
  }

  /** Sends through the transport, after the outbound hook when there is one. */
  private transmit(t: Transport, message: JSONRPCMessage, relatedRequestId: RequestId | undefined): Promise<void> {
    const hook = this.outboundHook;
    const m = hook === undefined ? message : (hook(message, relatedRequestId) ?? message);
    return t.send(m, relatedRequestId === undefined ? undefined : { relatedRequestId });
  }

  /** Handles one inbound request; throw McpError for a wire error. */
  protected abstract dispatchRequest(method: string, params: Record<string, unknown> | undefined, ctx: RequestContext): Result | Promise<Result>;
  /** Handles one inbound notification other than cancelled/progress. */
  protected abstract dispatchNotification(method: string, params: Record<string, unknown> | undefined, extra: MessageExtra | undefined): void;
  /** Whether a JSON-RPC batch array is acceptable right now (only in 2025-03-26). */
  protected batchAllowed(): boolean {
    return false;
  }

  get connected(): boolean {
    return this.transport !== undefined;
  }

  async connect(transport: Transport): Promise<void> {
    this.attach(transport);
    await transport.start();
  }

  /**
   * Wires the transport's callbacks without calling start(): for a transport that has nothing
   * to start (a one-request 2026-07-28 HTTP session), so serving it takes no promise hop.
   */
  protected attach(transport: Transport): void {
    this.transport = transport;
    transport.onmessage = (m, extra, classified) => this.receive(m, extra, classified);
    transport.onerror = (e) => this.onerror?.(e);
    transport.onclose = () => this.handleClose();
  }

  async close(): Promise<void> {
    await this.transport?.close();
  }

  /** Entry point for every inbound parsed value (with its classification when the transport made one). Never throws. */
  receive(value: unknown, extra?: MessageExtra, classified?: Classified): void {
    if (Array.isArray(value)) {
      // An array of responses answers a batch we sent: always accepted.
      if (value.length > 0 && value.every((v) => v !== null && typeof v === 'object' && !('method' in v))) {
        for (const item of value) this.receive(item, extra);
        return;
      }
      if (!this.batchAllowed() || value.length === 0) {
        this.sendRaw(errorResponse(null, { code: ErrorCode.InvalidRequest, message: value.length === 0 ? 'Empty batch' : 'JSON-RPC batches are not supported by the negotiated protocol version' }));
        return;
      }
      this.receiveBatch(value, extra);
      return;
    }
    const c = classified ?? classify(value);
    switch (c.kind) {
      case 'request':
        this.handleRequest(c.message, extra);
        return;
      case 'notification':
        this.handleNotification(c.message, extra);
        return;
      case 'response':
        this.handleResponse(c.message);
        return;
      case 'invalid':
        this.sendRaw(errorResponse(c.id, { code: ErrorCode.InvalidRequest, message: `Invalid request: ${c.reason}` }));
    }
  }

  /**
   * JSON-RPC 2.0 §6: the responses to a batch go back as one array, once all are ready;
   * a batch of only notifications gets nothing back.
   */
  private receiveBatch(items: unknown[], extra: MessageExtra | undefined): void {
    const reply: BatchReply = { waiting: 0, responses: [] };
    const run: unknown[] = [];
    const ids = new Set<RequestId>();
    for (const item of items) {
      const c = classify(item);
      if (c.kind === 'invalid') {
        reply.responses.push(errorResponse(c.id, { code: ErrorCode.InvalidRequest, message: `Invalid request: ${c.reason}` }));
      } else if (c.kind === 'request' && (ids.has(c.message.id) || this.inbound.has(c.message.id))) {
        // An id already in flight would make its response ambiguous.
        reply.responses.push(errorResponse(c.message.id, { code: ErrorCode.InvalidRequest, message: `Duplicate request id ${String(c.message.id)}` }));
      } else {
        if (c.kind === 'request') ids.add(c.message.id);
        run.push(item);
      }
    }
    reply.waiting = ids.size;
    if (ids.size > 0) {
      this.batches ??= new Map();
      for (const id of ids) this.batches.set(id, reply);
    }
    for (const item of run) this.receive(item, extra);
    // With requests in the batch, the last response flushes it (possibly already, synchronously).
    if (ids.size === 0 && reply.responses.length > 0) this.flushBatch(reply);
  }

  /** A cancelled request of a batch sends nothing; the rest of the batch still goes out. */
  private skipInBatch(id: RequestId): void {
    const reply = this.batches?.get(id);
    if (!reply) return;
    this.batches!.delete(id);
    if (--reply.waiting === 0 && reply.responses.length > 0) this.flushBatch(reply);
  }

  private flushBatch(reply: BatchReply): void {
    const t = this.transport;
    if (!t) return;
    const sent = t.sendBatch ? t.sendBatch(reply.responses) : Promise.all(reply.responses.map((r) => t.send(r))).then(() => {});
    sent.catch((e: unknown) => this.onerror?.(toError(e)));
  }

  // ---------- outbound ----------

  /** Sends a request and resolves with its result (rejects with McpError or ErlmcpError). */
  request<R = Result>(method: string, params?: Record<string, unknown>, options?: RequestOptions): Promise<R> {
    const transport = this.transport;
    if (!transport) return Promise.reject(new ErlmcpError('ERR_NOT_CONNECTED', 'Not connected'));
    return this.enqueue<R>(method, params, options, (message, fail) => {
      this.transmit(transport, message, options?.relatedRequestId).catch(fail);
    });
  }

  /**
   * Sends several requests at once and returns one promise per request, in order. With
   * `asBatch` and a transport that can (`sendBatch`), they travel as one JSON-RPC batch array
   * (JSON-RPC 2.0 §6; MCP 2025-03-26 only, the caller checks the revision); otherwise each is
   * sent without waiting for the previous answer (pipelining).
   */
  requestMany(calls: readonly { method: string; params?: Record<string, unknown> | undefined; options?: RequestOptions | undefined }[], asBatch: boolean): Promise<Result>[] {
    const transport = this.transport;
    if (!transport) return calls.map(() => Promise.reject(new ErlmcpError('ERR_NOT_CONNECTED', 'Not connected')));
    const batch = asBatch && transport.sendBatch !== undefined ? [] as { message: JSONRPCMessage; fail: (e: unknown) => void }[] : undefined;
    const promises = calls.map((c) =>
      this.enqueue<Result>(c.method, c.params, c.options, (message, fail) => {
        if (batch) batch.push({ message, fail });
        else this.transmit(transport, message, c.options?.relatedRequestId).catch(fail);
      }),
    );
    if (batch && batch.length > 0) {
      const hook = this.outboundHook;
      const messages = batch.map((b) => (hook === undefined ? b.message : (hook(b.message, undefined) ?? b.message)));
      transport.sendBatch!(messages).catch((e: unknown) => {
        for (const b of batch) b.fail(e);
      });
    }
    return promises;
  }

  /** Registers one outbound request and hands its message to `send` (which reports a failed send through `fail`). */
  private enqueue<R>(method: string, params: Record<string, unknown> | undefined, options: RequestOptions | undefined, send: (message: JSONRPCRequest, fail: (e: unknown) => void) => void): Promise<R> {
    const signal = options?.signal;
    // Already given up: don't let the peer start work it would only be told to cancel.
    if (signal?.aborted) {
      const r: unknown = signal.reason;
      return Promise.reject(new ErlmcpError('ERR_CANCELLED', r instanceof Error ? r.message : typeof r === 'string' ? r : 'Request cancelled', { cause: r }));
    }
    if (this.pending.size >= this.maxPending) {
      return Promise.reject(new ErlmcpError('ERR_LIMIT', `Too many requests awaiting an answer from the peer (limit ${this.maxPending}); ${method} was not sent`));
    }
    const id: RequestId = this.idPrefix === undefined ? this.nextId++ : `${this.idPrefix}${this.nextId++}`;
    let p = params;
    if (options?.onprogress) {
      // The request id doubles as the progress token: unique per in-flight request.
      const meta = p?._meta as Record<string, unknown> | undefined;
      p = { ...p, _meta: { ...meta, progressToken: id } };
    }
    const message: JSONRPCRequest = p === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params: p };
    return new Promise<R>((resolve, reject) => {
      const out = new Outbound(id, method, resolve as (r: Result) => void, reject, options, this.defaultTimeoutMs, (reason) => this.cancelOutbound(id, reason));
      this.pending.set(id, out);
      if (out.deadline !== Infinity && !this.swept) {
        this.swept = true;
        watchDeadlines(this);
      }
      send(message, (e: unknown) => {
        this.pending.delete(id);
        out.fail(e instanceof Error ? e : new ErlmcpError('ERR_TRANSPORT', String(e)));
      });
    });
  }

  notify(method: string, params?: Record<string, unknown>, options?: SendOptions): Promise<void> {
    const transport = this.transport;
    if (!transport) return Promise.reject(new ErlmcpError('ERR_NOT_CONNECTED', 'Not connected'));
    const message: JSONRPCNotification = params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
    if (this.outboundHook === undefined) return transport.send(message, options);
    return this.transmit(transport, message, options?.relatedRequestId);
  }

  private cancelOutbound(id: RequestId, reason: string): void {
    const out = this.pending.get(id);
    if (!out) return;
    this.pending.delete(id);
    // basic/utilities/cancellation: tell the receiver; `initialize` itself is never cancelled.
    if (out.method !== 'initialize') {
      this.notify('notifications/cancelled', { requestId: id, reason }, out.relatedRequestId === undefined ? undefined : { relatedRequestId: out.relatedRequestId }).catch(() => {});
    }
  }

  private handleResponse(message: JSONRPCResponse): void {
    const id = message.id;
    const out = id === null ? undefined : this.pending.get(id);
    if (!out) {
      if (!this.onUnmatchedResponse(message)) this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Response for unknown request id ${String(id)}`));
      return;
    }
    this.pending.delete(out.id);
    if ('error' in message) out.fail(McpError.fromObject(message.error));
    else out.succeed(message.result);
  }

  /** @internal deadlines.ts: expires the requests whose far deadline has passed. */
  sweepDeadlines(now: number): boolean {
    let left = false;
    for (const out of this.pending.values()) {
      if (out.deadline <= now) out.expire();
      else if (out.deadline !== Infinity) left = true;
    }
    this.swept = left;
    return left;
  }

  /** Hook for responses that match no pending request here (scale-out forwards them). */
  protected onUnmatchedResponse(_message: JSONRPCResponse): boolean {
    return false;
  }

  /** Whether a response id belongs to a request this endpoint is waiting on. */
  hasPending(id: RequestId): boolean {
    return this.pending.has(id);
  }

  // ---------- inbound ----------

  /** Requests from the peer being handled now (a draining server waits for them). */
  get inFlight(): number {
    return this.inbound.size;
  }

  /**
   * Answers every request from the peer still being handled with `error` and aborts their
   * handlers (their eventual results are dropped): a server that shuts down or crashes answers
   * instead of leaving its calls without a response.
   */
  failInFlight(error: { code: number; message: string; data?: unknown }): void {
    for (const req of [...this.inbound.values()]) {
      this.inbound.delete(req.id);
      req.cancel(error.message);
      this.sendRaw(errorResponse(req.id, error), req.id);
    }
  }

  private handleRequest(message: JSONRPCRequest, extra: MessageExtra | undefined): void {
    const id = message.id;
    if (this.inbound.size >= this.maxInFlight) {
      const e = limitError('max_in_flight', `Too many requests in flight on this session (limit ${this.maxInFlight}); retry when one has finished`, { limit: this.maxInFlight });
      this.refusedRequest(message, extra, 'max_in_flight', e.code);
      this.sendRaw(errorResponse(id, e.toJSON()), id);
      return;
    }
    const req = new InboundRequest(this, message, extra);
    this.inbound.set(id, req);
    let result: Result | Promise<Result>;
    try {
      result = this.dispatchRequest(message.method, message.params, req);
    } catch (e) {
      this.finishError(req, e);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.finishOk(req, r),
        (e: unknown) => this.finishError(req, e),
      );
    } else {
      this.finishOk(req, result);
    }
  }

  private finishOk(req: InboundRequest, result: Result): void {
    // JSON-RPC 2.0 §5: a result is a value; MCP results are objects. Anything else (42,
    // undefined, an array) would make an invalid message: answer -32603 naming the problem.
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      const got = result === null ? 'null' : Array.isArray(result) ? 'an array' : typeof result;
      return this.finishError(req, new McpError(ErrorCode.InternalError, `Handler for ${req.method} returned ${got}, not a result object`));
    }
    this.inbound.delete(req.id);
    // A request the peer cancelled gets no response (basic/utilities/cancellation).
    if (req.cancelled) return this.skipInBatch(req.id);
    this.sendRaw({ jsonrpc: '2.0', id: req.id, result }, req.id);
  }

  private finishError(req: InboundRequest, e: unknown): void {
    this.inbound.delete(req.id);
    if (req.cancelled) return this.skipInBatch(req.id);
    const error =
      e instanceof McpError
        ? e.toJSON()
        : { code: ErrorCode.InternalError, message: e instanceof Error ? e.message : String(e) };
    if (!(e instanceof McpError)) this.onerror?.(toError(e));
    this.sendRaw(errorResponse(req.id, error), req.id);
  }

  private handleNotification(message: JSONRPCNotification, extra: MessageExtra | undefined): void {
    const params = message.params;
    switch (message.method) {
      case 'notifications/cancelled': {
        const id = params?.requestId as RequestId | undefined;
        const req = id === undefined ? undefined : this.inbound.get(id);
        if (req) {
          this.inbound.delete(req.id);
          req.cancel(typeof params?.reason === 'string' ? params.reason : 'Cancelled by peer');
        }
        return;
      }
      case 'notifications/progress': {
        const p = params as unknown as ProgressNotificationParams | undefined;
        const out = p ? this.pending.get(p.progressToken) : undefined;
        if (out && p) out.progress({ progress: p.progress, total: p.total, message: p.message });
        return;
      }
      default:
        try {
          this.dispatchNotification(message.method, params, extra);
        } catch (e) {
          this.onerror?.(toError(e));
        }
    }
  }

  /** Sends a message; failures go to onerror (the peer may simply be gone). */
  protected sendRaw(message: JSONRPCMessage, relatedRequestId?: RequestId): void {
    const t = this.transport;
    if (!t) return;
    if (this.batches !== undefined && relatedRequestId !== undefined && !('method' in message)) {
      const reply = this.batches.get(relatedRequestId);
      if (reply) {
        this.batches.delete(relatedRequestId);
        if (this.batches.size === 0) this.batches = undefined;
        reply.responses.push(message);
        if (--reply.waiting === 0) this.flushBatch(reply);
        return;
      }
    }
    this.transmit(t, message, relatedRequestId).catch((e: unknown) => this.onerror?.(toError(e)));
  }

  protected handleClose(): void {
    this.transport = undefined;
    // Built only when someone waits for it: an Error captures a stack, and a 2026-07-28 HTTP
    // request closes its one-request session after every answer, with nothing pending.
    if (this.pending.size > 0) {
      const closed = new ErlmcpError('ERR_CONNECTION_CLOSED', 'Connection closed');
      for (const out of this.pending.values()) out.fail(closed);
      this.pending.clear();
    }
    for (const req of this.inbound.values()) req.cancel('Connection closed');
    this.inbound.clear();
    this.batches = undefined;
    this.onclose?.();
  }
}
