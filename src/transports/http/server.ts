/**
 * Streamable HTTP server transport on node:http (basic/transports#streamable-http): the router.
 * One MCP endpoint serving POST (client messages), GET (server stream / resumption) and
 * DELETE (end session). Mount `handle()` in any node:http or express app, or `listen()`.
 * Requests are checked (Host/Origin, media types, protocol version, admission hooks) before any
 * session is looked up; the session directory (session-directory.ts) finds or rebuilds the
 * session, and its transport (session-transport.ts) serves the exchange.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import { ErlmcpError, ErrorCode, toError } from '../../protocol/errors.js';
import { classify, type Classified } from '../../protocol/jsonrpc.js';
import type { AuthInfo } from '../../protocol/transport.js';
import { DEFAULT_NEGOTIATED_PROTOCOL_VERSION, negotiateVersion, versionAllowsBatch } from '../../protocol/versions.js';
import type { McpServer } from '../../server/index.js';
import { MemoryBus } from '../../stores/memory-bus.js';
import { MemoryEventStore } from '../../stores/memory-event-store.js';
import { MemorySessionStore } from '../../stores/memory-session-store.js';
import type { EventStore, MessageBus, SessionStore } from '../../stores/types.js';
import { probeStores } from '../shared/probe.js';
import { admit } from '../shared/admission-http.js';
import { classifyInbound, type Inbound } from './modern.js';
import { ANSWERED, batchRejected, jsonBody, versionHeader, versionMatches } from './checks.js';
import { limitConnections } from '../shared/connections.js';
import { DEFAULT_DRAIN_GRACE_MS, DRAIN_EXPIRED_MESSAGE, HttpDrain, type DrainOptions } from '../shared/drain.js';
import { SessionDirectory } from './session-directory.js';
import type { HttpSessionTransport } from './session-transport.js';
import { DEFAULT_MAX_BODY, DEFAULT_MAX_CONNECTIONS, DEFAULT_TTL_MS, type StreamableHttpServerOptions } from './server-options.js';
import { OriginPolicy } from '../shared/origin-policy.js';
import { header, acceptsJsonAndSse, acceptsSse, isJsonContentType, listenOn, sendError, sendRpcError } from '../shared/http.js';
import { isLoopbackHost } from '../shared/origin.js';

export type { StreamableHttpServerOptions } from './server-options.js';

/**
 * Streamable HTTP (basic/transports#streamable-http): sessions, SSE streams with resumption, `/health` and `/ready` with `listen()`; `handle(req, res)` mounts it in any node:http or express app.
 *
 * @example
 * const { url } = await new StreamableHttpServer({ server }).listen(3000, '127.0.0.1');
 */
export class StreamableHttpServer {
  readonly server: McpServer;
  readonly sessionStore: SessionStore;
  readonly eventStore: EventStore;
  readonly bus: MessageBus;
  onerror?: (error: Error) => void;
  private readonly options: StreamableHttpServerOptions;
  private readonly maxBodyBytes: number;
  private readonly endpoint: string;
  private readonly owned: { close(): Promise<void> }[] = [];
  private readonly directory: SessionDirectory;
  private origins: OriginPolicy;
  private httpServer: Server | undefined;
  private closed = false;
  private readonly drainer = new HttpDrain();
  /** SSE streams open now (SseWriter keeps it), and sockets open on the `listen()` listener. */
  private readonly streams = { count: 0 };
  private sockets = 0;
  private draining: Promise<void> | undefined;
  /** This node's id: the bus's when it has one (Redis), else random per instance. */
  readonly nodeId: string;

  constructor(options: StreamableHttpServerOptions) {
    this.options = options;
    this.server = options.server;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.endpoint = options.endpoint ?? '/mcp';
    this.origins = new OriginPolicy(options.dnsRebindingProtection ?? false, true, options.allowedHosts, options.allowedOrigins);
    this.sessionStore = options.sessionStore ?? this.own(new MemorySessionStore());
    this.eventStore = options.eventStore ?? this.own(new MemoryEventStore());
    this.bus = options.bus ?? this.own(new MemoryBus());
    this.directory = new SessionDirectory({
      server: this.server,
      sessionStore: this.sessionStore,
      eventStore: this.eventStore,
      bus: this.bus,
      ttlMs: options.sessionIdleTtlMs ?? DEFAULT_TTL_MS,
      stateless: options.stateless ?? false,
      retryMs: options.retryMs ?? 1000,
      enableJsonResponse: options.enableJsonResponse ?? false,
      sse: { ...options.sse, openStreams: this.streams },
      finishedStreams: options.finishedStreams,
      reportError: (e) => this.reportError(e),
    });
    this.nodeId = this.directory.nodeId;
  }

  private own<T extends { close(): Promise<void> }>(x: T): T {
    this.owned.push(x);
    return x;
  }

  /** Live sessions held by this process. */
  get sessionCount(): number {
    return this.directory.size;
  }

  /**
   * What this server holds open now, for metrics: sessions, SSE streams (POST responses,
   * standalone GET streams, resumptions) and sockets on the `listen()` listener (0 when mounted
   * elsewhere; sockets upgraded to WebSocket included).
   *
   * @example
   * const { connections, sseStreams } = http.stats();
   */
  stats(): { sessions: number; sseStreams: number; connections: number } {
    return { sessions: this.directory.size, sseStreams: this.streams.count, connections: this.sockets };
  }

  // ---------- HTTP entry points ----------

  /** Serves one request to the MCP endpoint. `parsedBody`: a body already parsed by middleware. */
  async handle(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> {
    // Counted until its response closes: a drain waits for calls (POST, DELETE, resumptions), not standalone streams.
    this.drainer.enter(res, req.method !== 'GET' || req.headers['last-event-id'] !== undefined);
    try {
      if (this.closed) return sendError(res, 503, 'Service Unavailable: server is closing');
      if (!this.origins.check(req, res)) return;
      if (!this.options.stateless && !this.storesAvailable()) return this.unavailable(res);
      let authInfo: AuthInfo | undefined;
      if (this.server.hasAdmission) {
        const a = await admit(this.server, 'http', req, res);
        if (a === false) return;
        authInfo = a;
      }
      switch (req.method) {
        case 'POST':
          return await this.handlePost(req, res, parsedBody, authInfo);
        case 'GET':
          return await this.handleGet(req, res);
        case 'DELETE':
          return await this.handleDelete(req, res);
        default:
          return sendError(res, 405, 'Method Not Allowed', undefined, { allow: this.options.stateless ? 'POST' : 'GET, POST, DELETE' });
      }
    } catch (e) {
      this.reportError(toError(e));
      if (!this.storesAvailable()) return this.unavailable(res);
      sendError(res, 500, 'Internal server error', ErrorCode.InternalError);
    }
  }

  // ---------- health ----------

  /** Stores that can say so report being reachable (no I/O): the 503 guard of every MCP request. */
  private storesAvailable(): boolean {
    return this.sessionStore.available !== false && this.eventStore.available !== false && this.bus.available !== false;
  }

  private unavailable(res: ServerResponse): void {
    // A clear, immediate answer instead of requests hanging on an unreachable store.
    sendError(res, 503, 'Service Unavailable: the session store (Redis) is unreachable; retry shortly', ErrorCode.InternalError, { 'retry-after': '1' });
  }

  /** Liveness: this process serves HTTP. `pid`: the process answering (a supervised worker, under `erlmcp start`). */
  health(): { status: 'ok'; node: string; sessions: number; pid: number } {
    return { status: 'ok', node: this.nodeId, sessions: this.directory.size, pid: process.pid };
  }

  /** Readiness: every store that can be probed answers within `timeoutMs`. */
  async ready(timeoutMs = 1000): Promise<{ ready: boolean; node: string; error?: string }> {
    if (this.closed) return { ready: false, node: this.nodeId, error: 'server is closing' };
    if (this.drainer.active) return { ready: false, node: this.nodeId, error: 'draining: this server is shutting down' };
    const error = await probeStores([this.sessionStore, this.eventStore, this.bus], timeoutMs);
    return error === undefined ? { ready: true, node: this.nodeId } : { ready: false, node: this.nodeId, error };
  }

  /** Serves `GET /health` (200 while the process runs) and `GET /ready` (503 while a store is unreachable). */
  async handleHealth(req: IncomingMessage, res: ServerResponse, kind: 'health' | 'ready'): Promise<void> {
    const body = kind === 'health' ? this.health() : await this.ready();
    const ok = kind === 'health' || (body as { ready: boolean }).ready;
    const text = JSON.stringify(body);
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  /** Creates and starts an http.Server for this endpoint (other paths → 404). */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    if (this.httpServer) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'Already listening');
    // basic/transports#security-warning: a local server is what DNS rebinding targets; browsers
    // elsewhere may call only from origins the operator lists.
    const loopback = isLoopbackHost(host);
    this.origins = new OriginPolicy(this.options.dnsRebindingProtection ?? loopback, loopback, this.options.allowedHosts, this.options.allowedOrigins);
    const route = (req: IncomingMessage, res: ServerResponse): void => {
      this.options.observe?.(req, res);
      const path = (req.url ?? '/').split('?', 1)[0];
      if ((path === '/health' || path === '/ready') && (req.method === 'GET' || req.method === 'HEAD')) {
        this.drainer.enter(res, false);
        void this.handleHealth(req, res, path === '/health' ? 'health' : 'ready');
        return;
      }
      if (path !== this.endpoint) {
        const routes = this.options.routes;
        return routes && path !== undefined && Object.hasOwn(routes, path) ? routes[path]!(req, res) : sendError(res, 404, 'Not Found');
      }
      void this.handle(req, res);
    };
    const tls = this.options.tls;
    const srv: Server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }, route) : createServer(route);
    limitConnections(srv, this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
    srv.on('connection', (socket: Socket) => {
      this.sockets++;
      socket.once('close', () => this.sockets--);
    });
    this.drainer.watch(srv);
    this.httpServer = srv;
    const { base, port: actual } = await listenOn(srv, port, host);
    return { url: `${tls ? base.replace(/^http:/, 'https:') : base}${this.endpoint}`, port: actual };
  }

  /** The node:http(s) server `listen()` created (to attach a WebSocket upgrade handler to), else undefined. */
  get listener(): Server | undefined {
    return this.httpServer;
  }

  /** Ends every stream, closes every session, stops the http server and the stores it created. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.directory.close();
    const srv = this.httpServer;
    if (srv) {
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      });
    }
    await Promise.all(this.owned.map((x) => x.close().catch(() => {})));
  }

  // ---------- drain ----------

  /**
   * Graceful drain, before `close()`: `/ready` turns 503, `initialize` is refused with 503 +
   * Retry-After, every response says `Connection: close`, standalone SSE streams end with a
   * `retry` hint, and the calls in flight get `graceMs` to finish; any still running then are
   * answered with a -32603 error. Requests of existing sessions are still served meanwhile.
   * `handover` (a rolling restart: another process takes new connections): stop accepting at
   * once and, after the calls, wait (within the grace period) for idle keep-alive connections to
   * end on their own rather than closing them under a request already on its way.
   *
   * @example
   * process.once('SIGTERM', async () => {
   *   await http.drain(10_000);
   *   await http.close();
   *   process.exit(0);
   * });
   */
  drain(graceMs = DEFAULT_DRAIN_GRACE_MS, options: DrainOptions = {}): Promise<void> {
    return (this.draining ??= (async () => {
      const deadline = Date.now() + graceMs;
      this.drainer.active = true;
      if (options.handover) this.drainer.stopAccepting();
      this.directory.hangUpStandalone();
      const idle = (): boolean => this.drainer.inFlight === 0 && this.directory.inFlight() === 0;
      if (!(await this.drainer.until(idle, deadline))) await this.answerInFlight(DRAIN_EXPIRED_MESSAGE, 'drain_timeout');
      if (options.handover) await this.drainer.until(() => this.drainer.connections === 0, deadline);
    })());
  }

  /**
   * A crash (see installCrashGuards): stops accepting connections, answers every call in
   * flight here with a -32603 error naming `reason`, ends standalone streams with a `retry` hint,
   * and resolves once those answers are written (at most ~1 s).
   */
  async failInFlight(reason: string): Promise<void> {
    this.drainer.active = true;
    this.drainer.stopAccepting();
    this.directory.hangUpStandalone();
    await this.answerInFlight(reason, 'worker_crashed');
  }

  private async answerInFlight(message: string, reason: string): Promise<void> {
    this.directory.failInFlight({ code: ErrorCode.InternalError, message, data: { reason, retry: true } });
    // Flushed once their exchanges have closed (the answers are the last thing they carry).
    await this.drainer.until(() => this.drainer.inFlight === 0, Date.now() + 1000);
  }

  private refuseWhileDraining(res: ServerResponse): void {
    sendError(res, 503, 'Service Unavailable: this server is shutting down; retry (another server will take the session)', ErrorCode.ServerError, { 'retry-after': '1' });
  }

  // ---------- methods ----------

  private handlePost(req: IncomingMessage, res: ServerResponse, parsedBody: unknown, authInfo: AuthInfo | undefined): Promise<void> | void {
    if (!isJsonContentType(header(req, 'content-type'))) return sendError(res, 415, 'Unsupported Media Type: Content-Type must be application/json');
    if (!acceptsJsonAndSse(header(req, 'accept'))) return sendError(res, 406, 'Not Acceptable: Accept must list application/json and text/event-stream');
    // Written without async functions down to the session: every promise on this path costs an
    // async-hooks callback per request once an AsyncLocalStorage is in use (OpenTelemetry).
    const body = jsonBody(req, res, parsedBody, this.maxBodyBytes);
    return body instanceof Promise ? body.then((b) => this.postBody(req, res, b.value, authInfo)) : this.postBody(req, res, body.value, authInfo);
  }

  private postBody(req: IncomingMessage, res: ServerResponse, value: unknown, authInfo: AuthInfo | undefined): Promise<void> | void {
    if (value === ANSWERED) return;

    // The era is decided per request, from the body (2026-07-28 basic/versioning).
    const inbound = classifyInbound(req, value, this.server);
    if (inbound.kind === 'reject') return sendRpcError(res, inbound.status, inbound.id, inbound.error);
    if (inbound.kind === 'modern') return this.serveModern(req, res, inbound, authInfo);

    const headerVersion = versionHeader(req, res);
    if (headerVersion === null) return;

    const batch = Array.isArray(value);
    const raw: unknown[] = batch ? (value as unknown[]) : [value];
    if (raw.length === 0) return sendError(res, 400, 'Invalid request: empty batch', ErrorCode.InvalidRequest);
    const items: Classified[] = raw.map(classify);
    let init: Classified | undefined;
    for (const c of items) {
      if (c.kind === 'invalid') return sendError(res, 400, `Invalid request: ${c.reason}`, ErrorCode.InvalidRequest);
      if (c.kind === 'request' && c.message.method === 'initialize') init = c;
    }
    // basic/lifecycle (2025-03-26): the initialize request MUST NOT be part of a batch.
    if (init && batch) return sendError(res, 400, 'Invalid request: initialize must not be part of a JSON-RPC batch', ErrorCode.InvalidRequest);
    const initVersion = init?.kind === 'request' ? negotiateVersion(init.message.params?.protocolVersion) : undefined;

    if (this.options.stateless) {
      const version = initVersion ?? headerVersion ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION;
      if (batch && !versionAllowsBatch(version)) return batchRejected(res);
      if (init && this.drainer.active) return this.refuseWhileDraining(res);
      if (!this.server.acceptsSessions) return this.tooManySessions(req, res, authInfo);
      return this.directory.ephemeralSession(init !== undefined, version).then((t) => t.handlePost(req, res, items, batch, version, true, authInfo));
    }

    const serve = (t: HttpSessionTransport): Promise<void> | void => {
      if (batch && !versionAllowsBatch(t.protocolVersion ?? headerVersion ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION)) return batchRejected(res);
      this.directory.touch(t);
      const version = t.protocolVersion ?? initVersion ?? headerVersion ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION;
      // The initialize answer is immediate: storing its events for resumption would only cost
      // memory in every session's EventStore footprint.
      return t.handlePost(req, res, items, batch, version, !init, authInfo);
    };
    const sid = header(req, 'mcp-session-id');
    if (sid === undefined) {
      // basic/transports#session-management: only initialize may come without a session id.
      if (!init || init.kind !== 'request') return sendError(res, 400, 'Bad Request: Mcp-Session-Id header is required');
      if (this.drainer.active) return this.refuseWhileDraining(res);
      if (!this.server.acceptsSessions) return this.tooManySessions(req, res, authInfo);
      return this.directory.create(init.message.id).then(serve);
    }
    const found = (t: HttpSessionTransport | undefined): Promise<void> | void => {
      if (!t) return sendError(res, 404, 'Not Found: session does not exist or has expired');
      if (!versionMatches(t.protocolVersion, headerVersion, this.options.protocolVersionHeader, res)) return;
      return serve(t);
    };
    // A warm session is found without a promise; only a cold one waits for the store.
    const warm = this.directory.local(sid);
    return warm ? found(warm) : this.directory.lookup(sid).then(found);
  }

  /** One 2026-07-28 request: no session; a notification is acknowledged (the core defines none over HTTP). */
  private async serveModern(req: IncomingMessage, res: ServerResponse, inbound: Extract<Inbound, { kind: 'modern' }>, authInfo: AuthInfo | undefined): Promise<void> {
    if (inbound.id === undefined) {
      res.writeHead(202);
      res.end();
      return;
    }
    if (!this.server.acceptsSessions) return this.tooManySessions(req, res, authInfo);
    const t = this.directory.modernSession();
    // JSON unless the request has something to say before its answer (then SSE); never resumable.
    return t.handlePost(req, res, [classify(inbound.message)], false, inbound.version, false, authInfo, true);
  }

  private async handleGet(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // basic/transports#listening-for-messages-from-the-server: 405 = no SSE stream offered.
    if (this.options.stateless) return sendError(res, 405, 'Method Not Allowed: stateless server', undefined, { allow: 'POST' });
    if (!acceptsSse(header(req, 'accept'))) return sendError(res, 406, 'Not Acceptable: Accept must include text/event-stream');
    const headerVersion = versionHeader(req, res);
    if (headerVersion === null) return;
    const lastEventId = header(req, 'last-event-id');
    // Draining: no new standalone stream here (nor a resumed one); the client reconnects elsewhere.
    // A POST stream being resumed is a call in flight: it is served.
    if (this.drainer.active && (lastEventId === undefined || this.eventStore.streamIdOf(lastEventId)?.endsWith('/_') !== false)) return this.refuseWhileDraining(res);
    const t = await this.sessionFor(req, res);
    if (!t || !versionMatches(t.protocolVersion, headerVersion, this.options.protocolVersionHeader, res)) return;
    this.directory.touch(t);
    return t.handleGet(res, lastEventId, t.protocolVersion ?? headerVersion ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION);
  }

  private async handleDelete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.options.stateless) return sendError(res, 405, 'Method Not Allowed: stateless server', undefined, { allow: 'POST' });
    const sid = header(req, 'mcp-session-id');
    if (sid === undefined) return sendError(res, 400, 'Bad Request: Mcp-Session-Id header is required');
    if (!this.directory.local(sid) && !(await this.directory.known(sid))) return sendError(res, 404, 'Not Found: session does not exist or has expired');
    await this.directory.delete(sid);
    res.writeHead(204);
    res.end();
  }

  private tooManySessions(req: IncomingMessage, res: ServerResponse, authInfo: AuthInfo | undefined): void {
    this.server.refusedSession('http', req.socket.remoteAddress, `${req.method ?? ''} ${(req.url ?? '/').split('?', 1)[0]}`, authInfo);
    // Existing sessions keep working; a new one may fit once another ends (docs/limits.md).
    sendError(res, 503, `Service Unavailable: this server holds its maximum of ${this.server.limits.maxSessions} sessions; retry later`, ErrorCode.ServerError, { 'retry-after': '5' });
  }

  // ---------- sessions ----------

  private async sessionFor(req: IncomingMessage, res: ServerResponse): Promise<HttpSessionTransport | undefined> {
    const sid = header(req, 'mcp-session-id');
    if (sid === undefined) {
      sendError(res, 400, 'Bad Request: Mcp-Session-Id header is required');
      return undefined;
    }
    const t = await this.directory.lookup(sid);
    if (!t) sendError(res, 404, 'Not Found: session does not exist or has expired');
    return t;
  }

  private reportError(e: Error): void {
    this.onerror?.(e);
  }
}
