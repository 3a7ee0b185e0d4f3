/**
 * One accepted TCP (or TLS) connection as a Transport, owned by McpTcpServer. TCP is a custom
 * MCP transport (basic/transports#custom-transports) framed exactly like stdio
 * (basic/transports#stdio): newline-delimited JSON-RPC, no embedded newlines.
 *
 * Bad input does not end the session: an unparsable line is answered with -32700, a line over
 * `maxMessageBytes` with -32600 carrying the id recovered from its prefix (the framer never
 * holds more than the limit), and the next line is served.
 *
 * Outbound memory is bounded: `send()` resolves at once while the socket accepts writes, once
 * its line is flushed when the socket pushes back (an awaiting producer slows to the reader's
 * pace), and once `socket.writableLength` would pass `maxQueuedBytes` the socket is destroyed
 * with a logged reason — TCP has no close code to carry it.
 */
import type { Socket } from 'node:net';
import { ErlmcpError, toError } from '../../protocol/errors.js';
import { parseJson } from '../../protocol/jsonrpc.js';
import type { AuthInfo, MessageExtra, Transport } from '../../protocol/transport.js';
import type { JSONRPCMessage } from '../../protocol/types.js';
import { NewlineFramer, serialize, tooLargeResponse, type OverflowInfo } from '../shared/framing.js';
import { writeToSocket } from './socket-write.js';
import { encodeBatch } from '../../protocol/encode.js';

export interface TcpConnectionLimits {
  maxMessageBytes: number;
  maxQueuedBytes: number;
  /** Close after this long without a byte either way; 0 disables. */
  idleTimeoutMs: number;
  /** How long a graceful end may take before the socket is destroyed. */
  closeGraceMs: number;
}

const CLOSED = (): ErlmcpError => new ErlmcpError('ERR_CONNECTION_CLOSED', 'TCP connection is closed');

export class TcpServerConnection implements Transport {
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  readonly sessionId: string | undefined = undefined;

  private readonly framer: NewlineFramer;
  private readonly extra: MessageExtra;
  private started = false;
  private closed = false;
  private killTimer: NodeJS.Timeout | undefined;

  readonly kind = 'tcp';

  constructor(
    readonly socket: Socket,
    private readonly limits: TcpConnectionLimits,
    /** The identity admission established at accept: it holds for the connection's life. */
    authInfo?: AuthInfo,
  ) {
    this.extra = { requestInfo: { url: `tcp://${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`, remoteAddress: socket.remoteAddress } };
    if (authInfo !== undefined) this.extra.authInfo = authInfo;
    this.framer = new NewlineFramer({
      maxMessageBytes: limits.maxMessageBytes,
      onframe: (line) => this.handleLine(line),
      onoverflow: (info) => this.handleOverflow(info),
    });
    socket.on('error', this.onSocketError);
    socket.once('close', this.onSocketClose);
    // Node's own idle timer: reset by every read and write on the socket.
    if (limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs, () => {
        this.onerror?.(new ErlmcpError('ERR_TIMEOUT', `No traffic for ${limits.idleTimeoutMs} ms; closing idle TCP connection`));
        this.end();
      });
    }
  }

  async start(): Promise<void> {
    if (this.started) throw new ErlmcpError('ERR_TRANSPORT', 'TCP connection already started');
    if (this.closed) throw CLOSED();
    this.started = true;
    // A net.Socket holds incoming bytes until a 'data' listener is attached.
    this.socket.on('data', this.onData);
  }

  send(message: JSONRPCMessage): Promise<void> {
    // Checked before serializing: a producer still firing at a closed connection costs nothing.
    if (this.closed) return Promise.reject(CLOSED());
    return this.write(serialize(message));
  }

  /** A 2025-03-26 batch's responses, as one array on one line. */
  sendBatch(messages: JSONRPCMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(CLOSED());
    return this.write(encodeBatch(messages) + '\n');
  }

  async close(): Promise<void> {
    this.end();
  }

  /** Half-closes (queued lines still go out), destroying the socket if the peer lingers. */
  end(): void {
    if (this.closed) return;
    this.socket.end();
    this.killTimer = setTimeout(() => this.socket.destroy(), this.limits.closeGraceMs);
    this.killTimer.unref();
    this.finish();
  }

  /** Drops the connection at once, logging why. */
  destroy(reason: string): void {
    if (this.closed) return;
    this.onerror?.(new ErlmcpError('ERR_TRANSPORT', reason));
    this.socket.destroy();
    this.finish();
  }

  private write(data: string): Promise<void> {
    const s = this.socket;
    if (this.closed || s.destroyed || s.writableEnded) return Promise.reject(CLOSED());
    // data.length counts UTF-16 units, ≤ the UTF-8 bytes: close enough for a bound, no extra scan.
    if (s.writableLength + data.length > this.limits.maxQueuedBytes) {
      const reason = `Slow reader: over ${this.limits.maxQueuedBytes} bytes queued; closing TCP connection ${this.extra.requestInfo?.url ?? ''}`;
      this.destroy(reason);
      return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', reason));
    }
    return writeToSocket(s, data);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.framer.push(chunk);
  };

  private handleLine(line: string): void {
    if (this.closed) return;
    const parsed = parseJson(line);
    if (!parsed.ok) {
      this.write(serialize(parsed.response)).catch(() => {});
      return;
    }
    try {
      this.onmessage?.(parsed.value, this.extra);
    } catch (e) {
      this.onerror?.(toError(e));
    }
  }

  private handleOverflow(info: OverflowInfo): void {
    if (this.closed) return;
    const limit = this.framer.maxMessageBytes;
    this.onerror?.(new ErlmcpError('ERR_MESSAGE_TOO_LARGE', `Dropped an inbound message of ${info.bytes}+ bytes (limit ${limit})`));
    this.write(serialize(tooLargeResponse(info, limit))).catch(() => {});
  }

  private readonly onSocketError = (e: NodeJS.ErrnoException): void => {
    // Resets from a peer that simply went away are routine; 'close' follows either way.
    if (e.code === 'ECONNRESET' || e.code === 'EPIPE') return;
    this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `TCP socket error: ${e.message}`, { cause: e }));
  };

  private readonly onSocketClose = (): void => {
    if (this.killTimer) clearTimeout(this.killTimer);
    this.socket.off('data', this.onData);
    this.framer.reset();
    this.finish();
  };

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }
}
