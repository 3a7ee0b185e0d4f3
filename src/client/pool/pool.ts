/**
 * ClientPool: many sessions to one MCP server, or to several servers serving the same thing,
 * behind one `call()`. Least-busy selection, caps on sessions and calls per upstream with a
 * bounded queue, health checks, replacement of sessions that die, and per-upstream circuit
 * breaking and retries (resilience.ts).
 */
import { EventEmitter } from 'node:events';
import type { RetryPolicy } from 'cockatiel';
import type { RequestOptions } from '../../engine/outbound.js';
import { ErlmcpError } from '../../protocol/errors.js';
import type * as T from '../../protocol/types.js';
import type { BatchCall, BatchResult } from '../batch.js';
import { POOL_DEFAULTS, type CircuitStatus, type ClientFactory, type PoolEvents, type PoolOptions, type PoolStats, type SessionEndReason, type UpstreamSpec } from './options.js';
import { circuitOpenError, isUpstreamFailure, retryPolicy } from './resilience.js';
import { Upstream, type Session, type UpstreamHost } from './upstream.js';

/** Per-call options of a pool call. */
export interface PoolCallOptions extends Omit<RequestOptions, 'relatedRequestId'> {
  /** Send to this upstream only (by name). */
  upstream?: string;
}

interface Waiter {
  readonly pinned: string | undefined;
  readonly grant: (u: Upstream) => void;
  readonly refuse: (e: unknown) => void;
}

/** Errors after which a session is no good any more (the client could not re-initialize). */
const SESSION_LOST = new Set(['ERR_SESSION_EXPIRED', 'ERR_NOT_CONNECTED']);

/**
 * A pool of MCP client sessions.
 *
 * @example
 * const pool = new ClientPool(async () => {
 *   const c = new Client({ name: 'gw', version: '1' });
 *   await c.connect(new StdioClientTransport({ command: 'node', args: ['server.js'] }));
 *   return c;
 * }, { maxSessions: 8, minSessions: 2 });
 * await pool.start();
 * const r = await pool.call('tools/call', { name: 'echo', arguments: { text: 'hi' } });
 * pool.on('replaced', (e) => console.error('replaced a session of', e.upstream, e.reason));
 * await pool.close();
 */
export class ClientPool extends EventEmitter<PoolEvents> implements UpstreamHost {
  readonly maxSessions: number;
  readonly minSessions: number;
  private readonly maxInFlight: number;
  private readonly maxQueue: number;
  private readonly queueTimeoutMs: number;
  private readonly healthTimeoutMs: number;
  private readonly callTimeoutMs: number;
  private readonly upstreams: Upstream[];
  private readonly byName = new Map<string, Upstream>();
  private readonly queue: Waiter[] = [];
  private readonly retry: RetryPolicy | undefined;
  private readonly maxRetries: number;
  private readonly timer: NodeJS.Timeout | undefined;
  closed = false;

  /** One factory (one upstream named "default"), or several named upstreams. */
  constructor(
    upstreams: ClientFactory | readonly UpstreamSpec[],
    private readonly options: PoolOptions = {},
  ) {
    super();
    const d = POOL_DEFAULTS;
    this.maxSessions = options.maxSessions ?? d.maxSessions;
    this.minSessions = Math.min(options.minSessions ?? d.minSessions, this.maxSessions);
    this.maxInFlight = options.maxInFlight ?? d.maxInFlight;
    this.maxQueue = options.maxQueue ?? d.maxQueue;
    this.queueTimeoutMs = options.queueTimeoutMs ?? d.queueTimeoutMs;
    this.healthTimeoutMs = options.healthCheckTimeoutMs ?? d.healthCheckTimeoutMs;
    this.callTimeoutMs = options.callTimeoutMs ?? d.callTimeoutMs;
    for (const [name, v] of Object.entries({ maxSessions: this.maxSessions, maxInFlight: this.maxInFlight })) {
      if (!(v >= 1)) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `ClientPool: ${name} must be at least 1`);
    }
    const specs = typeof upstreams === 'function' ? [{ name: 'default', connect: upstreams }] : upstreams;
    if (specs.length === 0) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'ClientPool needs at least one upstream');
    this.upstreams = specs.map((s) => new Upstream(s.name, s.connect, this, options.breaker));
    for (const u of this.upstreams) {
      if (this.byName.has(u.name)) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `ClientPool: upstream "${u.name}" given twice`);
      this.byName.set(u.name, u);
    }
    this.retry = retryPolicy(options.retry);
    this.maxRetries = options.retry?.maxRetries ?? d.retry.maxRetries;
    const every = options.healthCheckIntervalMs ?? d.healthCheckIntervalMs;
    if (every > 0) {
      this.timer = setInterval(() => void this.checkHealth(), every);
      this.timer.unref(); // health checks never keep a process alive
    }
  }

  /** Opens `minSessions` per upstream; rejects if an upstream cannot be reached. Optional: calls open sessions on demand. */
  async start(): Promise<void> {
    await Promise.all(this.upstreams.map((u) => u.warm()));
  }

  stats(): PoolStats {
    const upstreams = this.upstreams.map((u) => u.stats());
    const sum = (k: 'sessions' | 'inFlight' | 'replacements') => upstreams.reduce((n, u) => n + u[k], 0);
    return { sessions: sum('sessions'), inFlight: sum('inFlight'), queued: this.queue.length, replacements: sum('replacements'), upstreams };
  }

  /**
   * Sends one request through the pool: a slot on the least busy upstream whose circuit is
   * closed, its least busy session, the per-call timeout, and retries when the call is safe
   * to repeat (see PoolOptions.isSafeToRepeat).
   *
   * @example
   * const { tools } = await pool.call('tools/list');
   */
  async call<R = T.Result>(method: string, params?: Record<string, unknown>, options?: PoolCallOptions): Promise<R> {
    const safe = this.isSafe(method, params, options?.upstream);
    if (!safe || !this.retry) return (await this.attempt(method, params, options)) as R;
    return (await this.retry.execute(({ attempt }) => {
      const used: { name?: string } = {};
      return this.attempt(method, params, options, used).catch((e: unknown) => {
        // Announced only when the retry policy will indeed go again.
        if (attempt < this.maxRetries && isUpstreamFailure(e)) this.emit('retry', { upstream: used.name ?? options?.upstream ?? '', method, attempt: attempt + 1, error: e });
        throw e;
      });
    }, options?.signal)) as R;
  }

  /** tools/call through the pool. */
  callTool(params: T.CallToolRequestParams, options?: PoolCallOptions): Promise<T.CallToolResult> {
    return this.call<T.CallToolResult>('tools/call', params as unknown as Record<string, unknown>, options);
  }

  /** tools/list through the pool (teaches the pool which tools are safe to retry). */
  listTools(params?: T.PaginatedRequestParams, options?: PoolCallOptions): Promise<T.ListToolsResult> {
    return this.call<T.ListToolsResult>('tools/list', params as Record<string, unknown> | undefined, options);
  }

  /**
   * Many calls on one session with `client.batch()` (one JSON-RPC batch on 2025-03-26, pipelined
   * otherwise); takes one slot of the upstream for the whole batch. Never retried.
   */
  async batch(calls: readonly BatchCall[], options?: PoolCallOptions): Promise<BatchResult[]> {
    const u = await this.slot(options?.upstream, 'batch');
    try {
      return await u.breaker.execute(async () => {
        const s = await u.session();
        return this.onSession(u, s, () => s.client.batch(calls, this.requestOptions(options)));
      });
    } finally {
      this.release(u);
    }
  }

  /** Stops health checks, refuses queued callers and closes every session. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const w of this.queue.splice(0)) w.refuse(new ErlmcpError('ERR_CONNECTION_CLOSED', 'ClientPool closed'));
    await Promise.all(this.upstreams.map((u) => u.close()));
  }

  // ---------- one attempt ----------

  private async attempt(method: string, params: Record<string, unknown> | undefined, options: PoolCallOptions | undefined, used?: { name?: string }): Promise<T.Result> {
    const u = await this.slot(options?.upstream, method);
    if (used) used.name = u.name;
    try {
      return await u.breaker.execute(async () => {
        const s = await u.session();
        return this.onSession(u, s, () => this.send(u, s, method, params, options));
      });
    } finally {
      this.release(u);
    }
  }

  /** Runs `fn` on `s`, whose slot `u.session()` took; gives the slot back. */
  private async onSession<R>(u: Upstream, s: Session, fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (e) {
      // The client re-initializes by itself after a 404; if that failed too, the session is gone.
      if (e instanceof ErlmcpError && SESSION_LOST.has(e.code)) u.end(s, 'lost', e);
      throw e;
    } finally {
      s.inFlight--;
    }
  }

  private async send(u: Upstream, s: Session, method: string, params: Record<string, unknown> | undefined, options: PoolCallOptions | undefined): Promise<T.Result> {
    const o = this.requestOptions(options);
    const c = s.client;
    // The typed client methods keep their local checks (output schemas, learned tool lists).
    if (method === 'tools/call') return c.callTool(params as unknown as T.CallToolRequestParams, o);
    if (method === 'tools/list') {
      const r = await c.listTools(params as T.PaginatedRequestParams | undefined, o);
      u.safety.learn(r.tools);
      return r;
    }
    return c.call(method as 'ping', params as never, o);
  }

  private requestOptions(options: PoolCallOptions | undefined): RequestOptions {
    const { upstream: _, ...rest } = options ?? {};
    return { ...rest, timeoutMs: options?.timeoutMs ?? this.callTimeoutMs };
  }

  private isSafe(method: string, params: Record<string, unknown> | undefined, pinned: string | undefined): boolean {
    const own = this.options.isSafeToRepeat?.(method, params);
    if (own !== undefined) return own;
    const us = pinned === undefined ? this.upstreams : [this.byName.get(pinned)].filter((u) => u !== undefined);
    // A tool is safe only if every upstream it may go to says so.
    return us.length > 0 && us.every((u) => u.safety.isSafe(method, params));
  }

  // ---------- slots and the queue ----------

  /** Reserves a call slot on the least busy eligible upstream, queueing when all are full. */
  private slot(pinned: string | undefined, method: string): Promise<Upstream> {
    if (this.closed) return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'ClientPool closed'));
    const candidates = this.candidates(pinned);
    if (candidates instanceof Error) return Promise.reject(candidates);
    const free = this.leastBusy(candidates);
    if (free) {
      free.inFlight++;
      return Promise.resolve(free);
    }
    if (this.queue.length >= this.maxQueue) {
      this.emit('rejected', { reason: 'queue-full', method });
      return Promise.reject(new ErlmcpError('ERR_LIMIT', `ClientPool: every upstream is at its in-flight limit (${this.maxInFlight}) and the queue is full (limit ${this.maxQueue}); ${method} was not sent`, { data: { limit: 'maxQueue', max: this.maxQueue } }));
    }
    return new Promise<Upstream>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.queue.indexOf(w);
        if (i >= 0) this.queue.splice(i, 1);
        this.emit('rejected', { reason: 'queue-timeout', method });
        reject(new ErlmcpError('ERR_LIMIT', `ClientPool: no call slot became free within ${this.queueTimeoutMs} ms (maxInFlight ${this.maxInFlight} per upstream); ${method} was not sent`, { data: { limit: 'queueTimeoutMs', max: this.queueTimeoutMs } }));
      }, this.queueTimeoutMs);
      timer.unref();
      const w: Waiter = {
        pinned,
        grant: (u) => {
          clearTimeout(timer);
          resolve(u);
        },
        refuse: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.queue.push(w);
    });
  }

  /** Upstreams a call may use: the pinned one, or all whose circuit is not cooling down. */
  private candidates(pinned: string | undefined): Upstream[] | Error {
    if (pinned !== undefined) {
      const u = this.byName.get(pinned);
      if (!u) return new ErlmcpError('ERR_INVALID_ARGUMENT', `ClientPool: no upstream named "${pinned}"`);
      return u.breaker.refusing() ? circuitOpenError(u.name, u.breaker.retryAt) : [u];
    }
    const now = Date.now();
    const ok = this.upstreams.filter((u) => !u.breaker.refusing(now));
    if (ok.length > 0) return ok;
    const soonest = this.upstreams.reduce((a, b) => (b.breaker.retryAt < a.breaker.retryAt ? b : a));
    return circuitOpenError(soonest.name, soonest.breaker.retryAt);
  }

  private leastBusy(us: readonly Upstream[]): Upstream | undefined {
    let best: Upstream | undefined;
    for (const u of us) {
      if (u.inFlight >= this.maxInFlight) continue;
      // Busy per session (or per session it may still open): spreads calls over replicas.
      const load = u.inFlight / Math.max(1, u.sessions.length);
      if (!best || load < best.inFlight / Math.max(1, best.sessions.length)) best = u;
    }
    return best;
  }

  private release(u: Upstream): void {
    u.inFlight--;
    // Hand the slot to the first waiter that may use this upstream.
    const i = this.queue.findIndex((w) => w.pinned === undefined || w.pinned === u.name);
    if (i < 0 || u.breaker.refusing()) return;
    const [w] = this.queue.splice(i, 1);
    u.inFlight++;
    w!.grant(u);
  }

  // ---------- health ----------

  /**
   * Pings every idle session once (the interval does this by itself); a session whose ping
   * fails or times out is replaced. Resolves when every ping settled.
   */
  async checkHealth(): Promise<void> {
    const pings: Promise<void>[] = [];
    for (const u of this.upstreams) {
      for (const s of [...u.sessions]) {
        // Busy sessions prove themselves; modern (2026-07-28) sessions have no ping.
        if (s.checking || s.inFlight > 0 || s.client.era !== 'legacy') continue;
        s.checking = true;
        pings.push(
          s.client.ping({ timeoutMs: this.healthTimeoutMs }).then(
            () => void (s.checking = false),
            (e: unknown) => {
              s.checking = false;
              u.end(s, 'health', e);
            },
          ),
        );
      }
    }
    await Promise.all(pings);
  }

  // ---------- UpstreamHost ----------

  sessionOpened(u: Upstream): void {
    this.emit('session-open', { upstream: u.name, sessions: u.sessions.length });
  }
  sessionEnded(u: Upstream, reason: SessionEndReason, error?: unknown): void {
    this.emit('session-end', error === undefined ? { upstream: u.name, reason } : { upstream: u.name, reason, error });
  }
  replaced(u: Upstream, reason: SessionEndReason): void {
    this.emit('replaced', { upstream: u.name, reason });
  }
  connectFailed(u: Upstream, error: unknown): void {
    this.emit('connect-failed', { upstream: u.name, error });
  }
  circuit(u: Upstream, state: CircuitStatus, retryAt?: number): void {
    this.emit('circuit', retryAt === undefined ? { upstream: u.name, state } : { upstream: u.name, state, retryAt });
  }
}
