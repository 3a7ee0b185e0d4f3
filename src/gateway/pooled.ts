/**
 * An upstream served by a ClientPool (client/pool): several sessions (for stdio, several
 * processes) with least-busy selection, a bounded queue, health checks and replacement of
 * sessions that die, a circuit breaker, and retries of calls that are safe to repeat. Chosen
 * per upstream with `pool` in the gateway config; without it an upstream is one ClientUpstream.
 */
import type { Client } from '../client/client.js';
import { ClientPool } from '../client/pool/pool.js';
import type { McpCache } from '../features/cache/cache.js';
import type { RequestOptions } from '../engine/outbound.js';
import { ErlmcpError, ErrorCode, McpError, limitError } from '../protocol/errors.js';
import type { AuthInfo } from '../protocol/transport.js';
import type { Result, ServerCapabilities } from '../protocol/types.js';
import type { UpstreamConfig } from './config.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { CallTag, connectUpstream, tagged, upstreamCache, type ConnectHooks } from './connect.js';
import { originsOf, type ClientUpstreamOptions, type ServerRequestHandler, type Upstream, type UpstreamHealth, type UpstreamState } from './upstream.js';

export class PooledUpstream<O = unknown> implements Upstream<O> {
  state: UpstreamState = 'connecting';
  capabilities: ServerCapabilities | undefined;
  private readonly pool: ClientPool;
  private readonly cache: McpCache | undefined;
  /**
   * The call a request is sent for, across the pool's awaits (slot, session): only with a cache,
   * which keys on it — on Node 20 an AsyncLocalStorage in use slows every promise of the process.
   */
  private readonly caller: AsyncLocalStorage<{ authInfo?: AuthInfo } | undefined> | undefined;
  /** Calls forwarded and not yet answered (health). */
  private inFlight = 0;
  private lastError: string | undefined;
  private replacements = 0;
  private circuit = 'closed';
  /** Open sessions' clients (notifications go to each). */
  private readonly clients = new Set<Client>();
  onnotification?: (method: string, params: Record<string, unknown> | undefined) => void;
  onstatechange?: (state: UpstreamState, previous: UpstreamState) => void;
  onserverrequest?: ServerRequestHandler<O>;

  constructor(
    readonly name: string,
    readonly config: UpstreamConfig,
    private readonly options: ClientUpstreamOptions,
  ) {
    this.cache = upstreamCache(config, options.sharedCache);
    this.caller = this.cache ? new AsyncLocalStorage() : undefined;
    const hooks: ConnectHooks = {
      // Per session: an upstream request belongs to a call in flight on the session it came on.
      serverRequest: (method, params, signal, cause) => {
        const handler = this.onserverrequest;
        if (!handler) return Promise.reject(new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`));
        return handler(method, params, originsOf<O>(cause), signal);
      },
      notification: (method, params) => this.onnotification?.(method, params),
    };
    const { breaker, retry, ...sizes } = config.pool ?? {};
    this.pool = new ClientPool(
      [
        {
          name,
          connect: async () => {
            const { client } = await connectUpstream(config, options.info, hooks, this.cache && { cache: this.cache, identify: () => this.caller?.getStore()?.authInfo });
            this.capabilities = client.serverCapabilities;
            this.clients.add(client);
            // The pool chains its own onclose after this one.
            client.onclose = () => this.clients.delete(client);
            return client;
          },
        },
      ],
      { ...sizes, ...(breaker !== undefined ? { breaker } : {}), ...(retry ? { retry } : {}), callTimeoutMs: this.timeoutMs },
    );
    this.pool.on('session-open', () => this.update());
    this.pool.on('session-end', (e) => {
      if (e.reason !== 'shutdown') this.lastError = `session ended (${e.reason})${e.error instanceof Error ? `: ${e.error.message}` : ''}`;
      this.update();
    });
    this.pool.on('replaced', () => this.replacements++);
    this.pool.on('connect-failed', (e) => {
      this.lastError = `connect failed: ${e.error instanceof Error ? e.error.message : String(e.error)}`;
      this.update();
    });
    this.pool.on('circuit', (e) => {
      this.circuit = e.state;
      this.update();
    });
  }

  get timeoutMs(): number {
    return this.config.timeoutMs ?? this.options.timeoutMs;
  }

  /** Ready while a session is open and the circuit lets calls through. */
  private update(): void {
    if (this.state === 'closed') return;
    const up = this.pool.stats().upstreams[0]!;
    const next: UpstreamState = up.sessions > 0 && this.circuit !== 'open' ? 'ready' : up.opening > 0 ? 'connecting' : 'down';
    const prev = this.state;
    if (prev === next) return;
    this.state = next;
    this.onstatechange?.(next, prev);
  }

  async start(): Promise<void> {
    await this.cache?.ready.catch(() => {});
    await this.pool.start().catch(() => {});
    this.update();
  }

  health(): UpstreamHealth {
    const h: UpstreamHealth = { name: this.name, type: this.config.type, state: this.state, restarts: this.replacements, inFlight: this.inFlight };
    if (this.lastError !== undefined) h.lastError = this.lastError;
    if (this.cache) h.cache = this.cache.stats();
    h.pool = this.pool.stats().upstreams[0];
    return h;
  }

  async request<R = Result>(method: string, params: Record<string, unknown> | undefined, options?: RequestOptions, origin?: O): Promise<R> {
    this.inFlight++;
    const tag = origin === undefined ? undefined : new CallTag(origin);
    const timeoutMs = options?.timeoutMs ?? this.timeoutMs;
    try {
      const { relatedRequestId: _r, ...rest } = options ?? {};
      const send = () => this.pool.call<R>(method, tag ? tagged(params, tag) : params, { ...rest, timeoutMs });
      return await (this.caller ? this.caller.run(origin as { authInfo?: AuthInfo } | undefined, send) : send());
    } catch (e) {
      if (!(e instanceof ErlmcpError)) throw e;
      switch (e.code) {
        case 'ERR_CANCELLED':
          throw e;
        case 'ERR_TIMEOUT':
          throw new McpError(ErrorCode.RequestTimeout, `Upstream ${this.name} did not answer ${method} within ${timeoutMs} ms`, { reason: 'upstream_timeout', upstream: this.name, timeoutMs });
        case 'ERR_CIRCUIT_OPEN':
          throw limitError('upstream_circuit_open', `Upstream ${this.name}: ${e.message}`, { upstream: this.name });
        case 'ERR_LIMIT':
          throw limitError('upstream_busy', `Upstream ${this.name}: ${e.message}`, { upstream: this.name });
        default:
          throw limitError('upstream_unavailable', `Upstream ${this.name} failed ${method}: ${e.message}`, { upstream: this.name });
      }
    } finally {
      tag?.done();
      this.inFlight--;
    }
  }

  /** To every open session (roots/list_changed is per connection). */
  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    await Promise.all([...this.clients].map((c) => c.notify(method, params).catch(() => {})));
  }

  async close(): Promise<void> {
    const prev = this.state;
    this.state = 'closed';
    if (prev !== 'closed') this.onstatechange?.('closed', prev);
    await this.pool.close();
    await this.cache?.close();
  }
}
