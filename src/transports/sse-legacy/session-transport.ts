/**
 * The server side of one legacy HTTP+SSE connection (2024-11-05 basic/transports#http-with-sse).
 * The GET response *is* the session: its first event is `endpoint` (where to POST), every
 * server message — responses included — follows as an `event: message`, and when the
 * connection closes the session ends. There is no resumption in this transport, so a client
 * too slow to read is dropped rather than buffered without bound.
 */
import type { ServerResponse } from 'node:http';
import { ErlmcpError } from '../../protocol/errors.js';
import type { MessageExtra, Transport } from '../../protocol/transport.js';
import type { JSONRPCMessage } from '../../protocol/types.js';
import type { ServerSession } from '../../server/index.js';
import { encodeMessage } from '../../protocol/encode.js';

/** Unread output beyond which the connection (and with it the session) is dropped. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export class LegacySseSessionTransport implements Transport {
  readonly kind = 'sse';
  session: ServerSession | undefined;
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  private closed = false;
  private pinger: NodeJS.Timeout | undefined;

  constructor(
    readonly sessionId: string,
    private readonly res: ServerResponse,
    /** The URI announced in the `endpoint` event. */
    private readonly endpoint: string,
    private readonly keepAliveMs: number,
    private readonly detach: (t: LegacySseSessionTransport) => void,
  ) {
    // Registered before start(): a client that hangs up while the session is being set up still ends it.
    res.on('close', () => void this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async start(): Promise<void> {
    if (this.closed) return;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      // Reverse proxies (nginx) otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    // 2024-11-05 basic/transports#http-with-sse: the server MUST first send an `endpoint` event.
    this.write(`event: endpoint\ndata: ${this.endpoint}\n\n`);
    if (this.keepAliveMs > 0) {
      // A comment line: ignored by every SSE parser, but it keeps idle proxies from cutting the stream.
      this.pinger = setInterval(() => this.write(': ping\n\n'), this.keepAliveMs);
      this.pinger.unref();
    }
  }

  /** A parsed POST body for this session. */
  receive(value: unknown, extra: MessageExtra): void {
    if (!this.closed) this.onmessage?.(value, extra);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'SSE connection is closed');
    // JSON.stringify escapes CR and LF, so the data never spans lines.
    this.write(`event: message\ndata: ${encodeMessage(message)}\n\n`);
  }

  /** The engine answers batches with one array; it travels as one event like any message. */
  sendBatch(messages: JSONRPCMessage[]): Promise<void> {
    return this.send(messages as unknown as JSONRPCMessage);
  }

  /** A draining server ends the stream after a `retry` hint; the session ends with it (this transport has no resumption). */
  hangUp(retryMs: number): void {
    this.write(`retry: ${retryMs}\n\n`);
    void this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    if (!this.res.writableEnded) this.res.end();
    this.detach(this);
    this.onclose?.();
  }

  private write(chunk: string): void {
    const res = this.res;
    if (res.destroyed || res.writableEnded) return;
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      this.onerror?.(new ErlmcpError('ERR_MESSAGE_TOO_LARGE', `SSE client ${this.sessionId} is not reading; dropping the connection`));
      res.destroy(); // 'close' follows and ends the session
      return;
    }
    res.write(chunk);
  }
}
