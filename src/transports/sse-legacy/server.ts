/**
 * Legacy HTTP+SSE server transport (2024-11-05 basic/transports#http-with-sse), for clients
 * that predate Streamable HTTP. Two endpoints: GET `ssePath` opens a session whose first event
 * names the POST endpoint (`messagesPath?sessionId=…`); client messages POSTed there are
 * answered 202 and their replies travel on the SSE stream.
 *
 * Backwards compatibility (2025-11-25 basic/transports#backwards-compatibility): servers keep
 * both old endpoints beside the new MCP endpoint. `handle()` answers false for paths it does
 * not own, so it chains with StreamableHttpServer.handle in one node:http server:
 *
 *   createServer(async (req, res) => {
 *     if (await legacy.handle(req, res)) return;
 *     if (req.url?.startsWith('/mcp')) return streamable.handle(req, res);
 *     res.writeHead(404).end();
 *   });
 *
 * Sessions live only as long as their SSE connection, in this process: there is no
 * resumption or scale-out in this transport (route a client's POSTs to the node holding its GET).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ErlmcpError, ErrorCode, toError } from '../../protocol/errors.js';
import type { McpServer } from '../../server/index.js';
import { header, acceptsSse, isJsonContentType, listenOn, readBody, sendError } from '../shared/http.js';
import { admit } from '../shared/admission-http.js';
import { limitConnections } from '../shared/connections.js';
import { DEFAULT_DRAIN_GRACE_MS, DRAIN_EXPIRED_MESSAGE, HttpDrain, type DrainOptions } from '../shared/drain.js';
import { isLoopbackHost } from '../shared/origin.js';
import { OriginPolicy } from '../shared/origin-policy.js';
import type { AuthInfo, MessageExtra } from '../../protocol/transport.js';
import { LegacySseSessionTransport } from './session-transport.js';

export interface LegacySseServerOptions {
  server: McpServer;
  /** Path of the SSE endpoint (GET). Default '/sse'. */
  ssePath?: string;
  /** Path of the message endpoint (POST), announced in the `endpoint` event. Default '/messages'. */
  messagesPath?: string;
  /** Largest accepted POST body. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Extra Host names (or host:port) accepted besides loopback when Host checking is on. */
  allowedHosts?: string[];
  /** Extra origins (or hostnames) accepted besides loopback when Origin checking is on. */
  allowedOrigins?: string[];
  /** Open connections `listen()` accepts (the longest-idle is closed at the cap). Default 8192. */
  maxConnections?: number;
  /** Check Host against loopback names (403 otherwise). Default: on when `listen()` binds a loopback host. Origin is checked on every bind (see StreamableHttpServerOptions.allowedOrigins). */
  dnsRebindingProtection?: boolean;
  /** Interval of SSE comment pings on idle streams; 0 disables them. Default 15 s. */
  keepAliveMs?: number;
  /** The `retry` hint (ms) a draining server ends its streams with. Default 1000. */
  retryMs?: number;
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
const DEFAULT_KEEPALIVE_MS = 15_000;

/**
 * The 2024-11-05 HTTP+SSE transport (GET /sse + POST /messages), for older clients; chains with StreamableHttpServer on one port.
 *
 * @example
 * if (await legacy.handle(req, res)) return; // else: streamable.handle(req, res)
 */
export class LegacySseServer {
  readonly server: McpServer;
  onerror?: (error: Error) => void;
  private readonly options: LegacySseServerOptions;
  private readonly ssePath: string;
  private readonly messagesPath: string;
  private readonly maxBodyBytes: number;
  private readonly keepAliveMs: number;
  private readonly sessions = new Map<string, LegacySseSessionTransport>();
  private readonly detach = (t: LegacySseSessionTransport): void => {
    if (this.sessions.get(t.sessionId) === t) this.sessions.delete(t.sessionId);
  };
  private origins: OriginPolicy;
  private httpServer: Server | undefined;
  private closed = false;
  private readonly drainer = new HttpDrain();
  private draining: Promise<void> | undefined;

  constructor(options: LegacySseServerOptions) {
    this.options = options;
    this.server = options.server;
    this.ssePath = options.ssePath ?? '/sse';
    this.messagesPath = options.messagesPath ?? '/messages';
    if (!this.ssePath.startsWith('/') || !this.messagesPath.startsWith('/') || this.ssePath === this.messagesPath) {
      throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'ssePath and messagesPath must be two different absolute paths');
    }
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
    this.origins = new OriginPolicy(options.dnsRebindingProtection ?? false, true, options.allowedHosts, options.allowedOrigins);
  }

  /** Live SSE sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Serves a request to the SSE or message endpoint and resolves true; resolves false (having
   * written nothing) for any other path. `parsedBody`: a POST body already parsed by middleware.
   */
  async handle(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<boolean> {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== this.ssePath && path !== this.messagesPath) return false;
    this.drainer.enter(res, req.method === 'POST');
    try {
      if (this.closed) return (sendError(res, 503, 'Service Unavailable: server is closing'), true);
      if (!this.origins.check(req, res)) return true;
      let authInfo: AuthInfo | undefined;
      if (this.server.hasAdmission) {
        const a = await admit(this.server, 'sse', req, res);
        if (a === false) return true;
        authInfo = a;
      }
      if (path === this.ssePath) {
        if (req.method === 'GET') await this.handleGet(req, res);
        else sendError(res, 405, 'Method Not Allowed', undefined, { allow: 'GET' });
      } else if (req.method === 'POST') await this.handlePost(req, res, parsedBody, authInfo);
      else sendError(res, 405, 'Method Not Allowed', undefined, { allow: 'POST' });
    } catch (e) {
      this.reportError(toError(e));
      sendError(res, 500, 'Internal server error', ErrorCode.InternalError);
    }
    return true;
  }

  /** Creates and starts an http.Server for both endpoints (other paths → 404). */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    if (this.httpServer) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'Already listening');
    // 2024-11-05 basic/transports#security-warning: a local server is what DNS rebinding targets.
    const loopback = isLoopbackHost(host);
    this.origins = new OriginPolicy(this.options.dnsRebindingProtection ?? loopback, loopback, this.options.allowedHosts, this.options.allowedOrigins);
    const srv = createServer((req, res) => {
      void this.handle(req, res).then((handled) => {
        if (!handled) sendError(res, 404, 'Not Found');
      });
    });
    limitConnections(srv, this.options.maxConnections ?? 8192);
    this.drainer.watch(srv);
    this.httpServer = srv;
    const { base, port: actual } = await listenOn(srv, port, host);
    return { url: `${base}${this.ssePath}`, port: actual };
  }

  /** Ends every SSE stream (and so every session), then stops the http server if listening. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.sessions.values()].map((t) => (t.session ? t.session.close() : t.close()).catch((e: unknown) => this.reportError(toError(e)))));
    const srv = this.httpServer;
    if (srv) {
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      });
    }
  }

  /**
   * Graceful drain, before `close()`: a new SSE session (GET) is refused with 503 + Retry-After,
   * every response says `Connection: close`, POSTs of open sessions are still served, and calls
   * in flight get `graceMs` to finish (any still running are then answered with a -32603 error on
   * their stream). Then each stream ends after a `retry` hint — its session with it: this
   * transport cannot resume a session elsewhere, so the client reconnects and initializes anew.
   * `handover`: stop accepting connections at once (another process takes them).
   *
   * @example
   * process.once('SIGTERM', async () => { await legacy.drain(10_000); await legacy.close(); process.exit(0); });
   */
  drain(graceMs = DEFAULT_DRAIN_GRACE_MS, options: DrainOptions = {}): Promise<void> {
    return (this.draining ??= (async () => {
      const deadline = Date.now() + graceMs;
      this.drainer.active = true;
      if (options.handover) this.drainer.stopAccepting();
      const idle = (): boolean => this.drainer.inFlight === 0 && [...this.sessions.values()].every((t) => !t.session || t.session.inFlight === 0);
      if (!(await this.drainer.until(idle, deadline))) await this.answerInFlight(DRAIN_EXPIRED_MESSAGE, 'drain_timeout');
      else this.hangUpAll();
      if (options.handover) await this.drainer.until(() => this.drainer.connections === 0, deadline);
    })());
  }

  /** A crash (see installCrashGuards): stop accepting, answer every call in flight with a -32603 error naming `reason`, end the streams. */
  async failInFlight(reason: string): Promise<void> {
    this.drainer.active = true;
    this.drainer.stopAccepting();
    await this.answerInFlight(reason, 'worker_crashed');
  }

  private async answerInFlight(message: string, reason: string): Promise<void> {
    for (const t of this.sessions.values()) t.session?.failInFlight({ code: ErrorCode.InternalError, message, data: { reason, retry: true } });
    // The answers are written on the next turns of the event loop; the streams end after them.
    await new Promise((resolve) => setImmediate(resolve));
    this.hangUpAll();
  }

  private hangUpAll(): void {
    for (const t of [...this.sessions.values()]) t.hangUp(this.options.retryMs ?? 1000);
  }

  // ---------- endpoints ----------

  private async handleGet(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const accept = header(req, 'accept');
    if (accept !== undefined && !acceptsSse(accept)) return sendError(res, 406, 'Not Acceptable: Accept must include text/event-stream');
    if (this.drainer.active) return sendError(res, 503, 'Service Unavailable: this server is shutting down; retry', ErrorCode.ServerError, { 'retry-after': '1' });
    if (!this.server.acceptsSessions) {
      this.server.refusedSession('sse', req.socket.remoteAddress, `${req.method ?? ''} ${(req.url ?? '/').split('?', 1)[0]}`);
      return sendError(res, 503, `Service Unavailable: this server holds its maximum of ${this.server.limits.maxSessions} sessions; retry later`, ErrorCode.ServerError, { 'retry-after': '5' });
    }
    // 128 random bits: the id is the only credential a POST carries for its session.
    const id = randomBytes(16).toString('hex');
    const t = new LegacySseSessionTransport(id, res, `${this.messagesPath}?sessionId=${id}`, this.keepAliveMs, this.detach);
    this.sessions.set(id, t);
    try {
      t.session = await this.server.connect(t);
    } catch (e) {
      await t.close();
      throw e;
    }
  }

  private async handlePost(req: IncomingMessage, res: ServerResponse, parsedBody: unknown, authInfo: AuthInfo | undefined): Promise<void> {
    const sid = new URL(req.url ?? '/', 'http://localhost').searchParams.get('sessionId');
    if (!sid) return sendError(res, 400, 'Bad Request: sessionId query parameter is required');
    const t = this.sessions.get(sid);
    if (!t) return sendError(res, 404, 'Not Found: session does not exist or its SSE connection closed');
    let value = parsedBody;
    if (value === undefined) {
      if (!isJsonContentType(header(req, 'content-type'))) return sendError(res, 415, 'Unsupported Media Type: Content-Type must be application/json');
      const body = await readBody(req, this.maxBodyBytes);
      if (!body.ok) return sendError(res, body.status, body.message, body.code, body.headers);
      try {
        value = JSON.parse(body.text);
      } catch (e) {
        return sendError(res, 400, `Parse error: ${(e as Error).message}`, ErrorCode.ParseError);
      }
    }
    // The SSE connection may have closed while the body was arriving.
    if (t.isClosed) return sendError(res, 404, 'Not Found: session does not exist or its SSE connection closed');
    // Accepted first, then dispatched: whatever the session answers goes on the SSE stream.
    res.writeHead(202, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Accepted');
    const extra: MessageExtra = { requestInfo: { headers: req.headers, url: req.url, remoteAddress: req.socket.remoteAddress } };
    if (authInfo !== undefined) extra.authInfo = authInfo;
    t.receive(value, extra);
  }


  private reportError(e: Error): void {
    this.onerror?.(e);
  }
}
