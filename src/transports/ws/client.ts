/**
 * MCP over WebSocket, client side (a custom transport, basic/transports#custom-transports): one
 * JSON-RPC message or batch array per text frame, as McpWebSocketServer expects.
 *
 * How the connection ends is surfaced as an ErlmcpError on `onerror` — a `WebSocketCloseError`
 * carrying the close code and reason — followed by `onclose`. Code 1009 (our message was over
 * the server's limit, or the server's over ours) maps to ERR_MESSAGE_TOO_LARGE; a rejected
 * upgrade (HTTP 403 Origin, 503 connection limit…) makes `start()` reject with ERR_TRANSPORT.
 * A normal closure (1000) or one we asked for raises no error.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import { ErlmcpError, type LocalErrorCode, toError } from '../../protocol/errors.js';
import { parseJson } from '../../protocol/jsonrpc.js';
import type { MessageExtra, Transport } from '../../protocol/transport.js';
import type { JSONRPCMessage } from '../../protocol/types.js';

export interface WebSocketClientTransportOptions {
  /** Extra headers on the upgrade request (e.g. authorization). */
  headers?: Record<string, string>;
  /** Largest frame accepted from the server. Default 16 MiB; over it the client closes with 1009. */
  maxMessageBytes?: number;
  /** Trusted CA certificate(s) for wss:// (e.g. a self-signed server certificate). */
  ca?: string | Buffer | (string | Buffer)[];
  /** Sent as the Origin header (browsers always send one; Node clients need not). */
  origin?: string;
  /** Sec-WebSocket-Protocol values to offer. */
  protocols?: string[];
  /** How long the opening handshake may take. Default 10 000 ms. */
  connectTimeoutMs?: number;
}

/** Below this many queued bytes a send resolves at once; above it, once its frame is flushed. */
const HIGH_WATER_BYTES = 1024 * 1024;

/** The connection ended with a close code other than a normal closure. */
export class WebSocketCloseError extends ErlmcpError {
  constructor(
    code: LocalErrorCode,
    readonly closeCode: number,
    readonly closeReason: string,
  ) {
    super(code, `WebSocket closed with ${closeCode}${closeReason ? ` (${closeReason})` : ''}`);
  }
}

function errorCodeFor(closeCode: number): LocalErrorCode {
  if (closeCode === 1009) return 'ERR_MESSAGE_TOO_LARGE';
  // 1006: no close frame at all — the connection just dropped.
  if (closeCode === 1001 || closeCode === 1005 || closeCode === 1006) return 'ERR_CONNECTION_CLOSED';
  return 'ERR_TRANSPORT';
}

/**
 * Client side of the WebSocket transport (`ca` for a self-signed wss:// certificate).
 *
 * @example
 * await client.connect(new WebSocketClientTransport('ws://127.0.0.1:3000/mcp/ws'));
 */
export class WebSocketClientTransport implements Transport {
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  readonly sessionId: string | undefined = undefined;

  private readonly url: URL;
  private readonly options: WebSocketClientTransportOptions;
  private ws: WebSocket | undefined;
  private closing = false;
  private finished = false;
  private code: number | undefined;
  /** The close code we sent because of a protocol error of the server's (1009). */
  private localCloseCode: number | undefined;
  /** An error already explained why the connection is closing. */
  private reported = false;
  private reason = '';

  constructor(url: string | URL, options: WebSocketClientTransportOptions = {}) {
    this.url = new URL(url);
    if (this.url.protocol !== 'ws:' && this.url.protocol !== 'wss:') {
      throw new ErlmcpError('ERR_INVALID_ARGUMENT', `WebSocket URL must be ws:// or wss://, got ${this.url.protocol}`);
    }
    this.options = options;
  }

  /** The close code once the connection has ended (1000 normal, 1009 too big, 1006 dropped…). */
  get closeCode(): number | undefined {
    return this.code;
  }
  get closeReason(): string {
    return this.reason;
  }

  start(): Promise<void> {
    if (this.ws) return Promise.reject(new ErlmcpError('ERR_TRANSPORT', 'WebSocketClientTransport already started'));
    const o = this.options;
    const wsOptions: ClientOptions = {
      headers: o.headers,
      maxPayload: o.maxMessageBytes ?? 16 * 1024 * 1024,
      handshakeTimeout: o.connectTimeoutMs ?? 10_000,
      perMessageDeflate: false,
    };
    if (o.ca !== undefined) wsOptions.ca = o.ca;
    if (o.origin !== undefined) wsOptions.origin = o.origin;
    const ws = new WebSocket(this.url, o.protocols ?? [], wsOptions);
    this.ws = ws;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let opened = false;
      const fail = (e: ErlmcpError): void => {
        if (settled) return;
        settled = true;
        this.finished = true; // start() rejects; there is no session to close
        ws.terminate();
        reject(e);
      };
      ws.once('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (body.length < 1024) body += c;
        });
        const done = (): void => {
          req.destroy();
          fail(new ErlmcpError('ERR_TRANSPORT', `WebSocket upgrade rejected: HTTP ${res.statusCode ?? 0} ${res.statusMessage ?? ''}${body ? ` ${body.slice(0, 1024)}` : ''}`.trim()));
        };
        res.once('end', done);
        res.once('error', done);
      });
      ws.on('error', (e: Error) => {
        if (!settled) return fail(new ErlmcpError('ERR_TRANSPORT', `WebSocket connection to ${this.url.href} failed: ${e.message}`, { cause: e }));
        if (!opened) return; // the echo of our own abort after a failed start
        // After open, ws answers a protocol error by closing with its code (1009 for a frame over
        // maxPayload); it stops reading, so the 'close' event may only see 1006. Report it here.
        const tooBig = (e as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
        if (tooBig) this.localCloseCode = 1009;
        this.reported = true;
        if (!this.closing) this.onerror?.(new ErlmcpError(tooBig ? 'ERR_MESSAGE_TOO_LARGE' : 'ERR_TRANSPORT', `WebSocket error: ${e.message}`, { cause: e }));
      });
      ws.once('open', () => {
        settled = opened = true;
        ws.on('message', this.onFrame);
        ws.once('close', this.onClose);
        resolve();
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(JSON.stringify(message));
  }

  sendBatch(messages: JSONRPCMessage[]): Promise<void> {
    return this.write(JSON.stringify(messages));
  }

  /** Closes with 1000 and resolves once the connection is closed (destroyed after 2 s at most). */
  close(): Promise<void> {
    const ws = this.ws;
    if (!ws || this.finished) {
      this.finish();
      return Promise.resolve();
    }
    this.closing = true;
    return new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) {
        this.finish();
        return resolve();
      }
      const timer = setTimeout(() => ws.terminate(), 2000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000);
    });
  }

  private write(data: string): Promise<void> {
    const ws = this.ws;
    if (!ws) return Promise.reject(new ErlmcpError('ERR_NOT_CONNECTED', 'WebSocketClientTransport not started'));
    if (this.closing || this.finished || ws.readyState !== ws.OPEN) return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'WebSocket connection is closed'));
    if (ws.bufferedAmount < HIGH_WATER_BYTES) {
      ws.send(data);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      ws.send(data, (err) => (err ? reject(new ErlmcpError('ERR_CONNECTION_CLOSED', `WebSocket send failed: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  private readonly onFrame = (data: RawData, isBinary: boolean): void => {
    if (this.finished) return;
    if (isBinary) {
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', 'Server sent a binary frame; MCP over WebSocket uses text frames'));
      this.ws?.close(1003, 'Binary frames are not supported');
      return;
    }
    const parsed = parseJson(data.toString());
    if (!parsed.ok) {
      const text = data.toString();
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Server sent a frame that is not JSON: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`));
      return;
    }
    try {
      this.onmessage?.(parsed.value);
    } catch (e) {
      this.onerror?.(toError(e));
    }
  };

  private readonly onClose = (code: number, reason: Buffer): void => {
    this.code = this.localCloseCode ?? code;
    this.reason = reason.toString();
    if (!this.closing && !this.reported && code !== 1000) this.onerror?.(new WebSocketCloseError(errorCodeFor(code), code, this.reason));
    this.finish();
  };

  /** Fires onclose exactly once (not after a failed start(), which rejected instead). */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onclose?.();
  }
}
