/**
 * MCP over raw TCP (or TLS), server side: newline-delimited JSON-RPC like stdio
 * (basic/transports#stdio), on a socket instead of pipes — a custom transport
 * (basic/transports#custom-transports). One listener, many connections, one ServerSession per
 * connection via `server.connect(transport)`. See connection.ts for framing, bad input and
 * backpressure.
 *
 * A connection beyond `maxConnections` is told why — one JSON-RPC error line with id null —
 * and closed, so a client sees a reason rather than a bare reset.
 * TCP has no Origin: bind to loopback (the default) or put TLS and your own auth in front.
 */
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { ErlmcpError, ErrorCode, toError } from '../../protocol/errors.js';
import { errorResponse } from '../../protocol/jsonrpc.js';
import type { AdmissionRequest, McpServer } from '../../server/index.js';
import type { AuthInfo } from '../../protocol/transport.js';
import { DEFAULT_MAX_MESSAGE_BYTES, serialize } from '../shared/framing.js';
import { TcpServerConnection } from './connection.js';

export interface McpTcpServerOptions {
  server: McpServer;
  /** Largest accepted line in bytes (excluding the newline). Default 16 MiB; over → -32600, connection kept. */
  maxMessageBytes?: number;
  /** Concurrent connections; the next one gets a JSON-RPC error line and is closed. Default 10 000. */
  maxConnections?: number;
  /** Close a connection with no traffic either way for this long. 0 disables. Default 5 min. */
  idleTimeoutMs?: number;
  /** Per-connection send-buffer bound; a reader that falls this far behind is dropped. Default 64 MiB. */
  maxQueuedBytes?: number;
  /** Serve TLS instead of plain TCP (key/cert, ca + requestCert for mutual TLS…). */
  tls?: TlsOptions;
  /** TCP keep-alive probe delay (dead peers behind NAT/firewalls). 0 disables. Default 30 s. */
  keepAliveMs?: number;
  /** How long a graceful end may take before the socket is destroyed. Default 2000 ms. */
  closeGraceMs?: number;
}

const MiB = 1024 * 1024;
/** Sockets allowed above maxConnections for TLS handshakes and refusals in progress. */
const CONNECTION_HEADROOM = 100;

/**
 * Newline-delimited JSON-RPC over TCP, or TLS with `tls: { key, cert }`; one session per connection.
 *
 * @example
 * const { url } = await new McpTcpServer({ server }).listen(3001, '127.0.0.1'); // tcp://127.0.0.1:3001
 */
export class McpTcpServer {
  readonly server: McpServer;
  readonly maxMessageBytes: number;
  readonly maxConnections: number;
  /** Listener-level events (refused connections, TLS handshake failures). Session errors go to McpServer.onerror. */
  onerror?: (error: Error) => void;

  private readonly options: McpTcpServerOptions;
  private readonly connections = new Set<TcpServerConnection>();
  private listener: Server | undefined;
  private closed = false;

  constructor(options: McpTcpServerOptions) {
    this.options = options;
    this.server = options.server;
    this.maxMessageBytes = positive('maxMessageBytes', options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.maxConnections = positive('maxConnections', options.maxConnections ?? 10_000);
    positive('maxQueuedBytes', options.maxQueuedBytes ?? 64 * MiB);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Starts listening; `url` is tcp://host:port or tls://host:port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ url: string; host: string; port: number }> {
    if (this.listener) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'Already listening');
    if (this.closed) throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'McpTcpServer is closed');
    const tls = this.options.tls;
    let srv: Server;
    if (tls) {
      const t = createTlsServer(tls);
      t.on('secureConnection', this.onConnection);
      t.on('tlsClientError', (e: Error) => this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `TLS handshake failed: ${e.message}`, { cause: e })));
      srv = t;
    } else {
      srv = createNetServer(this.onConnection);
    }
    // Hard cap at the socket level (TLS handshakes in progress, refusals being written): beyond
    // it Node drops the socket before any work is done for it.
    srv.maxConnections = this.maxConnections + CONNECTION_HEADROOM;
    this.listener = srv;
    await new Promise<void>((resolve, reject) => {
      const failed = (e: Error): void => {
        this.listener = undefined; // e.g. EADDRINUSE: listen() may be tried again
        reject(e);
      };
      srv.once('error', failed);
      srv.listen(port, host, () => {
        srv.off('error', failed);
        resolve();
      });
    });
    srv.on('error', (e) => this.onerror?.(e));
    const actual = (srv.address() as AddressInfo).port;
    const name = host.includes(':') ? `[${host}]` : host;
    return { url: `${tls ? 'tls' : 'tcp'}://${name}:${actual}`, host, port: actual };
  }

  /** Stops accepting, ends every connection (destroying stragglers after the grace period), and resolves once all are gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const srv = this.listener;
    const stopped = srv ? new Promise<void>((resolve) => srv.close(() => resolve())) : Promise.resolve();
    await Promise.all(
      [...this.connections].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.socket.destroyed) return resolve();
            c.socket.once('close', () => resolve());
            c.end();
          }),
      ),
    );
    await stopped;
  }

  private readonly onConnection = (socket: Socket): void => {
    if (this.closed || this.connections.size >= this.maxConnections) {
      this.refuse(socket, this.closed ? 'Server shutting down' : `Too many connections (limit ${this.maxConnections}); try again later`);
      return;
    }
    if (!this.server.acceptsSessions) {
      this.server.refusedSession('tcp', socket.remoteAddress, 'connect');
      this.refuse(socket, `This server holds its maximum of ${this.server.limits.maxSessions} sessions; try again later`);
      return;
    }
    if (!this.server.hasAdmission) return this.serve(socket, undefined);
    // A TCP accept has no headers: hooks judge the remote address (and may attach an identity).
    const req: AdmissionRequest = { transport: 'tcp', method: undefined, path: undefined, headers: {}, remoteAddress: socket.remoteAddress, sessionId: undefined };
    socket.pause();
    Promise.resolve(this.server.admission(req)).then(
      (a) => {
        if (a.ok) return this.serve(socket, a.identity);
        this.refuse(socket, a.refusal.message);
      },
      (e: unknown) => {
        this.onerror?.(toError(e));
        this.refuse(socket, 'Internal server error');
      },
    );
  };

  private serve(socket: Socket, authInfo: AuthInfo | undefined): void {
    if (socket.destroyed) return;
    socket.setNoDelay(true);
    const keepAlive = this.options.keepAliveMs ?? 30_000;
    if (keepAlive > 0) socket.setKeepAlive(true, keepAlive);
    const conn = new TcpServerConnection(socket, {
      maxMessageBytes: this.maxMessageBytes,
      maxQueuedBytes: this.options.maxQueuedBytes ?? 64 * MiB,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 5 * 60_000,
      closeGraceMs: this.options.closeGraceMs ?? 2000,
    }, authInfo);
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
    this.server.connect(conn).catch((e: unknown) => {
      this.onerror?.(toError(e));
      conn.destroy('Could not start the session');
    });
  }

  private refuse(socket: Socket, message: string): void {
    this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Refused TCP connection from ${socket.remoteAddress ?? '?'}: ${message}`));
    socket.on('error', () => {}); // the peer may already be gone
    socket.resume(); // discard whatever it sends, so its FIN is seen and the socket closes
    const timer = setTimeout(() => socket.destroy(), this.options.closeGraceMs ?? 2000);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.end(serialize(errorResponse(null, { code: ErrorCode.ServerError, message })));
  }
}

function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `${name} must be a positive integer, got ${String(v)}`);
  return v;
}
