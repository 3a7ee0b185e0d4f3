/**
 * Streamable HTTP server transport on node:http (basic/transports#streamable-http).
 * One MCP endpoint serving POST (client messages), GET (server stream / resumption) and
 * DELETE (end session). Mount `handle()` in any node:http or express app, or `listen()`.
 *
 * Scale-out: the durable session state lives in the SessionStore, SSE events in the
 * EventStore, and replies to server→client requests travel on the MessageBus — so a request
 * for a session this process has never seen is served by rebuilding the session from the store.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ErlmcpError, ErrorCode } from '../../protocol/errors.js';
import { classify, type Classified } from '../../protocol/jsonrpc.js';
import type { JSONRPCNotification } from '../../protocol/types.js';
import { DEFAULT_NEGOTIATED_PROTOCOL_VERSION, isSupportedVersion, negotiateVersion, versionAllowsBatch } from '../../protocol/versions.js';
import type { McpServer, ServerSession } from '../../server/index.js';
import { MemoryBus } from '../../stores/memory-bus.js';
import { MemoryEventStore } from '../../stores/memory-event-store.js';
import { MemorySessionStore } from '../../stores/memory-session-store.js';
import type { EventStore, MessageBus, SessionState, SessionStore, StoreProbe } from '../../stores/types.js';
import { storeFanout } from './fanout.js';
import type { SessionHost } from './session-host.js';
import { HttpSessionTransport } from './session-transport.js';
import type { SseWriterOptions } from './sse-writer.js';
import { postStreamKey } from './stream-keys.js';
import { checkHostAndOrigin, header, acceptsJsonAndSse, acceptsSse, isJsonContentType, isLoopbackHost, listenOn, readBody, sendError } from './validate.js';

export interface StreamableHttpServerOptions {
  server: McpServer;
  /** No sessions: every POST is served by a fresh session, closed after its response. GET/DELETE → 405. */
  stateless?: boolean;
  /** Answer requests with one JSON body instead of an SSE stream. Default false. */
  enableJsonResponse?: boolean;
  sessionStore?: SessionStore;
  eventStore?: EventStore;
  bus?: MessageBus;
  /** Idle time after which a session expires. Default 30 minutes. */
  sessionIdleTtlMs?: number;
  /** Largest accepted POST body. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Extra Host names (or host:port) accepted besides loopback when Host checking is on. */
  allowedHosts?: string[];
  /** Extra origins (or hostnames) accepted besides loopback when Origin checking is on. */
  allowedOrigins?: string[];
  /** Reject foreign Host/Origin headers (403). Default: on when `listen()` binds a loopback host. */
  dnsRebindingProtection?: boolean;
  /** SSE `retry` hint in ms. Default 1000. */
  retryMs?: number;
  /** Path served by `listen()`. Default '/mcp'. */
  endpoint?: string;
  /**
   * SSE backpressure: `send()` waits while more than `highWaterBytes` (1 MiB) is queued for a
   * client. A client that reads nothing of such a backlog for `stallTimeoutMs` (5 s) is cut; live
   * output piling past `maxBufferedBytes` (8 MiB) anyway ends its stream early. Either way the
   * client resumes with Last-Event-ID (every event is in the EventStore).
   */
  sse?: SseWriterOptions;
}

const DEFAULT_TTL_MS = 30 * 60_000;
const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
/** Session ids are UUIDs; anything much longer is not ours and never reaches the store. */
const MAX_SESSION_ID_LENGTH = 256;
/** Carries DELETEd session ids, so every node drops its live copy. */
const DELETED_CHANNEL = 'erlmcp:sessions:deleted';
/** Carries `{ from, state }` after a session's durable state changed, so other nodes' cached copies follow. */
const STATE_CHANNEL = 'erlmcp:sessions:state';
/** A client's notifications/cancelled landed on a node not running that request: every node checks. */
const CANCEL_CHANNEL = 'erlmcp:sessions:cancel';

/** Express-style `req.body`: a parsed value, or raw text/Buffer from a text/raw parser. */
function bodyLeftByMiddleware(req: IncomingMessage): unknown {
  const body = (req as IncomingMessage & { body?: unknown }).body;
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return body;
  try {
    return JSON.parse(body.toString());
  } catch {
    return undefined;
  }
}

/** Stateless requests other than initialize run as if the session were initialized with the header's version. */
function statelessState(version: string): SessionState {
  return { id: '', protocolVersion: version, clientCapabilities: {}, clientInfo: undefined, initialized: true, logLevel: undefined, subscriptions: [], createdAt: Date.now() };
}

export class StreamableHttpServer {
  readonly server: McpServer;
  readonly sessionStore: SessionStore;
  readonly eventStore: EventStore;
  readonly bus: MessageBus;
  onerror?: (error: Error) => void;
  private readonly options: StreamableHttpServerOptions;
  private readonly ttlMs: number;
  private readonly maxBodyBytes: number;
  private readonly endpoint: string;
  private readonly owned: { close(): Promise<void> }[] = [];
  private readonly sessions = new Map<string, HttpSessionTransport>();
  private readonly ephemeral = new Set<HttpSessionTransport>();
  private readonly hydrating = new Map<string, Promise<HttpSessionTransport | undefined>>();
  private readonly host: SessionHost;
  /** Bus subscriptions of this node (deleted sessions, remote state, cancellations). */
  private readonly subs: Promise<(() => Promise<void>) | undefined>[] = [];
  /** Set when the stores span nodes: server-wide notifications go through them (fanout.ts). */
  private readonly removeFanout: (() => void) | undefined;
  private readonly sweeper: NodeJS.Timeout;
  private protect: boolean;
  private httpServer: Server | undefined;
  private closed = false;
  /** This node's id: the bus's when it has one (Redis), else random per instance. */
  readonly nodeId: string;
  /** One shared handler for every session (no per-session closure). */
  private readonly onStateChange = (session: ServerSession): void => {
    const t = session.id === undefined ? undefined : this.sessions.get(session.id);
    if (t) this.persist(t);
  };

  constructor(options: StreamableHttpServerOptions) {
    this.options = options;
    this.server = options.server;
    this.ttlMs = options.sessionIdleTtlMs ?? DEFAULT_TTL_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.endpoint = options.endpoint ?? '/mcp';
    this.protect = options.dnsRebindingProtection ?? false;
    this.sessionStore = options.sessionStore ?? this.own(new MemorySessionStore());
    this.eventStore = options.eventStore ?? this.own(new MemoryEventStore());
    this.bus = options.bus ?? this.own(new MemoryBus());
    // The bus's id when it is a node directory (Redis); else random per instance (never
    // hostname:pid): POST stream ids minted here cannot collide with another node's.
    const nodeId = (this.nodeId = this.bus.nodeId ?? randomBytes(6).toString('hex'));
    let streamSeq = 0;
    const reportError = (e: Error): void => this.reportError(e);
    this.host = {
      eventStore: this.eventStore,
      bus: this.bus,
      retryMs: options.retryMs ?? 1000,
      enableJsonResponse: options.enableJsonResponse ?? false,
      nodeId,
      sse: { ...options.sse },
      nextStreamKey: (ids) => postStreamKey(nodeId, streamSeq++, ids),
      forwardCancel: (sessionId, notification) => {
        this.bus.publish(CANCEL_CHANNEL, { from: nodeId, sessionId, notification }).catch((e: unknown) => reportError(e as Error));
      },
      detach: (t) => {
        if (t.sessionId === undefined) this.ephemeral.delete(t);
        else if (this.sessions.get(t.sessionId) === t) this.sessions.delete(t.sessionId);
      },
      reportError,
    };
    if (!options.stateless) {
      this.onBus(DELETED_CHANNEL, (id) => {
        const t = typeof id === 'string' ? this.sessions.get(id) : undefined;
        if (t) void this.closeTransport(t);
      });
      this.onBus(STATE_CHANNEL, (m) => this.applyRemoteState(m));
      this.onBus(CANCEL_CHANNEL, (m) => this.applyRemoteCancel(m));
      const fanout = storeFanout(this.sessionStore, this.eventStore);
      if (fanout) this.removeFanout = this.server.addFanout(fanout);
    }
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(this.ttlMs / 2, 10), 60_000));
    this.sweeper.unref();
  }

  private onBus(channel: string, handler: (message: unknown) => void): void {
    this.subs.push(
      this.bus.subscribe(channel, handler).catch((e: unknown) => {
        this.reportError(e as Error);
        return undefined;
      }),
    );
  }

  private own<T extends { close(): Promise<void> }>(x: T): T {
    this.owned.push(x);
    return x;
  }

  /** Live sessions held by this process. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  // ---------- HTTP entry points ----------

  /** Serves one request to the MCP endpoint. `parsedBody`: a body already parsed by middleware. */
  async handle(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> {
    try {
      if (this.closed) return sendError(res, 503, 'Service Unavailable: server is closing');
      if (!checkHostAndOrigin(req, res, this.protect, this.options.allowedHosts, this.options.allowedOrigins)) return;
      if (!this.options.stateless && !this.storesAvailable()) return this.unavailable(res);
      switch (req.method) {
        case 'POST':
          return await this.handlePost(req, res, parsedBody);
        case 'GET':
          return await this.handleGet(req, res);
        case 'DELETE':
          return await this.handleDelete(req, res);
        default:
          return sendError(res, 405, 'Method Not Allowed', undefined, { allow: this.options.stateless ? 'POST' : 'GET, POST, DELETE' });
      }
    } catch (e) {
      this.reportError(e instanceof Error ? e : new Error(String(e)));
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

  /** Liveness: this process serves HTTP. */
  health(): { status: 'ok'; node: string; sessions: number } {
    return { status: 'ok', node: this.nodeId, sessions: this.sessions.size };
  }

  /** Readiness: every store that can be probed answers within `timeoutMs`. */
  async ready(timeoutMs = 1000): Promise<{ ready: boolean; node: string; error?: string }> {
    if (this.closed) return { ready: false, node: this.nodeId, error: 'server is closing' };
    const probes: StoreProbe[] = [...new Set<StoreProbe>([this.sessionStore, this.eventStore, this.bus])];
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(probes.map((p) => p.ping?.())),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ready: true, node: this.nodeId };
    } catch (e) {
      return { ready: false, node: this.nodeId, error: (e as Error).message };
    } finally {
      clearTimeout(timer);
    }
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
    // basic/transports#security-warning: a local server is what DNS rebinding targets.
    if (this.options.dnsRebindingProtection === undefined) this.protect = isLoopbackHost(host);
    const srv = createServer((req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0];
      if ((path === '/health' || path === '/ready') && (req.method === 'GET' || req.method === 'HEAD')) {
        void this.handleHealth(req, res, path === '/health' ? 'health' : 'ready');
        return;
      }
      if (path !== this.endpoint) return sendError(res, 404, 'Not Found');
      void this.handle(req, res);
    });
    this.httpServer = srv;
    const { base, port: actual } = await listenOn(srv, port, host);
    return { url: `${base}${this.endpoint}`, port: actual };
  }

  /** Ends every stream, closes every session, stops the http server and the stores it created. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    const all = [...this.sessions.values(), ...this.ephemeral];
    await Promise.all(all.map((t) => this.closeTransport(t)));
    this.removeFanout?.();
    for (const sub of await Promise.all(this.subs)) await sub?.().catch(() => {});
    const srv = this.httpServer;
    if (srv) {
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      });
    }
    await Promise.all(this.owned.map((x) => x.close().catch(() => {})));
  }

  // ---------- methods ----------

  private async handlePost(req: IncomingMessage, res: ServerResponse, parsedBody: unknown): Promise<void> {
    if (!isJsonContentType(header(req, 'content-type'))) return sendError(res, 415, 'Unsupported Media Type: Content-Type must be application/json');
    if (!acceptsJsonAndSse(header(req, 'accept'))) return sendError(res, 406, 'Not Acceptable: Accept must list application/json and text/event-stream');
    const headerVersion = this.versionHeader(req, res);
    if (headerVersion === null) return;

    let value = parsedBody;
    if (value === undefined && req.readableEnded) {
      // Mounted behind a body parser that did not hand us its result: use what it left on req.body.
      value = bodyLeftByMiddleware(req);
      if (value === undefined) return sendError(res, 400, 'Bad Request: the request body was already consumed; pass it to handle()');
    }
    if (value === undefined) {
      const body = await readBody(req, this.maxBodyBytes);
      if (!body.ok) return sendError(res, body.status, body.message, body.code);
      try {
        value = JSON.parse(body.text);
      } catch (e) {
        return sendError(res, 400, `Parse error: ${(e as Error).message}`, ErrorCode.ParseError);
      }
    }

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
      if (batch && !versionAllowsBatch(version)) return this.batchRejected(res);
      const t = new HttpSessionTransport(this.host, undefined);
      this.ephemeral.add(t);
      t.session = await this.server.connect(t, init ? undefined : { state: statelessState(version) });
      return t.handlePost(req, res, items, batch, version);
    }

    const sid = header(req, 'mcp-session-id');
    let t: HttpSessionTransport | undefined;
    if (sid === undefined) {
      // basic/transports#session-management: only initialize may come without a session id.
      if (!init || init.kind !== 'request') return sendError(res, 400, 'Bad Request: Mcp-Session-Id header is required');
      t = await this.createSession();
      t.initRequestId = init.message.id;
    } else {
      // A warm session is found without a promise; only a cold one waits for the store.
      t = this.local(sid) ?? (await this.lookup(sid));
      if (!t) return sendError(res, 404, 'Not Found: session does not exist or has expired');
    }
    if (batch && !versionAllowsBatch(t.protocolVersion ?? headerVersion ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION)) return this.batchRejected(res);
    this.touch(t);
    const version = t.protocolVersion ?? initVersion ?? headerVersion ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION;
    // The initialize answer is immediate: storing its events for resumption would only cost
    // memory in every session's EventStore footprint.
    return t.handlePost(req, res, items, batch, version, !init);
  }

  private async handleGet(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // basic/transports#listening-for-messages-from-the-server: 405 = no SSE stream offered.
    if (this.options.stateless) return sendError(res, 405, 'Method Not Allowed: stateless server', undefined, { allow: 'POST' });
    if (!acceptsSse(header(req, 'accept'))) return sendError(res, 406, 'Not Acceptable: Accept must include text/event-stream');
    const headerVersion = this.versionHeader(req, res);
    if (headerVersion === null) return;
    const t = await this.sessionFor(req, res);
    if (!t) return;
    this.touch(t);
    return t.handleGet(res, header(req, 'last-event-id'), t.protocolVersion ?? headerVersion ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION);
  }

  private async handleDelete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.options.stateless) return sendError(res, 405, 'Method Not Allowed: stateless server', undefined, { allow: 'POST' });
    const sid = header(req, 'mcp-session-id');
    if (sid === undefined) return sendError(res, 400, 'Bad Request: Mcp-Session-Id header is required');
    const t = this.local(sid);
    if (t) await this.closeTransport(t);
    else if (sid.length > MAX_SESSION_ID_LENGTH || !(await this.sessionStore.get(sid))) return sendError(res, 404, 'Not Found: session does not exist or has expired');
    // basic/transports#session-management: afterwards every node answers 404 for this id.
    await Promise.all([this.sessionStore.delete(sid), this.eventStore.deleteSession?.(sid)]);
    this.bus.publish(DELETED_CHANNEL, sid).catch((e: unknown) => this.reportError(e as Error));
    res.writeHead(204);
    res.end();
  }

  // ---------- checks ----------

  /** The MCP-Protocol-Version header: undefined when absent, null after answering 400 for an unsupported one. */
  private versionHeader(req: IncomingMessage, res: ServerResponse): string | undefined | null {
    const v = header(req, 'mcp-protocol-version');
    if (v === undefined) return undefined;
    if (isSupportedVersion(v)) return v;
    // basic/transports#protocol-version-header: invalid or unsupported → 400.
    sendError(res, 400, `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(v)}`);
    return null;
  }

  private batchRejected(res: ServerResponse): void {
    sendError(res, 400, 'Invalid request: JSON-RPC batches are only allowed with protocol version 2025-03-26', ErrorCode.InvalidRequest);
  }

  // ---------- sessions ----------

  private async sessionFor(req: IncomingMessage, res: ServerResponse): Promise<HttpSessionTransport | undefined> {
    const sid = header(req, 'mcp-session-id');
    if (sid === undefined) {
      sendError(res, 400, 'Bad Request: Mcp-Session-Id header is required');
      return undefined;
    }
    const t = await this.lookup(sid);
    if (!t) sendError(res, 404, 'Not Found: session does not exist or has expired');
    return t;
  }

  private async createSession(): Promise<HttpSessionTransport> {
    // basic/transports#session-management: cryptographically secure, visible ASCII (122 random bits).
    const id = randomUUID();
    const t = new HttpSessionTransport(this.host, id);
    t.storeTouchedAt = Date.now();
    this.sessions.set(id, t);
    await this.attach(t);
    return t;
  }

  /** This process's live copy, unless it has been idle past the TTL (then it is dropped here only). */
  private local(sid: string): HttpSessionTransport | undefined {
    const t = this.sessions.get(sid);
    if (!t) return undefined;
    if (Date.now() - t.lastSeen <= this.ttlMs || t.active) return t;
    void this.closeTransport(t);
    return undefined;
  }

  /** Finds a session here, or rebuilds it from the SessionStore (it was created on another node). */
  private lookup(sid: string): Promise<HttpSessionTransport | undefined> {
    const t = this.local(sid);
    if (t) return Promise.resolve(t);
    if (sid.length > MAX_SESSION_ID_LENGTH) return Promise.resolve(undefined);
    let p = this.hydrating.get(sid);
    if (!p) {
      p = this.hydrate(sid).finally(() => this.hydrating.delete(sid));
      this.hydrating.set(sid, p);
    }
    return p;
  }

  private async hydrate(sid: string): Promise<HttpSessionTransport | undefined> {
    const state = await this.sessionStore.get(sid);
    if (!state || this.closed) return undefined;
    const existing = this.sessions.get(sid);
    if (existing) return existing;
    const t = new HttpSessionTransport(this.host, sid);
    t.storeTouchedAt = Date.now();
    t.protocolVersion = state.protocolVersion || undefined;
    this.sessions.set(sid, t);
    await this.attach(t, state);
    return t;
  }

  /** Connects a ServerSession to a registered transport; on failure the transport is forgotten. */
  private async attach(t: HttpSessionTransport, state?: SessionState): Promise<void> {
    try {
      const session = await this.server.connect(t, state ? { state } : undefined);
      t.session = session;
      session.fannedOut = this.removeFanout !== undefined;
      session.onstatechange = this.onStateChange;
    } catch (e) {
      await t.close();
      throw e;
    }
  }

  /**
   * Marks activity. The store's TTL is refreshed at most every TTL/10 and never awaited, so a
   * warm session's request costs no store round trip.
   */
  private touch(t: HttpSessionTransport): void {
    const now = Date.now();
    t.lastSeen = now;
    const sid = t.sessionId;
    if (sid === undefined || now - t.storeTouchedAt < this.ttlMs / 10 || t.persisting) return;
    t.storeTouchedAt = now;
    this.sessionStore.touch(sid, this.ttlMs).then(
      (alive) => {
        // Expired in the store while live here (e.g. its TTL lapsed between touches): write it back.
        if (!alive && !t.isClosed && t.session?.protocolVersion !== undefined) this.persist(t);
      },
      (e: unknown) => this.reportError(e as Error),
    );
  }

  private persist(t: HttpSessionTransport): void {
    const session = t.session;
    if (!session || t.sessionId === undefined || t.isClosed) return;
    t.storeTouchedAt = Date.now();
    const state = session.exportState();
    const p: Promise<void> = this.sessionStore.set(state, this.ttlMs).then(
      () => {
        if (t.persisting === p) t.persisting = undefined;
        this.bus.publish(STATE_CHANNEL, { from: this.nodeId, state }).catch((e: unknown) => this.reportError(e as Error));
      },
      (e: unknown) => {
        if (t.persisting === p) t.persisting = undefined;
        this.reportError(e as Error);
      },
    );
    t.persisting = p;
  }

  /** Another node changed a session we hold a copy of: adopt its state (without echoing it back). */
  private applyRemoteState(m: unknown): void {
    const msg = m as { from?: unknown; state?: SessionState } | null;
    const state = msg?.state;
    if (!state || msg.from === this.nodeId || typeof state.id !== 'string') return;
    const t = this.sessions.get(state.id);
    const session = t?.session;
    if (!t || !session || t.isClosed) return;
    session.onstatechange = undefined;
    try {
      for (const uri of session.subscriptions ?? []) if (!state.subscriptions.includes(uri)) this.server.unsubscribe(session, uri);
      session.restoreState(state);
      if (state.protocolVersion) t.protocolVersion = state.protocolVersion;
    } finally {
      session.onstatechange = this.onStateChange;
    }
  }

  /** Another node received a client's cancellation of a request that may be running here. */
  private applyRemoteCancel(m: unknown): void {
    const msg = m as { from?: unknown; sessionId?: unknown; notification?: JSONRPCNotification } | null;
    if (!msg || msg.from === this.nodeId || typeof msg.sessionId !== 'string' || msg.notification?.method !== 'notifications/cancelled') return;
    this.sessions.get(msg.sessionId)?.cancelFromPeer(msg.notification);
  }

  private sweep(): void {
    const now = Date.now();
    for (const t of this.sessions.values()) {
      if (t.active) this.touch(t);
      else if (now - t.lastSeen > this.ttlMs) void this.closeTransport(t);
    }
  }

  private closeTransport(t: HttpSessionTransport): Promise<void> {
    return (t.session ? t.session.close() : t.close()).catch((e: unknown) => this.reportError(e as Error));
  }

  private reportError(e: Error): void {
    this.onerror?.(e);
  }
}
