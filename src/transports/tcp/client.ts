/**
 * MCP over raw TCP (or TLS), client side: newline-delimited JSON-RPC as McpTcpServer expects
 * (stdio framing, basic/transports#stdio, on a socket — a custom transport).
 *
 * Reconnection. When an established connection drops (not on `close()`), the transport
 * reconnects with exponential backoff (equal jitter) and, after `maxRetries` failed attempts in
 * a row, gives up and fires `onclose`. A new connection is a **new MCP session** on the server:
 * nothing of the old one survives (basic/lifecycle — a session starts with initialize). So:
 * - requests in flight when the link dropped are answered locally with a -32000 error (the
 *   server may or may not have run them; we cannot know), instead of hanging until timeout;
 * - messages sent while reconnecting wait for the new connection;
 * - after a reconnect every request other than `initialize` is rejected with
 *   ERR_SESSION_EXPIRED until an `initialize` goes out — the Client treats that error as "the
 *   server forgot the session", re-initializes transparently and retries the call;
 * - replies to server requests that arrived on the old connection are dropped;
 * - `onreconnect` fires once connected again: re-initialize eagerly there (e.g.
 *   `client.ping()` triggers the Client's re-initialization) and restore session state such as
 *   resource subscriptions and the log level.
 * `start()` itself does not retry: a server that is not there fails it at once.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ErlmcpError, ErrorCode, toError } from '../../protocol/errors.js';
import { parseJson } from '../../protocol/jsonrpc.js';
import type { MessageExtra, Transport } from '../../protocol/transport.js';
import type { JSONRPCMessage, RequestId } from '../../protocol/types.js';
import { NewlineFramer, serialize } from '../shared/framing.js';
import { writeToSocket } from './socket-write.js';

export interface TcpReconnectOptions {
  /** First delay. Default 200 ms. */
  initialDelayMs?: number;
  /** Ceiling. Default 10 000 ms. */
  maxDelayMs?: number;
  /** Multiplier per failed attempt. Default 2. */
  factor?: number;
  /** Failed attempts in a row before giving up (onclose). Default 5. */
  maxRetries?: number;
}

export interface TcpClientTransportOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  port: number;
  /** Connect with TLS (ca for a private CA, servername, client cert for mutual TLS…). */
  tls?: ConnectionOptions;
  /** Largest line accepted from the server. Default 16 MiB; larger lines are dropped and reported. */
  maxMessageBytes?: number;
  /** Reconnect after a drop. Default on with the defaults above; `false` turns it off. */
  reconnect?: TcpReconnectOptions | false;
  /** Per connection attempt. Default 10 000 ms. */
  connectTimeoutMs?: number;
}

/** The code of the error answering requests lost with the connection: `ErrorCode.ServerError` (-32000). */
export const CONNECTION_LOST = ErrorCode.ServerError;

function isResponse(v: unknown): v is { id: RequestId } {
  return v !== null && typeof v === 'object' && !('method' in v) && ('result' in v || 'error' in v);
}

/**
 * Client side of the TCP/TLS transport; reconnects with backoff (the Client re-initializes).
 *
 * @example
 * await client.connect(new TcpClientTransport({ host: '127.0.0.1', port: 3001 }));
 */
export class TcpClientTransport implements Transport {
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  /** A dropped connection was re-established: a new, uninitialized server session. */
  onreconnect?: () => void;
  readonly sessionId: string | undefined = undefined;

  private readonly host: string;
  private readonly port: number;
  private readonly options: TcpClientTransportOptions;
  private readonly reconnect: Required<TcpReconnectOptions> | undefined;
  private readonly framer: NewlineFramer;
  private socket: Socket | undefined;
  private started = false;
  private closing = false;
  private finished = false;
  /** Set while reconnecting; sends wait on it. */
  private reconnecting: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private needsInit = false;
  /** Our requests awaiting a response on the current connection (tracked only with reconnect on). */
  private readonly outstanding = new Set<RequestId>();
  /** Server requests received on the current connection and not yet answered. */
  private readonly inbound = new Set<RequestId>();

  constructor(options: TcpClientTransportOptions) {
    this.options = options;
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port;
    const r = options.reconnect;
    this.reconnect =
      r === false ? undefined : { initialDelayMs: r?.initialDelayMs ?? 200, maxDelayMs: r?.maxDelayMs ?? 10_000, factor: r?.factor ?? 2, maxRetries: r?.maxRetries ?? 5 };
    this.framer = new NewlineFramer({
      maxMessageBytes: options.maxMessageBytes,
      onframe: (line) => this.handleLine(line),
      onoverflow: (info) =>
        this.onerror?.(new ErlmcpError('ERR_MESSAGE_TOO_LARGE', `Server sent a message of ${info.bytes}+ bytes (id ${String(info.id)}), over the ${this.framer.maxMessageBytes}-byte limit; dropped`)),
    });
  }

  /** Whether a socket is connected right now (false while reconnecting). */
  get isConnected(): boolean {
    return this.socket !== undefined && !this.finished;
  }

  async start(): Promise<void> {
    if (this.started) throw new ErlmcpError('ERR_TRANSPORT', 'TcpClientTransport already started');
    this.started = true;
    try {
      this.attach(await this.dial());
    } catch (e) {
      this.finished = true; // start() rejects; there is no session to close
      throw new ErlmcpError('ERR_TRANSPORT', `TCP connection to ${this.host}:${this.port} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.started) throw new ErlmcpError('ERR_NOT_CONNECTED', 'TcpClientTransport not started');
    if (this.reconnecting) await this.reconnecting.promise;
    if (this.closing || this.finished || !this.socket) throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'TCP connection is closed');
    if (this.reconnect) {
      const m = message as Partial<Record<'id' | 'method', unknown>>;
      if (typeof m.method === 'string' && m.id !== undefined) {
        if (m.method === 'initialize') this.needsInit = false;
        else if (this.needsInit) {
          throw new ErlmcpError('ERR_SESSION_EXPIRED', 'The TCP connection was re-established and the server has a new session; initialize again');
        }
        this.outstanding.add(m.id as RequestId);
      } else if (m.method === undefined && m.id !== undefined && !this.inbound.delete(m.id as RequestId)) {
        return; // a reply to a request from the previous connection: that session is gone
      } else if (m.method === 'notifications/cancelled') {
        // A cancelled request gets no response (basic/utilities/cancellation): stop tracking it.
        const params = (message as { params?: { requestId?: RequestId } }).params;
        if (params?.requestId !== undefined) this.outstanding.delete(params.requestId);
      }
    }
    return this.write(serialize(message));
  }

  /** Ends the connection and stops reconnecting; resolves once the socket is closed. */
  async close(): Promise<void> {
    if (this.closing || this.finished) {
      this.finish();
      return;
    }
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.reconnecting?.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'TCP transport closed'));
    this.reconnecting = undefined;
    const s = this.socket;
    if (s && !s.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => s.destroy(), 2000);
        s.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        s.end();
      });
    }
    this.finish();
  }

  private write(data: string): Promise<void> {
    const s = this.socket!;
    return writeToSocket(s, data);
  }

  private dial(): Promise<Socket> {
    const { tls, connectTimeoutMs = 10_000 } = this.options;
    return new Promise<Socket>((resolve, reject) => {
      const socket = tls
        ? tlsConnect({ host: this.host, port: this.port, ...(isIP(this.host) ? {} : { servername: this.host }), ...tls })
        : netConnect({ host: this.host, port: this.port });
      const timer = setTimeout(() => socket.destroy(new Error(`timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);
      const failed = (e: Error): void => {
        clearTimeout(timer);
        reject(e);
      };
      socket.once('error', failed);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        resolve(socket);
      });
    });
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.framer.push(chunk));
    socket.on('error', (e: Error) => {
      if (!this.closing) this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `TCP socket error: ${e.message}`, { cause: e }));
    });
    socket.once('close', () => this.dropped(socket));
  }

  private dropped(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.framer.reset();
    if (this.closing || this.finished) return;
    this.failOutstanding();
    this.inbound.clear();
    if (!this.reconnect) {
      this.onerror?.(new ErlmcpError('ERR_CONNECTION_CLOSED', `TCP connection to ${this.host}:${this.port} closed by the server`));
      this.finish();
      return;
    }
    this.onerror?.(new ErlmcpError('ERR_CONNECTION_CLOSED', `TCP connection to ${this.host}:${this.port} lost; reconnecting`));
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // a rejection nobody awaits is not an error
    this.reconnecting = { promise, resolve, reject };
    this.scheduleRetry(0);
  }

  private scheduleRetry(attempt: number): void {
    const r = this.reconnect!;
    const base = Math.min(r.maxDelayMs, r.initialDelayMs * r.factor ** attempt);
    // Equal jitter: many clients dropped at once do not all come back in the same instant.
    const delay = base / 2 + (Math.random() * base) / 2;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.dial().then(
        (socket) => {
          if (this.closing) {
            socket.destroy();
            return;
          }
          this.attach(socket);
          this.needsInit = true;
          const waiting = this.reconnecting;
          this.reconnecting = undefined;
          waiting?.resolve();
          try {
            this.onreconnect?.();
          } catch (e) {
            this.onerror?.(toError(e));
          }
        },
        (e: Error) => {
          if (this.closing) return;
          if (attempt + 1 >= r.maxRetries) {
            const err = new ErlmcpError('ERR_CONNECTION_CLOSED', `Gave up reconnecting to ${this.host}:${this.port} after ${r.maxRetries} attempts: ${e.message}`, { cause: e });
            this.onerror?.(err);
            this.reconnecting?.reject(err);
            this.reconnecting = undefined;
            this.finish();
            return;
          }
          this.scheduleRetry(attempt + 1);
        },
      );
    }, delay);
  }

  /** Answers our in-flight requests locally: their responses died with the connection. */
  private failOutstanding(): void {
    if (this.outstanding.size === 0) return;
    const ids = [...this.outstanding];
    this.outstanding.clear();
    for (const id of ids) {
      this.deliver({
        jsonrpc: '2.0',
        id,
        error: { code: CONNECTION_LOST, message: 'Connection lost before the response arrived; the server may or may not have processed the request', data: { reason: 'connection-lost' } },
      });
    }
  }

  private handleLine(line: string): void {
    if (this.finished) return;
    const parsed = parseJson(line);
    if (!parsed.ok) {
      const preview = line.length > 200 ? `${line.slice(0, 200)}…` : line;
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Server sent a line that is not JSON: ${preview}`));
      return;
    }
    if (this.reconnect) this.track(parsed.value);
    this.deliver(parsed.value);
  }

  /** Bookkeeping for reconnection: which of our requests are answered, which of theirs are open. */
  private track(value: unknown): void {
    for (const m of Array.isArray(value) ? value : [value]) {
      if (isResponse(m)) this.outstanding.delete(m.id);
      else if (m !== null && typeof m === 'object' && 'method' in m && 'id' in m) this.inbound.add((m as { id: RequestId }).id);
    }
  }

  private deliver(value: unknown): void {
    try {
      this.onmessage?.(value);
    } catch (e) {
      this.onerror?.(toError(e));
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onclose?.();
  }
}
