/**
 * Legacy HTTP+SSE client transport (2024-11-05 basic/transports#http-with-sse).
 * start() opens the SSE stream with GET and waits for the server's first event, `endpoint`,
 * which names the URI to POST messages to; every server message then arrives as an
 * `event: message` on that stream. The stream is the session: when it ends the transport closes
 * (this transport has no resumption; a reconnect would be a new session). A start() that fails
 * closes the transport too, so onclose fires exactly once whatever happened.
 */
import { ErlmcpError, toError } from '../../protocol/errors.js';
import type { MessageExtra, Transport } from '../../protocol/transport.js';
import type { JSONRPCMessage } from '../../protocol/types.js';
import { nodeFetch } from '../shared/node-fetch.js';
import { readSseStream, type SseEvent } from '../shared/sse-reader.js';

export interface LegacySseClientTransportOptions {
  /** Extra headers on every request (e.g. authorization). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** How long start() waits for the `endpoint` event. Default 30 s. */
  endpointTimeoutMs?: number;
}

const SNIPPET = 500;

function snippet(text: string): string {
  return text.length > SNIPPET ? `${text.slice(0, SNIPPET)}…` : text;
}

/**
 * Client side of the 2024-11-05 HTTP+SSE transport.
 *
 * @example
 * await client.connect(new LegacySseClientTransport('http://127.0.0.1:3000/sse'));
 */
export class LegacySseClientTransport implements Transport {
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;

  private readonly url: URL;
  private readonly fetchImpl: typeof fetch;
  private readonly extraHeaders: Record<string, string>;
  private readonly endpointTimeoutMs: number;
  /** Aborts the stream and every POST in flight. */
  private readonly abort = new AbortController();
  private _endpoint: URL | undefined;
  private started = false;
  private closed = false;

  constructor(url: URL | string, options?: LegacySseClientTransportOptions) {
    this.url = new URL(url);
    const f = options?.fetch ?? (nodeFetch as typeof fetch);
    this.fetchImpl = (input, init) => f(input, init); // never called with `this` = the transport
    // Lower-cased so a caller's "Accept" cannot end up beside ours as a second value.
    this.extraHeaders = Object.fromEntries(Object.entries(options?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    this.endpointTimeoutMs = options?.endpointTimeoutMs ?? 30_000;
  }

  /** The URI messages are POSTed to, once the server announced it. */
  get endpoint(): URL | undefined {
    return this._endpoint;
  }

  /** The `sessionId` query parameter of the endpoint, when the server uses that convention. */
  get sessionId(): string | undefined {
    return this._endpoint?.searchParams.get('sessionId') ?? undefined;
  }

  /** Opens the SSE stream; resolves once the `endpoint` event has arrived. */
  async start(): Promise<void> {
    if (this.closed) throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'Transport is closed');
    if (this.started) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'Transport already started');
    this.started = true;
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, { method: 'GET', headers: { ...this.extraHeaders, accept: 'text/event-stream' }, signal: this.abort.signal });
    } catch (e) {
      throw this.fail(this.asError(e));
    }
    const type = response.headers.get('content-type')?.toLowerCase() ?? '';
    if (!response.ok || !type.startsWith('text/event-stream') || !response.body) {
      const text = await response.text().catch(() => '');
      throw this.fail(new ErlmcpError('ERR_TRANSPORT', response.ok ? `Expected an SSE stream, got content type "${type}"` : `HTTP ${response.status}: ${snippet(text)}`));
    }
    const base = response.url ? new URL(response.url) : this.url;
    const body = response.body;
    await new Promise<void>((resolve, reject) => {
      let waiting = true;
      const settle = (e?: Error): void => {
        if (!waiting) return;
        waiting = false;
        clearTimeout(timer);
        if (e) reject(this.fail(e));
        else resolve();
      };
      const timer = setTimeout(() => settle(new ErlmcpError('ERR_TIMEOUT', `No endpoint event within ${this.endpointTimeoutMs} ms`)), this.endpointTimeoutMs);
      const onEvent = (e: SseEvent): void => {
        if (e.event === 'endpoint') {
          if (this._endpoint) return; // announced once; a later one cannot move the session
          const endpoint = this.resolveEndpoint(e.data, base);
          if (endpoint instanceof Error) throw endpoint; // cancels the stream; settled below
          this._endpoint = endpoint;
          settle();
        } else if (e.event === undefined || e.event === 'message') {
          this.deliver(e.data);
        }
      };
      readSseStream(body, { onEvent }).then(
        () => {
          settle(new ErlmcpError('ERR_TRANSPORT', 'SSE stream ended before the endpoint event'));
          void this.close();
        },
        (e: unknown) => {
          const err = this.asError(e);
          if (waiting) settle(err);
          else if (!this.closed && !(err instanceof ErlmcpError && err.code === 'ERR_CONNECTION_CLOSED')) this.onerror?.(err);
          void this.close();
        },
      );
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'Transport is closed');
    const endpoint = this._endpoint;
    if (!endpoint) throw new ErlmcpError('ERR_NOT_CONNECTED', 'Not connected: no endpoint event yet (call start())');
    let response: Response;
    try {
      response = await this.fetchImpl(endpoint, {
        method: 'POST',
        headers: { ...this.extraHeaders, 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal: this.abort.signal,
      });
    } catch (e) {
      throw this.asError(e);
    }
    // Read the short body ("Accepted") so the connection can be reused.
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new ErlmcpError('ERR_TRANSPORT', `HTTP ${response.status}: ${snippet(text)}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.onclose?.();
  }

  /**
   * The endpoint URI is resolved against the stream's URL. It must stay on the stream's origin:
   * otherwise a server (or anything injecting into its stream) could have our messages — and
   * our authorization header — sent to a third party.
   */
  private resolveEndpoint(data: string, base: URL): URL | Error {
    let url: URL;
    try {
      url = new URL(data.trim(), base);
    } catch {
      return new ErlmcpError('ERR_TRANSPORT', `Invalid endpoint URI: ${snippet(data)}`);
    }
    if (url.origin !== this.url.origin) return new ErlmcpError('ERR_TRANSPORT', `Endpoint ${url.origin} is not on the SSE stream's origin ${this.url.origin}`);
    return url;
  }

  private deliver(data: string): void {
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Invalid JSON in SSE event: ${snippet(data)}`));
      return;
    }
    try {
      this.onmessage?.(value);
    } catch (e) {
      this.onerror?.(toError(e));
    }
  }

  /** start() failed: the transport closes (onclose fires once, as for any other end). */
  private fail(e: Error): Error {
    void this.close();
    return e;
  }

  private asError(e: unknown): Error {
    if (e instanceof ErlmcpError) return e;
    if (this.closed || this.abort.signal.aborted) return new ErlmcpError('ERR_CONNECTION_CLOSED', 'Transport is closed', { cause: e });
    return new ErlmcpError('ERR_TRANSPORT', `HTTP request failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}
