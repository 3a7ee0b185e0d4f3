/**
 * Connects a Client to an HTTP MCP server of either generation
 * (2025-11-25 basic/transports#backwards-compatibility): it POSTs the InitializeRequest as
 * Streamable HTTP; if the server refuses that POST with 400, 404 or 405, it GETs the same URL
 * expecting the 2024-11-05 HTTP+SSE stream, whose first event is `endpoint`, and sends the
 * initialize there instead.
 *
 * Design: the fallback happens *inside* one `client.connect()`, behind a small transport that
 * switches its inner transport while the initialize request is in flight. So the Client runs
 * one handshake, its `onclose` does not fire for the refused probe, and no second connect (or
 * second Client) is needed. Messages the refused POST carried (a JSON-RPC error body) are
 * dropped, so they cannot fail the initialize that the fallback will answer.
 */
import { ErlmcpError } from '../protocol/errors.js';
import type { MessageExtra, SendOptions, Transport } from '../protocol/transport.js';
import type { JSONRPCMessage } from '../protocol/types.js';
import { StreamableHttpClientTransport, type ReconnectionOptions } from './http/client.js';
import { LegacySseClientTransport } from './sse-legacy/client.js';
import type { Client } from '../client/client.js';

export interface ConnectHttpOptions {
  /** Extra headers on every request of either transport (e.g. authorization). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** Streamable HTTP stream reconnection backoff. */
  reconnection?: ReconnectionOptions;
  /** Legacy transport: how long to wait for the `endpoint` event. Default 30 s. */
  endpointTimeoutMs?: number;
}

export type HttpClientTransport = StreamableHttpClientTransport | LegacySseClientTransport;

/** basic/transports#backwards-compatibility: the statuses that mean "not a Streamable HTTP endpoint". */
const FALLBACK_STATUSES: ReadonlySet<number> = new Set([400, 404, 405]);

/**
 * The HTTP status of a refused Streamable HTTP POST. StreamableHttpClientTransport reports it
 * as ErlmcpError('ERR_TRANSPORT', 'HTTP <status>: <body>').
 */
function refusedStatus(e: unknown): number | undefined {
  if (!(e instanceof ErlmcpError) || e.code !== 'ERR_TRANSPORT') return undefined;
  const m = /^HTTP (\d{3}):/.exec(e.message);
  return m ? Number(m[1]) : undefined;
}

/**
 * Connects `client` to `url`, by Streamable HTTP or, failing that, the legacy HTTP+SSE transport.
 * Resolves with the transport in use (check with `instanceof`); its handlers belong to the
 * client, as with any connected transport. Close with `client.close()`. Rejects as
 * `client.connect()` does, with both failures in the message when the fallback fails too.
 */
export async function connectHttp(client: Client, url: URL | string, options?: ConnectHttpOptions): Promise<HttpClientTransport> {
  const transport = new FallbackTransport(new URL(url), options ?? {});
  await client.connect(transport);
  return transport.current;
}

class FallbackTransport implements Transport {
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  current: HttpClientTransport;
  /** Messages held while the initialize POST is undecided; undefined = pass straight through. */
  private held: [unknown, MessageExtra | undefined][] | undefined;
  private probed = false;
  /** The inner transport is being replaced: its closing is not ours. */
  private switching = false;
  private closed = false;

  constructor(
    private readonly url: URL,
    private readonly options: ConnectHttpOptions,
  ) {
    this.current = this.adopt(new StreamableHttpClientTransport(url, { headers: options.headers, fetch: options.fetch, reconnection: options.reconnection }));
  }

  get sessionId(): string | undefined {
    return this.current.sessionId;
  }

  setProtocolVersion(version: string): void {
    if (this.current instanceof StreamableHttpClientTransport) this.current.setProtocolVersion(version);
  }

  start(): Promise<void> {
    return this.current.start();
  }

  async send(message: JSONRPCMessage, options?: SendOptions): Promise<void> {
    const initialize = 'method' in message && message.method === 'initialize' && 'id' in message;
    if (this.probed || !initialize) return this.current.send(message, options);
    this.probed = true;
    const probe = this.current;
    this.held = [];
    try {
      await probe.send(message, options);
    } catch (e) {
      const status = refusedStatus(e);
      if (status === undefined || !FALLBACK_STATUSES.has(status)) {
        this.release();
        throw e;
      }
      this.held = undefined; // whatever the refused POST carried answers nothing we will wait for
      await this.fallBack(probe, e as Error);
      return this.current.send(message, options);
    }
    this.release();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.current.close();
    this.finish();
  }

  private async fallBack(probe: HttpClientTransport, refusal: Error): Promise<void> {
    this.switching = true;
    try {
      await probe.close();
      const legacy = new LegacySseClientTransport(this.url, { headers: this.options.headers, fetch: this.options.fetch, endpointTimeoutMs: this.options.endpointTimeoutMs });
      this.current = this.adopt(legacy);
      await legacy.start();
    } catch (e) {
      throw new ErlmcpError('ERR_TRANSPORT', `Streamable HTTP was refused (${refusal.message}) and the HTTP+SSE fallback failed: ${(e as Error).message}`, { cause: e });
    } finally {
      this.switching = false;
    }
  }

  private adopt<T extends HttpClientTransport>(t: T): T {
    t.onmessage = (m, extra) => {
      if (t !== this.current) return;
      if (this.held) this.held.push([m, extra]);
      else this.onmessage?.(m, extra);
    };
    t.onerror = (e) => {
      if (t === this.current) this.onerror?.(e);
    };
    t.onclose = () => {
      if (t === this.current && !this.switching) this.finish();
    };
    return t;
  }

  private release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [m, extra] of held) this.onmessage?.(m, extra);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }
}
