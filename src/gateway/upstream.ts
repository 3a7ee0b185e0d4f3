/**
 * One upstream MCP server as the gateway sees it: a narrow `Upstream` interface (request,
 * notify, state, health) and `ClientUpstream`, which implements it with our Client over stdio,
 * Streamable HTTP or WebSocket. A connection that dies is reconnected (a stdio process is
 * restarted) with a doubling backoff; requests in flight fail at once with a clear error, new
 * ones wait for a reconnect in progress or fail fast while the upstream is down.
 */
import type { Client } from '../client/client.js';
import type { UpstreamStats } from '../client/pool/options.js';
import type { CacheStats, McpCache } from '../features/cache/cache.js';
import type { RequestOptions } from '../engine/outbound.js';
import { ErlmcpError, ErrorCode, McpError, limitError } from '../protocol/errors.js';
import type { AuthInfo } from '../protocol/transport.js';
import type { Implementation, Result, ServerCapabilities } from '../protocol/types.js';
import type { UpstreamConfig } from './config.js';
import { CallTag, connectUpstream, tagged, upstreamCache, type Cause, type ConnectHooks, type Connected, type SharedCache } from './connect.js';
import type { Origins } from './routing.js';

export type UpstreamState = 'connecting' | 'ready' | 'down' | 'closed';

export interface UpstreamHealth {
  name: string;
  type: UpstreamConfig['type'];
  state: UpstreamState;
  /** Reconnects (restarts of a stdio process) since the gateway started. */
  restarts: number;
  inFlight: number;
  /** Why it is down (or last went down). */
  lastError?: string;
  /** The process id of a stdio upstream while it runs. */
  pid?: number;
  /** Its cache's counters, when `cache` is configured. */
  cache?: CacheStats;
  /** Its pool's sessions and circuit, when `pool` is configured. */
  pool?: UpstreamStats;
  serverInfo?: Implementation;
}

/** A request the upstream sends back (sampling, elicitation, roots), with the forwarded call that caused it, or the ones in flight that may have. */
export type ServerRequestHandler<O> = (method: string, params: Record<string, unknown> | undefined, origins: Origins<O>, signal: AbortSignal) => Promise<Result>;

/** A connection's `Cause` as the origins the forwarded calls were tagged with. */
export function originsOf<O>(cause: Cause): Origins<O> {
  const origin = (t: CallTag | undefined) => t?.origin as O | undefined;
  return { linked: cause.linked, origin: origin(cause.call), candidates: cause.inFlight.map(origin).filter((o): o is O => o !== undefined) };
}

/** What the gateway needs of an upstream; `O` tags a forwarded request with the call that caused it. */
export interface Upstream<O = unknown> {
  readonly name: string;
  readonly state: UpstreamState;
  readonly capabilities: ServerCapabilities | undefined;
  request<R = Result>(method: string, params: Record<string, unknown> | undefined, options?: RequestOptions, origin?: O): Promise<R>;
  notify(method: string, params?: Record<string, unknown>): Promise<void>;
  health(): UpstreamHealth;
  start(): Promise<void>;
  close(): Promise<void>;
  onnotification?: (method: string, params: Record<string, unknown> | undefined) => void;
  onstatechange?: (state: UpstreamState, previous: UpstreamState) => void;
  onserverrequest?: ServerRequestHandler<O>;
}

export interface ClientUpstreamOptions {
  /** serverInfo this gateway presents upstream. */
  info: Implementation;
  /** Default time limit of a forwarded request, ms. */
  timeoutMs: number;
  /** The upstream's cache (when configured) keeps L2 in this Redis, shared with the other gateway nodes. */
  sharedCache?: SharedCache;
}

/** Consecutive failures reset once a connection stayed up this long. */
const HEALTHY_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;

export class ClientUpstream<O = unknown> implements Upstream<O> {
  state: UpstreamState = 'down';
  restarts = 0;
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private upSince = 0;
  private lastError: string | undefined;
  private stderrTail = '';
  private pid: number | undefined;
  private readonly cache: McpCache | undefined;
  /** The call whose request is being handed to the client right now (its middlewares, the cache among them, run synchronously). */
  private sendingFor: { authInfo?: AuthInfo } | undefined;
  /** Calls forwarded and not yet answered (health). */
  private inFlight = 0;
  onnotification?: (method: string, params: Record<string, unknown> | undefined) => void;
  onstatechange?: (state: UpstreamState, previous: UpstreamState) => void;
  onserverrequest?: ServerRequestHandler<O>;

  constructor(
    readonly name: string,
    readonly config: UpstreamConfig,
    private readonly options: ClientUpstreamOptions,
  ) {
    this.cache = upstreamCache(config, options.sharedCache);
  }

  get capabilities(): ServerCapabilities | undefined {
    return this.client?.serverCapabilities;
  }

  get timeoutMs(): number {
    return this.config.timeoutMs ?? this.options.timeoutMs;
  }

  health(): UpstreamHealth {
    const h: UpstreamHealth = { name: this.name, type: this.config.type, state: this.state, restarts: this.restarts, inFlight: this.inFlight };
    if (this.lastError !== undefined) h.lastError = this.lastError;
    if (this.cache) h.cache = this.cache.stats();
    if (this.client?.serverInfo && this.state === 'ready') h.serverInfo = this.client.serverInfo;
    if (this.pid !== undefined && this.state === 'ready') h.pid = this.pid;
    return h;
  }

  /** Connects once; on failure the upstream stays down and retries in the background. */
  async start(): Promise<void> {
    // Invalidations from the other nodes are heard before the first entry is served.
    await this.cache?.ready.catch(() => {});
    await this.connect().catch(() => {});
  }

  private setState(s: UpstreamState): void {
    const prev = this.state;
    if (prev === s) return;
    this.state = s;
    this.onstatechange?.(s, prev);
  }

  private connect(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(this.unavailable());
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<void> {
    this.setState('connecting');
    this.stderrTail = '';
    let connected: Connected;
    try {
      connected = await connectUpstream(this.config, this.options.info, this.hooks, this.cache && { cache: this.cache, identify: () => this.sendingFor?.authInfo });
    } catch (e) {
      this.lastError = `connect failed: ${(e as Error).message}${this.stderrNote()}`;
      this.down();
      throw this.unavailable();
    }
    const { client } = connected;
    if ((this.state as UpstreamState) === 'closed') {
      await client.close().catch(() => {});
      return;
    }
    client.onclose = () => {
      if (this.client !== client) return;
      this.client = undefined;
      if (this.state === 'closed') return;
      this.lastError = `connection closed${this.stderrNote()}`;
      if (Date.now() - this.upSince >= HEALTHY_MS) this.failures = 0;
      this.down();
    };
    this.client = client;
    this.pid = connected.pid;
    this.upSince = Date.now();
    this.setState('ready');
  }

  private stderrNote(): string {
    const c = this.config;
    if (c.type !== 'stdio') return '';
    const t = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
    return t ? ` (stderr: ${t})` : '';
  }

  /** Down: schedule a reconnect, unless the restart budget is spent. */
  private down(): void {
    this.setState('down');
    const max = this.config.type === 'stdio' ? (this.config.restart?.maxRestarts ?? 10) : Infinity;
    if (this.failures >= max) {
      this.lastError = `${this.lastError ?? 'down'}; gave up after ${max} restarts`;
      return;
    }
    const base = this.config.type === 'stdio' ? (this.config.restart?.backoffMs ?? 100) : 1000;
    const delay = Math.min(MAX_BACKOFF_MS, base * 2 ** this.failures);
    this.failures++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.restarts++;
      this.connect().catch(() => {});
    }, delay);
    this.retryTimer.unref();
  }

  private unavailable(): McpError {
    return limitError('upstream_unavailable', `Upstream ${this.name} is unavailable${this.lastError ? `: ${this.lastError}` : ''}`, { upstream: this.name });
  }

  private readonly hooks: ConnectHooks = {
    serverRequest: (method, params, signal, cause) => {
      const handler = this.onserverrequest;
      if (!handler) return Promise.reject(new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`));
      return handler(method, params, originsOf<O>(cause), signal);
    },
    notification: (method, params) => this.onnotification?.(method, params),
    stderr: (tail) => (this.stderrTail = tail),
  };

  async request<R = Result>(method: string, params: Record<string, unknown> | undefined, options?: RequestOptions, origin?: O): Promise<R> {
    if (this.state === 'connecting') await this.connect();
    const client = this.client;
    if (!client || this.state !== 'ready') throw this.unavailable();
    this.inFlight++;
    // The connection learns which request id carries this call (routing back, routing.ts).
    const tag = origin === undefined ? undefined : new CallTag(origin);
    const timeoutMs = options?.timeoutMs ?? this.timeoutMs;
    try {
      this.sendingFor = origin as { authInfo?: AuthInfo } | undefined;
      let pending: Promise<R>;
      try {
        pending = client.request<R>(method, tag ? tagged(params, tag) : params, { ...options, timeoutMs });
      } finally {
        this.sendingFor = undefined;
      }
      return await pending;
    } catch (e) {
      throw this.wireError(e, method, timeoutMs);
    } finally {
      tag?.done();
      this.inFlight--;
    }
  }

  /** Local failures of a forwarded request, as the wire errors the gateway's client gets. */
  private wireError(e: unknown, method: string, timeoutMs: number): unknown {
    if (!(e instanceof ErlmcpError)) return e;
    switch (e.code) {
      case 'ERR_CANCELLED':
        // The caller gave up: its request is answered by nobody, the error stays local.
        return e;
      case 'ERR_TIMEOUT':
        return new McpError(ErrorCode.RequestTimeout, `Upstream ${this.name} did not answer ${method} within ${timeoutMs} ms`, { reason: 'upstream_timeout', upstream: this.name, timeoutMs });
      case 'ERR_CONNECTION_CLOSED':
      case 'ERR_NOT_CONNECTED':
      case 'ERR_TRANSPORT':
        return limitError('upstream_unavailable', `Upstream ${this.name} went away during ${method}${this.stderrNote()}`, { upstream: this.name });
      default:
        return new McpError(ErrorCode.InternalError, `Upstream ${this.name}: ${e.message}`, { upstream: this.name });
    }
  }

  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    if (this.client && this.state === 'ready') await this.client.notify(method, params);
  }

  async close(): Promise<void> {
    this.setState('closed');
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await this.connecting?.catch(() => {});
    await client?.close().catch(() => {});
    await this.cache?.close();
  }
}
