/**
 * Streamable HTTP client transport (basic/transports#streamable-http).
 * Every outbound message is one POST; the server answers 202, one JSON body, or an SSE stream.
 * SSE streams are resumable: when one ends before it delivered the responses its POST is owed,
 * the client "polls" by reconnecting with GET + Last-Event-ID after the server's `retry` delay
 * (basic/transports#resumability-and-redelivery, SEP-1699). After `notifications/initialized` a
 * standalone GET stream carries server-initiated messages
 * (basic/transports#listening-for-messages-from-the-server).
 * Each fetch has its own AbortController, dropped when the fetch and its body are done, so no
 * abort listener accumulates however many requests a long-lived client makes.
 */
import { ErlmcpError, toError } from '../../protocol/errors.js';
import type { MessageExtra, SendOptions, Transport } from '../../protocol/transport.js';
import type { JSONRPCMessage, RequestId } from '../../protocol/types.js';
import { nodeFetch } from '../shared/node-fetch.js';
import { readSseStream, type SseEvent } from '../shared/sse-reader.js';
import { HttpStatusError, snippet, type ReconnectionOptions, type StreamableHttpClientTransportOptions } from './client-options.js';
import { ModernRequests } from './client-modern.js';
import { modernClaim } from './modern-headers.js';

export { HttpStatusError, type ReconnectionOptions, type StreamableHttpClientTransportOptions } from './client-options.js';

/** One SSE stream that may be resumed: a POST's response stream or the standalone GET stream. */
interface StreamTask {
  readonly standalone: boolean;
  /** A 2026-07-28 response stream: never resumed (the revision has no resumability). */
  readonly modern: boolean;
  /** Request ids whose responses this POST stream still owes. */
  readonly owed: Set<RequestId>;
  /** The one request a POST stream answers: what the server sends on it belongs to that request (handed on as `relatedRequestId`). */
  readonly related: RequestId | undefined;
  lastEventId: string | undefined;
  retryMs: number | undefined;
  stopped: boolean;
  controller: AbortController | undefined;
  wake: (() => void) | undefined;
}

/**
 * Client side of Streamable HTTP: POSTs requests, reads JSON or SSE answers, resumes streams with Last-Event-ID. `connectHttp()` adds the fallback to the 2024-11-05 transport.
 *
 * @example
 * await client.connect(new StreamableHttpClientTransport('http://127.0.0.1:3000/mcp', { headers: { authorization: 'Bearer …' } }));
 */
export class StreamableHttpClientTransport implements Transport {
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  /** Called when the server answered 404 to our session id: the session is gone. */
  onsessionexpired?: () => void;

  private readonly url: URL;
  private readonly fetchImpl: typeof fetch;
  private readonly extraHeaders: Record<string, string>;
  private readonly backoff: Required<ReconnectionOptions>;
  private _sessionId: string | undefined;
  private _protocolVersion: string | undefined;
  private closed = false;
  private readonly controllers = new Set<AbortController>();
  private readonly tasks = new Set<StreamTask>();
  private standalone: StreamTask | undefined;
  /** 2026-07-28 requests in flight and the tools' x-mcp-header annotations. */
  private readonly modern = new ModernRequests((e) => this.onerror?.(e));

  constructor(url: URL | string, options?: StreamableHttpClientTransportOptions) {
    this.url = new URL(url);
    // Default: node:http with keep-alive (node-fetch.ts); any WHATWG fetch can be passed instead.
    const f = options?.fetch ?? (nodeFetch as typeof fetch);
    this.fetchImpl = (input, init) => f(input, init); // never called with `this` = the transport
    // Lower-cased so a caller's "Accept" cannot end up beside ours as a second value.
    this.extraHeaders = Object.fromEntries(Object.entries(options?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const r = options?.reconnection;
    this.backoff = { initialDelayMs: r?.initialDelayMs ?? 1000, maxDelayMs: r?.maxDelayMs ?? 30_000, growFactor: r?.growFactor ?? 1.5, maxRetries: r?.maxRetries ?? 5 };
    this._sessionId = options?.sessionId;
  }

  /** Scheme, host and port of the endpoint: the key a client caches its era verdict under. */
  get origin(): string {
    return this.url.origin;
  }

  get sessionId(): string | undefined {
    return this._sessionId;
  }
  get protocolVersion(): string | undefined {
    return this._protocolVersion;
  }
  /** basic/transports#protocol-version-header: sent on every request after initialization. */
  setProtocolVersion(version: string): void {
    this._protocolVersion = version;
  }

  async start(): Promise<void> {
    if (this.closed) throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'Transport is closed');
  }

  async send(message: JSONRPCMessage, _options?: SendOptions): Promise<void> {
    if (this.closed) throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'Transport is closed');
    const m = message as { method?: string; id?: RequestId | null; params?: { requestId?: RequestId } };
    const method = m.method;
    const requestId = method !== undefined && m.id !== undefined && m.id !== null ? m.id : undefined;
    // Once we cancel a request, no stream needs resuming for its response.
    if (method === 'notifications/cancelled') {
      this.settled(m.params?.requestId);
      // 2026-07-28 over HTTP: closing the request's stream is the cancellation; nothing is posted.
      if (m.params?.requestId !== undefined && this.modern.cancel(m.params.requestId)) return;
    }
    const claim = method === undefined ? undefined : modernClaim(message);

    const headers = claim === undefined ? this.headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' }) : this.modern.headers(message as { method: string; params?: Record<string, unknown> }, claim, this.extraHeaders);
    const controller = this.track();
    if (claim !== undefined && requestId !== undefined) {
      this.modern.begin(requestId, method!, controller);
    }
    await this.post(JSON.stringify(message), headers, controller, requestId === undefined ? [] : [requestId], claim !== undefined, method === 'initialize', method ?? 'response');
    if (method === 'notifications/initialized') this.openStandaloneStream();
  }

  /**
   * 2025-03-26 basic/transports#sending-messages-to-the-server: a JSON-RPC batch of requests
   * and notifications in one POST; the answer (one JSON array or an SSE stream) owes every
   * request of it. Only a legacy session sends one (the client checks the revision).
   */
  async sendBatch(messages: JSONRPCMessage[]): Promise<void> {
    if (this.closed) throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'Transport is closed');
    const ids = messages.flatMap((m) => {
      const r = m as { method?: string; id?: RequestId | null };
      return r.method !== undefined && r.id !== undefined && r.id !== null ? [r.id] : [];
    });
    const headers = this.headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' });
    await this.post(JSON.stringify(messages), headers, this.track(), ids, false, false, 'batch');
  }

  /** One POST and its answer: 202, a JSON body, or an SSE stream owing `owed`. */
  private async post(body: string, headers: Record<string, string>, controller: AbortController, owed: RequestId[], modern: boolean, initialize: boolean, what: string): Promise<void> {
    const sentSession = headers['mcp-session-id'];
    let handedOff = false;
    try {
      const response = await this.fetchImpl(this.url, { method: 'POST', headers, body, signal: controller.signal });
      // basic/transports#session-management: the id arrives with the InitializeResult. A modern
      // request never adopts one (2026-07-28 has no sessions).
      const sid = response.headers.get('mcp-session-id');
      if (sid && !modern && (initialize || this._sessionId === undefined)) this._sessionId = sid;
      if (!response.ok) await this.failStatus(response, sentSession);

      const type = response.headers.get('content-type')?.toLowerCase() ?? '';
      if (response.status === 202 || (owed.length === 0 && !type.startsWith('text/event-stream'))) {
        await response.body?.cancel().catch(() => {});
      } else if (type.startsWith('text/event-stream') && response.body) {
        const task = this.newTask(false, owed, modern);
        handedOff = true;
        void this.runStream(task, response.body, controller);
      } else if (type.includes('application/json')) {
        const text = await response.text();
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          throw new ErlmcpError('ERR_TRANSPORT', `Invalid JSON in response: ${snippet(text)}`);
        }
        this.deliver(value);
      } else {
        await response.body?.cancel().catch(() => {});
        throw new ErlmcpError('ERR_TRANSPORT', `Unexpected content type "${type}" in response to ${what}`);
      }
    } catch (e) {
      throw this.asError(e, controller);
    } finally {
      if (!handedOff) {
        this.controllers.delete(controller);
        for (const id of owed) this.modern.forget(id);
      }
    }
  }

  /** basic/transports#session-management: DELETE ends the session; 405 means "not allowed". */
  async terminateSession(): Promise<void> {
    const sid = this._sessionId;
    if (sid === undefined) return;
    this.stopTask(this.standalone);
    const controller = this.track();
    try {
      const response = await this.fetchImpl(this.url, { method: 'DELETE', headers: this.headers({}), signal: controller.signal });
      const text = await response.text().catch(() => '');
      if (!response.ok && response.status !== 405 && response.status !== 404) {
        throw new ErlmcpError('ERR_TRANSPORT', `HTTP ${response.status}: ${snippet(text)}`);
      }
      if (this._sessionId === sid) this._sessionId = undefined;
    } catch (e) {
      throw this.asError(e, controller);
    } finally {
      this.controllers.delete(controller);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.tasks) this.stopTask(t);
    for (const c of this.controllers) c.abort();
    this.controllers.clear();
    this.onclose?.();
  }

  // ---------- HTTP helpers ----------

  private headers(base: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { ...this.extraHeaders, ...base };
    if (this._sessionId !== undefined) h['mcp-session-id'] = this._sessionId;
    if (this._protocolVersion !== undefined) h['mcp-protocol-version'] = this._protocolVersion;
    return h;
  }

  private track(): AbortController {
    const c = new AbortController();
    this.controllers.add(c);
    return c;
  }

  private asError(e: unknown, controller: AbortController): Error {
    if (e instanceof ErlmcpError) return e;
    if (this.closed || controller.signal.aborted) return new ErlmcpError('ERR_CONNECTION_CLOSED', 'Transport is closed', { cause: e });
    return new ErlmcpError('ERR_TRANSPORT', `HTTP request failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }

  /** Rejects for a non-2xx answer to a POST; always throws. */
  private async failStatus(response: Response, sentSession: string | undefined): Promise<never> {
    const text = await response.text().catch(() => '');
    if (response.status === 404 && sentSession !== undefined) {
      this.sessionExpired(sentSession);
      throw new ErlmcpError('ERR_SESSION_EXPIRED', `Session ${sentSession} expired or was terminated by the server (HTTP 404)`);
    }
    // (2026-07-28: a 4xx whose body is a JSON-RPC error for our id is that request's answer, in-band.)
    // A JSON-RPC error response for our request fails it with the server's own error.
    try {
      const body = JSON.parse(text) as unknown;
      for (const m of Array.isArray(body) ? body : [body]) {
        const r = m as { id?: unknown; error?: unknown } | null;
        if (r && typeof r === 'object' && r.error !== undefined && (typeof r.id === 'string' || typeof r.id === 'number')) this.deliver(r);
      }
    } catch {
      // not JSON: the status line and text are all we have
    }
    throw new HttpStatusError(response.status, text);
  }

  /** basic/transports#session-management: 404 to our session id → start over without it. */
  private sessionExpired(sid: string): void {
    if (this._sessionId !== sid) return; // already replaced by a newer session
    this._sessionId = undefined;
    for (const t of this.tasks) this.stopTask(t);
    this.onsessionexpired?.();
  }

  // ---------- inbound messages ----------

  private deliver(value: unknown, extra?: MessageExtra): void {
    for (let m of Array.isArray(value) ? value : [value]) {
      const r = m as { id?: RequestId; method?: unknown; result?: unknown; error?: unknown } | null;
      if (r && typeof r === 'object' && r.method === undefined && (r.result !== undefined || r.error !== undefined) && r.id !== undefined) {
        m = this.modern.filterTools(m);
        this.modern.forget(r.id);
        this.settled(r.id);
      }
      try {
        this.onmessage?.(m, extra);
      } catch (e) {
        this.onerror?.(toError(e));
      }
    }
  }

  /** A response (or our cancellation) arrived: streams stop owing it. */
  private settled(id: RequestId | undefined): void {
    if (id === undefined) return;
    for (const t of this.tasks) {
      if (t.owed.delete(id) && t.owed.size === 0 && !t.standalone) t.wake?.();
    }
  }

  private onEvent(task: StreamTask, e: SseEvent): void {
    if (e.id !== undefined) task.lastEventId = e.id;
    if (e.event !== undefined && e.event !== 'message') return;
    // An empty `data` is the priming event (basic/transports#sending-messages-to-the-server).
    if (e.data.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(e.data);
    } catch {
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Invalid JSON in SSE event: ${snippet(e.data)}`));
      return;
    }
    // basic/transports: a request the server sends on a POST's stream is related to that POST's request.
    this.deliver(value, task.related === undefined ? undefined : { relatedRequestId: task.related });
  }

  // ---------- resumable streams ----------

  private newTask(standalone: boolean, owed: RequestId[], modern = false): StreamTask {
    const t: StreamTask = { standalone, modern, owed: new Set(owed), related: owed.length === 1 ? owed[0] : undefined, lastEventId: undefined, retryMs: undefined, stopped: false, controller: undefined, wake: undefined };
    this.tasks.add(t);
    return t;
  }

  private stopTask(t: StreamTask | undefined): void {
    if (!t || t.stopped) return;
    t.stopped = true;
    t.controller?.abort();
    t.wake?.();
  }

  private openStandaloneStream(): void {
    if (this.closed) return;
    this.stopTask(this.standalone);
    this.standalone = this.newTask(true, []);
    void this.runStream(this.standalone, undefined, undefined);
  }

  /** SSE streams being read, or waiting to be resumed (the standalone GET stream included). */
  get openStreams(): number {
    return this.tasks.size;
  }

  /** Reads a stream, then reconnects with GET + Last-Event-ID while it is still needed. */
  private async runStream(task: StreamTask, body: ReadableStream<Uint8Array> | undefined, controller: AbortController | undefined): Promise<void> {
    const done = (): boolean => this.closed || task.stopped || (!task.standalone && task.owed.size === 0);
    // Consecutive attempts that brought no event; progress (even a priming event) resets it.
    let failures = 0;
    try {
      for (;;) {
        if (!body) {
          if (done()) return;
          const opened = await this.openGet(task);
          if (opened === 'stop') return;
          if (opened) ({ body, controller } = opened);
        }
        if (body && controller) {
          task.controller = controller;
          let progressed = false;
          try {
            await readSseStream(body, {
              onEvent: (e) => {
                progressed = true;
                this.onEvent(task, e);
              },
              onRetry: (ms) => (task.retryMs = ms),
            });
          } catch (e) {
            // A dropped connection is routine (basic/transports: "Disconnection MAY occur at any time").
            if (e instanceof ErlmcpError) return this.onerror?.(e);
          } finally {
            this.controllers.delete(controller);
            task.controller = undefined;
          }
          if (progressed) failures = 0;
        }
        body = undefined;
        if (done()) return;
        if (task.modern) {
          // basic/transports/streamable-http (2026-07-28): a broken stream loses the request; the
          // caller learns it now rather than at its timeout, and may re-issue with a new id.
          for (const id of [...task.owed]) {
            this.deliver({ jsonrpc: '2.0', id, error: { code: -32000, message: 'Connection closed: the response stream ended before the response' } });
          }
          return;
        }
        if (!task.standalone && task.lastEventId === undefined) {
          return this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `SSE stream ended before the response to request ${[...task.owed].join(', ')} and cannot be resumed (no event id)`));
        }
        if (failures >= this.backoff.maxRetries) {
          return this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `SSE stream reconnection failed after ${failures} attempts`));
        }
        // The server's `retry` MUST be respected; without one, exponential backoff.
        const delay = task.retryMs ?? Math.min(this.backoff.initialDelayMs * this.backoff.growFactor ** failures, this.backoff.maxDelayMs);
        failures++;
        await this.sleep(task, delay);
      }
    } finally {
      this.tasks.delete(task);
      if (this.standalone === task) this.standalone = undefined;
    }
  }

  /** GET for the standalone stream or a resumption; undefined = failed attempt, retry later. */
  private async openGet(task: StreamTask): Promise<{ body: ReadableStream<Uint8Array>; controller: AbortController } | 'stop' | undefined> {
    const headers = this.headers({ accept: 'text/event-stream' });
    if (task.lastEventId) headers['last-event-id'] = task.lastEventId;
    const sentSession = headers['mcp-session-id'];
    const controller = this.track();
    task.controller = controller;
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, { method: 'GET', headers, signal: controller.signal });
    } catch {
      this.controllers.delete(controller);
      return task.stopped || this.closed ? 'stop' : undefined;
    }
    const type = response.headers.get('content-type')?.toLowerCase() ?? '';
    if (response.ok && type.startsWith('text/event-stream') && response.body) return { body: response.body, controller };
    await response.body?.cancel().catch(() => {});
    this.controllers.delete(controller);
    task.controller = undefined;
    if (response.status === 405) {
      // The server offers no GET stream (basic/transports#listening-for-messages-from-the-server).
      if (!task.standalone) this.onerror?.(new ErlmcpError('ERR_TRANSPORT', 'Server does not allow resuming SSE streams (HTTP 405 on GET)'));
      return 'stop';
    }
    if (response.status === 404 && sentSession !== undefined) {
      this.sessionExpired(sentSession);
      this.onerror?.(new ErlmcpError('ERR_SESSION_EXPIRED', `Session ${sentSession} expired or was terminated by the server (HTTP 404)`));
      return 'stop';
    }
    return undefined;
  }

  private sleep(task: StreamTask, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        task.wake = undefined;
        resolve();
      }
      task.wake = done;
    });
  }
}
