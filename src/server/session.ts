/**
 * One client's session with a server definition. Per-session state is deliberately tiny —
 * negotiated version, client capabilities, log level, subscriptions — and exportable, so a
 * session can be stored (SessionStore) and rebuilt on any node. Everything else (tools,
 * schemas, cached listings, the handler table) is shared through the McpServer.
 */
import { Endpoint, type OutboundHook } from '../engine/endpoint.js';
import type { RequestContext } from '../engine/context.js';
import { ErrorCode, McpError } from '../protocol/errors.js';
import type { MessageExtra, Transport } from '../protocol/transport.js';
import type { JSONRPCRequest } from '../protocol/types.js';
import type { ClientCapabilities, Implementation, LoggingLevel, Result } from '../protocol/types.js';
import { versionAllowsBatch } from '../protocol/versions.js';
import type { SessionState } from '../stores/types.js';
import { REQUEST_HANDLERS } from './handlers.js';
import type { McpServer } from './server.js';
import { SessionCall } from './session-call.js';
import { targetOf } from './middleware.js';
import { hasModernClaim, unsupportedVersion } from '../protocol/eras.js';
import { modernHandler, runModern, type ModernRequest } from './modern/dispatch.js';

export const LOG_LEVELS: readonly LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const EMPTY_CAPS: ClientCapabilities = Object.freeze({}) as ClientCapabilities;
const EMPTY_PARAMS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

export class ServerSession extends Endpoint {
  id: string | undefined;
  protocolVersion: string | undefined;
  clientCapabilities: ClientCapabilities = EMPTY_CAPS;
  clientInfo: Implementation | undefined;
  /** `notifications/initialized` received (basic/lifecycle#initialization). */
  initialized = false;
  /** Index into LOG_LEVELS; -1 = no level set, send everything. */
  private logLevel = -1;
  subscriptions: Set<string> | undefined;
  private createdAt = Date.now();
  /**
   * Server-wide notifications (resources/updated, list_changed) reach this session through a
   * NotificationFanout (its state is shared by nodes), so the server's own loops skip it.
   */
  fannedOut = false;
  /** Fired when the durable state changed; persist `exportState()`. */
  onstatechange?: (session: ServerSession) => void;

  /** What carries this session ('stdio', 'http', …), from the transport. */
  transportKind: string | undefined;
  /**
   * 'legacy' (initialize, a session), 'modern' (2026-07-28: every request carries its envelope),
   * or undefined until the connection's first request decides (basic/transports/stdio).
   */
  era: 'legacy' | 'modern' | undefined;
  /**
   * Per-request state of modern requests in flight (their envelope and input rounds). A Map,
   * not a WeakMap: entries are removed when the request ends, and a WeakMap's ephemeron
   * bookkeeping costs the collector on every one-request 2026-07-28 HTTP session.
   */
  private modern: Map<RequestContext, ModernRequest> | undefined;
  private soleCtx: RequestContext | undefined;
  private soleReq: ModernRequest | undefined;

  constructor(readonly server: McpServer) {
    super({
      defaultTimeoutMs: server.options.defaultTimeoutMs,
      idPrefix: server.idPrefix,
      maxInFlight: server.limits.maxInFlightPerSession,
      maxPending: server.limits.maxPendingClientRequests,
    });
  }

  protected override get outboundHook(): OutboundHook | undefined {
    return this.server.outboundHook;
  }

  protected override refusedRequest(message: JSONRPCRequest, extra: MessageExtra | undefined, reason: string, code: number): void {
    this.server.refused({
      stage: 'request',
      transport: this.transportKind,
      remoteAddress: extra?.requestInfo?.remoteAddress,
      sessionId: this.id,
      method: message.method,
      target: targetOf(message.method, (message.params ?? {}) as Record<string, unknown>),
      code,
      reason,
      auth: extra?.authInfo,
    });
  }

  override async connect(transport: Transport): Promise<void> {
    this.id = transport.sessionId;
    this.transportKind = transport.kind;
    await super.connect(transport);
    if (this.protocolVersion) transport.setProtocolVersion?.(this.protocolVersion);
  }

  /** @internal connects a transport whose start() has nothing to wait for (see Endpoint.attach). */
  attachNow(transport: Transport): void {
    this.id = transport.sessionId;
    this.transportKind = transport.kind;
    this.attach(transport);
  }

  get logLevelName(): LoggingLevel | undefined {
    return this.logLevel < 0 ? undefined : LOG_LEVELS[this.logLevel];
  }

  setLogLevel(level: LoggingLevel): void {
    this.logLevel = LOG_LEVELS.indexOf(level);
    this.changed();
  }

  wantsLog(level: LoggingLevel): boolean {
    return this.logLevel < 0 || LOG_LEVELS.indexOf(level) >= this.logLevel;
  }

  /** @internal a modern request starts / ends (modern/dispatch.ts). */
  beginModern(ctx: RequestContext, req: ModernRequest): void {
    // One slot first: a 2026-07-28 HTTP session carries exactly one request.
    if (this.soleCtx === undefined) {
      this.soleCtx = ctx;
      this.soleReq = req;
    } else (this.modern ??= new Map()).set(ctx, req);
  }
  endModern(ctx: RequestContext): void {
    if (this.soleCtx === ctx) {
      this.soleCtx = undefined;
      this.soleReq = undefined;
    } else this.modern?.delete(ctx);
  }
  /** The modern request a handler context belongs to, if any. */
  modernOf(ctx: RequestContext): ModernRequest | undefined {
    return this.soleCtx === ctx ? this.soleReq : this.modern?.get(ctx);
  }

  /** Called by the initialize handler once the version is agreed. */
  accept(version: string, caps: ClientCapabilities, info: Implementation): void {
    this.era = 'legacy';
    this.protocolVersion = version;
    this.clientCapabilities = caps;
    this.clientInfo = info;
    this.transport?.setProtocolVersion?.(version);
    this.changed();
  }

  /**
   * client/elicitation#url-mode: tells the client an out-of-band (URL) elicitation finished, so
   * it can retry the request that needed it. Sent outside any request: the standalone stream.
   */
  notifyElicitationComplete(elicitationId: string): Promise<void> {
    return this.notify('notifications/elicitation/complete', { elicitationId });
  }

  changed(): void {
    this.onstatechange?.(this);
  }

  exportState(): SessionState {
    return {
      id: this.id ?? '',
      protocolVersion: this.protocolVersion ?? '',
      clientCapabilities: this.clientCapabilities,
      clientInfo: this.clientInfo,
      initialized: this.initialized,
      logLevel: this.logLevelName,
      subscriptions: this.subscriptions ? [...this.subscriptions] : [],
      createdAt: this.createdAt,
    };
  }

  restoreState(state: SessionState): void {
    this.protocolVersion = state.protocolVersion || undefined;
    this.clientCapabilities = state.clientCapabilities;
    this.clientInfo = state.clientInfo;
    this.initialized = state.initialized;
    this.logLevel = state.logLevel ? LOG_LEVELS.indexOf(state.logLevel) : -1;
    this.createdAt = state.createdAt;
    if (state.protocolVersion) this.era = 'legacy';
    for (const uri of state.subscriptions) this.server.subscribe(this, uri);
  }

  protected override batchAllowed(): boolean {
    return versionAllowsBatch(this.protocolVersion);
  }

  protected override dispatchRequest(method: string, params: Record<string, unknown> | undefined, ctx: RequestContext): Result | Promise<Result> {
    if (this.era !== 'legacy') {
      const claim = hasModernClaim(params);
      if (this.era === 'modern' || claim) {
        // basic/transports/stdio: a connection's first modern request pins it modern; a
        // server/discover probe is answered without pinning (the client may fall back to initialize).
        if (this.era === undefined && method !== 'server/discover') this.era = 'modern';
        return this.dispatchModern(method, params ?? EMPTY_PARAMS, ctx, claim);
      }
      if (this.era === undefined) this.era = 'legacy';
    }
    const handler = REQUEST_HANDLERS[method];
    if (!handler) throw new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
    // basic/lifecycle: only ping may precede initialization.
    if (this.protocolVersion === undefined && method !== 'initialize' && method !== 'ping') {
      throw new McpError(ErrorCode.InvalidRequest, `Session not initialized: send initialize before ${method}`);
    }
    const chain = this.server.middlewareChain;
    if (chain === undefined) return handler(this, params ?? EMPTY_PARAMS, ctx);
    return chain(new SessionCall(this, method, params ?? EMPTY_PARAMS, ctx, handler));
  }

  private dispatchModern(method: string, params: Record<string, unknown>, ctx: RequestContext, claim: boolean): Result | Promise<Result> {
    // A legacy opening on a modern-pinned connection: name the versions we speak here.
    if (!claim && method === 'initialize') throw unsupportedVersion(params.protocolVersion);
    const handler = modernHandler(method);
    if (!handler) throw new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
    const chain = this.server.middlewareChain;
    const run = chain === undefined ? () => handler(this, params, ctx) : () => chain(new SessionCall(this, method, params, ctx, handler));
    return runModern(this, method, params, ctx, run);
  }

  protected override dispatchNotification(method: string, _params: Record<string, unknown> | undefined, _extra: MessageExtra | undefined): void {
    switch (method) {
      case 'notifications/initialized':
        // Only meaningful after initialize was answered (basic/lifecycle#initialization).
        if (!this.initialized && this.protocolVersion !== undefined) {
          this.initialized = true;
          this.changed();
        }
        return;
      case 'notifications/roots/list_changed':
        this.server.onrootschanged?.(this);
        return;
      default:
      // Unknown notifications are ignored (JSON-RPC: notifications get no reply).
    }
  }

  protected override handleClose(): void {
    this.server.detach(this);
    super.handleClose();
  }
}
