/**
 * One accepted WebSocket connection as a Transport, owned by McpWebSocketServer.
 * WebSocket is a custom MCP transport (basic/transports#custom-transports): it carries the same
 * JSON-RPC messages as stdio, one message (or one 2025-03-26 batch array) per **text** frame.
 *
 * Bad input does not end the session: a text frame that is not JSON is answered with a -32700
 * parse error and the next frame is served. What the WebSocket protocol itself rejects closes
 * the connection with its close code: a binary frame → 1003, a frame over `maxMessageBytes` →
 * 1009 (enforced by ws's `maxPayload` before the frame is buffered), invalid UTF-8 → 1007.
 *
 * Outbound memory is bounded per connection: `send()` resolves at once while little is queued,
 * resolves only once its frame is flushed to the socket when more is (so a producer that awaits
 * its sends slows to the reader's pace), and once `ws.bufferedAmount` passes `maxQueuedBytes`
 * the connection is closed with 1008 — a producer that does not await cannot grow memory.
 */
import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import { ErlmcpError, toError } from '../../protocol/errors.js';
import { parseJson } from '../../protocol/jsonrpc.js';
import type { AuthInfo, MessageExtra, Transport } from '../../protocol/transport.js';
import type { JSONRPCMessage } from '../../protocol/types.js';
import { encodeBatch, encodeMessage } from '../../protocol/encode.js';

/** RFC 6455 §7.4.1 close codes used here. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  UnsupportedData: 1003,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  /** The server restarts (a rolling restart drained it): reconnect. */
  ServiceRestart: 1012,
  TryAgainLater: 1013,
} as const;

/** Below this many queued bytes a send resolves at once; above it, when its frame is flushed. */
const HIGH_WATER_BYTES = 1024 * 1024;

export interface ConnectionLimits {
  maxQueuedBytes: number;
  /** Close after this long without a message either way; 0 disables. */
  idleTimeoutMs: number;
  /** How long a close handshake may take before the socket is destroyed. */
  closeGraceMs: number;
}

const CLOSED = (): ErlmcpError => new ErlmcpError('ERR_CONNECTION_CLOSED', 'WebSocket connection is closed');

export class WebSocketServerConnection implements Transport {
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  readonly sessionId: string | undefined = undefined;
  /** Cleared by each ping sweep, set by a pong or any message (McpWebSocketServer). */
  alive = true;

  private readonly extra: MessageExtra;
  private started = false;
  private closed = false;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  readonly kind = 'ws';

  constructor(
    readonly ws: WebSocket,
    req: IncomingMessage,
    private readonly limits: ConnectionLimits,
    /** The identity admission established at the upgrade: it holds for the connection's life. */
    authInfo?: AuthInfo,
  ) {
    // One extra object per connection, shared by every message (no per-message allocation).
    this.extra = { requestInfo: { headers: req.headers, url: req.url, remoteAddress: req.socket.remoteAddress } };
    if (authInfo !== undefined) this.extra.authInfo = authInfo;
    // Hold frames until the session is listening; resumed in start().
    ws.pause();
    ws.on('message', this.onFrame);
    ws.on('pong', this.onPong);
    ws.on('error', this.onSocketError);
    ws.once('close', this.onSocketClose);
  }

  async start(): Promise<void> {
    if (this.started) throw new ErlmcpError('ERR_TRANSPORT', 'WebSocket connection already started');
    if (this.closed) throw CLOSED();
    this.started = true;
    if (this.limits.idleTimeoutMs > 0) this.armIdle(this.limits.idleTimeoutMs);
    this.ws.resume();
  }

  send(message: JSONRPCMessage): Promise<void> {
    // Checked before serializing: a producer still firing at a closed connection costs nothing.
    if (this.closed) return Promise.reject(CLOSED());
    return this.write(encodeMessage(message));
  }

  /** A 2025-03-26 batch's responses, as one array in one frame. */
  sendBatch(messages: JSONRPCMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(CLOSED());
    return this.write(encodeBatch(messages));
  }

  /** Ends the session with a normal closure (1000). */
  async close(): Promise<void> {
    this.shutdown(CloseCode.Normal, 'Session closed');
  }

  /**
   * Closes with `code` and `reason`, stops accepting sends at once, and destroys the socket if
   * the peer does not complete the close handshake within the grace period (a slow reader
   * cannot even read the close frame queued behind its backlog).
   */
  shutdown(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(code, reason.length > 120 ? reason.slice(0, 120) : reason);
    this.killTimer = setTimeout(() => this.ws.terminate(), this.limits.closeGraceMs);
    this.killTimer.unref();
    this.finish();
  }

  /** Drops the connection without a close handshake (e.g. a peer that stopped answering pings). */
  terminate(reason: string): void {
    if (this.closed) return;
    this.onerror?.(new ErlmcpError('ERR_TRANSPORT', reason));
    this.ws.terminate();
    this.finish();
  }

  private write(data: string): Promise<void> {
    const ws = this.ws;
    if (this.closed || ws.readyState !== ws.OPEN) return Promise.reject(CLOSED());
    this.lastActivity = Date.now();
    if (ws.bufferedAmount + data.length > this.limits.maxQueuedBytes) {
      // data.length (UTF-16 units) ≤ its UTF-8 bytes × 1, close enough for a bound check.
      const reason = `Slow reader: over ${this.limits.maxQueuedBytes} bytes queued`;
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `${reason}; closing the WebSocket connection (1008)`));
      this.shutdown(CloseCode.PolicyViolation, reason);
      return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', reason));
    }
    if (ws.bufferedAmount < HIGH_WATER_BYTES) {
      ws.send(data);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      ws.send(data, (err) => (err ? reject(new ErlmcpError('ERR_CONNECTION_CLOSED', `WebSocket send failed: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  private readonly onFrame = (data: RawData, isBinary: boolean): void => {
    if (this.closed) return;
    this.alive = true;
    this.lastActivity = Date.now();
    if (isBinary) {
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', 'Peer sent a binary frame; MCP over WebSocket uses text frames'));
      this.shutdown(CloseCode.UnsupportedData, 'Binary frames are not supported; send JSON-RPC as text');
      return;
    }
    const parsed = parseJson(data.toString());
    if (!parsed.ok) {
      this.write(JSON.stringify(parsed.response)).catch(() => {});
      return;
    }
    try {
      this.onmessage?.(parsed.value, this.extra);
    } catch (e) {
      this.onerror?.(toError(e));
    }
  };

  private readonly onPong = (): void => {
    this.alive = true;
  };

  private readonly onSocketError = (e: Error & { code?: string }): void => {
    // ws follows every protocol error (1009 too big, 1007 bad UTF-8…) with a close of its own.
    const code = e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'ERR_MESSAGE_TOO_LARGE' : 'ERR_TRANSPORT';
    this.onerror?.(new ErlmcpError(code, `WebSocket error: ${e.message}`, { cause: e }));
  };

  private readonly onSocketClose = (): void => {
    if (this.killTimer) clearTimeout(this.killTimer);
    this.ws.off('message', this.onFrame);
    this.ws.off('pong', this.onPong);
    this.finish();
  };

  /** Idle check without touching a timer per message: re-arm for what is left of the window. */
  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(() => {
      if (this.closed) return;
      const left = this.lastActivity + this.limits.idleTimeoutMs - Date.now();
      if (left > 0) return this.armIdle(left);
      this.onerror?.(new ErlmcpError('ERR_TIMEOUT', `No message for ${this.limits.idleTimeoutMs} ms; closing idle WebSocket connection`));
      this.shutdown(CloseCode.GoingAway, 'Idle timeout');
    }, ms);
    this.idleTimer.unref();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.onclose?.();
  }
}
