/**
 * MCP over WebSocket, server side: one listener, many connections, one ServerSession per
 * connection (`server.connect(transport)`). WebSocket is a custom transport
 * (basic/transports#custom-transports) carrying the same JSON-RPC messages as stdio: one message
 * or batch array per text frame (see connection.ts for framing, bad input and backpressure).
 *
 * Mount it on an existing node:http / node:https server with `attach()` — e.g. the server that
 * also routes POST/GET /mcp to `StreamableHttpServer.handle()` — or run it alone with `listen()`.
 *
 * Upgrade checks, answered with an HTTP error before any WebSocket state is allocated:
 * - Origin (basic/transports#security-warning, DNS rebinding): browsers always send it on a
 *   WebSocket upgrade; by default only loopback origins (or none) are accepted → else 403.
 * - `maxConnections` → 503 once reached.
 * - wrong path → 404 (only when no other 'upgrade' listener may want it).
 *
 * Limits: a frame over `maxMessageBytes` (ws `maxPayload`) closes that connection with 1009,
 * as RFC 6455 prescribes — other connections are unaffected. A peer that misses a pong for one
 * `pingIntervalMs` is terminated; one that exchanges no message for `idleTimeoutMs` is closed
 * with 1001; one whose send buffer passes `maxQueuedBytes` is closed with 1008.
 */
import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErlmcpError, ErrorCode, toError } from '../../protocol/errors.js';
import type { McpServer } from '../../server/server.js';
import type { ServerSession } from '../../server/session.js';
import { errorBody } from '../shared/http.js';
import { originAllowed } from '../shared/origin.js';
import { admissionRequest, refusalBody } from '../shared/admission-http.js';
import { DEFAULT_DRAIN_GRACE_MS, DRAIN_EXPIRED_MESSAGE, HttpDrain, type DrainOptions } from '../shared/drain.js';
import type { AuthInfo } from '../../protocol/transport.js';
import { CloseCode, WebSocketServerConnection } from './connection.js';

export interface McpWebSocketServerOptions {
  server: McpServer;
  /** Path of the WebSocket endpoint. Default '/mcp/ws'. */
  path?: string;
  /** Largest accepted frame payload (UTF-8 bytes of one message). Default 16 MiB. Over → close 1009. */
  maxMessageBytes?: number;
  /** Concurrent connections; upgrades beyond it get HTTP 503. Default 10 000. */
  maxConnections?: number;
  /** Close a connection with no message either way for this long (1001). 0 disables. Default 5 min. */
  idleTimeoutMs?: number;
  /** Ping every connection this often; one that has not answered the last ping is terminated. 0 disables. Default 30 s. */
  pingIntervalMs?: number;
  /** Per-connection send-buffer bound; a reader that falls this far behind is closed (1008). Default 64 MiB. */
  maxQueuedBytes?: number;
  /**
   * Accepted Origin headers. 'loopback' (default): no Origin or a loopback one. A list: those
   * origins (full origin or hostname) plus loopback. '*': any (only behind your own auth).
   */
  allowedOrigins?: string[] | 'loopback' | '*';
  /** Serve wss:// from `listen()`. Ignored by `attach()` (the server you attach carries its own TLS). */
  tls?: Pick<HttpsServerOptions, 'key' | 'cert' | 'ca' | 'passphrase' | 'pfx'>;
  /** How long a closing handshake may take before the socket is destroyed. Default 2000 ms. */
  closeGraceMs?: number;
}

export const DEFAULT_WS_PATH = '/mcp/ws';
const MiB = 1024 * 1024;
/** Sockets allowed above maxConnections for requests still being checked or refused. */
const CONNECTION_HEADROOM = 100;

type AnyHttpServer = HttpServer | HttpsServer;

/**
 * MCP over WebSocket: one session per connection; `listen()` on its own port or `attach(httpServer)` beside Streamable HTTP.
 *
 * @example
 * const ws = new McpWebSocketServer({ server });
 * ws.attach(httpServer); // ws://host:port/mcp/ws
 */
export class McpWebSocketServer {
  readonly server: McpServer;
  readonly path: string;
  readonly maxMessageBytes: number;
  readonly maxConnections: number;
  /** Connection-level events that concern no session yet (rejected upgrades, handshake errors). */
  onerror?: (error: Error) => void;

  private readonly options: McpWebSocketServerOptions;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<WebSocketServerConnection>();
  /** The session of each connection, once connected (a drain asks them what is in flight). */
  private readonly sessions = new Map<WebSocketServerConnection, ServerSession>();
  private readonly drainer = new HttpDrain();
  private draining: Promise<void> | undefined;
  /** Each attached server and its 'upgrade' listener. */
  private readonly attached = new Map<AnyHttpServer, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>();
  /** Upgrades accepted by us but not yet completed by ws (they count toward the limit). */
  private pendingUpgrades = 0;
  private owned: AnyHttpServer | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: McpWebSocketServerOptions) {
    this.options = options;
    this.server = options.server;
    this.path = options.path ?? DEFAULT_WS_PATH;
    this.maxMessageBytes = positive('maxMessageBytes', options.maxMessageBytes ?? 16 * MiB);
    this.maxConnections = positive('maxConnections', options.maxConnections ?? 10_000);
    positive('maxQueuedBytes', options.maxQueuedBytes ?? 64 * MiB);
    // noServer: we route 'upgrade' ourselves, so several handlers can share one http server
    // (ws's own `server`/`path` mode answers 400 to every upgrade for another path).
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.maxMessageBytes, perMessageDeflate: false, clientTracking: false });
    this.wss.on('error', (e) => this.onerror?.(e));
    this.wss.on('wsClientError', (e: Error, socket: Duplex) => {
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Invalid WebSocket upgrade: ${e.message}`, { cause: e }));
      rejectUpgrade(socket, 400, e.message);
    });
  }

  /** Live WebSocket connections (each one a session). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Serves WebSocket upgrades on `path` of an existing http(s) server; its other routes are untouched. */
  attach(httpServer: AnyHttpServer): void {
    if (this.closed) throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'McpWebSocketServer is closed');
    if (this.attached.has(httpServer)) return;
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.onUpgrade(httpServer, req, socket, head);
    this.attached.set(httpServer, listener);
    httpServer.on('upgrade', listener);
    this.startPinger();
  }

  /** Starts a dedicated http(s) server (ws:// or wss://) for the endpoint; other requests → 426/404. */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    if (this.owned) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'Already listening');
    const tls = this.options.tls;
    const srv: AnyHttpServer = tls ? createHttpsServer(tls) : createHttpServer();
    srv.on('request', (req, res) => {
      const status = pathOf(req) === this.path ? 426 : 404;
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 426 ? { upgrade: 'websocket', connection: 'Upgrade' } : {}) });
      res.end(errorBody(ErrorCode.ServerError, status === 426 ? 'Upgrade Required: connect with WebSocket' : 'Not Found'));
    });
    // Hard cap at the socket level too (sockets still in the HTTP phase, refused upgrades):
    // beyond it the kernel-accepted socket is dropped before any parsing.
    srv.maxConnections = this.maxConnections + CONNECTION_HEADROOM;
    this.owned = srv;
    this.attach(srv);
    await new Promise<void>((resolve, reject) => {
      const failed = (e: Error): void => {
        // e.g. EADDRINUSE: undo, so listen() may be tried again.
        const listener = this.attached.get(srv);
        if (listener) srv.off('upgrade', listener);
        this.attached.delete(srv);
        this.owned = undefined;
        reject(e);
      };
      srv.once('error', failed);
      srv.listen(port, host, () => {
        srv.off('error', failed);
        resolve();
      });
    });
    const actual = (srv.address() as AddressInfo).port;
    const name = host.includes(':') ? `[${host}]` : host;
    return { url: `${tls ? 'wss' : 'ws'}://${name}:${actual}${this.path}`, port: actual };
  }

  /** Closes every connection with 1001 (destroying stragglers after the grace period), detaches, and stops the server `listen()` made. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pinger) clearInterval(this.pinger);
    for (const [srv, listener] of this.attached) srv.off('upgrade', listener);
    this.attached.clear();
    const gone = [...this.connections].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === c.ws.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          c.shutdown(CloseCode.GoingAway, 'Server shutting down');
        }),
    );
    await Promise.all(gone);
    this.wss.close();
    const srv = this.owned;
    if (srv) {
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      });
    }
  }

  /**
   * Graceful drain, before `close()`: new upgrades get 503 + Retry-After, open connections keep
   * being served, and calls in flight get `graceMs` to finish (any still running are then
   * answered with a -32603 error). `handover` (a rolling restart: another process takes new
   * connections): the server `listen()` made stops accepting at once, and each connection is
   * closed with 1012 (Service Restart) once drained, so the client reconnects — elsewhere.
   *
   * @example
   * process.once('SIGTERM', async () => { await wss.drain(10_000); await wss.close(); process.exit(0); });
   */
  drain(graceMs = DEFAULT_DRAIN_GRACE_MS, options: DrainOptions = {}): Promise<void> {
    return (this.draining ??= (async () => {
      const deadline = Date.now() + graceMs;
      this.drainer.active = true;
      if (options.handover && this.owned?.listening) NetServer.prototype.close.call(this.owned);
      const idle = (): boolean => [...this.sessions.values()].every((s) => s.inFlight === 0);
      if (!(await this.drainer.until(idle, deadline))) await this.answerInFlight(DRAIN_EXPIRED_MESSAGE, 'drain_timeout');
      if (options.handover) for (const c of this.connections) c.shutdown(CloseCode.ServiceRestart, 'Server restarting; reconnect');
    })());
  }

  /** A crash (see installCrashGuards): refuse upgrades, answer every call in flight with a -32603 error naming `reason`. */
  async failInFlight(reason: string): Promise<void> {
    this.drainer.active = true;
    if (this.owned?.listening) NetServer.prototype.close.call(this.owned);
    await this.answerInFlight(reason, 'worker_crashed');
  }

  private async answerInFlight(message: string, reason: string): Promise<void> {
    for (const s of this.sessions.values()) s.failInFlight({ code: ErrorCode.InternalError, message, data: { reason, retry: true } });
    // Sent on the next turns of the event loop; wait for them to reach the sockets.
    await new Promise((resolve) => setImmediate(resolve));
  }

  private onUpgrade(srv: AnyHttpServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (pathOf(req) !== this.path) {
      // Another upgrade handler on the same server may own this path; answer only if none can.
      if (srv.listenerCount('upgrade') === 1) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (this.closed || this.drainer.active) return rejectUpgrade(socket, 503, 'Service Unavailable: server shutting down; retry', { 'retry-after': '1' });
    const origin = req.headers.origin;
    if (!this.originOk(origin)) {
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Rejected WebSocket upgrade from Origin ${origin ?? ''} (403)`));
      return rejectUpgrade(socket, 403, 'Forbidden: invalid Origin header');
    }
    if (this.connections.size + this.pendingUpgrades >= this.maxConnections) {
      this.onerror?.(new ErlmcpError('ERR_TRANSPORT', `Rejected WebSocket upgrade: ${this.maxConnections} connections open (503)`));
      return rejectUpgrade(socket, 503, `Service Unavailable: connection limit (${this.maxConnections}) reached`, { 'retry-after': '1' });
    }
    if (!this.server.acceptsSessions) {
      this.server.refusedSession('ws', req.socket.remoteAddress, `${req.method ?? ''} ${(req.url ?? '/').split('?', 1)[0]}`);
      return rejectUpgrade(socket, 503, `Service Unavailable: this server holds its maximum of ${this.server.limits.maxSessions} sessions; retry later`, { 'retry-after': '5' });
    }
    if (!this.server.hasAdmission) return this.upgrade(req, socket, head, undefined);
    this.pendingUpgrades++;
    // Held as pending while the hooks run, so a flood of slow admissions still counts against the cap.
    Promise.resolve(this.server.admission(admissionRequest('ws', req))).then(
      (a) => {
        this.pendingUpgrades--;
        if (a.ok) return this.upgrade(req, socket, head, a.identity);
        const r = a.refusal;
        rejectUpgrade(socket, r.status, r.message, r.headers as Record<string, string> | undefined, refusalBody(r));
      },
      (e: unknown) => {
        this.pendingUpgrades--;
        this.onerror?.(toError(e));
        rejectUpgrade(socket, 500, 'Internal server error');
      },
    );
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, authInfo: AuthInfo | undefined): void {
    if (!socket.writable) return void socket.destroy();
    this.pendingUpgrades++;
    // A socket that dies mid-handshake never reaches the callback; release its slot anyway.
    let counted = true;
    const release = (): void => {
      if (counted) {
        counted = false;
        this.pendingUpgrades--;
      }
    };
    socket.once('close', release);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', release);
      release();
      this.accept(ws, req, authInfo);
    });
  }

  private accept(ws: WebSocket, req: IncomingMessage, authInfo: AuthInfo | undefined): void {
    if (this.closed) {
      ws.close(CloseCode.GoingAway, 'Server shutting down');
      return;
    }
    const conn = new WebSocketServerConnection(
      ws,
      req,
      {
        maxQueuedBytes: this.options.maxQueuedBytes ?? 64 * MiB,
        idleTimeoutMs: this.options.idleTimeoutMs ?? 5 * 60_000,
        closeGraceMs: this.options.closeGraceMs ?? 2000,
      },
      authInfo,
    );
    this.connections.add(conn);
    ws.once('close', () => {
      this.connections.delete(conn);
      this.sessions.delete(conn);
    });
    this.server.connect(conn).then((session) => {
      if (this.connections.has(conn)) this.sessions.set(conn, session);
    }, (e: unknown) => {
      this.onerror?.(toError(e));
      conn.shutdown(CloseCode.TryAgainLater, 'Could not start the session');
    });
  }

  private originOk(origin: string | undefined): boolean {
    const allowed = this.options.allowedOrigins ?? 'loopback';
    if (allowed === '*') return true;
    return originAllowed(origin, true, allowed === 'loopback' ? undefined : allowed);
  }

  /** One interval for all connections (not a timer each): ping, and drop whoever missed the last one. */
  private startPinger(): void {
    const every = this.options.pingIntervalMs ?? 30_000;
    if (this.pinger || every <= 0) return;
    this.pinger = setInterval(() => {
      for (const c of this.connections) {
        if (!c.alive) {
          c.terminate(`No pong within ${every} ms; terminating WebSocket connection`);
          continue;
        }
        c.alive = false;
        if (c.ws.readyState === c.ws.OPEN) c.ws.ping();
      }
    }, every);
    this.pinger.unref();
  }
}

function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?', 1)[0]!;
}

/** Answers an upgrade request with a plain HTTP error (JSON-RPC error body, like Streamable HTTP) and closes the socket. */
function rejectUpgrade(socket: Duplex, status: number, message: string, headers?: Record<string, string>, jsonBody?: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = jsonBody ?? errorBody(ErrorCode.ServerError, message);
  const extra = headers ? Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') : '';
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
  );
}
