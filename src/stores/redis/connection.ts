/**
 * The Redis side of one node: exactly two connections (commands, and subscriptions), a random
 * node id with a heartbeat key, and a channel table multiplexing every subscriber of this
 * process onto the one subscriber connection. The session store, event store and bus of a
 * node share one RedisConnection, so a node never holds more than two Redis connections
 * however many sessions or streams it serves.
 *
 * Failure policy: no offline queue and no retries per command. While Redis is unreachable,
 * commands fail at once (`available` is false, the HTTP server answers 503) instead of
 * queueing without bound; ioredis keeps reconnecting in the background, and subscriptions
 * are re-established by us (not ioredis) so followers can catch up in order afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { ErlmcpError } from '../../protocol/errors.js';

export interface RedisConnectionOptions {
  /** Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Extra ioredis options (merged over ours). */
  redis?: RedisOptions;
  /** Prefix of every key and channel. Default `erlmcp:`. */
  prefix?: string;
  /** This node's id. Default: 12 random hex digits, new per process (never hostname:pid). */
  nodeId?: string;
  /** Heartbeat period; the node key lives 3 periods. Default 2000 ms. */
  heartbeatMs?: number;
  /** A command with no reply after this long fails. Default 5000 ms. */
  commandTimeoutMs?: number;
}

type Handler = (message: string) => void;

interface Channel {
  handlers: Set<Handler>;
  /** Called after the channel was subscribed again following a reconnect (messages may have been missed). */
  resyncs: Set<() => void>;
  ready: Promise<unknown>;
}

/** Redis replies to a Lua script call by sha; falls back to EVAL when the server lost its script cache. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export class RedisConnection {
  readonly cmd: Redis;
  readonly sub: Redis;
  readonly prefix: string;
  readonly nodeId: string;
  readonly heartbeatMs: number;
  readonly url: string;
  onerror?: (error: Error) => void;
  private readonly channels = new Map<string, Channel>();
  private readonly unsubscribing = new Map<string, Promise<unknown>>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly scripts = new Set<LuaScript>();
  private subEverReady = false;
  private closed = false;

  constructor(options: RedisConnectionOptions = {}) {
    this.url = options.url ?? 'redis://127.0.0.1:6379';
    this.prefix = options.prefix ?? 'erlmcp:';
    this.nodeId = options.nodeId ?? randomBytes(6).toString('hex');
    this.heartbeatMs = options.heartbeatMs ?? 2000;
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      // A silent partition (no RST) must still flip `available`: drop a socket that stops answering.
      socketTimeout: options.commandTimeoutMs ?? 5000,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      ...options.redis,
    };
    this.cmd = new Redis(this.url, { ...common, connectionName: `erlmcp:${this.nodeId}:cmd` });
    this.sub = new Redis(this.url, { ...common, connectionName: `erlmcp:${this.nodeId}:sub` });
    const report = (e: Error): void => {
      if (!this.closed) this.onerror?.(e);
    };
    this.cmd.on('error', report);
    this.sub.on('error', report);
    this.sub.on('message', (channel: string, message: string) => {
      const c = this.channels.get(channel);
      if (c) for (const h of c.handlers) h(message);
    });
    this.cmd.on('ready', () => {
      this.beat();
      for (const s of this.scripts) this.cmd.script('LOAD', s.source).catch(report);
    });
    this.sub.on('ready', () => {
      if (this.subEverReady) this.resubscribe();
      this.subEverReady = true;
    });
    this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Both connections are up: commands and subscriptions work now. No I/O. */
  get available(): boolean {
    return !this.closed && this.cmd.status === 'ready' && this.sub.status === 'ready';
  }

  /** Resolves once both connections are ready, or rejects after `timeoutMs` with a clear error. */
  async waitUntilReady(timeoutMs = 5000): Promise<void> {
    const ready = (r: Redis): Promise<void> =>
      r.status === 'ready'
        ? Promise.resolve()
        : new Promise((resolve) => {
            r.once('ready', () => resolve());
          });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ErlmcpError('ERR_NOT_CONNECTED', `Redis at ${this.url} is not reachable (no connection within ${timeoutMs} ms)`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all([ready(this.cmd), ready(this.sub)]), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Round trip to Redis on both connections (readiness probes). */
  async ping(): Promise<void> {
    if (!this.available) throw new ErlmcpError('ERR_NOT_CONNECTED', `Redis at ${this.url} is unreachable`);
    await Promise.all([this.cmd.ping(), this.sub.ping()]);
  }

  key(suffix: string): string {
    return `${this.prefix}${suffix}`;
  }

  private nodeKey(nodeId: string): string {
    return this.key(`n:${nodeId}`);
  }

  private beat(): void {
    if (this.closed || this.cmd.status !== 'ready') return;
    this.cmd.set(this.nodeKey(this.nodeId), String(Date.now()), 'PX', this.heartbeatMs * 3).catch((e: Error) => this.onerror?.(e));
  }

  /** False once a node's heartbeat key has expired (it died, or lost Redis for 3 periods). */
  async isNodeAlive(nodeId: string): Promise<boolean> {
    if (nodeId === this.nodeId) return !this.closed;
    return (await this.cmd.exists(this.nodeKey(nodeId))) === 1;
  }

  /** Runs a Lua script by sha (one round trip); reloads it once if Redis restarted and forgot it. */
  async eval(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    this.scripts.add(script);
    try {
      return await this.cmd.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return this.cmd.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  /**
   * Adds a handler for a raw Redis channel; the first handler subscribes. `resync` runs after a
   * reconnect once the channel is subscribed again. Returns the remover.
   */
  async subscribe(channel: string, handler: Handler, resync?: () => void): Promise<() => void> {
    let c = this.channels.get(channel);
    if (!c) {
      const pending = this.unsubscribing.get(channel) ?? Promise.resolve();
      c = { handlers: new Set(), resyncs: new Set(), ready: pending.then(() => this.sub.subscribe(channel)) };
      this.channels.set(channel, c);
      // A failed SUBSCRIBE must not leave a dead entry that later subscribers would trust.
      c.ready.catch(() => {
        if (this.channels.get(channel) === c) this.channels.delete(channel);
      });
    }
    const entry = c;
    entry.handlers.add(handler);
    if (resync) entry.resyncs.add(resync);
    try {
      await entry.ready;
    } catch (e) {
      entry.handlers.delete(handler);
      if (resync) entry.resyncs.delete(resync);
      throw e;
    }
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      entry.handlers.delete(handler);
      if (resync) entry.resyncs.delete(resync);
      if (entry.handlers.size > 0 || this.channels.get(channel) !== entry) return;
      this.channels.delete(channel);
      if (this.closed) return;
      const p = entry.ready
        .then(() => (this.channels.has(channel) || this.sub.status !== 'ready' ? undefined : this.sub.unsubscribe(channel)))
        .catch(() => {})
        .finally(() => {
          if (this.unsubscribing.get(channel) === p) this.unsubscribing.delete(channel);
        });
      this.unsubscribing.set(channel, p);
    };
  }

  /** After a reconnect: subscribe every channel again, then let followers catch up from their stores. */
  private resubscribe(): void {
    const names = [...this.channels.keys()];
    if (names.length === 0) return;
    this.sub.subscribe(...names).then(
      () => {
        for (const name of names) for (const r of this.channels.get(name)?.resyncs ?? []) r();
      },
      (e: Error) => this.onerror?.(e),
    );
  }

  /** Number of channels this node is subscribed to (for tests and metrics). */
  get channelCount(): number {
    return this.channels.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.heartbeat);
    // A clean shutdown frees the node id at once, so peers need not wait for the TTL.
    if (this.cmd.status === 'ready') await this.cmd.del(this.nodeKey(this.nodeId)).catch(() => {});
    this.closed = true;
    this.channels.clear();
    await Promise.all([this.cmd.quit().catch(() => this.cmd.disconnect()), this.sub.quit().catch(() => this.sub.disconnect())]);
  }
}
