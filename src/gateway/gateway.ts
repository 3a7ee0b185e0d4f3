/**
 * The gateway: one McpServer whose tools, prompts, resources and templates are those of every
 * upstream, namespaced (names.ts), forwarded by one middleware (forward.ts). Upstream
 * notifications come back to the gateway's clients: list_changed to every session,
 * resources/updated to the sessions subscribed to that (gateway) URI. Requests an upstream sends
 * back while serving a call — sampling, elicitation, roots — go to the client whose call it is,
 * through that call's HandlerContext (routing.ts explains how the call is found).
 */
import { ErlmcpError, ErrorCode, McpError } from '../protocol/errors.js';
import type { Result } from '../protocol/types.js';
import { McpServer, type Call, type HandlerContext, type ServerOptions, type ServerSession } from '../server/index.js';
import type { RedisConnection } from '../stores/redis/connection.js';
import { DEFAULT_SEPARATOR, DEFAULT_TIMEOUT_MS, parseGatewayConfig, type GatewayConfig } from './config.js';
import { gatewayMiddleware, type ForwardHost } from './forward.js';
import { Names } from './names.js';
import { PooledUpstream } from './pooled.js';
import { routeServerRequest } from './routing.js';
import { ClientUpstream, type Upstream, type UpstreamHealth, type UpstreamState } from './upstream.js';

/** Told of what happens per upstream: wire these to counters and histograms (prom-client, OpenTelemetry). */
export interface GatewayMetrics {
  /** A forwarded request finished: `outcome` is 'ok', or the JSON-RPC error code / local error name. */
  request?(event: { upstream: string; method: string; durationMs: number; outcome: string }): void;
  /** An upstream changed state (ready, down, connecting, closed). */
  state?(event: { upstream: string; state: UpstreamState; previous: UpstreamState }): void;
}

export interface GatewayOptions {
  /** Options of the gateway's McpServer (its limits, page size…). */
  server?: ServerOptions;
  metrics?: GatewayMetrics;
  /** Errors that reach no caller (an upstream failing during a listing, a notification lost). */
  onerror?: (error: Error) => void;
  /**
   * The Redis of this gateway's nodes (`connectRedisStores(…).connection`): each upstream's
   * `cache` keeps L2 there, under `gateway:<name>:<upstream>`, and its invalidations travel on
   * that Redis's bus, so every node with the same `name` and key prefix shares them. (Sessions
   * are the HTTP server's: `serveGatewayHttp(gateway, stores.seams)`.)
   */
  redis?: RedisConnection;
  /** @internal tests swap in their own upstreams. */
  upstreams?: Record<string, Upstream<HandlerContext>>;
}

export interface GatewayHealth {
  /** 'ok': every upstream ready; 'degraded': some are; 'down': none is. */
  status: 'ok' | 'degraded' | 'down';
  upstreams: UpstreamHealth[];
}

export class Gateway {
  readonly server: McpServer;
  readonly config: GatewayConfig;
  readonly names: Names;
  private readonly upstreams = new Map<string, Upstream<HandlerContext>>();
  /** Gateway URI → sessions subscribed to it (the upstream is subscribed while any is). */
  private readonly subscribed = new Map<string, Set<ServerSession>>();
  private readonly stateListeners = new Set<(upstream: string, state: UpstreamState) => void>();

  constructor(
    config: GatewayConfig,
    private readonly options: GatewayOptions = {},
  ) {
    this.config = config;
    const separator = config.separator ?? DEFAULT_SEPARATOR;
    this.names = new Names(
      Object.entries(config.upstreams).map(([name, u]) => {
        const prefix = u.prefix ?? name;
        return { upstream: name, ns: prefix === '' ? '' : `${prefix}${u.separator ?? separator}`, resources: u.resources ?? 'prefix' };
      }),
    );
    this.server = new McpServer(
      { name: config.name ?? 'erlmcp-gateway', version: '1.0.0' },
      // Tasks are not forwarded: not advertised.
      { ...options.server, capabilities: { tasks: undefined, ...options.server?.capabilities } },
    );
    for (const [name, u] of Object.entries(config.upstreams)) {
      const upstreamOptions = {
        info: this.server.info,
        timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(options.redis ? { sharedCache: { redis: options.redis, namespace: `gateway:${this.server.info.name}:${name}`, onerror: (e: Error) => options.onerror?.(new Error(`cache of upstream ${name}: ${e.message}`)) } } : {}),
      };
      const up = options.upstreams?.[name] ?? (u.pool ? new PooledUpstream<HandlerContext>(name, u, upstreamOptions) : new ClientUpstream<HandlerContext>(name, u, upstreamOptions));
      this.upstreams.set(name, this.instrument(name, up));
    }
    const order = [...this.upstreams.keys()];
    const host: ForwardHost = {
      names: this.names,
      order,
      upstream: (n) => this.upstreams.get(n),
      onerror: (e) => this.options.onerror?.(e),
      subscription: (call, uri, on) => this.subscription(call, uri, on),
    };
    this.server.use(gatewayMiddleware(host));
    this.server.onrootschanged = () => {
      for (const up of this.upstreams.values()) up.notify('notifications/roots/list_changed').catch((e: Error) => this.options.onerror?.(e));
    };
  }

  /** Metrics, notifications and server→client routing for one upstream. */
  private instrument(name: string, up: Upstream<HandlerContext>): Upstream<HandlerContext> {
    up.onnotification = (method, params) => this.upstreamNotification(name, method, params);
    up.onserverrequest = (method, params, origins, signal) => routeServerRequest(name, method, params, origins, signal);
    up.onstatechange = (state, previous) => {
      this.options.metrics?.state?.({ upstream: name, state, previous });
      // Its tools, prompts and resources appear or disappear with it.
      if (state === 'ready' || previous === 'ready') this.listsChanged();
      for (const l of this.stateListeners) l(name, state);
    };
    const metrics = this.options.metrics;
    if (metrics?.request) {
      const request = up.request.bind(up);
      up.request = async <R>(...args: Parameters<typeof request>): Promise<R> => {
        const started = performance.now();
        let outcome = 'ok';
        try {
          return await request<R>(...args);
        } catch (e) {
          outcome = e instanceof McpError ? String(e.code) : e instanceof ErlmcpError ? e.code : e instanceof Error ? e.name : 'error';
          throw e;
        } finally {
          metrics.request!({ upstream: name, method: args[0], durationMs: performance.now() - started, outcome });
        }
      };
    }
    return up;
  }

  private listsChanged(): void {
    this.server.tools.changed();
    this.server.prompts.changed();
    this.server.resources.changed();
  }

  private upstreamNotification(upstream: string, method: string, params: Record<string, unknown> | undefined): void {
    switch (method) {
      case 'notifications/tools/list_changed':
        this.server.tools.changed();
        return;
      case 'notifications/prompts/list_changed':
        this.server.prompts.changed();
        return;
      case 'notifications/resources/list_changed':
        this.server.resources.changed();
        return;
      case 'notifications/resources/updated':
        if (typeof params?.uri === 'string') this.server.notifyResourceUpdated(this.names.uri(upstream, params.uri)).catch((e: Error) => this.options.onerror?.(e));
        return;
      default:
      // Logging and other notifications are not tied to a caller on a shared connection: not forwarded.
    }
  }

  private async subscription(call: Call, uri: string, on: boolean): Promise<void> {
    const target = this.names.splitUri(uri) ?? this.passthroughOwner(uri);
    const up = this.upstreams.get(target.upstream)!;
    const session = call.context?.session;
    let set = this.subscribed.get(uri);
    if (on) {
      if (!set?.size) await up.request('resources/subscribe', { uri: target.uri }, { signal: call.signal });
      if (session) {
        if (!set) this.subscribed.set(uri, (set = new Set()));
        set.add(session);
      }
    } else {
      if (session) set?.delete(session);
      if (!set?.size) {
        this.subscribed.delete(uri);
        await up.request('resources/unsubscribe', { uri: target.uri }, { signal: call.signal });
      }
    }
  }

  private passthroughOwner(uri: string): { upstream: string; uri: string } {
    const owner = this.names.passthrough().find((n) => this.upstreams.get(n)?.state === 'ready');
    if (owner === undefined) throw new McpError(ErrorCode.ResourceNotFound, `Resource not found: ${uri}`, { uri });
    return { upstream: owner, uri };
  }

  /** An upstream by name (tests and health probes). */
  upstream(name: string): Upstream<HandlerContext> | undefined {
    return this.upstreams.get(name);
  }

  /** Connects every upstream; resolves once each has connected or failed (a failed one keeps retrying). */
  async start(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.start()));
  }

  health(): GatewayHealth {
    const upstreams = [...this.upstreams.values()].map((u) => u.health());
    const ready = upstreams.filter((u) => u.state === 'ready').length;
    return { status: ready === upstreams.length ? 'ok' : ready > 0 ? 'degraded' : 'down', upstreams };
  }

  /**
   * Resolves once `upstream` is in `state` (at once if it is).
   *
   * @example
   * await gateway.waitFor('fs', 'ready');
   */
  waitFor(upstream: string, state: UpstreamState): Promise<void> {
    if (this.upstreams.get(upstream)?.state === state) return Promise.resolve();
    return new Promise((resolve) => {
      const l = (name: string, s: UpstreamState) => {
        if (name === upstream && s === state) {
          this.stateListeners.delete(l);
          resolve();
        }
      };
      this.stateListeners.add(l);
    });
  }

  async close(): Promise<void> {
    await this.server.close();
    await Promise.all([...this.upstreams.values()].map((u) => u.close()));
  }
}

/**
 * Builds a gateway from a config (checked: see config.ts) and connects its upstreams.
 *
 * @example
 * const gateway = await createGateway({
 *   upstreams: {
 *     everything: { type: 'stdio', command: 'npx', args: ['@modelcontextprotocol/server-everything'] },
 *     remote: { type: 'http', url: 'https://mcp.example.com/mcp', bearer: '${REMOTE_TOKEN}' },
 *   },
 * });
 * await gateway.server.connect(new StdioServerTransport());
 */
export async function createGateway(config: GatewayConfig | unknown, options?: GatewayOptions): Promise<Gateway> {
  const gateway = new Gateway(parseGatewayConfig(config), options);
  await gateway.start();
  return gateway;
}

export type { Result };
